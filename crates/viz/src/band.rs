//! Median line with a shaded p25–p75 band.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::{axis_range, check_value, empty};
use crate::error::draw_err;
use crate::render::{LegendEntry, Sample, draw_markers, titled, with_chart, with_legend};
use crate::{Axis, Style, VizError};

/// One x position of a [`BandSeries`]: the median and the quartiles around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandPoint {
    /// Horizontal value.
    pub x: f64,
    /// 25th percentile (bottom of the band).
    pub p25: f64,
    /// Median (the line).
    pub median: f64,
    /// 75th percentile (top of the band).
    pub p75: f64,
}

impl BandPoint {
    /// A band point.
    #[must_use]
    pub fn new(x: f64, p25: f64, median: f64, p75: f64) -> Self {
        Self {
            x,
            p25,
            median,
            p75,
        }
    }
}

/// A named median line with its band, points in drawing order (normally increasing `x`).
#[derive(Debug, Clone, PartialEq)]
pub struct BandSeries {
    /// Legend text; an empty label keeps the series out of the legend.
    pub label: String,
    /// The points.
    pub points: Vec<BandPoint>,
}

impl BandSeries {
    /// A band series.
    #[must_use]
    pub fn new(label: impl Into<String>, points: Vec<BandPoint>) -> Self {
        Self {
            label: label.into(),
            points,
        }
    }
}

/// Median lines with shaded p25–p75 bands (e.g. TTFT against prefix ratio per router mode,
/// the spread over seeds shaded).
#[derive(Debug, Clone, PartialEq)]
pub struct BandPlot {
    /// Title above the plot.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// The series.
    pub series: Vec<BandSeries>,
}

impl BandPlot {
    /// A band plot.
    #[must_use]
    pub fn new(title: impl Into<String>, x: Axis, y: Axis, series: Vec<BandSeries>) -> Self {
        Self {
            title: title.into(),
            x,
            y,
            series,
        }
    }
}

impl crate::render::sealed::Draw for BandPlot {
    fn validate(&self) -> Result<(), VizError> {
        let plot = &self.title;
        if self.series.is_empty() {
            return Err(empty(plot, "the series list"));
        }
        for s in &self.series {
            if s.points.is_empty() {
                return Err(empty(plot, &format!("series `{}`", s.label)));
            }
            for (i, p) in s.points.iter().enumerate() {
                let place = || format!("series `{}` point {i}", s.label);
                check_value(plot, &place, "x", p.x, self.x.scale)?;
                check_value(plot, &place, "p25", p.p25, self.y.scale)?;
                check_value(plot, &place, "median", p.median, self.y.scale)?;
                check_value(plot, &place, "p75", p.p75, self.y.scale)?;
                if !(p.p25 <= p.median && p.median <= p.p75) {
                    return Err(VizError::BandOrder {
                        plot: plot.clone(),
                        place: place(),
                        p25: p.p25,
                        median: p.median,
                        p75: p.p75,
                    });
                }
            }
        }
        Ok(())
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        style: &Style,
    ) -> Result<(), VizError> {
        let area = titled(root, style, &self.title)?;
        let mut legend: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| LegendEntry {
                label: s.label.clone(),
                color: style.color(i),
                sample: Sample::LineMarker(i),
            })
            .collect();
        legend.push(LegendEntry {
            label: "p25–p75".to_owned(),
            color: style.foreground,
            sample: Sample::Band,
        });
        let area = with_legend(&area, style, &legend)?;
        let all = || self.series.iter().flat_map(|s| s.points.iter());
        let xr = axis_range(&self.title, "x", all().map(|p| p.x), &self.x)?;
        let yr = axis_range(
            &self.title,
            "y",
            all().flat_map(|p| [p.p25, p.p75]),
            &self.y,
        )?;
        with_chart!(&area, style, &self.x, &self.y, xr, yr, |chart| {
            for (i, s) in self.series.iter().enumerate() {
                let c = style.color(i).to_plotters();
                let outline: Vec<(f64, f64)> = s
                    .points
                    .iter()
                    .map(|p| (p.x, p.p75))
                    .chain(s.points.iter().rev().map(|p| (p.x, p.p25)))
                    .collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        outline,
                        c.mix(style.band_opacity).filled(),
                    )))
                    .map_err(draw_err)?;
            }
            for (i, s) in self.series.iter().enumerate() {
                let c = style.color(i).to_plotters();
                let median: Vec<(f64, f64)> = s.points.iter().map(|p| (p.x, p.median)).collect();
                chart
                    .draw_series(LineSeries::new(
                        median.iter().copied(),
                        c.stroke_width(style.line_width),
                    ))
                    .map_err(draw_err)?;
                draw_markers(&mut chart, &median, i, c, style.marker_size)?;
            }
        });
        Ok(())
    }
}
