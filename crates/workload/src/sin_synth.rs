//! Sine-wave load synthesis, as Dynamo's `benchmarks/sin_load_generator/sin_synth.py`.
//!
//! With `f(t; lo, hi, P) = (lo+hi)/2 + (hi−lo)/2 · sin(2π t/P − π/2)` (equal to `lo` at t = 0):
//! for each interval start `t` in `0, interval, 2·interval, … < duration`, with
//! `t_e = min(t + interval, duration)`, the request count is `n ~ Poisson(f(t; rate_min,
//! rate_max, rate_period) · (t_e − t))` (rate taken at the interval start), and request `k` of
//! `n` is placed at `t + (t_e − t)·k/n`. Each request takes `(isl1, osl1)` with probability
//! `f(t_req; ratio_min, ratio_max, ratio_period)`, else `(isl2, osl2)`. Its hash ids are the
//! chained ids (one rolling hasher, as [`servebench_trace_formats::RollingHasher`], for the whole file) of
//! `ceil(isl / block_size)` blocks whose values are uniform in `0..total_blocks`. Timestamps are
//! `int(t_req · 1000)` ms.
//!
//! The random numbers come from the caller's generator (seed it for reproducible output); the
//! original used unseeded NumPy and Python generators, so no byte-for-byte match is possible.

use std::f64::consts::PI;
use std::io::Write;

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Poisson};

use servebench_trace_formats::BlockHasher;
use servebench_trace_formats::Error;
use servebench_trace_formats::python_number_text;
use servebench_trace_formats::{MooncakeRecord, MooncakeWriter};

/// Parameters of the sine synthesizer; [`Default`] gives the original's defaults.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SinSynthConfig {
    /// Tokens per hash block. Default 512.
    pub block_size: u64,
    /// Block values are drawn from `0..total_blocks`. Default 10000.
    pub total_blocks: u64,
    /// Trace length in seconds. Default 100.
    pub time_duration: u64,
    /// Interval length in seconds. Default 1.
    pub process_interval: u64,
    /// Request rate at the sine's trough (req/s). Default 5.
    pub request_rate_min: f64,
    /// Request rate at the sine's crest (req/s). Default 10.
    pub request_rate_max: f64,
    /// Period of the request-rate sine (s). Default 10.
    pub request_rate_period: f64,
    /// ISL of the first pair. Default 100.
    pub isl1: u64,
    /// OSL of the first pair. Default 2000.
    pub osl1: u64,
    /// ISL of the second pair. Default 5000.
    pub isl2: u64,
    /// OSL of the second pair. Default 100.
    pub osl2: u64,
    /// Probability of the first pair at the trough. Default 0.2.
    pub isl_osl_ratio_min: f64,
    /// Probability of the first pair at the crest. Default 0.8.
    pub isl_osl_ratio_max: f64,
    /// Period of the ratio sine (s). Default 10.
    pub isl_osl_ratio_period: f64,
}

impl Default for SinSynthConfig {
    fn default() -> Self {
        Self {
            block_size: 512,
            total_blocks: 10_000,
            time_duration: 100,
            process_interval: 1,
            request_rate_min: 5.0,
            request_rate_max: 10.0,
            request_rate_period: 10.0,
            isl1: 100,
            osl1: 2000,
            isl2: 5000,
            osl2: 100,
            isl_osl_ratio_min: 0.2,
            isl_osl_ratio_max: 0.8,
            isl_osl_ratio_period: 10.0,
        }
    }
}

/// Which float parameters were left at their defaults (the original prints those as the int
/// literals they were written as: `5`, `10`), for [`SinSynthConfig::output_file_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DefaultedFloats {
    /// `request_rate_min` was not given.
    pub request_rate_min: bool,
    /// `request_rate_max` was not given.
    pub request_rate_max: bool,
    /// `request_rate_period` was not given.
    pub request_rate_period: bool,
    /// `isl_osl_ratio_min` was not given.
    pub isl_osl_ratio_min: bool,
    /// `isl_osl_ratio_max` was not given.
    pub isl_osl_ratio_max: bool,
    /// `isl_osl_ratio_period` was not given.
    pub isl_osl_ratio_period: bool,
}

impl DefaultedFloats {
    /// Every float parameter at its default.
    pub fn all() -> Self {
        Self {
            request_rate_min: true,
            request_rate_max: true,
            request_rate_period: true,
            isl_osl_ratio_min: true,
            isl_osl_ratio_max: true,
            isl_osl_ratio_period: true,
        }
    }
}

/// `(lo+hi)/2 + (hi−lo)/2 · sin(2π/period · t − π/2)`, in the original's evaluation order.
pub fn sine_value(t: f64, lo: f64, hi: f64, period: f64) -> f64 {
    (lo + hi) / 2.0 + (hi - lo) / 2.0 * (2.0 * PI / period * t - PI / 2.0).sin()
}

/// What [`SinSynthConfig::generate`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SinSynthSummary {
    /// Requests written.
    pub requests: u64,
    /// Requests per interval, in interval order.
    pub per_interval: Vec<u64>,
}

impl SinSynthConfig {
    /// Checks the parameters the original would crash on or silently misuse.
    pub fn validate(&self) -> Result<(), Error> {
        let positive = |name, v: f64| {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(Error::invalid_option(
                    name,
                    format!("must be a positive number, got {v}"),
                ))
            }
        };
        for (name, v) in [
            ("isl1", self.isl1),
            ("osl1", self.osl1),
            ("isl2", self.isl2),
            ("osl2", self.osl2),
        ] {
            if v == 0 {
                return Err(Error::invalid_option(name, "must be at least 1"));
            }
        }
        for (name, v) in [
            ("isl_osl_ratio_min", self.isl_osl_ratio_min),
            ("isl_osl_ratio_max", self.isl_osl_ratio_max),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::invalid_option(
                    name,
                    format!("is a probability: must be between 0 and 1, got {v}"),
                ));
            }
        }
        if self.block_size == 0 {
            return Err(Error::invalid_option("block_size", "must be at least 1"));
        }
        if self.total_blocks == 0 {
            return Err(Error::invalid_option("total_blocks", "must be at least 1"));
        }
        if self.process_interval == 0 {
            return Err(Error::invalid_option(
                "process_interval",
                "must be at least 1",
            ));
        }
        positive("request_rate_period", self.request_rate_period)?;
        positive("isl_osl_ratio_period", self.isl_osl_ratio_period)?;
        for (name, v) in [
            ("request_rate_min", self.request_rate_min),
            ("request_rate_max", self.request_rate_max),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(Error::invalid_option(
                    name,
                    format!("must be a non-negative number, got {v}"),
                ));
            }
        }
        if self.request_rate_min > self.request_rate_max {
            return Err(Error::invalid_option(
                "request_rate_min",
                format!(
                    "must not exceed `request_rate_max` ({} > {})",
                    self.request_rate_min, self.request_rate_max
                ),
            ));
        }
        Ok(())
    }

    /// An upper estimate of the rows [`Self::generate`] writes: the crest rate over the whole
    /// duration (the Poisson counts average the sine's mean, below this).
    pub fn row_estimate(&self) -> f64 {
        self.request_rate_max.max(self.request_rate_min) * self.time_duration as f64
    }

    /// The original's default file name,
    /// `sin_b{bs}_t{dur}_rr{min}-{max}-{period}_io{isl1}{osl1}-{isl2}{osl2}-{rmin}-{rmax}-{rperiod}.jsonl`,
    /// e.g. `sin_b512_t100_rr5-10-10_io1002000-5000100-0.2-0.8-10.jsonl` for the defaults.
    pub fn output_file_name(&self, defaulted: DefaultedFloats) -> String {
        let n = python_number_text;
        format!(
            "sin_b{}_t{}_rr{}-{}-{}_io{}{}-{}{}-{}-{}-{}.jsonl",
            self.block_size,
            self.time_duration,
            n(self.request_rate_min, defaulted.request_rate_min),
            n(self.request_rate_max, defaulted.request_rate_max),
            n(self.request_rate_period, defaulted.request_rate_period),
            self.isl1,
            self.osl1,
            self.isl2,
            self.osl2,
            n(self.isl_osl_ratio_min, defaulted.isl_osl_ratio_min),
            n(self.isl_osl_ratio_max, defaulted.isl_osl_ratio_max),
            n(self.isl_osl_ratio_period, defaulted.isl_osl_ratio_period),
        )
    }

    /// Number of intervals.
    pub fn intervals(&self) -> u64 {
        self.time_duration.div_ceil(self.process_interval.max(1))
    }

    /// Generates the trace into `writer`, drawing from `rng`; `on_interval(i)` is called after
    /// each interval (for progress).
    pub fn generate<W: Write, G: Rng>(
        &self,
        rng: &mut G,
        writer: &mut MooncakeWriter<W>,
        on_interval: &mut dyn FnMut(u64),
    ) -> Result<SinSynthSummary, Error> {
        self.validate()?;
        let mut hasher = BlockHasher::default();
        let mut per_interval = Vec::with_capacity(self.intervals() as usize);
        let mut requests = 0u64;
        let mut blocks = Vec::new();
        let mut t = 0u64;
        while t < self.time_duration {
            let t_e = (t + self.process_interval).min(self.time_duration);
            let rate = sine_value(
                t as f64,
                self.request_rate_min,
                self.request_rate_max,
                self.request_rate_period,
            );
            let lambda = rate * (t_e - t) as f64;
            let n = match Poisson::new(lambda) {
                Ok(poisson) => poisson.sample(rng) as u64,
                Err(_) => 0, // lambda == 0 (a zero trough): numpy draws 0
            };
            for k in 0..n {
                let t_req = t as f64 + ((t_e - t) * k) as f64 / n as f64;
                let ratio = sine_value(
                    t_req,
                    self.isl_osl_ratio_min,
                    self.isl_osl_ratio_max,
                    self.isl_osl_ratio_period,
                );
                let (isl, osl) = if rng.random::<f64>() < ratio {
                    (self.isl1, self.osl1)
                } else {
                    (self.isl2, self.osl2)
                };
                blocks.clear();
                blocks.extend(
                    (0..isl.div_ceil(self.block_size))
                        .map(|_| rng.random_range(0..self.total_blocks)),
                );
                let mut hash_ids = Vec::with_capacity(blocks.len());
                hasher.hash_into(&blocks, &mut hash_ids);
                let record = MooncakeRecord::new(Some((t_req * 1000.0) as u64), isl, osl, hash_ids);
                writer.write(&record)?;
            }
            requests += n;
            per_interval.push(n);
            on_interval(per_interval.len() as u64);
            t += self.process_interval;
        }
        Ok(SinSynthSummary {
            requests,
            per_interval,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_name_matches_the_original() {
        let cfg = SinSynthConfig::default();
        assert_eq!(
            cfg.output_file_name(DefaultedFloats::all()),
            "sin_b512_t100_rr5-10-10_io1002000-5000100-0.2-0.8-10.jsonl"
        );
        // Given on the command line, argparse's type=float makes them floats.
        assert_eq!(
            cfg.output_file_name(DefaultedFloats::default()),
            "sin_b512_t100_rr5.0-10.0-10.0_io1002000-5000100-0.2-0.8-10.0.jsonl"
        );
    }

    #[test]
    fn impossible_values_are_refused_by_setting_name() {
        let refused = |edit: fn(&mut SinSynthConfig)| {
            let mut cfg = SinSynthConfig::default();
            edit(&mut cfg);
            match cfg.validate() {
                Err(Error::InvalidOption { name, .. }) => name,
                other => panic!("expected a refusal, got {other:?}"),
            }
        };
        assert_eq!(refused(|c| c.isl_osl_ratio_max = 1.5), "isl_osl_ratio_max");
        assert_eq!(refused(|c| c.isl_osl_ratio_min = -0.1), "isl_osl_ratio_min");
        assert_eq!(refused(|c| c.isl1 = 0), "isl1");
        assert_eq!(refused(|c| c.osl1 = 0), "osl1");
        assert_eq!(refused(|c| c.isl2 = 0), "isl2");
        assert_eq!(refused(|c| c.osl2 = 0), "osl2");
        assert_eq!(
            refused(|c| {
                c.request_rate_min = 8.0;
                c.request_rate_max = 5.0;
            }),
            "request_rate_min"
        );
        let edge = SinSynthConfig {
            isl_osl_ratio_min: 0.0,
            isl_osl_ratio_max: 1.0,
            request_rate_min: 5.0,
            request_rate_max: 5.0,
            ..SinSynthConfig::default()
        };
        assert!(edge.validate().is_ok());
    }

    #[test]
    fn row_estimate_is_the_crest_rate_over_the_duration() {
        let cfg = SinSynthConfig {
            request_rate_max: 1e6,
            time_duration: 100,
            ..SinSynthConfig::default()
        };
        assert_eq!(cfg.row_estimate(), 1e8);
    }

    #[test]
    fn sine_starts_at_the_minimum_and_peaks_half_a_period_later() {
        assert!((sine_value(0.0, 5.0, 10.0, 10.0) - 5.0).abs() < 1e-12);
        assert!((sine_value(5.0, 5.0, 10.0, 10.0) - 10.0).abs() < 1e-12);
        assert!((sine_value(2.5, 5.0, 10.0, 10.0) - 7.5).abs() < 1e-12);
    }
}
