//! AIPerf (and GenAI-Perf) flags that do not apply to servebench, accepted so that existing
//! `aiperf profile` command lines run unchanged. Each one given is reported by a one-line notice
//! saying why it has no effect; none changes what is measured.

use anyhow::{Context, bail};
use clap::Args;

/// Flags accepted for compatibility and ignored.
#[derive(Debug, Default, Args)]
pub(crate) struct IgnoredFlags {
    /// AIPerf: disable GPU telemetry (servebench collects none).
    #[arg(long, hide = true)]
    pub(crate) no_gpu_telemetry: bool,

    /// AIPerf: GPU telemetry mode or DCGM URLs (servebench collects none).
    #[arg(long, num_args = 0.., hide = true)]
    pub(crate) gpu_telemetry: Option<Vec<String>>,

    /// AIPerf: worker processes (loadgen is one process with one async runtime).
    #[arg(long, alias = "max-workers", hide = true)]
    pub(crate) workers_max: Option<String>,

    /// AIPerf: record-processor processes (loadgen processes records in one thread).
    #[arg(long, hide = true)]
    pub(crate) record_processors: Option<String>,

    /// AIPerf: ZeroMQ host between its services (loadgen has no services).
    #[arg(long, hide = true)]
    pub(crate) zmq_host: Option<String>,

    /// AIPerf: ZeroMQ IPC path (loadgen has no services).
    #[arg(long, hide = true)]
    pub(crate) zmq_ipc_path: Option<String>,

    /// AIPerf: export level (loadgen always writes the summary and per-record exports).
    #[arg(long, hide = true)]
    pub(crate) export_level: Option<String>,

    /// AIPerf: trust remote code when loading a tokenizer (loadgen runs no Python code).
    #[arg(long, hide = true)]
    pub(crate) tokenizer_trust_remote_code: bool,

    /// GenAI-Perf: thread count (loadgen is asynchronous).
    #[arg(long, hide = true)]
    pub(crate) max_threads: Option<String>,

    /// GenAI-Perf: service kind (loadgen speaks the OpenAI API only).
    #[arg(long, hide = true)]
    pub(crate) service_kind: Option<String>,

    /// AIPerf: server-metrics export formats (loadgen writes JSON and CSV).
    #[arg(long, num_args = 1.., hide = true)]
    pub(crate) server_metrics_formats: Option<Vec<String>>,

    /// AIPerf: plot after the run (use `aiperf plot` on the exports).
    #[arg(long, hide = true)]
    pub(crate) auto_plot: bool,
}

impl IgnoredFlags {
    /// One notice per ignored flag that was given.
    pub(crate) fn notices(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut note = |given: bool, flag: &str, why: &str| {
            if given {
                out.push(format!("loadgen: note: {flag} ignored: {why}"));
            }
        };
        note(
            self.no_gpu_telemetry || self.gpu_telemetry.is_some(),
            if self.no_gpu_telemetry {
                "--no-gpu-telemetry"
            } else {
                "--gpu-telemetry"
            },
            "servebench collects no GPU telemetry",
        );
        note(
            self.workers_max.is_some(),
            "--workers-max",
            "loadgen runs one process with one async runtime",
        );
        note(
            self.record_processors.is_some(),
            "--record-processors",
            "loadgen processes records in one thread",
        );
        note(
            self.zmq_host.is_some(),
            "--zmq-host",
            "loadgen has no services to connect",
        );
        note(
            self.zmq_ipc_path.is_some(),
            "--zmq-ipc-path",
            "loadgen has no services to connect",
        );
        note(
            self.export_level.is_some(),
            "--export-level",
            "loadgen always writes the summary and per-record exports",
        );
        note(
            self.tokenizer_trust_remote_code,
            "--tokenizer-trust-remote-code",
            "loadgen reads tokenizer.json files and runs no model code",
        );
        note(
            self.max_threads.is_some(),
            "--max-threads",
            "loadgen is asynchronous, not thread-per-request",
        );
        note(
            self.service_kind.is_some(),
            "--service-kind",
            "loadgen speaks the OpenAI-compatible API",
        );
        note(
            self.server_metrics_formats.is_some(),
            "--server-metrics-formats",
            "loadgen writes server_metrics_export.json and .csv",
        );
        note(
            self.auto_plot,
            "--auto-plot",
            "run `aiperf plot` on the artifact directory",
        );
        out
    }
}

/// Expands `-H` values: `Name:Value`, or AIPerf's JSON object form `{"Name": "Value", ...}`
/// (several headers in one value), into `Name:Value` strings.
///
/// # Errors
/// A JSON value that is not an object of strings.
pub(crate) fn expand_headers(values: &[String]) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::with_capacity(values.len());
    for value in values {
        let trimmed = value.trim_start();
        if !trimmed.starts_with('{') {
            out.push(value.clone());
            continue;
        }
        let parsed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(trimmed)
            .with_context(|| {
                format!("-H {value:?}: not a JSON object of header names to values")
            })?;
        for (name, v) in parsed {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => bail!("-H {value:?}: header {name:?} must have a string value"),
            };
            out.push(format!("{name}:{text}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_headers_expand_and_plain_ones_pass_through() {
        let got = expand_headers(&[
            "Accept: text/event-stream".to_owned(),
            r#"{"Authorization": "Bearer NOT USED", "X-N": 3}"#.to_owned(),
        ])
        .unwrap();
        assert_eq!(
            got,
            [
                "Accept: text/event-stream",
                "Authorization:Bearer NOT USED",
                "X-N:3"
            ]
        );
        let err = expand_headers(&[r#"{"A": [1]}"#.to_owned()]).unwrap_err();
        assert!(err.to_string().contains("\"A\""), "{err}");
        assert!(expand_headers(&["{not json".to_owned()]).is_err());
    }
}
