//! Open-loop arrival times: when each request of a fixed-rate run is due.
//!
//! [`Arrivals`] yields offsets from the start of the run on an absolute timeline: the first request
//! is due at offset 0, and each offset is computed from the run start (constant rate: `i / R`;
//! random patterns: a running sum in `f64` seconds), never by adding rounded sleeps, so a scheduler
//! that sleeps until `start + offset` does not drift however long the run.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp, Gamma};

/// Why arrival times cannot be generated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ArrivalError {
    /// The request rate is zero, negative, NaN or infinite.
    #[error("request rate must be a positive, finite number of requests per second, got {rate}")]
    InvalidRate {
        /// The rejected rate.
        rate: f64,
    },
    /// The gamma shape (smoothness, burstiness) is zero, negative, NaN or infinite.
    #[error("arrival smoothness (gamma shape) must be a positive, finite number, got {value}")]
    InvalidSmoothness {
        /// The rejected value.
        value: f64,
    },
    /// The arrival pattern name is not one of `constant`, `poisson`, `gamma`.
    #[error("unknown request rate mode {mode:?}: expected constant, poisson or gamma")]
    UnknownMode {
        /// The rejected name.
        mode: String,
    },
    /// A smoothness was given for a pattern that has none.
    #[error("arrival smoothness applies only to the gamma request rate mode, not {mode}")]
    SmoothnessWithoutGamma {
        /// The pattern that was asked for.
        mode: &'static str,
    },
}

/// The name of an arrival pattern (AIPerf's `--request-rate-mode`), without its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrivalMode {
    /// [`ArrivalPattern::Constant`].
    Constant,
    /// [`ArrivalPattern::Poisson`].
    Poisson,
    /// [`ArrivalPattern::Gamma`].
    Gamma,
}

impl ArrivalMode {
    /// The name as on the command line (`constant`, `poisson`, `gamma`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Constant => "constant",
            Self::Poisson => "poisson",
            Self::Gamma => "gamma",
        }
    }
}

impl std::str::FromStr for ArrivalMode {
    type Err = ArrivalError;

    /// `constant`, `poisson` or `gamma` (case-insensitive, surrounding spaces ignored).
    fn from_str(mode: &str) -> Result<Self, ArrivalError> {
        match mode.trim().to_ascii_lowercase().as_str() {
            "constant" => Ok(Self::Constant),
            "poisson" => Ok(Self::Poisson),
            "gamma" => Ok(Self::Gamma),
            _ => Err(ArrivalError::UnknownMode {
                mode: mode.to_owned(),
            }),
        }
    }
}

/// How gaps between arrivals are distributed, for a mean rate `R`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ArrivalPattern {
    /// Evenly spaced, `1/R` apart (coefficient of variation 0).
    Constant,
    /// A Poisson process: exponential gaps with mean `1/R` (coefficient of variation 1).
    Poisson,
    /// Gamma-distributed gaps, vLLM's `--burstiness` convention (AIPerf `--arrival-smoothness`):
    /// shape `smoothness`, scale `1/(R·smoothness)`, so the mean gap stays `1/R` and the
    /// coefficient of variation is `1/sqrt(smoothness)`. 1 is a Poisson process; below 1 is
    /// burstier, above 1 smoother.
    Gamma {
        /// The gamma shape.
        smoothness: f64,
    },
}

impl ArrivalPattern {
    /// The pattern of `mode` with its optional smoothness (gamma only; default 1).
    ///
    /// # Errors
    /// A smoothness for a pattern other than gamma, or a smoothness that is not positive and
    /// finite.
    pub fn new(mode: ArrivalMode, smoothness: Option<f64>) -> Result<Self, ArrivalError> {
        let pattern = match mode {
            ArrivalMode::Constant => ArrivalPattern::Constant,
            ArrivalMode::Poisson => ArrivalPattern::Poisson,
            ArrivalMode::Gamma => ArrivalPattern::Gamma {
                smoothness: smoothness.unwrap_or(1.0),
            },
        };
        if smoothness.is_some() && mode != ArrivalMode::Gamma {
            return Err(ArrivalError::SmoothnessWithoutGamma {
                mode: pattern.name(),
            });
        }
        pattern.validate()?;
        Ok(pattern)
    }

    /// The mode's name as on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            ArrivalPattern::Constant => "constant",
            ArrivalPattern::Poisson => "poisson",
            ArrivalPattern::Gamma { .. } => "gamma",
        }
    }

    fn validate(&self) -> Result<(), ArrivalError> {
        match *self {
            ArrivalPattern::Gamma { smoothness }
                if !(smoothness.is_finite() && smoothness > 0.0) =>
            {
                Err(ArrivalError::InvalidSmoothness { value: smoothness })
            }
            _ => Ok(()),
        }
    }
}

/// The gap distribution, ready to sample.
#[derive(Debug, Clone)]
enum Gaps {
    Constant,
    Exp(Exp<f64>),
    Gamma(Gamma<f64>),
}

/// An endless iterator of arrival offsets from the run start, for a mean rate in requests per
/// second (see the module docs). Ends only if an offset no longer fits a [`Duration`].
///
/// ```
/// use servebench_loadgen_core::{ArrivalPattern, Arrivals};
/// use std::time::Duration;
/// let offsets: Vec<Duration> = Arrivals::new(4.0, ArrivalPattern::Constant, 0).unwrap().take(3).collect();
/// assert_eq!(offsets, [Duration::ZERO, Duration::from_millis(250), Duration::from_millis(500)]);
/// ```
#[derive(Debug)]
pub struct Arrivals {
    rate: f64,
    gaps: Gaps,
    rng: StdRng,
    /// Index of the next arrival.
    index: u64,
    /// Offset of the next arrival in seconds (random patterns).
    next_secs: f64,
}

impl Arrivals {
    /// Arrivals at `rate` requests per second with `pattern`, drawn from a generator seeded with
    /// `seed` (the same seed gives the same offsets; constant arrivals draw nothing).
    ///
    /// # Errors
    /// [`ArrivalError::InvalidRate`] unless `rate` is positive and finite; [`ArrivalError::InvalidSmoothness`]
    /// for a gamma shape that is not.
    pub fn new(rate: f64, pattern: ArrivalPattern, seed: u64) -> Result<Self, ArrivalError> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(ArrivalError::InvalidRate { rate });
        }
        pattern.validate()?;
        let gaps = match pattern {
            ArrivalPattern::Constant => Gaps::Constant,
            ArrivalPattern::Poisson => {
                Gaps::Exp(Exp::new(rate).map_err(|_| ArrivalError::InvalidRate { rate })?)
            }
            ArrivalPattern::Gamma { smoothness } => {
                let scale = 1.0 / (rate * smoothness);
                Gaps::Gamma(
                    Gamma::new(smoothness, scale)
                        .map_err(|_| ArrivalError::InvalidSmoothness { value: smoothness })?,
                )
            }
        };
        Ok(Self {
            rate,
            gaps,
            rng: StdRng::seed_from_u64(seed),
            index: 0,
            next_secs: 0.0,
        })
    }

    /// The mean rate in requests per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }
}

impl Iterator for Arrivals {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let secs = match &self.gaps {
            // From the index, not a running sum: no accumulated rounding.
            Gaps::Constant => self.index as f64 / self.rate,
            Gaps::Exp(exp) => {
                let now = self.next_secs;
                self.next_secs += exp.sample(&mut self.rng);
                now
            }
            Gaps::Gamma(gamma) => {
                let now = self.next_secs;
                self.next_secs += gamma.sample(&mut self.rng);
                now
            }
        };
        self.index += 1;
        Duration::try_from_secs_f64(secs).ok()
    }
}

/// A fresh seed from the OS, for runs given no `--random-seed` (report it so the run can be
/// repeated).
pub fn random_seed() -> u64 {
    rand::rng().random()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaps_secs(a: Arrivals, n: usize) -> Vec<f64> {
        let offsets: Vec<Duration> = a.take(n + 1).collect();
        offsets
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64())
            .collect()
    }

    /// (mean, coefficient of variation)
    fn mean_cv(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        (mean, var.sqrt() / mean)
    }

    #[test]
    fn first_arrival_is_at_the_start_and_offsets_never_decrease() {
        for pattern in [
            ArrivalPattern::Constant,
            ArrivalPattern::Poisson,
            ArrivalPattern::Gamma { smoothness: 0.3 },
        ] {
            let offsets: Vec<Duration> = Arrivals::new(100.0, pattern, 1)
                .unwrap()
                .take(5000)
                .collect();
            assert_eq!(offsets[0], Duration::ZERO, "{pattern:?}");
            assert!(offsets.windows(2).all(|w| w[0] <= w[1]), "{pattern:?}");
        }
    }

    #[test]
    fn constant_rate_is_exact_and_does_not_drift() {
        let gaps = gaps_secs(
            Arrivals::new(50.0, ArrivalPattern::Constant, 0).unwrap(),
            10_000,
        );
        let (mean, cv) = mean_cv(&gaps);
        assert!((mean - 0.02).abs() < 1e-9, "{mean}");
        assert!(cv < 1e-6, "{cv}");
        // 1/3 s is not representable; arrival 3,000,000 is still at exactly 1,000,000 s.
        let mut a = Arrivals::new(3.0, ArrivalPattern::Constant, 0).unwrap();
        let far = a.nth(3_000_000).unwrap();
        assert_eq!(far, Duration::from_secs(1_000_000));
    }

    #[test]
    fn poisson_gaps_have_the_rate_and_cv_one() {
        let rate = 50.0;
        let gaps = gaps_secs(
            Arrivals::new(rate, ArrivalPattern::Poisson, 42).unwrap(),
            40_000,
        );
        let (mean, cv) = mean_cv(&gaps);
        // Standard errors at n = 40000: mean 0.5%, cv about 0.5%.
        assert!((mean * rate - 1.0).abs() < 0.02, "mean gap {mean}");
        assert!((cv - 1.0).abs() < 0.03, "cv {cv}");
    }

    #[test]
    fn gamma_gaps_have_the_rate_and_cv_one_over_sqrt_shape() {
        let rate = 20.0;
        for (smoothness, tolerance) in [(0.25, 0.08), (1.0, 0.03), (4.0, 0.02), (16.0, 0.01)] {
            let pattern = ArrivalPattern::Gamma { smoothness };
            let gaps = gaps_secs(Arrivals::new(rate, pattern, 9).unwrap(), 40_000);
            let (mean, cv) = mean_cv(&gaps);
            let want_cv = 1.0 / f64::sqrt(smoothness);
            assert!(
                (mean * rate - 1.0).abs() < 0.03,
                "shape {smoothness}: mean gap {mean}"
            );
            assert!(
                (cv - want_cv).abs() < tolerance * want_cv.max(1.0),
                "shape {smoothness}: cv {cv}, want {want_cv}"
            );
        }
    }

    #[test]
    fn same_seed_same_sequence() {
        for pattern in [
            ArrivalPattern::Poisson,
            ArrivalPattern::Gamma { smoothness: 2.0 },
        ] {
            let a: Vec<Duration> = Arrivals::new(10.0, pattern, 5)
                .unwrap()
                .take(1000)
                .collect();
            let b: Vec<Duration> = Arrivals::new(10.0, pattern, 5)
                .unwrap()
                .take(1000)
                .collect();
            let c: Vec<Duration> = Arrivals::new(10.0, pattern, 6)
                .unwrap()
                .take(1000)
                .collect();
            assert_eq!(a, b);
            assert_ne!(a, c);
        }
    }

    #[test]
    fn bad_rates_and_shapes_are_rejected() {
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = Arrivals::new(rate, ArrivalPattern::Poisson, 0).unwrap_err();
            assert!(matches!(err, ArrivalError::InvalidRate { .. }), "{rate}");
            assert!(err.to_string().contains("request rate"));
        }
        for smoothness in [0.0, -2.0, f64::NAN, f64::INFINITY] {
            let err = Arrivals::new(1.0, ArrivalPattern::Gamma { smoothness }, 0).unwrap_err();
            assert!(
                matches!(err, ArrivalError::InvalidSmoothness { .. }),
                "{smoothness}"
            );
        }
    }

    #[test]
    fn modes_parse_like_aiperfs_flags() {
        // The text of `--request-rate-mode`, parsed into a mode, then the pattern.
        fn from_mode(mode: &str, smoothness: Option<f64>) -> Result<ArrivalPattern, ArrivalError> {
            ArrivalPattern::new(mode.parse()?, smoothness)
        }
        assert_eq!(from_mode("constant", None), Ok(ArrivalPattern::Constant));
        assert_eq!(from_mode("Poisson", None), Ok(ArrivalPattern::Poisson));
        assert_eq!(
            from_mode("gamma", None),
            Ok(ArrivalPattern::Gamma { smoothness: 1.0 })
        );
        assert_eq!(
            from_mode("gamma", Some(0.5)),
            Ok(ArrivalPattern::Gamma { smoothness: 0.5 })
        );
        assert!(matches!(
            from_mode("uniform", None),
            Err(ArrivalError::UnknownMode { .. })
        ));
        assert_eq!(
            from_mode("poisson", Some(2.0)),
            Err(ArrivalError::SmoothnessWithoutGamma { mode: "poisson" })
        );
        assert!(matches!(
            from_mode("gamma", Some(0.0)),
            Err(ArrivalError::InvalidSmoothness { .. })
        ));
    }

    #[test]
    fn an_offset_past_durations_range_ends_the_iterator() {
        let mut a = Arrivals::new(1e-300, ArrivalPattern::Constant, 0).unwrap();
        assert_eq!(a.next(), Some(Duration::ZERO));
        assert_eq!(a.next(), None);
    }
}
