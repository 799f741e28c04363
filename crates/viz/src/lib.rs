//! Headless plots for servebench: PNG and SVG, one shared [`Style`], no system fonts.
//!
//! Text is drawn with DejaVu Sans compiled into the binary (through plotters' `ab_glyph`
//! backend), so pictures render the same on a fresh machine with no fonts installed. PNG
//! images are encoded with the `png` crate; SVG documents come back as a `String` so an HTML
//! report can inline them.
//!
//! Every plot takes plain data (points, labels, axis titles), not servebench types:
//!
//! * [`LinePlot`]: several series with markers, optional log axes;
//! * [`ScatterPlot`]: points with a text label each;
//! * [`ParetoPlot`]: points and their non-dominated frontier ([`pareto_frontier`]);
//! * [`BandPlot`]: a median line with a shaded p25–p75 band;
//! * [`Heatmap`]: a regular grid `z[i][j]` at `(x[i], y[j])` with a colour bar;
//! * [`Figure`]: several of these side by side in one image.
//!
//! Render with the [`Plot`] trait: [`Plot::to_svg`], [`Plot::to_png`], [`Plot::save_png`],
//! [`Plot::save_svg`]. Data are checked before anything is drawn; empty series, non-finite
//! values, values ≤ 0 on a log axis and mismatched grids are [`VizError`]s, never panics.
//!
//! ```
//! use servebench_viz::{Axis, LinePlot, Plot, Series, Style};
//!
//! let plot = LinePlot::new(
//!     "TTFT vs concurrency",
//!     Axis::unitless("Concurrency").log(),
//!     Axis::new("TTFT p50", "ms"),
//!     vec![Series::new("agg tp1", vec![(1.0, 20.0), (2.0, 24.0), (4.0, 35.0)])],
//! );
//! let svg = plot.to_svg(&Style::default())?;
//! assert!(svg.contains("TTFT vs concurrency"));
//! assert!(svg.contains("TTFT p50 (ms)"));
//! # Ok::<(), servebench_viz::VizError>(())
//! ```

mod band;
mod data;
mod error;
mod figure;
mod glyphs;
mod heatmap;
mod line;
mod pareto;
mod render;
mod scatter;
mod style;

pub use band::{BandPlot, BandPoint, BandSeries};
pub use data::{Axis, Scale, Series, format_tick};
pub use error::VizError;
pub use figure::{Figure, Panel};
pub use heatmap::Heatmap;
pub use line::LinePlot;
pub use pareto::{Goal, dominates, frontier_staircase, pareto_frontier};
pub use render::Plot;
pub use scatter::{LabeledPoint, ParetoPlot, ScatterPlot, ScatterSeries};
pub use style::{MAX_SIDE, MIN_HEIGHT, MIN_WIDTH, Rgb, Style, viridis};
