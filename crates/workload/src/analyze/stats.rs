//! Summary statistics with numpy's conventions: population standard deviation (`np.std`) and
//! linearly interpolated percentiles (`np.percentile`, method "linear").

use serde::Serialize;

/// The seven statistics of Dynamo's `calculate_and_print_statistics`, plus the sample count.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SummaryStats {
    /// Number of values.
    pub count: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Population standard deviation (divides by `count`, like `np.std`).
    pub std_dev: f64,
    /// Smallest value.
    pub min: f64,
    /// 25th percentile, linear interpolation.
    pub p25: f64,
    /// 50th percentile, linear interpolation.
    pub median: f64,
    /// 75th percentile, linear interpolation.
    pub p75: f64,
    /// Largest value.
    pub max: f64,
}

impl SummaryStats {
    /// Statistics of `values`; `None` when `values` is empty (numpy raises on an empty minimum).
    ///
    /// NaN values are not expected (all inputs are token counts or ratios); they would sort last.
    pub fn from_values(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let count = values.len();
        let n = count as f64;
        let mean = values.iter().sum::<f64>() / n;
        // Two passes, like numpy: mean of squared deviations from the mean.
        let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        Some(Self {
            count,
            mean,
            std_dev: variance.sqrt(),
            min: sorted[0],
            p25: percentile_linear(&sorted, 25.0),
            median: percentile_linear(&sorted, 50.0),
            p75: percentile_linear(&sorted, 75.0),
            max: sorted[count - 1],
        })
    }

    /// Statistics of integer values (converted to `f64`, as numpy does for the mean).
    pub fn from_integers<T: Copy + Into<f64>>(values: &[T]) -> Option<Self> {
        let as_float: Vec<f64> = values.iter().map(|&v| v.into()).collect();
        Self::from_values(&as_float)
    }

    /// The statistics in table order: Mean, Std Dev, Min, P25, Median, P75, Max.
    pub fn columns(&self) -> [f64; 7] {
        [
            self.mean,
            self.std_dev,
            self.min,
            self.p25,
            self.median,
            self.p75,
            self.max,
        ]
    }
}

/// Column headers of the statistics table, in [`SummaryStats::columns`] order.
pub const STATS_COLUMNS: [&str; 7] = ["Mean", "Std Dev", "Min", "P25", "Median", "P75", "Max"];

/// The `q`-th percentile (0..=100) of ascending `sorted` values, numpy's default "linear" method:
/// the value at fractional rank `(n − 1)·q/100`, interpolated between its two neighbours.
///
/// Returns NaN for an empty slice.
pub fn percentile_linear(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return f64::NAN;
    };
    let rank = last as f64 * (q / 100.0);
    let below = (rank.floor() as usize).min(last);
    let above = (below + 1).min(last);
    let fraction = rank - below as f64;
    lerp(sorted[below], sorted[above], fraction)
}

/// numpy's `_lerp`: interpolates from the nearer end so that `t = 1` returns `b` exactly.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_numpy_linear_by_hand() {
        // numpy.percentile([1, 2, 3, 4], [25, 50, 75]) == [1.75, 2.5, 3.25]:
        // ranks 0.75, 1.5 and 2.25 on a 0-based index.
        let sorted = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_linear(&sorted, 25.0), 1.75);
        assert_eq!(percentile_linear(&sorted, 50.0), 2.5);
        assert_eq!(percentile_linear(&sorted, 75.0), 3.25);
        assert_eq!(percentile_linear(&sorted, 100.0), 4.0);
        assert_eq!(percentile_linear(&sorted, 0.0), 1.0);
        assert_eq!(percentile_linear(&[7.0], 25.0), 7.0);
        assert!(percentile_linear(&[], 50.0).is_nan());
    }

    #[test]
    fn std_is_population_std() {
        // [2, 4, 4, 4, 5, 5, 7, 9]: mean 5, squared deviations sum to 32, 32/8 = 4, sqrt = 2
        // (the sample std would be sqrt(32/7) = 2.138...).
        let s = SummaryStats::from_integers(&[2u32, 4, 4, 4, 5, 5, 7, 9]).expect("non-empty");
        assert_eq!(s.mean, 5.0);
        assert_eq!(s.std_dev, 2.0);
        assert_eq!((s.min, s.max, s.count), (2.0, 9.0, 8));
        assert!(SummaryStats::from_values(&[]).is_none());
    }
}
