//! Time-sliced metrics (`--slice-duration`): the profiling records cut into fixed windows of their
//! send time, with the per-request metrics summarised per window, written as AIPerf's
//! `profile_export_aiperf_timeslices.json` / `.csv`.
//!
//! [`write()`] reads the records back from [`JSONL_FILE`](crate::JSONL_FILE), so the slices hold
//! exactly the exported records; [`slice_lines`], [`to_json`] and [`to_csv`] are the pure parts.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// JSON export file name.
pub const JSON_FILE: &str = "profile_export_aiperf_timeslices.json";
/// CSV export file name.
pub const CSV_FILE: &str = "profile_export_aiperf_timeslices.csv";

/// What can go wrong writing the time-sliced exports.
#[derive(Debug, thiserror::Error)]
pub enum TimesliceError {
    /// The slice width was not a finite number of seconds above zero.
    #[error("slice duration must be a finite number of seconds > 0 (got {0})")]
    BadDuration(f64),
    /// The records file could not be read.
    #[error("reading {path}")]
    Read {
        /// The file being read.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An export file could not be written.
    #[error("writing the time-sliced exports")]
    Export(#[source] crate::Error),
}

/// One time window of the profiling records.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    /// Window start, seconds after the first request was sent.
    pub start_s: f64,
    /// Window end, seconds after the first request was sent.
    pub end_s: f64,
    /// Whether the run lasted past the window's end.
    pub complete: bool,
    /// Requests sent in the window.
    pub requests: usize,
    /// Per metric tag: unit and the values of the window's requests.
    pub values: BTreeMap<String, (String, Vec<f64>)>,
}

/// Writes `dir/`[`JSON_FILE`] and `dir/`[`CSV_FILE`] from the profiling records in
/// `dir/profile_export.jsonl`; returns the number of slices.
///
/// # Errors
/// [`TimesliceError`]: a bad `slice_seconds`, the JSONL cannot be read or an export cannot be
/// written.
pub fn write(dir: &Path, slice_seconds: f64) -> Result<usize, TimesliceError> {
    if !(slice_seconds.is_finite() && slice_seconds > 0.0) {
        return Err(TimesliceError::BadDuration(slice_seconds));
    }
    let path = dir.join(crate::JSONL_FILE);
    let text = std::fs::read_to_string(&path).map_err(|source| TimesliceError::Read {
        path: path.clone(),
        source,
    })?;
    let slices = slice_lines(&text, slice_seconds);
    // Through a `.partial` sidecar renamed into place: never a truncated file under the name.
    let write = |name: &str, body: String| {
        crate::write_atomically(&dir.join(name), body.as_bytes()).map_err(TimesliceError::Export)
    };
    let json = serde_json::to_string_pretty(&to_json(&slices, slice_seconds))
        .unwrap_or_else(|_| String::from("{}"));
    write(JSON_FILE, json)?;
    write(CSV_FILE, to_csv(&slices))?;
    Ok(slices.len())
}

/// Cuts the profiling-phase records of a `profile_export.jsonl` text (one record per line; other
/// phases and unparsable lines are skipped) into windows of `seconds` by their
/// `metadata.credit_issued_ns`, from the earliest one.
pub fn slice_lines(jsonl: &str, seconds: f64) -> Vec<Slice> {
    let records: Vec<Value> = jsonl
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["metadata"]["benchmark_phase"] == "profiling")
        .collect();
    slice(&records, seconds)
}

fn slice(records: &[Value], seconds: f64) -> Vec<Slice> {
    let start = |r: &Value| r["metadata"]["credit_issued_ns"].as_u64();
    let Some(origin) = records.iter().filter_map(start).min() else {
        return Vec::new();
    };
    let last_end = records
        .iter()
        .filter_map(|r| r["metadata"]["request_end_ns"].as_u64())
        .max()
        .unwrap_or(origin);
    let width_ns = seconds * 1e9;
    let mut slices: Vec<Slice> = Vec::new();
    for r in records {
        let Some(at) = start(r) else { continue };
        let index = ((at - origin) as f64 / width_ns) as usize;
        while slices.len() <= index {
            let i = slices.len() as f64;
            slices.push(Slice {
                start_s: i * seconds,
                end_s: (i + 1.0) * seconds,
                complete: false,
                requests: 0,
                values: BTreeMap::new(),
            });
        }
        let s = &mut slices[index];
        s.requests += 1;
        if let Some(metrics) = r["metrics"].as_object() {
            for (tag, m) in metrics {
                if let Some(v) = m["value"].as_f64() {
                    let unit = m["unit"].as_str().unwrap_or("").to_owned();
                    s.values
                        .entry(tag.clone())
                        .or_insert_with(|| (unit, Vec::new()))
                        .1
                        .push(v);
                }
            }
        }
    }
    let run_s = last_end.saturating_sub(origin) as f64 / 1e9;
    for s in &mut slices {
        s.complete = s.end_s <= run_s;
    }
    slices
}

/// avg, min, max, p1..p99 (linear interpolation, as numpy), population std, count.
fn stats(values: &[f64]) -> Map<String, Value> {
    let mut m = Map::new();
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let (Some(&first), Some(&last)) = (v.first(), v.last()) else {
        return m;
    };
    let n = v.len() as f64;
    let avg = v.iter().sum::<f64>() / n;
    let std = (v.iter().map(|x| (x - avg).powi(2)).sum::<f64>() / n).sqrt();
    let pct = |q: f64| {
        let rank = q / 100.0 * (n - 1.0);
        let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (rank - lo as f64)
    };
    m.insert("avg".into(), json!(avg));
    m.insert("min".into(), json!(first));
    m.insert("max".into(), json!(last));
    for q in [1.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0] {
        m.insert(format!("p{q}"), json!(pct(q)));
    }
    m.insert("std".into(), json!(std));
    m.insert("count".into(), json!(v.len()));
    m
}

/// AIPerf's timeslices JSON document: `slice_duration` and one item per slice.
pub fn to_json(slices: &[Slice], seconds: f64) -> Value {
    let items: Vec<Value> = slices
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut item = Map::new();
            item.insert("timeslice_index".into(), json!(i));
            item.insert("start_s".into(), json!(s.start_s));
            item.insert("end_s".into(), json!(s.end_s));
            item.insert("is_complete".into(), json!(s.complete));
            item.insert(
                "request_count".into(),
                json!({"unit": "requests", "avg": s.requests}),
            );
            for (tag, (unit, values)) in &s.values {
                let mut m = stats(values);
                m.insert("unit".into(), json!(unit));
                item.insert(tag.clone(), Value::Object(m));
            }
            Value::Object(item)
        })
        .collect();
    json!({"slice_duration": seconds, "timeslices": items})
}

/// AIPerf's timeslices CSV: `Timeslice,Metric,Unit,Stat,Value` rows.
pub fn to_csv(slices: &[Slice]) -> String {
    let mut out = String::from("Timeslice,Metric,Unit,Stat,Value\n");
    for (i, s) in slices.iter().enumerate() {
        let _ = writeln!(out, "{i},request_count,requests,avg,{}", s.requests);
        for (tag, (unit, values)) in &s.values {
            for (stat, v) in stats(values) {
                let _ = writeln!(out, "{i},{tag},{unit},{stat},{v}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(phase: &str, sent_ms: u64, end_ms: u64, ttft: f64) -> String {
        json!({
            "metadata": {
                "benchmark_phase": phase,
                "credit_issued_ns": sent_ms * 1_000_000,
                "request_end_ns": end_ms * 1_000_000,
            },
            "metrics": {"time_to_first_token": {"value": ttft, "unit": "ms"}},
        })
        .to_string()
    }

    #[test]
    fn records_fall_into_windows_of_their_send_time() {
        let text = [
            line("warmup", 0, 10, 99.0),
            line("profiling", 1000, 1200, 10.0),
            line("profiling", 1500, 1700, 30.0),
            line("profiling", 2100, 2600, 50.0),
            "not json".to_owned(),
        ]
        .join("\n");
        let slices = slice_lines(&text, 1.0);
        assert_eq!(slices.len(), 2);
        assert_eq!(slices[0].requests, 2);
        assert_eq!(slices[1].requests, 1);
        assert_eq!(slices[0].values["time_to_first_token"].1, vec![10.0, 30.0]);
        // The run lasted 1.6 s from the first send: window 0 is complete, window 1 is not.
        assert!(slices[0].complete);
        assert!(!slices[1].complete);
        let doc = to_json(&slices, 1.0);
        assert_eq!(doc["timeslices"][0]["time_to_first_token"]["avg"], 20.0);
        assert_eq!(doc["timeslices"][0]["time_to_first_token"]["p50"], 20.0);
        assert_eq!(doc["timeslices"][0]["time_to_first_token"]["std"], 10.0);
        let csv = to_csv(&slices);
        assert!(csv.contains("0,request_count,requests,avg,2\n"), "{csv}");
        assert!(csv.contains("1,time_to_first_token,ms,max,50.0\n"), "{csv}");
    }

    #[test]
    fn write_reads_the_jsonl_and_writes_both_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(crate::JSONL_FILE),
            line("profiling", 0, 100, 5.0),
        )
        .unwrap();
        assert_eq!(write(dir.path(), 0.5).unwrap(), 1);
        let json: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(JSON_FILE)).unwrap())
                .unwrap();
        assert_eq!(json["slice_duration"], 0.5);
        assert!(dir.path().join(CSV_FILE).exists());
        assert!(matches!(
            write(dir.path(), 0.0),
            Err(TimesliceError::BadDuration(_))
        ));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            write(empty.path(), 1.0),
            Err(TimesliceError::Read { .. })
        ));
    }
}
