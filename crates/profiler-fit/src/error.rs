//! The one error type of the analysis modules: every variant names the input and, where there is
//! one, the position of the offending value.

/// Why a fit, an interpolant, a sweep grid, a Pareto front or an SLA computation was refused.
///
/// `what` / `field` name the input as the caller passed it (for example `"ys"` or
/// `"thpt_per_gpu"`); `index` is the 0-based position of the offending value in that input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Two inputs that must pair up element by element have different lengths.
    #[error("{left_name} has {left} values but {right_name} has {right}")]
    LengthMismatch {
        /// Name of the first input.
        left_name: &'static str,
        /// Its length.
        left: usize,
        /// Name of the second input.
        right_name: &'static str,
        /// Its length.
        right: usize,
    },
    /// Not enough points for the requested operation.
    #[error("{what}: needs at least {needed} points, got {got}")]
    TooFewPoints {
        /// What was being built (`"polynomial fit of degree 2"`, `"interpolant"`, ...).
        what: &'static str,
        /// The minimum number of points.
        needed: usize,
        /// The number given.
        got: usize,
    },
    /// A value is NaN or infinite.
    #[error("{field}[{index}] is not finite ({value})")]
    NonFinite {
        /// Name of the input holding the value.
        field: &'static str,
        /// Position of the value.
        index: usize,
        /// The value itself.
        value: f64,
    },
    /// The same abscissa (1-D) or site (2-D) appears twice.
    #[error("{field}: points {first} and {second} are at the same position")]
    Duplicate {
        /// Name of the input.
        field: &'static str,
        /// Position of the first occurrence.
        first: usize,
        /// Position of the repeat.
        second: usize,
    },
    /// The points do not determine the requested object (too few distinct abscissae for the
    /// degree, all 2-D sites on one line, an overflow while forming powers).
    #[error("{what}: {reason}")]
    Degenerate {
        /// What was being built.
        what: &'static str,
        /// Why it cannot be built from these points.
        reason: String,
    },
    /// A scalar parameter is out of its domain (zero granularity, context length too short,
    /// non-positive GPU count, non-finite target).
    #[error("{name} = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Its value, as text.
        value: String,
        /// What the domain is.
        reason: &'static str,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Fails with [`Error::NonFinite`] at the first NaN or infinite value of `values`.
pub(crate) fn check_finite(field: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite {
            field,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Fails with [`Error::LengthMismatch`] unless both inputs have the same length.
pub(crate) fn check_same_len(
    left_name: &'static str,
    left: usize,
    right_name: &'static str,
    right: usize,
) -> Result<()> {
    if left == right {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            left_name,
            left,
            right_name,
            right,
        })
    }
}
/// Fails with [`Error::InvalidParameter`] unless `value` is finite.
pub(crate) fn check_finite_param(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: value.to_string(),
            reason: "must be finite",
        })
    }
}

/// Fails with [`Error::InvalidParameter`] unless `value` is finite and > 0.
pub(crate) fn check_positive_param(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: value.to_string(),
            reason: "must be finite and > 0",
        })
    }
}
