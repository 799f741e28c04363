//! The two trace benchmarks' runs: `real_data_benchmark.py` (a fixed-schedule replay of a
//! Mooncake trace, possibly synthesized first) and `agent_benchmark.py` (sessions of a trace run
//! turn by turn, `concurrency` sessions at once). Both write into `{output_dir}/aiperf_artifacts`.

use std::path::{Path, PathBuf};

use serde_json::Map;
use servebench_loadgen_core::CancelHandle;
use servebench_loadgen_core::bench::BenchLoad;
use servebench_loadgen_core::replay::DatasetType;

use crate::common::Common;
use crate::error::RouterBenchError;
use crate::point::{PointResult, run_point};

/// The artifact sub-directory both scripts use.
pub const ARTIFACTS_DIR: &str = "aiperf_artifacts";

/// One trace replay.
#[derive(Debug, Clone)]
pub struct TraceRun {
    /// Model, tokenizer, seed.
    pub common: Common,
    /// The trace to send.
    pub trace: PathBuf,
    /// Tokens per hash id (`--prompt-input-tokens-block-size`).
    pub block_size: u64,
    /// `--output-dir`; artifacts go to its `aiperf_artifacts`.
    pub output_dir: PathBuf,
    /// The servers' KV block size, for the theoretical reuse.
    pub reuse_block_size: u64,
}

/// `real_data_benchmark.py`'s run: `--custom-dataset-type mooncake_trace --fixed-schedule
/// --fixed-schedule-auto-offset` against `url`.
///
/// # Errors
/// A trace that cannot be loaded or a failed run.
pub async fn run_real_data(
    run: &TraceRun,
    url: String,
    cancel: CancelHandle,
) -> Result<PointResult, RouterBenchError> {
    let mut bench = base(run, url)?;
    bench.dataset.fixed_schedule = true;
    bench.dataset.schedule.auto_offset = true;
    run_point(bench, run.reuse_block_size, cancel).await
}

/// `agent_benchmark.py`'s run: the trace's sessions under `concurrency` concurrent sessions,
/// `request_count` requests (default: the trace's non-empty lines), no fixed schedule.
///
/// # Errors
/// A trace that cannot be loaded or a failed run.
pub async fn run_agent(
    run: &TraceRun,
    url: String,
    concurrency: usize,
    request_count: Option<u64>,
    cancel: CancelHandle,
) -> Result<PointResult, RouterBenchError> {
    if concurrency == 0 {
        return Err(RouterBenchError::invalid(
            "--concurrency",
            "must be at least 1",
        ));
    }
    let count = match request_count {
        Some(n) => n,
        None => crate::trace::count_lines(&run.trace)?,
    };
    if count == 0 {
        return Err(RouterBenchError::invalid(
            "--request-count",
            "must be at least 1",
        ));
    }
    let mut bench = base(run, url)?;
    bench.dataset.no_fixed_schedule = true;
    bench.load = BenchLoad::Concurrency(concurrency);
    bench.request_count = Some(count);
    run_point(bench, run.reuse_block_size, cancel).await
}

fn base(
    run: &TraceRun,
    url: String,
) -> Result<servebench_loadgen_core::bench::Benchmark, RouterBenchError> {
    let dir = artifacts_dir(&run.output_dir);
    let mut bench = run
        .common
        .benchmark(vec![url], Map::new(), dir, run.common.seed)?;
    bench.dataset.input_file = Some(run.trace.clone());
    bench.dataset.dataset_type = Some(DatasetType::MooncakeTrace);
    bench.dataset.block_size = run.block_size;
    Ok(bench)
}

/// `{output_dir}/aiperf_artifacts`.
pub fn artifacts_dir(output_dir: &Path) -> PathBuf {
    output_dir.join(ARTIFACTS_DIR)
}
