//! `--slice-duration`: the profiling records cut into fixed windows of their send time, with the
//! per-request metrics summarised per window, written as AIPerf's
//! `profile_export_aiperf_timeslices.json` / `.csv`. Read back from `profile_export.jsonl`, so
//! the slices hold exactly the exported records.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde_json::{Map, Value, json};
use servebench_cli_support::output::write_file;

/// JSON export file name.
pub(crate) const JSON_FILE: &str = "profile_export_aiperf_timeslices.json";
/// CSV export file name.
pub(crate) const CSV_FILE: &str = "profile_export_aiperf_timeslices.csv";

/// One window's values per metric tag (unit, values).
type SliceValues = BTreeMap<String, (String, Vec<f64>)>;

/// Writes the time-sliced exports of the records in `dir/profile_export.jsonl`.
///
/// # Errors
/// The JSONL cannot be read or the exports cannot be written.
pub(crate) fn write(dir: &Path, slice_seconds: f64) -> anyhow::Result<usize> {
    let path = dir.join(servebench_metrics::JSONL_FILE);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let records: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["metadata"]["benchmark_phase"] == "profiling")
        .collect();
    let slices = slice(&records, slice_seconds);
    // Each through a temporary file renamed into place (removed on an error or an interrupt).
    write_file(
        &dir.join(JSON_FILE),
        &[],
        serde_json::to_string_pretty(&to_json(&slices, slice_seconds))?.as_bytes(),
    )?;
    write_file(&dir.join(CSV_FILE), &[], to_csv(&slices).as_bytes())?;
    Ok(slices.len())
}

struct Slice {
    start_s: f64,
    end_s: f64,
    complete: bool,
    requests: usize,
    values: SliceValues,
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
    let run_s = (last_end - origin) as f64 / 1e9;
    for s in &mut slices {
        s.complete = s.end_s <= run_s;
    }
    slices
}

/// avg, min, max, p1..p99 (linear interpolation, as numpy), population std, count.
fn stats(values: &[f64]) -> Map<String, Value> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let avg = v.iter().sum::<f64>() / n;
    let std = (v.iter().map(|x| (x - avg).powi(2)).sum::<f64>() / n).sqrt();
    let pct = |q: f64| {
        let rank = q / 100.0 * (n - 1.0);
        let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (rank - lo as f64)
    };
    let mut m = Map::new();
    m.insert("avg".into(), json!(avg));
    m.insert("min".into(), json!(v[0]));
    m.insert("max".into(), json!(v[v.len() - 1]));
    for q in [1.0, 5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0] {
        m.insert(format!("p{q}"), json!(pct(q)));
    }
    m.insert("std".into(), json!(std));
    m.insert("count".into(), json!(v.len()));
    m
}

fn to_json(slices: &[Slice], seconds: f64) -> Value {
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

fn to_csv(slices: &[Slice]) -> String {
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
