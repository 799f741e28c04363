//! Least-squares polynomial fits (`numpy.polyfit`), with R² and residuals.
//!
//! The profiler fits TTFT over input length with a quadratic ([`quadratic`]) and draws it with
//! the legend `Quadratic fit: {a:.2e}x² + {b:.2e}x + {c:.2e}`, the coefficients highest power
//! first ([`PolyFit::coefficients_highest_first`]).
//!
//! The system is solved like numpy does it: the Vandermonde columns are scaled to unit norm, the
//! scaled system is solved by SVD, and singular values below `len(x)·ε` times the largest count
//! as zero. Where numpy only warns about a rank-deficient fit (fewer distinct abscissae than
//! coefficients), [`polyfit`] refuses with [`Error::Degenerate`].

use nalgebra::{DMatrix, DVector};
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::error::{Error, Result, check_finite, check_same_len};

/// A fitted polynomial `c₀ + c₁x + … + c_d x^d` with its goodness of fit.
#[derive(Debug, Clone, PartialEq)]
pub struct PolyFit {
    /// Lowest power first.
    coefficients: Vec<f64>,
    /// `y − p(x)` per input point, in input order.
    residuals: Vec<f64>,
    r_squared: f64,
    /// Diagonal of `(AᵀA)⁻¹` (the unscaled coefficient variances), lowest power first.
    unscaled_variances: Vec<f64>,
}

/// Fits a polynomial of `degree` to `(xs[i], ys[i])` by least squares.
///
/// Needs at least `degree + 1` points with at least `degree + 1` distinct `xs`, all finite.
///
/// ```
/// let xs = [1.0, 2.0, 3.0, 4.0];
/// let ys: Vec<f64> = xs.iter().map(|x| 2.0 * x * x - x + 5.0).collect();
/// let fit = servebench_profiler_fit::fit::polyfit(&xs, &ys, 2)?;
/// let [a, b, c] = fit.coefficients_highest_first()[..] else { unreachable!() };
/// assert!((a - 2.0).abs() < 1e-9 && (b + 1.0).abs() < 1e-9 && (c - 5.0).abs() < 1e-9);
/// assert!((fit.r_squared() - 1.0).abs() < 1e-12);
/// # Ok::<(), servebench_profiler_fit::Error>(())
/// ```
pub fn polyfit(xs: &[f64], ys: &[f64], degree: usize) -> Result<PolyFit> {
    const WHAT: &str = "polynomial fit";
    check_same_len("xs", xs.len(), "ys", ys.len())?;
    let n_coef = degree.checked_add(1).ok_or(Error::InvalidParameter {
        name: "degree",
        value: degree.to_string(),
        reason: "too large",
    })?;
    if xs.len() < n_coef {
        return Err(Error::TooFewPoints {
            what: WHAT,
            needed: n_coef,
            got: xs.len(),
        });
    }
    check_finite("xs", xs)?;
    check_finite("ys", ys)?;

    let n = xs.len();
    let mut a = DMatrix::<f64>::from_fn(n, n_coef, |row, col| powi(xs[row], col));
    if a.iter().any(|v| !v.is_finite()) {
        return Err(Error::Degenerate {
            what: WHAT,
            reason: format!("x^{degree} overflows for these abscissae"),
        });
    }
    // Column scaling (as numpy.polyfit does) keeps x² next to 1 well conditioned.
    let mut scale = vec![1.0; n_coef];
    for (col, s) in scale.iter_mut().enumerate() {
        let norm = a.column(col).norm();
        if norm == 0.0 || !norm.is_finite() {
            return Err(Error::Degenerate {
                what: WHAT,
                reason: format!("the x^{col} column is all zero or overflows"),
            });
        }
        *s = norm;
        a.column_mut(col).unscale_mut(norm);
    }
    let b = DVector::from_column_slice(ys);
    let svd = a.svd(true, true);
    let max_sv = svd.singular_values.max();
    let cutoff = max_sv * n as f64 * f64::EPSILON;
    let rank = svd.singular_values.iter().filter(|&&s| s > cutoff).count();
    if rank < n_coef {
        return Err(Error::Degenerate {
            what: WHAT,
            reason: format!(
                "degree {degree} needs {n_coef} distinct x values; the system has rank {rank}"
            ),
        });
    }
    // diag((AᵀA)⁻¹) = Σ_k V[j,k]² / σ_k² in the scaled columns, then undo the scaling.
    let unscaled_variances: Vec<f64> = match &svd.v_t {
        Some(v_t) => (0..n_coef)
            .map(|j| {
                let sum: f64 = (0..n_coef)
                    .map(|k| (v_t[(k, j)] / svd.singular_values[k]).powi(2))
                    .sum();
                sum / (scale[j] * scale[j])
            })
            .collect(),
        None => vec![f64::NAN; n_coef],
    };
    let solution = svd.solve(&b, cutoff).map_err(|e| Error::Degenerate {
        what: WHAT,
        reason: e.to_string(),
    })?;
    let coefficients: Vec<f64> = solution.iter().zip(&scale).map(|(c, s)| c / s).collect();
    if coefficients.iter().any(|c| !c.is_finite()) {
        return Err(Error::Degenerate {
            what: WHAT,
            reason: "the solution is not finite".to_owned(),
        });
    }

    let residuals: Vec<f64> = xs
        .iter()
        .zip(ys)
        .map(|(&x, &y)| y - horner(&coefficients, x))
        .collect();
    let mean = ys.iter().sum::<f64>() / n as f64;
    let ss_tot: f64 = ys.iter().map(|y| (y - mean).powi(2)).sum();
    let ss_res: f64 = residuals.iter().map(|r| r * r).sum();
    // Every y equal (the mean's rounding would make SS_tot a tiny positive number): the
    // constant term reproduces them, the fit is exact.
    let r_squared = if ys.iter().all(|&y| y == ys[0]) || ss_tot == 0.0 {
        1.0
    } else {
        1.0 - ss_res / ss_tot
    };
    Ok(PolyFit {
        coefficients,
        residuals,
        r_squared,
        unscaled_variances,
    })
}

/// The profiler's quadratic fit of TTFT over ISL (`np.polyfit(isl, ttft, 2)`).
pub fn quadratic(xs: &[f64], ys: &[f64]) -> Result<PolyFit> {
    polyfit(xs, ys, 2)
}

impl PolyFit {
    /// The degree of the fitted polynomial.
    pub fn degree(&self) -> usize {
        self.coefficients.len() - 1
    }

    /// Coefficients, lowest power first: `[c₀, c₁, …, c_d]`.
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// Coefficients, highest power first, as `numpy.polyfit` returns them (`[a, b, c]` for
    /// `ax² + bx + c`).
    pub fn coefficients_highest_first(&self) -> Vec<f64> {
        self.coefficients.iter().rev().copied().collect()
    }

    /// The polynomial's value at `x`.
    pub fn eval(&self, x: f64) -> f64 {
        horner(&self.coefficients, x)
    }

    /// `ys[i] − p(xs[i])` for each input point, in input order.
    pub fn residuals(&self) -> &[f64] {
        &self.residuals
    }

    /// Sum of squared residuals.
    pub fn sum_squared_residuals(&self) -> f64 {
        self.residuals.iter().map(|r| r * r).sum()
    }

    /// Coefficient of determination `1 − SS_res / SS_tot`; 1.0 when every `y` is equal (the fit
    /// is then exact).
    pub fn r_squared(&self) -> f64 {
        self.r_squared
    }
}

impl PolyFit {
    /// Standard errors of the coefficients (lowest power first), from the covariance
    /// `σ²·(AᵀA)⁻¹` with `σ² = SS_res / (n − (degree + 1))`, as `numpy.polyfit(..., cov=True)`
    /// scales it. `None` when there are no spare points (`n = degree + 1`, an exact fit).
    pub fn standard_errors(&self) -> Option<Vec<f64>> {
        let dof = self.degrees_of_freedom();
        if dof == 0 {
            return None;
        }
        let sigma2 = self.sum_squared_residuals() / dof as f64;
        Some(
            self.unscaled_variances
                .iter()
                .map(|v| (v * sigma2).sqrt())
                .collect(),
        )
    }

    /// Two-sided confidence intervals `(low, high)` of the coefficients (lowest power first) at
    /// `level` (for example 0.95), from Student's t with `n − (degree + 1)` degrees of freedom.
    /// `Ok(None)` for an exact fit with no spare points.
    pub fn confidence_intervals(&self, level: f64) -> Result<Option<Vec<(f64, f64)>>> {
        if !(level > 0.0 && level < 1.0) {
            return Err(Error::InvalidParameter {
                name: "level",
                value: level.to_string(),
                reason: "must be strictly between 0 and 1",
            });
        }
        let Some(se) = self.standard_errors() else {
            return Ok(None);
        };
        let t = StudentsT::new(0.0, 1.0, self.degrees_of_freedom() as f64)
            .map_err(|e| Error::Degenerate {
                what: "confidence interval",
                reason: e.to_string(),
            })?
            .inverse_cdf(0.5 + level / 2.0);
        Ok(Some(
            self.coefficients
                .iter()
                .zip(se)
                .map(|(c, s)| (c - t * s, c + t * s))
                .collect(),
        ))
    }

    /// Residual degrees of freedom: points minus coefficients.
    pub fn degrees_of_freedom(&self) -> usize {
        self.residuals.len() - self.coefficients.len()
    }
}

/// `x^k` by repeated multiplication (no `powi` rounding surprises for small `k`).
fn powi(x: f64, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, _| acc * x)
}

/// Evaluates `coefficients` (lowest power first) at `x`.
fn horner(coefficients: &[f64], x: f64) -> f64 {
    coefficients.iter().rev().fold(0.0, |acc, c| acc * x + c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed_line_through_three_points() {
        // y = 1, 2, 2 at x = 0, 1, 2: slope 0.5, intercept 7/6 (normal equations by hand).
        let fit = polyfit(&[0.0, 1.0, 2.0], &[1.0, 2.0, 2.0], 1).expect("fit");
        assert!((fit.coefficients()[0] - 7.0 / 6.0).abs() < 1e-12);
        assert!((fit.coefficients()[1] - 0.5).abs() < 1e-12);
        // Residuals 1 − 7/6, 2 − 5/3, 2 − 13/6 = −1/6, 1/3, −1/6.
        let expected = [-1.0 / 6.0, 1.0 / 3.0, -1.0 / 6.0];
        for (r, e) in fit.residuals().iter().zip(expected) {
            assert!((r - e).abs() < 1e-12, "{r} vs {e}");
        }
        // SS_res = 1/36 + 1/9 + 1/36 = 1/6; mean 5/3, SS_tot = 4/9 + 1/9 + 1/9 = 2/3; R² = 3/4.
        assert!((fit.sum_squared_residuals() - 1.0 / 6.0).abs() < 1e-12);
        assert!((fit.r_squared() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn mocker_prefill_polynomial_is_recovered_over_profile_isls() {
        // §9.2's prefill timing model sampled at a §8.3-like ISL grid.
        let (a, b, c) = (4.209989e-7, 1.518344e-2, 16.50142);
        let xs: Vec<f64> = (0..16).map(|i| 100.0 + 984.0 * f64::from(i)).collect();
        let ys: Vec<f64> = xs.iter().map(|x| a * x * x + b * x + c).collect();
        let fit = quadratic(&xs, &ys).expect("fit");
        let got = fit.coefficients_highest_first();
        assert!((got[0] - a).abs() / a < 1e-9, "{got:?}");
        assert!((got[1] - b).abs() / b < 1e-9, "{got:?}");
        assert!((got[2] - c).abs() / c < 1e-9, "{got:?}");
    }

    #[test]
    fn constant_data_has_r_squared_one() {
        let fit = polyfit(&[1.0, 2.0, 3.0], &[4.0, 4.0, 4.0], 1).expect("fit");
        assert_eq!(fit.r_squared(), 1.0);
        assert!((fit.eval(10.0) - 4.0).abs() < 1e-12);
    }

    #[test]
    fn standard_errors_hand_computed() {
        // Line through (0,1) (1,2) (2,2): σ² = SS_res / (3 − 2) = 1/6; AᵀA = [[3, 3], [3, 5]],
        // its inverse (1/6)·[[5, −3], [−3, 3]]: var(c₀) = 5/36, var(c₁) = 3/36.
        let fit = polyfit(&[0.0, 1.0, 2.0], &[1.0, 2.0, 2.0], 1).expect("fit");
        assert_eq!(fit.degrees_of_freedom(), 1);
        let se = fit.standard_errors().expect("one spare point");
        assert!((se[0] - (5.0f64 / 36.0).sqrt()).abs() < 1e-12, "{se:?}");
        assert!((se[1] - (3.0f64 / 36.0).sqrt()).abs() < 1e-12, "{se:?}");
        // t(0.975, 1 dof) = tan(0.475π) = 12.7062…
        let ci = fit
            .confidence_intervals(0.95)
            .expect("level")
            .expect("spare");
        let t = (0.475 * std::f64::consts::PI).tan();
        assert!((ci[1].1 - (0.5 + t * se[1])).abs() < 1e-9, "{ci:?}");
        assert!(fit.confidence_intervals(1.0).is_err());
        assert!(fit.confidence_intervals(f64::NAN).is_err());
        // No spare points: no error estimate.
        let exact = polyfit(&[0.0, 1.0], &[1.0, 3.0], 1).expect("fit");
        assert_eq!(exact.standard_errors(), None);
        assert_eq!(exact.confidence_intervals(0.9), Ok(None));
    }

    #[test]
    fn refuses_bad_input() {
        assert_eq!(
            polyfit(&[1.0, 2.0], &[1.0, 2.0], 2),
            Err(Error::TooFewPoints {
                what: "polynomial fit",
                needed: 3,
                got: 2
            })
        );
        assert!(matches!(
            polyfit(&[1.0, 2.0, 3.0], &[1.0, f64::NAN, 3.0], 1),
            Err(Error::NonFinite {
                field: "ys",
                index: 1,
                ..
            })
        ));
        assert!(matches!(
            polyfit(&[1.0, f64::INFINITY, 3.0], &[1.0, 2.0, 3.0], 1),
            Err(Error::NonFinite {
                field: "xs",
                index: 1,
                ..
            })
        ));
        assert!(matches!(
            polyfit(&[1.0, 2.0], &[1.0, 2.0, 3.0], 1),
            Err(Error::LengthMismatch { .. })
        ));
        // Three points but only two distinct x: a quadratic is not determined.
        assert!(matches!(
            polyfit(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0], 2),
            Err(Error::Degenerate { .. })
        ));
        assert!(matches!(
            polyfit(&[1e200, 2e200, 3e200], &[1.0, 2.0, 3.0], 2),
            Err(Error::Degenerate { .. })
        ));
        assert!(matches!(
            polyfit(&[1.0], &[1.0], usize::MAX),
            Err(Error::InvalidParameter { .. })
        ));
    }

    proptest! {
        /// Noiseless samples of a known polynomial: the fit returns its coefficients and R² = 1.
        #[test]
        fn recovers_known_polynomial(
            coefs in prop::collection::vec(-100.0f64..100.0, 1..=4),
            x0 in -1000.0f64..1000.0,
            spacing in 0.5f64..200.0,
            extra in 0usize..20,
        ) {
            let degree = coefs.len() - 1;
            let n = degree + 1 + extra;
            let xs: Vec<f64> = (0..n).map(|i| x0 + spacing * i as f64).collect();
            let ys: Vec<f64> = xs.iter().map(|&x| horner(&coefs, x)).collect();
            let fit = polyfit(&xs, &ys, degree).expect("fit");
            // Compare the polynomials where they were sampled, relative to the data's scale.
            let scale = ys.iter().fold(1.0f64, |m, y| m.max(y.abs()));
            for &x in &xs {
                let want = horner(&coefs, x);
                prop_assert!((fit.eval(x) - want).abs() <= 1e-8 * scale, "at {x}: {} vs {want}", fit.eval(x));
            }
            prop_assert!(fit.r_squared() > 1.0 - 1e-9, "R² = {}", fit.r_squared());
            prop_assert!(fit.residuals().iter().all(|r| r.abs() <= 1e-8 * scale));
        }

        /// On a well-conditioned range the coefficients themselves come back.
        #[test]
        fn recovers_known_coefficients(
            coefs in prop::collection::vec(-100.0f64..100.0, 1..=4),
            extra in 0usize..10,
        ) {
            let degree = coefs.len() - 1;
            let n = degree + 1 + extra;
            let xs: Vec<f64> = (0..n).map(|i| -5.0 + 10.0 * i as f64 / (n - 1).max(1) as f64).collect();
            let ys: Vec<f64> = xs.iter().map(|&x| horner(&coefs, x)).collect();
            let fit = polyfit(&xs, &ys, degree).expect("fit");
            let scale = coefs.iter().fold(1.0f64, |m, c| m.max(c.abs()));
            for (got, want) in fit.coefficients().iter().zip(&coefs) {
                prop_assert!((got - want).abs() <= 1e-9 * scale, "{:?} vs {coefs:?}", fit.coefficients());
            }
        }
    }
}
