//! One run's `profile_export_aiperf.json`, as servebench's `loadgen` and AIPerf 0.13 write it:
//! a top-level object with one `{unit, avg, p50, ...}` object per metric tag, and the
//! configuration echo (`input_config`, `run_info`), errors and (servebench only) client health.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::ReportError;

/// File name of the summary export that every consumer reads.
pub const EXPORT_JSON: &str = "profile_export_aiperf.json";

/// The statistics of one metric (`avg`, `p50`, ... as present) and its unit.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricStats {
    /// Display unit, e.g. `ms`, `requests/sec`.
    pub unit: String,
    /// Every numeric statistic present (`avg`, `min`, `max`, `p1` ... `p99`, `std`, `count`, `sum`).
    pub stats: BTreeMap<String, f64>,
}

/// One error kind and how many requests failed with it (AIPerf's `error_summary`).
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorCount {
    /// HTTP status or error code, when known.
    pub code: Option<i64>,
    /// Error type, e.g. `HTTPError`.
    pub kind: String,
    /// The error message.
    pub message: String,
    /// Number of requests.
    pub count: u64,
}

/// A parsed `profile_export_aiperf.json`.
#[derive(Debug, Clone)]
pub struct RunExport {
    /// The file it was read from.
    pub path: PathBuf,
    /// Metric tag → statistics, for every top-level object with a `unit`.
    pub metrics: BTreeMap<String, MetricStats>,
    /// `aiperf_version` (servebench writes `servebench-<version>`).
    pub tool_version: Option<String>,
    /// The exact command line (`run_info.cli_command`), when recorded.
    pub cli_command: Option<String>,
    /// The resolved configuration echo (`input_config`), when present.
    pub input_config: Option<Value>,
    /// `run_info`, when present.
    pub run_info: Option<Value>,
    /// servebench's client-health verdict (`client_health`); AIPerf has none.
    pub client_health: Option<Value>,
    /// servebench's split of errors into server and client side (`error_attribution`).
    pub error_attribution: Option<Value>,
    /// AIPerf's `error_summary`.
    pub errors: Vec<ErrorCount>,
    /// `was_cancelled`.
    pub was_cancelled: bool,
    /// `start_time` (ISO text), when present.
    pub start_time: Option<String>,
    /// `end_time` (ISO text), when present.
    pub end_time: Option<String>,
}

impl RunExport {
    /// Reads and parses the file at `path`.
    ///
    /// # Errors
    /// [`ReportError::Io`] if it cannot be read, [`ReportError::Json`] (with line and column) if
    /// it is not JSON, [`ReportError::Field`] if the top level is not an object or a metric or
    /// `error_summary` entry has the wrong shape.
    pub fn read(path: &Path) -> Result<Self, ReportError> {
        let text = fs::read_to_string(path).map_err(|e| ReportError::io(path, "cannot read", e))?;
        Self::parse(path, &text)
    }

    /// Parses export text; `path` is only used in error messages and kept in the result.
    ///
    /// # Errors
    /// As [`RunExport::read`], less the I/O errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ReportError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ReportError::Json {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            source: e,
        })?;
        let Value::Object(top) = value else {
            return Err(ReportError::field(
                path,
                "(top level)",
                "is not a JSON object",
            ));
        };
        let mut metrics = BTreeMap::new();
        for (tag, v) in &top {
            if let Value::Object(obj) = v
                && obj.contains_key("unit")
            {
                metrics.insert(tag.clone(), metric(path, tag, obj)?);
            }
        }
        let text_of = |key: &str| top.get(key).and_then(Value::as_str).map(str::to_owned);
        let run_info = top.get("run_info").filter(|v| v.is_object()).cloned();
        let cli_command = run_info
            .as_ref()
            .and_then(|r| r.get("cli_command"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(Self {
            path: path.to_owned(),
            metrics,
            tool_version: text_of("aiperf_version"),
            cli_command,
            input_config: top.get("input_config").filter(|v| v.is_object()).cloned(),
            run_info,
            client_health: top.get("client_health").filter(|v| v.is_object()).cloned(),
            error_attribution: top
                .get("error_attribution")
                .filter(|v| v.is_object())
                .cloned(),
            errors: error_summary(path, top.get("error_summary"))?,
            was_cancelled: top
                .get("was_cancelled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            start_time: text_of("start_time"),
            end_time: text_of("end_time"),
        })
    }

    /// `metric.stat` (e.g. `inter_token_latency`, `p50`), if present.
    #[must_use]
    pub fn get(&self, metric: &str, stat: &str) -> Option<f64> {
        self.metrics.get(metric)?.stats.get(stat).copied()
    }

    /// `metric.stat`, or an error naming this file and the field.
    ///
    /// # Errors
    /// [`ReportError::Field`] when the metric or the statistic is missing.
    pub fn require(&self, metric: &str, stat: &str) -> Result<f64, ReportError> {
        self.get(metric, stat).ok_or_else(|| {
            let problem = if self.metrics.contains_key(metric) {
                format!("has no `{stat}`")
            } else {
                "is missing (a non-streaming run has no per-token metrics)".to_owned()
            };
            ReportError::field(&self.path, format!("{metric}.{stat}"), problem)
        })
    }

    /// The concurrency of the profiling phase as echoed in `input_config.phases` (servebench and
    /// AIPerf 0.13), if any.
    #[must_use]
    pub fn configured_concurrency(&self) -> Option<u64> {
        let phases = self.input_config.as_ref()?.get("phases")?.as_array()?;
        phases
            .iter()
            .find(|p| p.get("kind").and_then(Value::as_str) == Some("profiling"))
            .or_else(|| phases.last())?
            .get("concurrency")?
            .as_u64()
    }

    /// The first model name of `input_config.models.items[].name`, if any.
    #[must_use]
    pub fn model(&self) -> Option<&str> {
        self.input_config
            .as_ref()?
            .get("models")?
            .get("items")?
            .as_array()?
            .first()?
            .get("name")?
            .as_str()
    }

    /// Output tokens per second: `output_token_throughput.avg`, or, when absent,
    /// `request_throughput.avg × output_sequence_length.avg` (the real token counts, never a
    /// fixed length).
    ///
    /// # Errors
    /// [`ReportError::Field`] naming `output_token_throughput.avg` when neither is available.
    pub fn output_tokens_per_second(&self) -> Result<f64, ReportError> {
        if let Some(v) = self.get("output_token_throughput", "avg") {
            return Ok(v);
        }
        match (
            self.get("request_throughput", "avg"),
            self.get("output_sequence_length", "avg"),
        ) {
            (Some(rps), Some(osl)) => Ok(rps * osl),
            _ => Err(ReportError::field(
                &self.path,
                "output_token_throughput.avg",
                "is missing, and so is request_throughput.avg or output_sequence_length.avg",
            )),
        }
    }
}

fn metric(path: &Path, tag: &str, obj: &Map<String, Value>) -> Result<MetricStats, ReportError> {
    let unit = match obj.get("unit") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(ReportError::field(
                path,
                format!("{tag}.unit"),
                "is not a string",
            ));
        }
    };
    let mut stats = BTreeMap::new();
    for (k, v) in obj {
        match v {
            Value::Number(n) => {
                let x = n.as_f64().ok_or_else(|| {
                    ReportError::field(path, format!("{tag}.{k}"), "is not a finite number")
                })?;
                stats.insert(k.clone(), x);
            }
            // AIPerf writes null for statistics it could not compute (e.g. `std` of `adj_*`);
            // keys other than the statistics are tolerated whatever they hold.
            _ if v.is_null() || !is_stat(k) => {}
            _ => {
                return Err(ReportError::field(
                    path,
                    format!("{tag}.{k}"),
                    "is not a number",
                ));
            }
        }
    }
    Ok(MetricStats { unit, stats })
}

/// Whether `key` names a statistic of a metric object (`avg`, `min`, `max`, `std`, `count`,
/// `sum`, `p<N>`).
fn is_stat(key: &str) -> bool {
    matches!(key, "avg" | "min" | "max" | "std" | "count" | "sum")
        || key
            .strip_prefix('p')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn error_summary(path: &Path, v: Option<&Value>) -> Result<Vec<ErrorCount>, ReportError> {
    let Some(v) = v else { return Ok(Vec::new()) };
    if v.is_null() {
        return Ok(Vec::new());
    }
    let Some(items) = v.as_array() else {
        return Err(ReportError::field(path, "error_summary", "is not a list"));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = |f: &str| format!("error_summary[{i}].{f}");
        let count = item
            .get("count")
            .and_then(Value::as_u64)
            .ok_or_else(|| ReportError::field(path, field("count"), "is not a whole number"))?;
        let details = item
            .get("error_details")
            .filter(|d| d.is_object())
            .ok_or_else(|| ReportError::field(path, field("error_details"), "is not an object"))?;
        let text = |k: &str| {
            details
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        out.push(ErrorCount {
            code: details.get("code").and_then(Value::as_i64),
            kind: text("type"),
            message: text("message"),
            count,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_tolerated_but_mistyped_statistics_are_not() {
        let p = Path::new("x.json");
        let ok = r#"{"m": {"unit": "ms", "avg": 1.5, "p99": 2, "std": null, "header": "M (ms)",
            "extra": {"nested": [1]}}, "telemetry_data": {"unit_less": true}, "warmup_metrics": {}}"#;
        let e = RunExport::parse(p, ok).expect("tolerant");
        assert_eq!(e.get("m", "avg"), Some(1.5));
        assert_eq!(e.get("m", "p99"), Some(2.0));
        assert_eq!(e.get("m", "std"), None);
        assert_eq!(e.metrics.len(), 1);
        let bad = r#"{"m": {"unit": "ms", "p50": "fast"}}"#;
        let err = RunExport::parse(p, bad).expect_err("mistyped");
        assert_eq!(err.to_string(), "x.json: field `m.p50`: is not a number");
        assert!(is_stat("p1") && is_stat("p999") && !is_stat("p") && !is_stat("px"));
    }
}
