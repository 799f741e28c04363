//! The one error type of this crate.

use std::path::PathBuf;

/// Why a plot could not be drawn or written.
///
/// Every problem with the input data is reported before anything is drawn, so a caller gets
/// either a complete picture or one of these, never a half-drawn image or a panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VizError {
    /// There is nothing to draw: no series, or a series / grid axis without points.
    #[error("plot `{plot}`: {what} is empty")]
    Empty {
        /// Title of the plot.
        plot: String,
        /// What was empty, e.g. "the series list" or "series `rr`".
        what: String,
    },
    /// A NaN or infinite value.
    #[error("plot `{plot}`: {place}: {field} is {value}, which is not a finite number")]
    NonFinite {
        /// Title of the plot.
        plot: String,
        /// Where, e.g. "series `kv` point 3".
        place: String,
        /// Which value, e.g. "x" or "p75".
        field: String,
        /// The offending value.
        value: f64,
    },
    /// A zero or negative value on a logarithmic axis.
    #[error(
        "plot `{plot}`: {place}: {field} is {}, but the {field} axis is logarithmic and needs values > 0",
        Num(*value)
    )]
    NonPositiveOnLog {
        /// Title of the plot.
        plot: String,
        /// Where, e.g. "series `kv` point 3".
        place: String,
        /// `x` or `y`.
        field: String,
        /// The offending value.
        value: f64,
    },
    /// A percentile band point whose quantiles are out of order.
    #[error(
        "plot `{plot}`: {place}: needs p25 <= median <= p75, got {} / {} / {}",
        Num(*p25),
        Num(*median),
        Num(*p75)
    )]
    BandOrder {
        /// Title of the plot.
        plot: String,
        /// Where, e.g. "series `kv` point 3".
        place: String,
        /// The 25th percentile given.
        p25: f64,
        /// The median given.
        median: f64,
        /// The 75th percentile given.
        p75: f64,
    },
    /// Heatmap grid whose `z` does not have one row per `x` value and one column per `y` value.
    #[error("plot `{plot}`: {detail}")]
    GridShape {
        /// Title of the plot.
        plot: String,
        /// What does not match, with the sizes.
        detail: String,
    },
    /// Heatmap grid coordinates that are not strictly increasing.
    #[error(
        "plot `{plot}`: grid {axis} values must be strictly increasing, but value {index} ({}) is not greater than the one before",
        Num(*value)
    )]
    NotIncreasing {
        /// Title of the plot.
        plot: String,
        /// `x` or `y`.
        axis: String,
        /// Index of the first value that is not greater than its predecessor.
        index: usize,
        /// That value.
        value: f64,
    },
    /// Values too large (beyond ±1e100 once padded) for plotters to lay out ticks.
    #[error(
        "plot `{plot}`: the {axis} values run from {} to {}, beyond what can be drawn (magnitudes up to 1e100)",
        Num(*lo),
        Num(*hi)
    )]
    Range {
        /// Title of the plot.
        plot: String,
        /// `x`, `y` or `z`.
        axis: String,
        /// Smallest value.
        lo: f64,
        /// Largest value.
        hi: f64,
    },
    /// Image size outside what the style can lay out.
    #[error(
        "image size {width}x{height} px is outside the supported {min_w}x{min_h} to {max}x{max} px"
    )]
    Size {
        /// Width asked for.
        width: u32,
        /// Height asked for.
        height: u32,
        /// Smallest width.
        min_w: u32,
        /// Smallest height.
        min_h: u32,
        /// Largest width and height.
        max: u32,
    },
    /// The drawing library reported an error.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// The embedded font could not be registered with the drawing library.
    #[error("the embedded DejaVu Sans font could not be loaded")]
    Font,
    /// PNG encoding failed.
    #[error("PNG encoding failed")]
    Png(#[source] png::EncodingError),
    /// Writing the output file failed.
    #[error("cannot write {}", path.display())]
    Io {
        /// The file that could not be written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A number in an error message: plain decimals for ordinary magnitudes, scientific notation
/// for very large or small ones (never 300 digits).
struct Num(f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.0.abs();
        if a == 0.0 || !a.is_finite() || (1e-4..1e15).contains(&a) {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{:e}", self.0)
        }
    }
}

/// Converts a plotters drawing error (generic over the backend) to [`VizError::Draw`].
pub(crate) fn draw_err<E: std::error::Error + Send + Sync>(
    e: plotters::drawing::DrawingAreaErrorKind<E>,
) -> VizError {
    VizError::Draw(e.to_string())
}
