//! Several plots side by side in one image (e.g. TTFT and throughput against prefix ratio).

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::empty;
use crate::render::sealed::Draw;
use crate::render::titled;
use crate::{BandPlot, Heatmap, LinePlot, ParetoPlot, ScatterPlot, Style, VizError};

/// One panel of a [`Figure`]: any plot kind.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Panel {
    /// A line plot.
    Line(LinePlot),
    /// A scatter plot.
    Scatter(ScatterPlot),
    /// A Pareto chart.
    Pareto(ParetoPlot),
    /// A median line with a p25–p75 band.
    Band(BandPlot),
    /// A heatmap.
    Heatmap(Heatmap),
}

macro_rules! panel_from {
    ($($variant:ident($ty:ty)),*) => {$(
        impl From<$ty> for Panel {
            fn from(p: $ty) -> Self {
                Self::$variant(p)
            }
        }
    )*};
}
panel_from!(
    Line(LinePlot),
    Scatter(ScatterPlot),
    Pareto(ParetoPlot),
    Band(BandPlot),
    Heatmap(Heatmap)
);

impl Panel {
    fn validate(&self) -> Result<(), VizError> {
        match self {
            Self::Line(p) => p.validate(),
            Self::Scatter(p) => p.validate(),
            Self::Pareto(p) => p.validate(),
            Self::Band(p) => p.validate(),
            Self::Heatmap(p) => p.validate(),
        }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        style: &Style,
    ) -> Result<(), VizError> {
        match self {
            Self::Line(p) => p.draw(area, style),
            Self::Scatter(p) => p.draw(area, style),
            Self::Pareto(p) => p.draw(area, style),
            Self::Band(p) => p.draw(area, style),
            Self::Heatmap(p) => p.draw(area, style),
        }
    }
}

/// Plots laid out in a grid of `columns` columns (rows as needed), under an optional overall
/// title. The style's width and height are those of the whole image; each panel keeps the
/// style's font sizes, so give a figure a proportionally larger size than a single plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Title above all panels; empty for none.
    pub title: String,
    /// Number of columns (at least 1).
    pub columns: usize,
    /// The panels, filled row by row.
    pub panels: Vec<Panel>,
}

impl Figure {
    /// A figure of panels in `columns` columns.
    #[must_use]
    pub fn new(title: impl Into<String>, columns: usize, panels: Vec<Panel>) -> Self {
        Self {
            title: title.into(),
            columns,
            panels,
        }
    }
}

impl Draw for Figure {
    fn validate(&self) -> Result<(), VizError> {
        if self.panels.is_empty() {
            return Err(empty(&self.title, "the panel list"));
        }
        if self.columns == 0 {
            return Err(VizError::GridShape {
                plot: self.title.clone(),
                detail: "a figure needs at least 1 column".to_owned(),
            });
        }
        self.panels.iter().try_for_each(Panel::validate)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        style: &Style,
    ) -> Result<(), VizError> {
        let area = titled(root, style, &self.title)?;
        let cols = self.columns.min(self.panels.len()).max(1);
        let rows = self.panels.len().div_ceil(cols);
        let cells = area.split_evenly((rows, cols));
        for (panel, cell) in self.panels.iter().zip(&cells) {
            panel.draw(cell, style)?;
        }
        Ok(())
    }
}
