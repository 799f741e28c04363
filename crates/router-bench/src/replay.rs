//! The two trace benchmarks' runs: `real_data_benchmark.py` (a fixed-schedule replay of a
//! Mooncake trace, possibly synthesized first) and `agent_benchmark.py` (sessions of a trace run
//! turn by turn, `concurrency` sessions at once). Both write into `{output_dir}/aiperf_artifacts`;
//! [`run_trace_comparison`] runs either under several router modes of the embedded cluster.

use std::path::{Path, PathBuf};

use serde_json::Map;
use servebench_loadgen_core::CancelHandle;
use servebench_loadgen_core::bench::BenchLoad;
use servebench_loadgen_core::replay::DatasetType;

use crate::cluster::{Cluster, ClusterConfig, RouterChoice};
use crate::common::Common;
use crate::compare::{self, COMPARISON_CSV, COMPARISON_JSON, COMPARISON_PNG, Row, describe_run};
use crate::error::RouterBenchError;
use crate::point::{PointResult, run_point};
use crate::summary::{save, write};

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

/// Which trace benchmark a comparison runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceKind {
    /// [`run_real_data`]: the trace on its fixed schedule.
    RealData,
    /// [`run_agent`]: the trace's sessions, `concurrency` at once.
    Agent {
        /// Concurrent sessions.
        concurrency: usize,
        /// Requests to send (default: the trace's non-empty lines).
        request_count: Option<u64>,
    },
}

/// One router mode's run of a trace comparison.
#[derive(Debug, Clone)]
pub struct ModeRun {
    /// The router mode.
    pub router: RouterChoice,
    /// Its run.
    pub point: PointResult,
}

impl ModeRun {
    /// The run as a row of the comparison table.
    pub fn row(&self) -> Row {
        Row {
            router: Some(self.router),
            prefix_ratio: None,
            seed: None,
            stats: self.point.stats,
            theoretical: self.point.theoretical,
            achieved: self.point.achieved.clone(),
            artifact_dirs: vec![self.point.artifact_dir.clone()],
        }
    }
}

/// `--compare-routers` for the trace benchmarks: the same trace under each router mode, each on a
/// fresh embedded cluster (`cluster` with that mode), its artifacts in
/// `{output_dir}/{mode}/aiperf_artifacts`. Calls `log` with one line per run as it finishes; a
/// failed run is reported there and left out.
///
/// # Errors
/// No router mode given, a cluster that cannot start, or no run succeeding.
pub async fn run_trace_comparison(
    run: &TraceRun,
    kind: TraceKind,
    cluster: &ClusterConfig,
    routers: &[RouterChoice],
    cancel: &CancelHandle,
    log: &mut (dyn FnMut(&str) + Send),
) -> Result<Vec<ModeRun>, RouterBenchError> {
    if routers.is_empty() {
        return Err(RouterBenchError::invalid(
            "--compare-routers",
            "give at least one mode",
        ));
    }
    let mut out = Vec::new();
    for &router in routers {
        if cancel.is_cancelled() {
            break;
        }
        let embedded = Cluster::start(&cluster.with_router(router), run.common.tokenizer.clone())?;
        let mode_run = TraceRun {
            output_dir: run.output_dir.join(router.name()),
            reuse_block_size: u64::from(cluster.block_size),
            ..run.clone()
        };
        let url = embedded.url().to_owned();
        let result = match kind {
            TraceKind::RealData => run_real_data(&mode_run, url, cancel.clone()).await,
            TraceKind::Agent {
                concurrency,
                request_count,
            } => run_agent(&mode_run, url, concurrency, request_count, cancel.clone()).await,
        };
        drop(embedded);
        match result {
            Ok(point) => {
                log(&describe_run(
                    Some(router),
                    &point.stats,
                    point.theoretical,
                    point.achieved.as_ref(),
                ));
                out.push(ModeRun { router, point });
            }
            Err(e) => log(&format!(
                "[{}] failed: {}",
                router.name(),
                crate::prefix_ratio::chain(&e)
            )),
        }
    }
    if out.is_empty() {
        return Err(RouterBenchError::NothingSucceeded);
    }
    Ok(out)
}

/// Writes `router_comparison.{csv,json,png}` of a trace comparison into `output_dir`; returns
/// the files written (no PNG when there is nothing measurable to draw).
///
/// # Errors
/// A file that cannot be written or a plot that cannot be drawn.
pub fn write_trace_comparison(
    output_dir: &Path,
    title: &str,
    runs: &[ModeRun],
) -> Result<Vec<PathBuf>, RouterBenchError> {
    let rows: Vec<Row> = runs.iter().map(ModeRun::row).collect();
    let mut written = Vec::new();
    let csv = output_dir.join(COMPARISON_CSV);
    write(&csv, compare::csv(&rows).as_bytes())?;
    written.push(csv);
    let json = output_dir.join(COMPARISON_JSON);
    let text = serde_json::to_string_pretty(&compare::json(&rows)).unwrap_or_default();
    write(&json, text.as_bytes())?;
    written.push(json);
    let measurable = rows
        .iter()
        .any(|r| r.stats.ttft_p50 > 0.0 || r.stats.output_token_throughput > 0.0);
    let png = output_dir.join(COMPARISON_PNG);
    if measurable && save(&compare::points_figure(title, &rows), &png)? {
        written.push(png);
    }
    Ok(written)
}
