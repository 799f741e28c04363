//! `profile_export_aiperf.csv`: AIPerf's two tables (distribution metrics, then scalars).

use std::fmt::Write as _;

use crate::catalog::{MetricFlags, MetricSpec, Unit};
use crate::summary::{MetricValue, PhaseSummary};

/// Header of the distribution table.
const STATS_HEADER: &str = "Metric,avg,min,max,sum,p1,p5,p10,p25,p50,p75,p90,p95,p99,std";

/// Python's `csv.writer` line terminator, which AIPerf keeps (it opens the file with
/// `newline=""`).
const EOL: &str = "\r\n";

/// Display name with unit, as AIPerf prints it: `Time to First Token (ms)`; no unit suffix for
/// `requests` (AIPerf skips `count` and `requests`).
fn display_name(spec: &MetricSpec) -> String {
    if spec.unit == Unit::Requests {
        spec.header.to_owned()
    } else {
        format!("{} ({})", spec.header, spec.unit.as_str())
    }
}

/// A CSV field, quoted when needed (as Python's `csv` module does with its default dialect).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A value formatted like AIPerf's `f"{value:.2f}"` (`inf`, `-inf`, `nan` for non-finite values).
fn two_decimals(v: f64) -> String {
    if v.is_nan() {
        "nan".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_owned()
    } else {
        format!("{v:.2}")
    }
}

/// The CSV text of a phase: the distribution table (header
/// `Metric,avg,min,max,sum,p1,p5,p10,p25,p50,p75,p90,p95,p99,std`), a blank line, and the
/// `Metric,Value` table of scalars. Rows in each table are sorted by metric tag, as AIPerf does.
pub fn summary_csv(phase: &PhaseSummary) -> String {
    let mut distributions = Vec::new();
    let mut scalars = Vec::new();
    for r in &phase.results {
        let spec = r.spec();
        if spec.flags.contains(MetricFlags::INTERNAL) {
            continue;
        }
        match r.value {
            MetricValue::Distribution(s) => distributions.push((spec, s)),
            MetricValue::Scalar(v) => scalars.push((spec, v)),
        }
    }
    distributions.sort_by_key(|(spec, _)| spec.tag);
    scalars.sort_by_key(|(spec, _)| spec.tag);

    let mut out = String::new();
    if !distributions.is_empty() {
        out.push_str(STATS_HEADER);
        out.push_str(EOL);
        for (spec, stats) in &distributions {
            out.push_str(&field(&display_name(spec)));
            for (_, v) in stats.csv_columns() {
                out.push(',');
                out.push_str(&two_decimals(v));
            }
            out.push_str(EOL);
        }
        if !scalars.is_empty() {
            out.push_str(EOL);
        }
    }
    if !scalars.is_empty() {
        out.push_str("Metric,Value");
        out.push_str(EOL);
        for (spec, v) in &scalars {
            let _ = write!(
                out,
                "{},{}{EOL}",
                field(&display_name(spec)),
                two_decimals(*v)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_and_field_formatting() {
        assert_eq!(two_decimals(12.345_6), "12.35");
        assert_eq!(two_decimals(20.0), "20.00");
        assert_eq!(two_decimals(f64::INFINITY), "inf");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("plain"), "plain");
    }
}
