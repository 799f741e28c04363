//! A distribution of one metric's values with bounded memory.
//!
//! Values are kept exactly up to a cap; past it they move into a [`LogHistogram`] (percentiles
//! within 0.5 % relative error, see [`crate::HISTOGRAM_RELATIVE_ERROR`]) while count, sum, min, max,
//! mean and standard deviation stay exact (running sums and Welford's update).

use crate::histogram::LogHistogram;
use crate::stats::Stats;

/// Default number of exact samples kept per metric before switching to the histogram.
pub const DEFAULT_EXACT_SAMPLE_CAP: usize = 1_000_000;

/// Values of one metric.
#[derive(Debug, Clone)]
pub struct Distribution {
    cap: usize,
    samples: Vec<f64>,
    histogram: Option<LogHistogram>,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    /// Welford running mean and sum of squared deviations.
    mean: f64,
    m2: f64,
}

impl Default for Distribution {
    fn default() -> Self {
        Self::with_cap(DEFAULT_EXACT_SAMPLE_CAP)
    }
}

impl Distribution {
    /// An empty distribution keeping at most `cap` exact samples.
    pub fn with_cap(cap: usize) -> Self {
        Self {
            cap,
            samples: Vec::new(),
            histogram: None,
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            mean: 0.0,
            m2: 0.0,
        }
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// True once the exact-sample cap was exceeded and percentiles come from the histogram.
    pub fn is_approximate(&self) -> bool {
        self.histogram.is_some()
    }

    /// Records one value.
    pub fn push(&mut self, value: f64) {
        self.push_n(value, 1);
    }

    /// Records `n` copies of `value`.
    pub fn push_n(&mut self, value: f64, n: u64) {
        if n == 0 {
            return;
        }
        let old = self.count;
        self.count += n;
        self.sum += value * n as f64;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        let delta = value - self.mean;
        self.mean += delta * (n as f64 / self.count as f64);
        self.m2 += delta * delta * (n as f64 * old as f64 / self.count as f64);

        if let Some(h) = &mut self.histogram {
            h.record_n(value, n);
            return;
        }
        let fits = usize::try_from(n)
            .ok()
            .filter(|&n| self.samples.len().saturating_add(n) <= self.cap);
        match fits {
            Some(n) => self.samples.extend(std::iter::repeat_n(value, n)),
            None => {
                let mut h = LogHistogram::new();
                for &s in &self.samples {
                    h.record_n(s, 1);
                }
                h.record_n(value, n);
                self.samples = Vec::new();
                self.histogram = Some(h);
            }
        }
    }

    /// The statistics, or `None` when no value was recorded.
    ///
    /// Exact mode sorts a copy of the samples. Histogram mode: count, sum, avg, min, max and std are
    /// exact; percentiles are within [`crate::HISTOGRAM_RELATIVE_ERROR`].
    pub fn stats(&self) -> Option<Stats> {
        if self.count == 0 {
            return None;
        }
        match &self.histogram {
            None => Stats::of(&self.samples),
            Some(h) => {
                let std = (self.m2 / self.count as f64).max(0.0).sqrt();
                Some(Stats::from_parts(
                    self.count,
                    self.sum,
                    self.min,
                    self.max,
                    std,
                    |q| h.percentile(q, self.min, self.max),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HISTOGRAM_RELATIVE_ERROR;

    #[test]
    fn exact_mode_matches_stats_of_values() {
        let mut d = Distribution::with_cap(10);
        for v in [3.0, 1.0, 2.0] {
            d.push(v);
        }
        d.push_n(4.0, 2);
        assert_eq!(d.stats(), Stats::of(&[3.0, 1.0, 2.0, 4.0, 4.0]));
        assert!(!d.is_approximate());
    }

    #[test]
    fn histogram_fallback_keeps_exact_count_sum_min_max_std() {
        // Values 1..=1000, cap 100: the histogram takes over after the 100th value.
        let mut d = Distribution::with_cap(100);
        for i in 1..=1000 {
            d.push(f64::from(i));
        }
        assert!(d.is_approximate());
        let s = d.stats().unwrap();
        // count 1000; sum = 1000*1001/2 = 500500; avg 500.5; min 1; max 1000.
        assert_eq!(s.count, 1000);
        assert_eq!(s.sum, 500_500.0);
        assert_eq!(s.avg, 500.5);
        assert_eq!((s.min, s.max), (1.0, 1000.0));
        // Population variance of 1..=N is (N^2-1)/12 = 999999/12 = 83333.25; std = 288.6750...
        assert!((s.std - (999_999.0f64 / 12.0).sqrt()).abs() < 1e-6);
        // p50 exact would be 500.5 (index 499.5 between 500 and 501); histogram within 0.5 %.
        assert!((s.p50 - 500.5).abs() / 500.5 <= HISTOGRAM_RELATIVE_ERROR + 1e-3);
        // p99 exact: index 989.01 -> 990.01.
        assert!((s.p99 - 990.01).abs() / 990.01 <= HISTOGRAM_RELATIVE_ERROR + 1e-3);
    }

    #[test]
    fn weighted_push_beyond_cap_switches_to_histogram() {
        let mut d = Distribution::with_cap(4);
        d.push(1.0);
        d.push_n(2.0, 10);
        assert!(d.is_approximate());
        let s = d.stats().unwrap();
        // 11 values: one 1 and ten 2s: sum 21, mean 21/11.
        assert_eq!((s.count, s.sum, s.min, s.max), (11, 21.0, 1.0, 2.0));
        // variance: (1*(1-21/11)^2 + 10*(2-21/11)^2)/11 = (100/121 + 10/121)/11 = 10/121.
        assert!((s.std - (10.0f64 / 121.0).sqrt()).abs() < 1e-12);
    }

    proptest::proptest! {
        /// Past the cap, every percentile stays within the stated relative error of the exact
        /// percentile (each interpolated rank is within it, so their convex combination is too),
        /// and count, sum, min and max stay exact.
        #[test]
        fn histogram_percentiles_within_stated_error(
            values in proptest::collection::vec(1e-3f64..1e6, 2..400),
            cap in 0usize..2,
        ) {
            let mut d = Distribution::with_cap(cap);
            for &v in &values {
                d.push(v);
            }
            let approx = d.stats().unwrap();
            let exact = Stats::of(&values).unwrap();
            proptest::prop_assert_eq!(approx.count, exact.count);
            proptest::prop_assert_eq!((approx.min, approx.max), (exact.min, exact.max));
            proptest::prop_assert!((approx.sum - exact.sum).abs() <= 1e-9 * exact.sum);
            proptest::prop_assert!((approx.std - exact.std).abs() <= 1e-6 * exact.max);
            let pairs = [
                (approx.p1, exact.p1), (approx.p5, exact.p5), (approx.p10, exact.p10),
                (approx.p25, exact.p25), (approx.p50, exact.p50), (approx.p75, exact.p75),
                (approx.p90, exact.p90), (approx.p95, exact.p95), (approx.p99, exact.p99),
            ];
            for (a, e) in pairs {
                proptest::prop_assert!(
                    (a - e).abs() <= HISTOGRAM_RELATIVE_ERROR * e * (1.0 + 1e-9),
                    "approx {} exact {}", a, e
                );
            }
        }
    }

    #[test]
    fn empty_distribution_has_no_stats() {
        assert!(Distribution::default().stats().is_none());
    }
}
