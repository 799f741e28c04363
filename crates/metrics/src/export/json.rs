//! `profile_export_aiperf.json`: the run summary in AIPerf's schema 1.4, plus writing both summary
//! files.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::catalog::MetricFlags;
use crate::error::{Error, Result};
use crate::export::csv::summary_csv;
use crate::export::time::iso8601_utc;
use crate::summary::{ErrorGroup, MetricValue, PhaseSummary, Summary};

/// File name of the JSON summary.
pub const JSON_FILE: &str = "profile_export_aiperf.json";
/// File name of the CSV summary.
pub const CSV_FILE: &str = "profile_export_aiperf.csv";
/// `schema_version` written to the JSON summary (AIPerf 0.13.0).
pub const SCHEMA_VERSION: &str = "1.4";

/// Run-level information for the JSON summary that the metrics do not carry.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportContext {
    /// `aiperf_version`; defaults to `servebench-<crate version>`.
    pub aiperf_version: String,
    /// `benchmark_id`.
    pub benchmark_id: String,
    /// `input_config`: the resolved configuration echo.
    pub input_config: Value,
    /// `run_info` (benchmark_id, random_seed, trial, cli_command, ...).
    pub run_info: Value,
    /// The run was cancelled midway (`was_cancelled`; also makes `is_complete` false).
    pub was_cancelled: bool,
    /// Why the run is incomplete (`incomplete_reason`), if it is.
    pub incomplete_reason: Option<String>,
    /// Overrides `start_time` (epoch ns); default: the earliest request start.
    pub start_epoch_ns: Option<u64>,
    /// Overrides `end_time` (epoch ns); default: the latest response end.
    pub end_epoch_ns: Option<u64>,
    /// Extra top-level sections (e.g. servebench's `client_health`), written as given.
    pub extra_sections: Vec<(String, Value)>,
}

impl ExportContext {
    /// A context with the given benchmark id and configuration echo, a complete run, and a
    /// `run_info` holding the benchmark id.
    pub fn new(benchmark_id: impl Into<String>, input_config: Value) -> Self {
        let benchmark_id = benchmark_id.into();
        Self {
            aiperf_version: format!("servebench-{}", env!("CARGO_PKG_VERSION")),
            run_info: json!({ "benchmark_id": benchmark_id }),
            benchmark_id,
            input_config,
            was_cancelled: false,
            incomplete_reason: None,
            start_epoch_ns: None,
            end_epoch_ns: None,
            extra_sections: Vec::new(),
        }
    }

    /// `is_complete`: not cancelled and no incomplete reason.
    pub fn is_complete(&self) -> bool {
        !self.was_cancelled && self.incomplete_reason.is_none()
    }
}

/// A finite number, or `null` (AIPerf scrubs non-finite values to `null`).
pub(crate) fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// `{tag: {unit, avg, ...}}` for every exported (non-internal) metric of a phase.
fn metric_blocks(phase: &PhaseSummary) -> Map<String, Value> {
    let mut out = Map::new();
    for r in &phase.results {
        let spec = r.spec();
        if spec.flags.contains(MetricFlags::INTERNAL) {
            continue;
        }
        let mut block = Map::new();
        block.insert("unit".into(), Value::from(spec.unit.as_str()));
        match r.value {
            MetricValue::Scalar(v) => {
                block.insert("avg".into(), number(v));
            }
            MetricValue::Distribution(s) => {
                for (name, v) in [
                    ("avg", s.avg),
                    ("min", s.min),
                    ("max", s.max),
                    ("p1", s.p1),
                    ("p5", s.p5),
                    ("p10", s.p10),
                    ("p25", s.p25),
                    ("p50", s.p50),
                    ("p75", s.p75),
                    ("p90", s.p90),
                    ("p95", s.p95),
                    ("p99", s.p99),
                    ("std", s.std),
                ] {
                    block.insert(name.into(), number(v));
                }
                block.insert("count".into(), Value::from(s.count));
                block.insert("sum".into(), number(s.sum));
            }
        }
        out.insert(spec.tag.into(), Value::Object(block));
    }
    out
}

/// `type` string of an error kind (its snake_case name).
pub(crate) fn error_type(group_kind: crate::record::ErrorKind) -> String {
    serde_json::to_value(group_kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".to_owned())
}

fn error_summary(groups: &[ErrorGroup]) -> Value {
    Value::Array(
        groups
            .iter()
            .map(|g| {
                let mut details = Map::new();
                if let Some(code) = g.code {
                    details.insert("code".into(), Value::from(code));
                }
                details.insert("type".into(), Value::from(error_type(g.kind)));
                details.insert("message".into(), Value::from(g.example_message.clone()));
                json!({ "error_details": details, "count": g.count })
            })
            .collect(),
    )
}

/// The `profile_export_aiperf.json` document.
pub fn summary_json(summary: &Summary, ctx: &ExportContext) -> Value {
    let mut doc = Map::new();
    doc.insert("schema_version".into(), Value::from(SCHEMA_VERSION));
    doc.insert(
        "aiperf_version".into(),
        Value::from(ctx.aiperf_version.clone()),
    );
    doc.insert("benchmark_id".into(), Value::from(ctx.benchmark_id.clone()));
    doc.extend(metric_blocks(&summary.profiling));
    doc.insert("input_config".into(), ctx.input_config.clone());
    doc.insert("run_info".into(), ctx.run_info.clone());
    doc.insert("was_cancelled".into(), Value::from(ctx.was_cancelled));
    doc.insert("is_complete".into(), Value::from(ctx.is_complete()));
    if let Some(reason) = &ctx.incomplete_reason {
        doc.insert("incomplete_reason".into(), Value::from(reason.clone()));
    }
    doc.insert(
        "error_summary".into(),
        error_summary(&summary.profiling.error_summary),
    );
    let start = ctx.start_epoch_ns.or(summary.profiling.start_epoch_ns);
    let end = ctx.end_epoch_ns.or(summary.profiling.end_epoch_ns);
    if let Some(start) = start {
        doc.insert("start_time".into(), Value::from(iso8601_utc(start)));
    }
    if let Some(end) = end {
        doc.insert("end_time".into(), Value::from(iso8601_utc(end)));
    }
    if let Some(warmup) = &summary.warmup {
        doc.insert(
            "warmup_metrics".into(),
            Value::Object(metric_blocks(warmup)),
        );
    }
    for (key, value) in &ctx.extra_sections {
        doc.insert(key.clone(), value.clone());
    }
    Value::Object(doc)
}

/// The sidecar an export is written to before it is renamed into place: `path` + `.partial`.
pub fn partial_path(path: &Path) -> std::path::PathBuf {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    partial.into()
}

/// Renames a finished `partial` (see [`partial_path`]) into place at `path`; on failure the
/// sidecar (which this tool created) is removed, so no partial file is left behind.
///
/// # Errors
/// The rename failed.
pub fn commit_partial(partial: &Path, path: &Path) -> Result<()> {
    fs::rename(partial, path).map_err(|source| {
        let _ = fs::remove_file(partial);
        Error::Write {
            path: path.to_owned(),
            source,
        }
    })
}

/// Writes `bytes` to `path` through a `.partial` sidecar renamed into place, so a failed write
/// never leaves a truncated file under the final name (nor the sidecar).
///
/// # Errors
/// The sidecar cannot be written or renamed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let partial = partial_path(path);
    let written =
        fs::File::create(&partial).and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()));
    if let Err(source) = written {
        let _ = fs::remove_file(&partial);
        return Err(Error::Write {
            path: path.to_owned(),
            source,
        });
    }
    commit_partial(&partial, path)
}

/// Writes `profile_export_aiperf.json` and `profile_export_aiperf.csv` into `dir` (created if
/// missing).
pub fn write_summary_exports(dir: &Path, summary: &Summary, ctx: &ExportContext) -> Result<()> {
    fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_owned(),
        source,
    })?;
    let json = summary_json(summary, ctx);
    let mut text = serde_json::to_string_pretty(&json).map_err(|e| Error::Write {
        path: dir.join(JSON_FILE),
        source: e.into(),
    })?;
    text.push('\n');
    write_atomically(&dir.join(JSON_FILE), text.as_bytes())?;
    write_atomically(
        &dir.join(CSV_FILE),
        summary_csv(&summary.profiling).as_bytes(),
    )
}
