//! Line plot: several series with markers, optional log axes.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::{axis_range, check_series};
use crate::error::draw_err;
use crate::render::{LegendEntry, Sample, draw_markers, titled, with_chart, with_legend};
use crate::{Axis, Series, Style, VizError};

/// Several series drawn as lines with markers (e.g. TTFT p50 against concurrency per
/// configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct LinePlot {
    /// Title above the plot.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// The series, coloured in palette order; points are joined in the given order.
    pub series: Vec<Series>,
}

impl LinePlot {
    /// A line plot.
    #[must_use]
    pub fn new(title: impl Into<String>, x: Axis, y: Axis, series: Vec<Series>) -> Self {
        Self {
            title: title.into(),
            x,
            y,
            series,
        }
    }
}

impl crate::render::sealed::Draw for LinePlot {
    fn validate(&self) -> Result<(), VizError> {
        check_series(&self.title, &self.series, &self.x, &self.y)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        style: &Style,
    ) -> Result<(), VizError> {
        let area = titled(root, style, &self.title)?;
        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| LegendEntry {
                label: s.label.clone(),
                color: style.color(i),
                sample: Sample::LineMarker(i),
            })
            .collect();
        let area = with_legend(&area, style, &legend)?;
        let all = || self.series.iter().flat_map(|s| s.points.iter());
        let xr = axis_range(&self.title, "x", all().map(|p| p.0), &self.x)?;
        let yr = axis_range(&self.title, "y", all().map(|p| p.1), &self.y)?;
        with_chart!(&area, style, &self.x, &self.y, xr, yr, |chart| {
            for (i, s) in self.series.iter().enumerate() {
                let c = style.color(i).to_plotters();
                chart
                    .draw_series(LineSeries::new(
                        s.points.iter().copied(),
                        c.stroke_width(style.line_width),
                    ))
                    .map_err(draw_err)?;
                draw_markers(&mut chart, &s.points, i, c, style.marker_size)?;
            }
        });
        Ok(())
    }
}
