//! One benchmark point: run a [`Benchmark`], then read back what the original scripts read (the
//! `profile_export_aiperf.json` percentiles) and what servebench adds (theoretical and achieved
//! prefix reuse).

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use servebench_loadgen_core::CancelHandle;
use servebench_loadgen_core::bench::{Benchmark, run_benchmark};

use crate::error::RouterBenchError;
use crate::reuse::{
    AchievedReuse, TheoreticalReuse, sent_prompts, sent_requests, theoretical_reuse,
};

/// AIPerf's summary export, which every router script reads.
pub const AIPERF_JSON: &str = "profile_export_aiperf.json";
/// AIPerf's per-request export.
pub const RECORDS_JSONL: &str = "profile_export.jsonl";

/// The figures of one run that the benchmarks report, from `profile_export_aiperf.json`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct RunStats {
    /// TTFT 25th percentile, ms.
    pub ttft_p25: f64,
    /// TTFT median, ms.
    pub ttft_p50: f64,
    /// TTFT 75th percentile, ms.
    pub ttft_p75: f64,
    /// TTFT 90th percentile, ms.
    pub ttft_p90: f64,
    /// TTFT mean, ms.
    pub ttft_avg: f64,
    /// Inter-token latency 25th percentile, ms.
    pub itl_p25: f64,
    /// Inter-token latency median, ms.
    pub itl_p50: f64,
    /// Inter-token latency 75th percentile, ms.
    pub itl_p75: f64,
    /// Output tokens per second over the run.
    pub output_token_throughput: f64,
    /// Requests per second over the run.
    pub request_throughput: f64,
    /// Successful requests.
    pub request_count: f64,
    /// Failed requests.
    pub error_count: f64,
}

impl RunStats {
    /// Reads the figures from an AIPerf-format summary; missing metrics read as 0 (AIPerf omits
    /// e.g. ITL when every output is one token).
    ///
    /// # Errors
    /// An unreadable file or one that is not a JSON object.
    pub fn read(path: &Path) -> Result<Self, RouterBenchError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| RouterBenchError::io(path, "cannot read", e))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| RouterBenchError::Parse {
            path: path.to_owned(),
            line: e.line(),
            message: e.to_string(),
        })?;
        if !v.is_object() {
            return Err(RouterBenchError::Parse {
                path: path.to_owned(),
                line: 1,
                message: "not a JSON object".into(),
            });
        }
        let m = |metric: &str, stat: &str| {
            v.get(metric)
                .and_then(|x| x.get(stat))
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
        };
        Ok(Self {
            ttft_p25: m("time_to_first_token", "p25"),
            ttft_p50: m("time_to_first_token", "p50"),
            ttft_p75: m("time_to_first_token", "p75"),
            ttft_p90: m("time_to_first_token", "p90"),
            ttft_avg: m("time_to_first_token", "avg"),
            itl_p25: m("inter_token_latency", "p25"),
            itl_p50: m("inter_token_latency", "p50"),
            itl_p75: m("inter_token_latency", "p75"),
            output_token_throughput: m("output_token_throughput", "avg"),
            request_throughput: m("request_throughput", "avg"),
            request_count: m("request_count", "avg"),
            error_count: m("error_request_count", "avg"),
        })
    }
}

/// What one run produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointResult {
    /// Where its exports are.
    pub artifact_dir: PathBuf,
    /// Its figures.
    pub stats: RunStats,
    /// Theoretical reuse of the requests it sent (`None` when it could not be computed).
    pub theoretical: Option<TheoreticalReuse>,
    /// Reuse the server reported (`None` when the server reports no prefix-cache counters).
    pub achieved: Option<AchievedReuse>,
}

/// Runs `bench`, then computes the reuse of what it sent with blocks of `reuse_block_size`
/// tokens (the server's KV block size).
///
/// # Errors
/// [`RouterBenchError::Bench`] when the run fails; unreadable exports.
pub async fn run_point(
    bench: Benchmark,
    reuse_block_size: u64,
    cancel: CancelHandle,
) -> Result<PointResult, RouterBenchError> {
    let dir = bench.artifact_dir.clone();
    let tokenizer = bench.tokenizer.clone();
    let done = run_benchmark(bench, cancel)
        .await
        .map_err(|source| RouterBenchError::Bench {
            dir: dir.clone(),
            source: Box::new(source),
        })?;
    let artifact_dir = done.outcome.artifact_dir.clone();
    let stats = RunStats::read(&artifact_dir.join(AIPERF_JSON))?;
    let sent = sent_requests(&artifact_dir.join(RECORDS_JSONL))?;
    let prompts = sent_prompts(&sent, &done.entries, &*tokenizer);
    let theoretical = if prompts.is_empty() {
        None
    } else {
        Some(theoretical_reuse(&prompts, reuse_block_size)?)
    };
    let achieved = done
        .server_metrics
        .as_ref()
        .and_then(AchievedReuse::from_scrape);
    Ok(PointResult {
        artifact_dir,
        stats,
        theoretical,
        achieved,
    })
}

/// `"12.3%"`, or `"n/a"`.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |r| format!("{:.1}%", r * 100.0))
}
