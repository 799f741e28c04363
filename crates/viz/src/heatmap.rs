//! Heatmap of a regular grid with a colour bar.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::data::{Scale, check_span, check_value, empty, format_tick};
use crate::error::draw_err;
use crate::render::{font, titled, with_chart};
use crate::style::viridis;
use crate::{Axis, Style, VizError};

/// Values `z[i][j]` on the regular grid `(x[i], y[j])`, drawn as cells coloured by the
/// viridis map, with a colour bar (e.g. decode ITL over KV usage × context length).
///
/// Each cell is centred on its grid point and reaches halfway to its neighbours (geometric
/// halfway on a log axis); the outer cells extend as far outwards as inwards.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Title above the plot.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// Title of the colour bar, with the unit (e.g. `ITL (ms)`).
    pub z_title: String,
    /// Grid positions along x, strictly increasing.
    pub xs: Vec<f64>,
    /// Grid positions along y, strictly increasing.
    pub ys: Vec<f64>,
    /// `z[i][j]` is the value at `(xs[i], ys[j])`: one row per x value, one column per y value.
    pub z: Vec<Vec<f64>>,
}

impl Heatmap {
    /// A heatmap.
    #[must_use]
    pub fn new(
        title: impl Into<String>,
        x: Axis,
        y: Axis,
        z_title: impl Into<String>,
        xs: Vec<f64>,
        ys: Vec<f64>,
        z: Vec<Vec<f64>>,
    ) -> Self {
        Self {
            title: title.into(),
            x,
            y,
            z_title: z_title.into(),
            xs,
            ys,
            z,
        }
    }

    /// Smallest and largest `z` (the data must have been validated).
    fn z_range(&self) -> (f64, f64) {
        self.z
            .iter()
            .flatten()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            })
    }
}

fn check_grid(plot: &str, axis: &str, values: &[f64], scale: Scale) -> Result<(), VizError> {
    if values.is_empty() {
        return Err(empty(plot, &format!("the grid's {axis} values")));
    }
    for (i, &v) in values.iter().enumerate() {
        check_value(plot, &|| format!("grid {axis}[{i}]"), axis, v, scale)?;
        if i > 0 && v <= values[i - 1] {
            return Err(VizError::NotIncreasing {
                plot: plot.to_owned(),
                axis: axis.to_owned(),
                index: i,
                value: v,
            });
        }
    }
    Ok(())
}

/// Width of the colour bar in pixels.
const BAR_WIDTH: u32 = 26;

/// Cell edges around grid points: midpoints between neighbours, mirrored at both ends.
fn edges(values: &[f64], scale: Scale) -> Vec<f64> {
    type Map = fn(f64) -> f64;
    let (fwd, back): (Map, Map) = match scale {
        Scale::Linear => (|v| v, |v| v),
        Scale::Log | Scale::Log2 => (f64::ln, f64::exp),
    };
    let t: Vec<f64> = values.iter().map(|&v| fwd(v)).collect();
    let n = t.len();
    if n == 1 {
        let half = match scale {
            Scale::Linear => (t[0].abs() * 0.5).max(0.5),
            Scale::Log | Scale::Log2 => std::f64::consts::LN_2,
        };
        return vec![back(t[0] - half), back(t[0] + half)];
    }
    let mut e = Vec::with_capacity(n + 1);
    e.push(back(t[0] - (t[1] - t[0]) / 2.0));
    for w in t.windows(2) {
        e.push(back((w[0] + w[1]) / 2.0));
    }
    e.push(back(t[n - 1] + (t[n - 1] - t[n - 2]) / 2.0));
    e
}

impl crate::render::sealed::Draw for Heatmap {
    fn validate(&self) -> Result<(), VizError> {
        let plot = &self.title;
        check_grid(plot, "x", &self.xs, self.x.scale)?;
        check_grid(plot, "y", &self.ys, self.y.scale)?;
        if self.z.len() != self.xs.len() {
            return Err(VizError::GridShape {
                plot: plot.clone(),
                detail: format!(
                    "z has {} rows but there are {} x values (z[i][j] is the value at x[i], y[j])",
                    self.z.len(),
                    self.xs.len()
                ),
            });
        }
        for (i, row) in self.z.iter().enumerate() {
            if row.len() != self.ys.len() {
                return Err(VizError::GridShape {
                    plot: plot.clone(),
                    detail: format!(
                        "z[{i}] has {} values but there are {} y values",
                        row.len(),
                        self.ys.len()
                    ),
                });
            }
            for (j, &v) in row.iter().enumerate() {
                check_value(plot, &|| format!("z[{i}][{j}]"), "z", v, Scale::Linear)?;
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
        let (zlo, zhi) = self.z_range();
        let zspan = zhi - zlo;
        let norm = |v: f64| if zspan > 0.0 { (v - zlo) / zspan } else { 0.5 };

        // Colour bar column: bar, tick labels and its rotated title.
        let tick_font = font(style, style.tick_size);
        let mut widest = 0;
        for k in 0..=10 {
            let text = format!("{}0", format_tick(zlo + zspan * f64::from(k) / 10.0));
            let (w, _) = area
                .estimate_text_size(&text, &tick_font)
                .map_err(draw_err)?;
            widest = widest.max(w);
        }
        let bar_labels = widest + style.axis_title_size + 22;
        // Margins on both sides, the bar itself, then its labels.
        let bar_w = 2 * style.margin + BAR_WIDTH + bar_labels;
        let (area_w, _) = area.dim_in_pixel();
        let (main, bar_area) = area.split_horizontally(area_w as i32 - bar_w as i32);

        let xe = edges(&self.xs, self.x.scale);
        let ye = edges(&self.ys, self.y.scale);
        let xr = (xe[0], xe[xe.len() - 1]);
        let yr = (ye[0], ye[ye.len() - 1]);
        let plot = &self.title;
        check_span(plot, "x", (self.xs[0], self.xs[self.xs.len() - 1]), xr)?;
        check_span(plot, "y", (self.ys[0], self.ys[self.ys.len() - 1]), yr)?;
        with_chart!(&main, style, &self.x, &self.y, xr, yr, |chart| {
            let cells = self.z.iter().enumerate().flat_map(|(i, row)| {
                let (xe, ye) = (&xe, &ye);
                row.iter().enumerate().map(move |(j, &v)| {
                    Rectangle::new(
                        [(xe[i], ye[j]), (xe[i + 1], ye[j + 1])],
                        viridis(norm(v)).to_plotters().filled(),
                    )
                })
            });
            chart.draw_series(cells).map_err(draw_err)?;
        });

        // The bar: z range on a linear axis, labelled on the right.
        let (zb_lo, zb_hi) = if zspan > 0.0 {
            (zlo, zhi)
        } else {
            (zlo - 0.5, zhi + 0.5)
        };
        check_span(&self.title, "z", (zlo, zhi), (zb_lo, zb_hi))?;
        let bar_axis = Axis::unitless(&self.z_title);
        let empty_axis = Axis::unitless("");
        let mut chart = ChartBuilder::on(&bar_area)
            .margin(style.margin)
            .x_label_area_size(style.tick_size + style.axis_title_size + 22)
            .right_y_label_area_size(bar_labels)
            .build_cartesian_2d(0.0..1.0, zb_lo..zb_hi)
            .map_err(draw_err)?;
        let steps = 128;
        chart
            .draw_series((0..steps).map(|k| {
                let t0 = f64::from(k) / f64::from(steps);
                let t1 = f64::from(k + 1) / f64::from(steps);
                let (a, b) = (zb_lo + (zb_hi - zb_lo) * t0, zb_lo + (zb_hi - zb_lo) * t1);
                Rectangle::new([(0.0, a), (1.0, b)], viridis(t0).to_plotters().filled())
            }))
            .map_err(draw_err)?;
        let tick = |v: &f64| format_tick(*v);
        chart
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .x_desc(empty_axis.title.as_str())
            .y_desc(bar_axis.title.as_str())
            .axis_desc_style(font(style, style.axis_title_size))
            .label_style(font(style, style.tick_size))
            .y_label_formatter(&tick)
            .y_labels(8)
            .set_all_tick_mark_size(5)
            .axis_style(style.foreground.to_plotters().stroke_width(1))
            .draw()
            .map_err(draw_err)?;
        Ok(())
    }
}
