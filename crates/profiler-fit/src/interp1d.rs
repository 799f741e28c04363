//! 1-D interpolation through samples: piecewise linear, monotone piecewise cubic (PCHIP,
//! Fritsch–Carlson) or a not-a-knot cubic spline (scipy's `interp1d(kind="cubic")`), each with
//! an explicit policy outside the sampled range.
//!
//! The planner looks up prefill TTFT and throughput over ISL with the query clamped to the
//! sampled range ([`Extrapolation::Clamp`]); the mocker's profile-driven timing model
//! interpolates linearly and extrapolates ([`Method::Linear`] with [`Extrapolation::Linear`]).
//!
//! PCHIP is shape preserving: on each interval the curve stays between the two samples' values
//! whenever the data are monotone there, so it never overshoots the way a cubic spline can.
//! The slopes at the samples are the weighted harmonic mean of the neighbouring secants
//! (zero at a local extremum), and the end slopes use the one-sided three-point formula limited
//! so that monotonicity survives.

use crate::error::{Error, Result, check_finite, check_same_len};

/// How values between samples are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Straight lines between neighbouring samples.
    Linear,
    /// Monotone piecewise cubic Hermite (PCHIP): C¹, no overshoot on monotone data.
    Pchip,
    /// Not-a-knot cubic spline, C², as scipy's `interp1d(kind="cubic")` (what Dynamo's planner
    /// uses for prefill TTFT); needs at least 4 samples and may overshoot between them.
    CubicSpline,
}

/// What the interpolant returns outside `[x_min, x_max]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extrapolation {
    /// The value at the nearest end sample (the query is clamped into the sampled range).
    Clamp,
    /// A straight line continuing from the nearest end: the end segment's slope for
    /// [`Method::Linear`], the end derivative for the cubic methods (so the curve stays C¹).
    Linear,
}

/// An interpolant built once from samples and evaluated many times.
#[derive(Debug, Clone, PartialEq)]
pub struct Interp1d {
    xs: Vec<f64>,
    ys: Vec<f64>,
    /// The derivative used at each sample: the Hermite slopes for PCHIP; for linear only the
    /// two ends are used (end segment slopes), for linear extrapolation.
    slopes: Vec<f64>,
    method: Method,
    extrapolation: Extrapolation,
}

impl Interp1d {
    /// Builds an interpolant through `(xs[i], ys[i])`.
    ///
    /// The samples may come in any order (they are sorted by `x`); at least two are needed, all
    /// finite, with no `x` repeated.
    ///
    /// ```
    /// use servebench_profiler_fit::interp1d::{Extrapolation, Interp1d, Method};
    /// let f = Interp1d::new(&[0.0, 1.0, 2.0], &[0.0, 10.0, 20.0], Method::Linear, Extrapolation::Clamp)?;
    /// assert_eq!(f.eval(0.5), 5.0);
    /// assert_eq!(f.eval(5.0), 20.0);
    /// # Ok::<(), servebench_profiler_fit::Error>(())
    /// ```
    pub fn new(
        xs: &[f64],
        ys: &[f64],
        method: Method,
        extrapolation: Extrapolation,
    ) -> Result<Self> {
        check_same_len("xs", xs.len(), "ys", ys.len())?;
        if xs.len() < 2 {
            return Err(Error::TooFewPoints {
                what: "1-D interpolant",
                needed: 2,
                got: xs.len(),
            });
        }
        if method == Method::CubicSpline && xs.len() < 4 {
            return Err(Error::TooFewPoints {
                what: "not-a-knot cubic spline",
                needed: 4,
                got: xs.len(),
            });
        }
        check_finite("xs", xs)?;
        check_finite("ys", ys)?;
        let mut order: Vec<usize> = (0..xs.len()).collect();
        order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
        for pair in order.windows(2) {
            // -0.0 and 0.0 sort apart under total_cmp but are the same abscissa.
            if xs[pair[0]] == xs[pair[1]] {
                return Err(Error::Duplicate {
                    field: "xs",
                    first: pair[0].min(pair[1]),
                    second: pair[0].max(pair[1]),
                });
            }
        }
        let sorted_x: Vec<f64> = order.iter().map(|&i| xs[i]).collect();
        let sorted_y: Vec<f64> = order.iter().map(|&i| ys[i]).collect();
        let secants = secants(&sorted_x, &sorted_y);
        let slopes = match method {
            Method::Pchip => pchip_slopes(&sorted_x, &secants),
            Method::CubicSpline => not_a_knot_slopes(&sorted_x, &secants),
            Method::Linear => {
                let mut s = vec![0.0; sorted_x.len()];
                s[0] = secants[0];
                let last = sorted_x.len() - 1;
                s[last] = secants[last - 1];
                s
            }
        };
        Ok(Self {
            xs: sorted_x,
            ys: sorted_y,
            slopes,
            method,
            extrapolation,
        })
    }

    /// Piecewise linear interpolant; see [`Interp1d::new`].
    pub fn linear(xs: &[f64], ys: &[f64], extrapolation: Extrapolation) -> Result<Self> {
        Self::new(xs, ys, Method::Linear, extrapolation)
    }

    /// Monotone cubic (PCHIP) interpolant; see [`Interp1d::new`].
    pub fn pchip(xs: &[f64], ys: &[f64], extrapolation: Extrapolation) -> Result<Self> {
        Self::new(xs, ys, Method::Pchip, extrapolation)
    }

    /// The sampled range `(x_min, x_max)`.
    pub fn domain(&self) -> (f64, f64) {
        (self.xs[0], self.xs[self.xs.len() - 1])
    }

    /// The interpolation method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The extrapolation policy.
    pub fn extrapolation(&self) -> Extrapolation {
        self.extrapolation
    }

    /// The interpolant at `x`; NaN for a NaN query.
    pub fn eval(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        let last = self.xs.len() - 1;
        if x <= self.xs[0] || x >= self.xs[last] {
            let end = if x <= self.xs[0] { 0 } else { last };
            return match self.extrapolation {
                Extrapolation::Clamp => self.ys[end],
                Extrapolation::Linear if x == self.xs[end] => self.ys[end],
                Extrapolation::Linear => self.ys[end] + self.slopes[end] * (x - self.xs[end]),
            };
        }
        // Interval k with xs[k] <= x < xs[k + 1]; 0 <= k < last because of the checks above.
        let k = self.xs.partition_point(|&xk| xk <= x) - 1;
        let (x0, x1, y0, y1) = (self.xs[k], self.xs[k + 1], self.ys[k], self.ys[k + 1]);
        let h = x1 - x0;
        let t = (x - x0) / h;
        match self.method {
            Method::Linear => y0 + (y1 - y0) * t,
            Method::Pchip | Method::CubicSpline => {
                let (d0, d1) = (self.slopes[k], self.slopes[k + 1]);
                let u = 1.0 - t;
                let h00 = (1.0 + 2.0 * t) * u * u;
                let h10 = t * u * u;
                let h01 = t * t * (3.0 - 2.0 * t);
                let h11 = -t * t * u;
                h00 * y0 + h10 * h * d0 + h01 * y1 + h11 * h * d1
            }
        }
    }
}

/// `(y[k+1] − y[k]) / (x[k+1] − x[k])` per interval.
fn secants(xs: &[f64], ys: &[f64]) -> Vec<f64> {
    xs.windows(2)
        .zip(ys.windows(2))
        .map(|(x, y)| (y[1] - y[0]) / (x[1] - x[0]))
        .collect()
}

/// Fritsch–Carlson slopes at each sample (Fritsch–Butland weighted harmonic mean inside,
/// the limited three-point formula at the ends).
fn pchip_slopes(xs: &[f64], delta: &[f64]) -> Vec<f64> {
    let n = xs.len();
    if n == 2 {
        return vec![delta[0]; 2];
    }
    let h: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
    let mut d = vec![0.0; n];
    for k in 1..n - 1 {
        let (dl, dr) = (delta[k - 1], delta[k]);
        if dl == 0.0 || dr == 0.0 || dl.signum() != dr.signum() {
            d[k] = 0.0;
        } else {
            let w1 = 2.0 * h[k] + h[k - 1];
            let w2 = h[k] + 2.0 * h[k - 1];
            d[k] = (w1 + w2) / (w1 / dl + w2 / dr);
        }
    }
    d[0] = end_slope(h[0], h[1], delta[0], delta[1]);
    d[n - 1] = end_slope(h[n - 2], h[n - 3], delta[n - 2], delta[n - 3]);
    d
}

/// Slopes at the samples of the not-a-knot cubic spline through them (at least 4 samples).
///
/// The spline's second derivatives `M` satisfy, at each interior sample,
/// `h[i−1]·M[i−1] + 2(h[i−1] + h[i])·M[i] + h[i]·M[i+1] = 6(δ[i] − δ[i−1])`, and not-a-knot
/// (a continuous third derivative at the second and the second-to-last sample) gives
/// `M[0] = ((h0 + h1)·M[1] − h0·M[2]) / h1` and its mirror at the other end. Substituting those
/// leaves a diagonally dominant tridiagonal system in `M[1..n−1]`, solved by the Thomas
/// algorithm; the slopes follow from `M`, so evaluation reuses the Hermite form.
fn not_a_knot_slopes(xs: &[f64], delta: &[f64]) -> Vec<f64> {
    let n = xs.len();
    let h: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
    // Unknowns M[1..=n−2], m = n − 2 of them; row r is sample i = r + 1.
    let m = n - 2;
    let mut sub = vec![0.0; m];
    let mut diag = vec![0.0; m];
    let mut sup = vec![0.0; m];
    let mut rhs = vec![0.0; m];
    for r in 0..m {
        let i = r + 1;
        sub[r] = h[i - 1];
        diag[r] = 2.0 * (h[i - 1] + h[i]);
        sup[r] = h[i];
        rhs[r] = 6.0 * (delta[i] - delta[i - 1]);
    }
    // Eliminate M[0] from the first row and M[n−1] from the last.
    let (h0, h1) = (h[0], h[1]);
    diag[0] += h0 * (h0 + h1) / h1;
    sup[0] -= h0 * h0 / h1;
    let (ha, hb) = (h[n - 3], h[n - 2]);
    diag[m - 1] += hb * (ha + hb) / ha;
    sub[m - 1] -= hb * hb / ha;
    // Thomas algorithm.
    for r in 1..m {
        let w = sub[r] / diag[r - 1];
        diag[r] -= w * sup[r - 1];
        rhs[r] -= w * rhs[r - 1];
    }
    let mut inner = vec![0.0; m];
    inner[m - 1] = rhs[m - 1] / diag[m - 1];
    for r in (0..m - 1).rev() {
        inner[r] = (rhs[r] - sup[r] * inner[r + 1]) / diag[r];
    }
    let mut second = vec![0.0; n];
    second[1..=m].copy_from_slice(&inner);
    second[0] = ((h0 + h1) * second[1] - h0 * second[2]) / h1;
    second[n - 1] = ((ha + hb) * second[n - 2] - hb * second[n - 3]) / ha;
    let mut d = vec![0.0; n];
    for i in 0..n - 1 {
        d[i] = delta[i] - h[i] * (2.0 * second[i] + second[i + 1]) / 6.0;
    }
    d[n - 1] = delta[n - 2] + h[n - 2] * (second[n - 2] + 2.0 * second[n - 1]) / 6.0;
    d
}

/// One-sided three-point slope at an end, limited so the end interval stays monotone:
/// `h0`/`delta0` are the end interval, `h1`/`delta1` its neighbour.
fn end_slope(h0: f64, h1: f64, delta0: f64, delta1: f64) -> f64 {
    let d = ((2.0 * h0 + h1) * delta0 - h0 * delta1) / (h0 + h1);
    if d.signum() != delta0.signum() || delta0 == 0.0 {
        0.0
    } else if delta0.signum() != delta1.signum() && d.abs() > 3.0 * delta0.abs() {
        3.0 * delta0
    } else {
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn linear_hand_values_and_both_extrapolations() {
        let xs = [100.0, 200.0, 400.0];
        let ys = [10.0, 30.0, 40.0];
        let clamp = Interp1d::linear(&xs, &ys, Extrapolation::Clamp).expect("interp");
        assert_eq!(clamp.eval(150.0), 20.0);
        assert_eq!(clamp.eval(300.0), 35.0);
        assert_eq!(clamp.eval(0.0), 10.0);
        assert_eq!(clamp.eval(1000.0), 40.0);
        let line = Interp1d::linear(&xs, &ys, Extrapolation::Linear).expect("interp");
        // Left slope 20/100 = 0.2: at 50 → 10 − 10 = 0. Right slope 10/200: at 600 → 40 + 10.
        assert_eq!(line.eval(50.0), 0.0);
        assert_eq!(line.eval(600.0), 50.0);
        assert!(line.eval(f64::NAN).is_nan());
        assert_eq!(line.domain(), (100.0, 400.0));
    }

    #[test]
    fn unsorted_input_is_sorted() {
        let f = Interp1d::linear(&[2.0, 0.0, 1.0], &[4.0, 0.0, 1.0], Extrapolation::Clamp)
            .expect("interp");
        assert_eq!(f.eval(1.5), 2.5);
    }

    #[test]
    fn pchip_hand_slopes() {
        // x = 0, 1, 3; y = 0, 1, 3 → secants 1, 1; every slope must be 1, the curve the line y = x.
        let f = Interp1d::pchip(&[0.0, 1.0, 3.0], &[0.0, 1.0, 3.0], Extrapolation::Linear)
            .expect("interp");
        for x in [-1.0, 0.25, 0.5, 2.0, 2.9, 4.0] {
            assert!((f.eval(x) - x).abs() < 1e-12, "at {x}: {}", f.eval(x));
        }
        // A local maximum gets slope 0 and the curve does not rise above it.
        let g = Interp1d::pchip(&[0.0, 1.0, 2.0], &[0.0, 1.0, 0.0], Extrapolation::Clamp)
            .expect("interp");
        assert!(g.eval(0.9) <= 1.0 && g.eval(1.1) <= 1.0);
        // Interior slope at x=1 is 0 and the end slopes are limited: the three-point formula gives
        // ((2·1 + 1)·1 − 1·(−1))/2 = 2, within 3·|δ0|, so p(0.5) = h00·0 + h10·1·2 + h01·1 + h11·0
        // = 0.125·2 + 0.5 = 0.75.
        assert!((g.eval(0.5) - 0.75).abs() < 1e-12, "{}", g.eval(0.5));
    }

    #[test]
    fn cubic_spline_through_four_points_is_their_cubic() {
        // Not-a-knot with 4 samples is the one cubic through them: y = x³ − 2x at 0, 1, 3, 4.
        let xs = [0.0, 1.0, 3.0, 4.0];
        let cubic = |x: f64| x * x * x - 2.0 * x;
        let ys: Vec<f64> = xs.iter().map(|&x| cubic(x)).collect();
        let f = Interp1d::new(&xs, &ys, Method::CubicSpline, Extrapolation::Clamp).expect("spline");
        for x in [0.5, 2.0, 2.7, 3.9] {
            assert!(
                (f.eval(x) - cubic(x)).abs() < 1e-12,
                "at {x}: {}",
                f.eval(x)
            );
        }
        // A cubic sampled at 6 points is reproduced too (not-a-knot is exact for cubics), and
        // its linear extrapolation leaves along the end tangent 3x² − 2 = 73 at x = 5.
        let xs = [0.0, 1.0, 1.5, 3.0, 4.0, 5.0];
        let ys: Vec<f64> = xs.iter().map(|&x| cubic(x)).collect();
        let f =
            Interp1d::new(&xs, &ys, Method::CubicSpline, Extrapolation::Linear).expect("spline");
        assert!((f.eval(2.2) - cubic(2.2)).abs() < 1e-9);
        assert!((f.eval(6.0) - (cubic(5.0) + 73.0)).abs() < 1e-9);
        assert!(matches!(
            Interp1d::new(
                &[0.0, 1.0, 2.0],
                &[0.0, 1.0, 2.0],
                Method::CubicSpline,
                Extrapolation::Clamp
            ),
            Err(Error::TooFewPoints {
                needed: 4,
                got: 3,
                ..
            })
        ));
    }

    #[test]
    fn refuses_bad_input() {
        assert!(matches!(
            Interp1d::linear(&[1.0], &[1.0], Extrapolation::Clamp),
            Err(Error::TooFewPoints { got: 1, .. })
        ));
        assert_eq!(
            Interp1d::pchip(&[1.0, 2.0, 1.0], &[1.0, 2.0, 3.0], Extrapolation::Clamp),
            Err(Error::Duplicate {
                field: "xs",
                first: 0,
                second: 2
            })
        );
        assert!(matches!(
            Interp1d::pchip(&[1.0, 2.0], &[1.0, f64::INFINITY], Extrapolation::Clamp),
            Err(Error::NonFinite {
                field: "ys",
                index: 1,
                ..
            })
        ));
        assert!(matches!(
            Interp1d::pchip(&[1.0, 2.0], &[1.0], Extrapolation::Clamp),
            Err(Error::LengthMismatch { .. })
        ));
    }

    /// Strictly increasing abscissae with random gaps, and ordinates from a strategy.
    fn samples(monotone: bool) -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        prop::collection::vec((0.01f64..100.0, -50.0f64..50.0), 2..30).prop_map(move |v| {
            let mut x = -200.0;
            let mut y = 0.0;
            let mut xs = Vec::with_capacity(v.len());
            let mut ys = Vec::with_capacity(v.len());
            for (dx, dy) in v {
                x += dx;
                y = if monotone { y + dy.abs() } else { dy };
                xs.push(x);
                ys.push(y);
            }
            (xs, ys)
        })
    }

    proptest! {
        /// Both methods pass through every sample.
        #[test]
        fn passes_through_samples((xs, ys) in samples(false)) {
            for method in [Method::Linear, Method::Pchip, Method::CubicSpline] {
                if method == Method::CubicSpline && xs.len() < 4 {
                    continue;
                }
                let f = Interp1d::new(&xs, &ys, method, Extrapolation::Linear).expect("interp");
                for (x, y) in xs.iter().zip(&ys) {
                    prop_assert!((f.eval(*x) - y).abs() <= 1e-9 * (1.0 + y.abs()), "{method:?} at {x}");
                }
            }
        }

        /// On monotone data PCHIP stays inside each interval's range and is itself monotone.
        #[test]
        fn pchip_no_overshoot_on_monotone_data((xs, ys) in samples(true), fracs in prop::collection::vec(0.0f64..1.0, 1..20)) {
            let f = Interp1d::pchip(&xs, &ys, Extrapolation::Clamp).expect("interp");
            let tol = 1e-9 * (1.0 + ys.iter().fold(0.0f64, |m, y| m.max(y.abs())));
            let mut prev = f64::NEG_INFINITY;
            for k in 0..xs.len() - 1 {
                let mut ts = fracs.clone();
                ts.sort_by(f64::total_cmp);
                for t in ts {
                    let x = xs[k] + t * (xs[k + 1] - xs[k]);
                    let v = f.eval(x);
                    prop_assert!(v >= ys[k] - tol && v <= ys[k + 1] + tol, "interval {k}: {v} outside [{}, {}]", ys[k], ys[k + 1]);
                    prop_assert!(v >= prev - tol, "not monotone at {x}: {v} < {prev}");
                    prev = v;
                }
            }
        }

        /// Not-a-knot splines are exact for cubics: any cubic sampled at ≥ 4 points comes back,
        /// between the samples and (with linear extrapolation) along the end tangents.
        #[test]
        fn cubic_spline_reproduces_cubics(
            (xs, _) in samples(false),
            c in prop::array::uniform4(-2.0f64..2.0),
            fracs in prop::collection::vec(0.0f64..1.0, 1..10),
        ) {
            prop_assume!(xs.len() >= 4);
            let (x0, span) = (xs[0], xs[xs.len() - 1] - xs[0]);
            // Work in u = (x − x0) / span ∈ [0, 1] so the cubic's terms stay comparable.
            let p = |x: f64| { let u = (x - x0) / span; c[0] + c[1] * u + c[2] * u * u + c[3] * u * u * u };
            let ys: Vec<f64> = xs.iter().map(|&x| p(x)).collect();
            let f = Interp1d::new(&xs, &ys, Method::CubicSpline, Extrapolation::Clamp).expect("spline");
            for t in fracs {
                let x = x0 + t * span;
                prop_assert!((f.eval(x) - p(x)).abs() <= 1e-6, "at {x}: {} vs {}", f.eval(x), p(x));
            }
        }

        /// Clamped evaluation never leaves the range of the data outside the domain.
        #[test]
        fn clamp_holds_end_values((xs, ys) in samples(false), beyond in 0.0f64..1e6) {
            let f = Interp1d::pchip(&xs, &ys, Extrapolation::Clamp).expect("interp");
            let (lo, hi) = f.domain();
            prop_assert_eq!(f.eval(lo - beyond), ys[0]);
            prop_assert_eq!(f.eval(hi + beyond), ys[ys.len() - 1]);
        }
    }
}
