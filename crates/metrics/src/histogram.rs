//! A bounded log-bucketed histogram for non-negative values, used once a distribution has more
//! samples than its exact-sample cap.
//!
//! Bucket `i` holds values in `[G^i, G^(i+1))` with `G = 1.01`; a value read back from a bucket is
//! `G^i * 2G/(1+G)`, the point relatively equally far from both edges, so any value is reproduced
//! within a relative error of `(G-1)/(G+1) < 0.5 %`. Values at or below [`ZERO_THRESHOLD`] (including negative values) share
//! one zero bucket read back as 0. Bucket indices are clamped to `[-2100, 4200]`
//! (about 2.3e-9 .. 1.4e18), so the histogram never holds more than about 6300 counters (50 KB).

/// Growth factor between bucket boundaries.
const GROWTH: f64 = 1.01;
/// Values at or below this read back as 0.
pub(crate) const ZERO_THRESHOLD: f64 = 1e-9;
const MIN_INDEX: i32 = -2100;
const MAX_INDEX: i32 = 4200;

/// Largest relative error of a value read back from the histogram: `(G-1)/(G+1)`.
pub const HISTOGRAM_RELATIVE_ERROR: f64 = (GROWTH - 1.0) / (GROWTH + 1.0);

/// Log-bucketed counts of non-negative values.
#[derive(Debug, Clone, Default)]
pub(crate) struct LogHistogram {
    zero: u64,
    /// Counts of buckets `offset, offset+1, ...`.
    buckets: Vec<u64>,
    offset: i32,
    total: u64,
}

impl LogHistogram {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Number of values recorded.
    #[cfg(test)]
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Records `n` copies of `value`.
    pub(crate) fn record_n(&mut self, value: f64, n: u64) {
        if n == 0 {
            return;
        }
        self.total += n;
        if value.is_nan() || value <= ZERO_THRESHOLD {
            self.zero += n;
            return;
        }
        let index = ((value.ln() / GROWTH.ln()).floor() as i32).clamp(MIN_INDEX, MAX_INDEX);
        if self.buckets.is_empty() {
            self.offset = index;
            self.buckets.push(0);
        } else if index < self.offset {
            let grow = (self.offset - index) as usize;
            self.buckets.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = index;
        } else if index >= self.offset + self.buckets.len() as i32 {
            self.buckets.resize((index - self.offset) as usize + 1, 0);
        }
        self.buckets[(index - self.offset) as usize] += n;
    }

    /// The value of 0-based rank `rank` (in ascending order), as a bucket midpoint.
    fn value_at_rank(&self, rank: u64) -> f64 {
        if rank < self.zero {
            return 0.0;
        }
        let mut seen = self.zero;
        for (i, &c) in self.buckets.iter().enumerate() {
            seen += c;
            if rank < seen {
                // The point whose relative distance to both bucket edges is (G-1)/(G+1).
                let lower = GROWTH.powi(self.offset + i as i32);
                return lower * 2.0 * GROWTH / (1.0 + GROWTH);
            }
        }
        // Only reachable for rank >= total; callers never ask for that.
        let top = self.offset + self.buckets.len() as i32;
        GROWTH.powi(top)
    }

    /// Percentile `q` (0..=100) with numpy's linear interpolation between closest ranks, ranks read
    /// from the buckets and clamped to the exact `[min, max]`.
    pub(crate) fn percentile(&self, q: f64, min: f64, max: f64) -> f64 {
        let Some(last) = self.total.checked_sub(1) else {
            return f64::NAN;
        };
        let rank = (q / 100.0).clamp(0.0, 1.0) * last as f64;
        let lo = rank.floor() as u64;
        let hi = rank.ceil() as u64;
        let at = |r: u64| {
            if r == 0 {
                min
            } else if r == last {
                max
            } else {
                self.value_at_rank(r).clamp(min, max)
            }
        };
        let (a, b) = (at(lo), at(hi));
        a + (b - a) * (rank - lo as f64)
    }

    /// Number of bucket counters held (for the memory bound test).
    #[cfg(test)]
    pub(crate) fn bucket_count(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_values_back_within_stated_precision() {
        for &v in &[1e-6, 0.003, 0.5, 1.0, 7.25, 123.456, 9.9e5, 3.3e12] {
            let mut h = LogHistogram::new();
            h.record_n(v, 3);
            let got = h.value_at_rank(1);
            assert!(
                (got - v).abs() / v <= HISTOGRAM_RELATIVE_ERROR + 1e-12,
                "{v} -> {got}"
            );
        }
        const { assert!(HISTOGRAM_RELATIVE_ERROR < 0.005) };
    }

    #[test]
    fn zero_and_negative_values_share_the_zero_bucket() {
        let mut h = LogHistogram::new();
        h.record_n(0.0, 2);
        h.record_n(-1.0, 1);
        h.record_n(5.0, 1);
        assert_eq!(h.total(), 4);
        assert_eq!(h.value_at_rank(2), 0.0);
        assert!((h.value_at_rank(3) - 5.0).abs() / 5.0 <= HISTOGRAM_RELATIVE_ERROR);
    }

    #[test]
    fn bucket_count_is_bounded_by_the_index_clamp() {
        let mut h = LogHistogram::new();
        h.record_n(1e-300, 1);
        h.record_n(1e300, 1);
        h.record_n(f64::INFINITY, 1);
        assert!(h.bucket_count() <= (MAX_INDEX - MIN_INDEX + 1) as usize);
    }

    #[test]
    fn percentile_endpoints_are_exact_min_and_max() {
        let mut h = LogHistogram::new();
        for v in [2.0, 3.0, 5.0, 7.0] {
            h.record_n(v, 1);
        }
        assert_eq!(h.percentile(0.0, 2.0, 7.0), 2.0);
        assert_eq!(h.percentile(100.0, 2.0, 7.0), 7.0);
        // p50: rank 1.5 -> halfway between ~3 and ~5.
        assert!((h.percentile(50.0, 2.0, 7.0) - 4.0).abs() < 4.0 * HISTOGRAM_RELATIVE_ERROR);
    }
}
