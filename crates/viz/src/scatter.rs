//! Scatter plot with a text label per point, and the Pareto chart built on it.

use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::data::{Scale, axis_range, check_value, empty};
use crate::error::draw_err;
use crate::pareto::{Goal, frontier_staircase};
use crate::render::{LegendEntry, Sample, draw_markers, font, titled, with_chart, with_legend};
use crate::{Axis, Style, VizError};

/// One point with the text drawn beside it (e.g. the concurrency or configuration name).
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledPoint {
    /// Horizontal value.
    pub x: f64,
    /// Vertical value.
    pub y: f64,
    /// Text drawn next to the point; may be empty.
    pub label: String,
}

impl LabeledPoint {
    /// A labelled point.
    #[must_use]
    pub fn new(x: f64, y: f64, label: impl Into<String>) -> Self {
        Self {
            x,
            y,
            label: label.into(),
        }
    }
}

/// A named group of labelled points, drawn in one colour and marker shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterSeries {
    /// Legend text; an empty label keeps the group out of the legend.
    pub label: String,
    /// The points.
    pub points: Vec<LabeledPoint>,
}

impl ScatterSeries {
    /// A group of labelled points.
    #[must_use]
    pub fn new(label: impl Into<String>, points: Vec<LabeledPoint>) -> Self {
        Self {
            label: label.into(),
            points,
        }
    }
}

/// Points with a text label each, grouped into coloured series.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterPlot {
    /// Title above the plot.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// The groups of points.
    pub series: Vec<ScatterSeries>,
}

impl ScatterPlot {
    /// A scatter plot.
    #[must_use]
    pub fn new(title: impl Into<String>, x: Axis, y: Axis, series: Vec<ScatterSeries>) -> Self {
        Self {
            title: title.into(),
            x,
            y,
            series,
        }
    }
}

/// A Pareto chart: labelled points, and the frontier of the non-dominated ones (over all series
/// together) drawn as a staircase. See [`crate::pareto_frontier`] for the convention; Dynamo's
/// chart (tokens/s/user against tokens/s/GPU) maximizes both axes, which is the default.
#[derive(Debug, Clone, PartialEq)]
pub struct ParetoPlot {
    /// Title above the plot.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// Which direction is better on (x, y).
    pub goals: (Goal, Goal),
    /// The groups of points (e.g. one per deployment configuration).
    pub series: Vec<ScatterSeries>,
    /// Legend text of the frontier line (with [`ParetoPlot::frontier_per_series`], the
    /// prefix of each series' frontier label: `"{frontier_label} {series label}"`).
    pub frontier_label: String,
    /// Draw one frontier per series, in the series' colour, instead of one over all points
    /// (Dynamo's `plot_pareto.py` draws one per deployment configuration).
    pub frontier_per_series: bool,
}

impl ParetoPlot {
    /// A Pareto chart maximizing both axes, with the frontier labelled "Pareto frontier".
    #[must_use]
    pub fn new(title: impl Into<String>, x: Axis, y: Axis, series: Vec<ScatterSeries>) -> Self {
        Self {
            title: title.into(),
            x,
            y,
            goals: (Goal::Maximize, Goal::Maximize),
            series,
            frontier_label: "Pareto frontier".to_owned(),
            frontier_per_series: false,
        }
    }

    /// The same chart with one frontier per series, each labelled
    /// `"{frontier_label} {series label}"`.
    #[must_use]
    pub fn per_series_frontiers(mut self) -> Self {
        self.frontier_per_series = true;
        self
    }

    /// The same chart with other goals.
    #[must_use]
    pub fn with_goals(mut self, x: Goal, y: Goal) -> Self {
        self.goals = (x, y);
        self
    }

    /// All points of all series, in order.
    fn all_points(&self) -> Vec<(f64, f64)> {
        self.series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| (p.x, p.y)))
            .collect()
    }
}

fn check_labeled(plot: &str, series: &[ScatterSeries], x: &Axis, y: &Axis) -> Result<(), VizError> {
    if series.is_empty() {
        return Err(empty(plot, "the series list"));
    }
    for s in series {
        if s.points.is_empty() {
            return Err(empty(plot, &format!("series `{}`", s.label)));
        }
        for (i, p) in s.points.iter().enumerate() {
            let place = || format!("series `{}` point {i}", s.label);
            check_value(plot, &place, "x", p.x, x.scale)?;
            check_value(plot, &place, "y", p.y, y.scale)?;
        }
    }
    Ok(())
}

fn legend_of(series: &[ScatterSeries], style: &Style) -> Vec<LegendEntry> {
    series
        .iter()
        .enumerate()
        .map(|(i, s)| LegendEntry {
            label: s.label.clone(),
            color: style.color(i),
            sample: Sample::Marker(i),
        })
        .collect()
}

/// Where `v` sits in `range` as a fraction (in log space on a log axis).
fn fraction(v: f64, range: (f64, f64), scale: Scale) -> f64 {
    match scale {
        Scale::Linear => (v - range.0) / (range.1 - range.0),
        Scale::Log | Scale::Log2 => (v.ln() - range.0.ln()) / (range.1.ln() - range.0.ln()),
    }
}

/// Draws every series' markers and point labels; labels go up-right of the point, or left /
/// below near the right / top edge so they stay inside the frame.
fn draw_points<DB: DrawingBackend, X: Ranged<ValueType = f64>, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    style: &Style,
    series: &[ScatterSeries],
    (x, y): (&Axis, &Axis),
    (xr, yr): ((f64, f64), (f64, f64)),
) -> Result<(), VizError> {
    let label_font = font(style, style.legend_size.saturating_sub(2).max(8));
    let gap = style.marker_size as i32 + 3;
    for (i, s) in series.iter().enumerate() {
        let c = style.color(i).to_plotters();
        let pts: Vec<(f64, f64)> = s.points.iter().map(|p| (p.x, p.y)).collect();
        draw_markers(chart, &pts, i, c, style.marker_size + 1)?;
        let labels = s.points.iter().filter(|p| !p.label.is_empty()).map(|p| {
            let right = fraction(p.x, xr, x.scale) > 0.75;
            let top = fraction(p.y, yr, y.scale) > 0.85;
            let (dx, h) = if right {
                (-gap, HPos::Right)
            } else {
                (gap, HPos::Left)
            };
            let (dy, v) = if top {
                (gap, VPos::Top)
            } else {
                (-gap, VPos::Bottom)
            };
            EmptyElement::at((p.x, p.y))
                + Text::new(p.label.clone(), (dx, dy), label_font.pos(Pos::new(h, v)))
        });
        chart.draw_series(labels).map_err(draw_err)?;
    }
    Ok(())
}

impl crate::render::sealed::Draw for ScatterPlot {
    fn validate(&self) -> Result<(), VizError> {
        check_labeled(&self.title, &self.series, &self.x, &self.y)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        style: &Style,
    ) -> Result<(), VizError> {
        let area = titled(root, style, &self.title)?;
        let area = with_legend(&area, style, &legend_of(&self.series, style))?;
        let all = || self.series.iter().flat_map(|s| s.points.iter());
        let xr = axis_range(&self.title, "x", all().map(|p| p.x), &self.x)?;
        let yr = axis_range(&self.title, "y", all().map(|p| p.y), &self.y)?;
        with_chart!(&area, style, &self.x, &self.y, xr, yr, |chart| {
            draw_points(
                &mut chart,
                style,
                &self.series,
                (&self.x, &self.y),
                (xr, yr),
            )?;
        });
        Ok(())
    }
}

impl crate::render::sealed::Draw for ParetoPlot {
    fn validate(&self) -> Result<(), VizError> {
        check_labeled(&self.title, &self.series, &self.x, &self.y)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        style: &Style,
    ) -> Result<(), VizError> {
        let area = titled(root, style, &self.title)?;
        let mut legend = legend_of(&self.series, style);
        // (colour, staircase) of every frontier to draw.
        let frontiers: Vec<(crate::Rgb, Vec<(f64, f64)>)> = if self.frontier_per_series {
            self.series
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let pts: Vec<(f64, f64)> = s.points.iter().map(|p| (p.x, p.y)).collect();
                    legend.push(LegendEntry {
                        label: format!("{} {}", self.frontier_label, s.label),
                        color: style.color(i),
                        sample: Sample::Line,
                    });
                    (style.color(i), frontier_staircase(&pts, self.goals))
                })
                .collect()
        } else {
            legend.push(LegendEntry {
                label: self.frontier_label.clone(),
                color: style.foreground,
                sample: Sample::Line,
            });
            vec![(
                style.foreground,
                frontier_staircase(&self.all_points(), self.goals),
            )]
        };
        let area = with_legend(&area, style, &legend)?;
        let points = self.all_points();
        let xr = axis_range(&self.title, "x", points.iter().map(|p| p.0), &self.x)?;
        let yr = axis_range(&self.title, "y", points.iter().map(|p| p.1), &self.y)?;
        with_chart!(&area, style, &self.x, &self.y, xr, yr, |chart| {
            for (color, stairs) in &frontiers {
                chart
                    .draw_series(LineSeries::new(
                        stairs.iter().copied(),
                        color.to_plotters().stroke_width(style.line_width),
                    ))
                    .map_err(draw_err)?;
            }
            draw_points(
                &mut chart,
                style,
                &self.series,
                (&self.x, &self.y),
                (xr, yr),
            )?;
        });
        Ok(())
    }
}
