//! Statistics printed after a conversion, in the text layout of `burstgpt_loadgen/convert.py`.

use std::fmt::Write as _;

use serde::Serialize;

/// Min, max, mean and sample standard deviation of a length column, computed exactly from
/// integer sums.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct LengthStats {
    /// Values seen.
    pub count: u64,
    /// Smallest value (0 when empty).
    pub min: u64,
    /// Largest value.
    pub max: u64,
    #[serde(skip)]
    sum: u128,
    #[serde(skip)]
    sum_sq: u128,
}

impl LengthStats {
    /// Adds a value.
    pub fn add(&mut self, v: u64) {
        if self.count == 0 || v < self.min {
            self.min = v;
        }
        self.max = self.max.max(v);
        self.count += 1;
        self.sum += u128::from(v);
        self.sum_sq += u128::from(v) * u128::from(v);
    }

    /// Mean (NaN when empty).
    pub fn mean(&self) -> f64 {
        self.sum as f64 / self.count as f64
    }

    /// Sample standard deviation (ddof = 1, as pandas' `Series.std()`); NaN below 2 values.
    pub fn std_sample(&self) -> f64 {
        if self.count < 2 {
            return f64::NAN;
        }
        let n = u128::from(self.count);
        // n·Σx² − (Σx)² is exact in u128 for any realistic trace.
        let numerator = n * self.sum_sq - self.sum * self.sum;
        (numerator as f64 / (n * (n - 1)) as f64).sqrt()
    }
}

/// Python's `f"{x:.2f}"` (NaN prints as `nan`).
pub(crate) fn fixed2(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else {
        format!("{x:.2}")
    }
}

/// Arrival counts per time bin, as the original's "Request rate vs time" chart bins them: about
/// 20 bins, at least 1 s wide, over the span of the output timestamps.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct RateTimeline {
    /// Earliest output timestamp (ms).
    pub min_ms: u64,
    /// Latest output timestamp (ms).
    pub max_ms: u64,
    /// Bin width in seconds.
    pub bin_size_s: f64,
    /// Requests per bin.
    pub counts: Vec<u64>,
}

impl RateTimeline {
    /// Bins spanning `min_ms..=max_ms`.
    pub fn new(min_ms: u64, max_ms: u64) -> Self {
        let duration = Self::duration_of(min_ms, max_ms);
        let bin_size_s = (duration / 20.0).max(1.0);
        let bins = ((duration / bin_size_s).ceil() as usize).max(1);
        Self {
            min_ms,
            max_ms,
            bin_size_s,
            counts: vec![0; bins],
        }
    }

    fn duration_of(min_ms: u64, max_ms: u64) -> f64 {
        max_ms as f64 / 1000.0 - min_ms as f64 / 1000.0
    }

    /// Span in seconds, computed as the original does.
    pub fn duration_s(&self) -> f64 {
        Self::duration_of(self.min_ms, self.max_ms)
    }

    /// Counts one request at `ts_ms`.
    pub fn add(&mut self, ts_ms: u64) {
        let rel = ts_ms as f64 / 1000.0 - self.min_ms as f64 / 1000.0;
        let idx = (rel / self.bin_size_s).trunc();
        let last = self.counts.len() - 1;
        let idx = if idx < 0.0 {
            0
        } else {
            (idx as usize).min(last)
        };
        self.counts[idx] += 1;
    }
}

/// Everything the original prints in its STATISTICS block.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct TraceStats {
    /// Input lengths.
    pub isl: LengthStats,
    /// Output lengths.
    pub osl: LengthStats,
    /// Largest `input_length + output_length`.
    pub max_seq_len: u64,
    /// Arrival timeline.
    pub timeline: RateTimeline,
}

impl TraceStats {
    /// Empty statistics for timestamps in `min_ms..=max_ms`.
    pub fn new(min_ms: u64, max_ms: u64) -> Self {
        Self {
            isl: LengthStats::default(),
            osl: LengthStats::default(),
            max_seq_len: 0,
            timeline: RateTimeline::new(min_ms, max_ms),
        }
    }

    /// Adds one output record.
    pub fn add(&mut self, ts_ms: u64, isl: u64, osl: u64) {
        self.isl.add(isl);
        self.osl.add(osl);
        self.max_seq_len = self.max_seq_len.max(isl + osl);
        self.timeline.add(ts_ms);
    }

    /// The STATISTICS block, line for line as `convert.py`'s `print_statistics` prints it.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let rule = "=".repeat(60);
        let n = self.isl.count;
        let _ = writeln!(s, "\n{rule}\nSTATISTICS\n{rule}");
        if n == 0 {
            let _ = writeln!(s, "\nNo rows were converted.\n{rule}");
            return s;
        }
        for (title, st) in [
            ("Input Length (ISL)", &self.isl),
            ("Output Length (OSL)", &self.osl),
        ] {
            let _ = writeln!(s, "\n{title}:");
            let _ = writeln!(s, "  Min: {}\n  Max: {}", st.min, st.max);
            let _ = writeln!(
                s,
                "  Avg: {}\n  Std: {}",
                fixed2(st.mean()),
                fixed2(st.std_sample())
            );
        }
        let _ = writeln!(
            s,
            "\nSequence Length (ISL + OSL):\n  Max: {}",
            self.max_seq_len
        );
        let _ = writeln!(s, "\nRequest Rate:\n  Total requests: {n}");
        if n == 1 {
            let _ = writeln!(s, "  Average RPS: N/A (only 1 request)");
        } else {
            let duration = self.timeline.duration_s();
            if duration > 0.0 {
                let _ = writeln!(s, "  Duration: {} seconds", fixed2(duration));
                let _ = writeln!(s, "  Average RPS: {}", fixed2(n as f64 / duration));
                self.render_chart(&mut s, duration);
            } else {
                let _ = writeln!(
                    s,
                    "  Duration: 0 seconds (all requests at same timestamp)\n  Average RPS: N/A"
                );
            }
        }
        let _ = writeln!(s, "{rule}");
        s
    }

    fn render_chart(&self, s: &mut String, duration: f64) {
        const PLOT_WIDTH: usize = 60;
        let bin = self.timeline.bin_size_s;
        let rates: Vec<f64> = self
            .timeline
            .counts
            .iter()
            .map(|c| *c as f64 / bin)
            .collect();
        let peak = rates.iter().copied().fold(0.0f64, f64::max);
        let _ = writeln!(
            s,
            "\nRequest rate vs time:\n  Bin: {}s, Peak RPS: {}",
            fixed2(bin),
            fixed2(peak)
        );
        if peak <= 0.0 {
            return;
        }
        let digits = (duration.ceil() as u64).to_string().len().max(1);
        let label_width = 2 * digits + 2;
        let bar_width = PLOT_WIDTH.saturating_sub(label_width + 3).max(1);
        for (i, rps) in rates.iter().enumerate() {
            let start = i as f64 * bin;
            let end = ((i + 1) as f64 * bin).min(duration);
            let bar_len = ((rps / peak) * bar_width as f64).round_ties_even().max(0.0) as usize;
            let bar = "#".repeat(bar_len.min(bar_width));
            let line = format!("{start:>digits$.0}-{end:>digits$.0}s | {bar}");
            let cut: String = line.chars().take(PLOT_WIDTH).collect();
            let _ = writeln!(s, "{cut}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_std_matches_the_textbook_value() {
        let mut st = LengthStats::default();
        for v in [2, 4, 4, 4, 5, 5, 7, 9] {
            st.add(v);
        }
        assert_eq!(st.mean(), 5.0);
        // population std is 2; sample variance = 32/7
        assert!((st.std_sample() - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert_eq!((st.min, st.max), (2, 9));
    }

    #[test]
    fn timeline_uses_one_second_bins_for_short_spans() {
        let mut t = RateTimeline::new(0, 4500);
        assert_eq!(t.bin_size_s, 1.0);
        assert_eq!(t.counts.len(), 5);
        t.add(4500);
        t.add(0);
        t.add(999);
        assert_eq!(t.counts, vec![2, 0, 0, 0, 1]);
    }
}
