//! Per-request records (`profile_export.jsonl`, the same layout in servebench and AIPerf 0.13):
//! when each profiling request started and how long it took, for the run report's timeline.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::ReportError;
use crate::export::EXPORT_JSON;

/// Most points drawn in a timeline; longer runs are thinned evenly (every k-th request).
pub const MAX_TIMELINE_POINTS: usize = 4000;

/// Request latency against start time of the profiling requests, split by outcome.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// (seconds since the first request started, request latency in ms) of successful requests.
    pub succeeded: Vec<(f64, f64)>,
    /// The same for failed requests (latency from the record's start and end stamps).
    pub failed: Vec<(f64, f64)>,
    /// Profiling records read (before thinning).
    pub records: usize,
}

/// The per-request export next to a summary export: `profile_export.jsonl` beside
/// `profile_export_aiperf.json`, `<prefix>.jsonl` beside `<prefix>.json`.
#[must_use]
pub fn records_path(export_json: &Path) -> PathBuf {
    let name = export_json
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name == EXPORT_JSON {
        export_json.with_file_name("profile_export.jsonl")
    } else {
        export_json.with_extension("jsonl")
    }
}

/// Reads the profiling records of `path` (warm-up records are skipped) into a [`Timeline`].
///
/// # Errors
/// [`ReportError::Io`] when the file cannot be read; [`ReportError::Field`] naming
/// `path:line` and the field when a line is not JSON or lacks its start stamp.
pub fn read_timeline(path: &Path) -> Result<Timeline, ReportError> {
    let file = File::open(path).map_err(|e| ReportError::io(path, "cannot read", e))?;
    let mut raw: Vec<(u64, f64, bool)> = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| ReportError::io(path, "cannot read", e))?;
        if line.trim().is_empty() {
            continue;
        }
        let at = PathBuf::from(format!("{}:{}", path.display(), i + 1));
        let v: Value = serde_json::from_str(&line)
            .map_err(|e| ReportError::field(&at, "(line)", format!("not valid JSON: {e}")))?;
        let meta = v.get("metadata");
        let phase = meta
            .and_then(|m| m.get("benchmark_phase"))
            .and_then(Value::as_str);
        if phase.is_some_and(|p| p != "profiling") {
            continue;
        }
        let stamp = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_u64);
        let start = stamp("request_start_ns").ok_or_else(|| {
            ReportError::field(
                &at,
                "metadata.request_start_ns",
                "is missing or not a whole number",
            )
        })?;
        let failed = v.get("error").is_some_and(|e| !e.is_null());
        let latency = v
            .get("metrics")
            .and_then(|m| m.get("request_latency"))
            .and_then(|l| l.get("value"))
            .and_then(Value::as_f64)
            .or_else(|| {
                let end = stamp("request_end_ns")?;
                Some(end.saturating_sub(start) as f64 / 1e6)
            });
        if let Some(latency) = latency.filter(|l| l.is_finite()) {
            raw.push((start, latency, failed));
        }
    }
    let first = raw.iter().map(|r| r.0).min().unwrap_or(0);
    let stride = raw.len().div_ceil(MAX_TIMELINE_POINTS).max(1);
    let mut t = Timeline {
        records: raw.len(),
        ..Timeline::default()
    };
    for (start, latency, failed) in raw.into_iter().step_by(stride) {
        let x = (start - first) as f64 / 1e9;
        if failed {
            t.failed.push((x, latency));
        } else {
            t.succeeded.push((x, latency));
        }
    }
    Ok(t)
}
