//! Summary statistics exactly as AIPerf computes them: avg, min, max, p1..p99 by linear
//! interpolation between closest ranks (numpy's default), population standard deviation, count, sum.

use serde::Serialize;

/// The percentiles AIPerf reports, in export order.
pub const PERCENTILES: [u8; 9] = [1, 5, 10, 25, 50, 75, 90, 95, 99];

/// Statistics of one distribution metric, in its display unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stats {
    /// Arithmetic mean (`sum / count`).
    pub avg: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// 1st percentile.
    pub p1: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 10th percentile.
    pub p10: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Population standard deviation (ddof = 0).
    pub std: f64,
    /// Number of values.
    pub count: u64,
    /// Sum of the values.
    pub sum: f64,
}

impl Stats {
    /// Builds the percentile fields from a function giving the percentile `q` (0..=100).
    pub(crate) fn from_parts(
        count: u64,
        sum: f64,
        min: f64,
        max: f64,
        std: f64,
        mut percentile: impl FnMut(f64) -> f64,
    ) -> Self {
        let p = PERCENTILES.map(|q| percentile(f64::from(q)));
        Self {
            avg: sum / count as f64,
            min,
            max,
            p1: p[0],
            p5: p[1],
            p10: p[2],
            p25: p[3],
            p50: p[4],
            p75: p[5],
            p90: p[6],
            p95: p[7],
            p99: p[8],
            std,
            count,
            sum,
        }
    }

    /// Statistics of `values` computed exactly (sorts a copy). `None` for an empty slice.
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut sorted = values.to_vec();
        crate::sort::sort_total_order(&mut sorted);
        Self::of_sorted(&sorted)
    }

    /// Statistics of already ascending-sorted `sorted`. `None` for an empty slice.
    pub fn of_sorted(sorted: &[f64]) -> Option<Self> {
        let (&min, &max) = (sorted.first()?, sorted.last()?);
        let n = sorted.len() as f64;
        let sum: f64 = sorted.iter().sum();
        let mean = sum / n;
        // Two-pass population variance, as numpy's `std(ddof=0)`.
        let var = sorted.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        Some(Self::from_parts(
            sorted.len() as u64,
            sum,
            min,
            max,
            var.sqrt(),
            |q| percentile_sorted(sorted, q),
        ))
    }

    /// The statistics as `(name, value)` pairs in AIPerf's CSV column order
    /// (`avg,min,max,sum,p1,...,p99,std`).
    pub fn csv_columns(&self) -> [(&'static str, f64); 14] {
        [
            ("avg", self.avg),
            ("min", self.min),
            ("max", self.max),
            ("sum", self.sum),
            ("p1", self.p1),
            ("p5", self.p5),
            ("p10", self.p10),
            ("p25", self.p25),
            ("p50", self.p50),
            ("p75", self.p75),
            ("p90", self.p90),
            ("p95", self.p95),
            ("p99", self.p99),
            ("std", self.std),
        ]
    }
}

/// Percentile `q` (0..=100) of ascending `sorted` by linear interpolation between the closest
/// ranks: index `q/100 * (n-1)`, numpy's default `method="linear"`. NaN for an empty slice.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let rank = (q / 100.0).clamp(0.0, 1.0) * last as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let frac = rank - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn single_value_everything_is_that_value() {
        let s = Stats::of(&[7.5]).unwrap();
        for (_, v) in s.csv_columns() {
            assert!(v == 7.5 || v == 0.0, "{v}");
        }
        assert_eq!((s.std, s.count, s.sum), (0.0, 1, 7.5));
        assert_eq!(s.p1, 7.5);
        assert_eq!(s.p99, 7.5);
    }

    #[test]
    fn two_values_interpolate() {
        // n=2: index = q/100 * 1, so pQ = 10 + (20-10) * Q/100.
        let s = Stats::of(&[20.0, 10.0]).unwrap();
        assert!(close(s.p1, 10.1));
        assert!(close(s.p25, 12.5));
        assert!(close(s.p50, 15.0));
        assert!(close(s.p99, 19.9));
        // population std: mean 15, deviations ±5, variance 25, std 5.
        assert!(close(s.std, 5.0));
        assert!(close(s.avg, 15.0));
    }

    #[test]
    fn five_values_hand_computed() {
        // sorted [1,2,3,4,10], n-1 = 4.
        let s = Stats::of(&[4.0, 1.0, 10.0, 3.0, 2.0]).unwrap();
        // p50: index 2 -> 3.
        assert!(close(s.p50, 3.0));
        // p75: index 3 -> 4.
        assert!(close(s.p75, 4.0));
        // p90: index 3.6 -> 4 + 0.6*(10-4) = 7.6.
        assert!(close(s.p90, 7.6));
        // p99: index 3.96 -> 4 + 0.96*6 = 9.76.
        assert!(close(s.p99, 9.76));
        // p10: index 0.4 -> 1 + 0.4*1 = 1.4.
        assert!(close(s.p10, 1.4));
        // p1: index 0.04 -> 1.04.
        assert!(close(s.p1, 1.04));
        // mean 4; squared deviations 9+4+1+0+36 = 50; /5 = 10; std = sqrt(10).
        assert!(close(s.avg, 4.0));
        assert!(close(s.std, 10f64.sqrt()));
        assert_eq!((s.min, s.max, s.sum, s.count), (1.0, 10.0, 20.0, 5));
    }

    #[test]
    fn empty_is_none() {
        assert!(Stats::of(&[]).is_none());
        assert!(percentile_sorted(&[], 50.0).is_nan());
    }
}
