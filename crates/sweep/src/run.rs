//! Runs a planned sweep in-process, one [`run_benchmark`] per concurrency, and stops early when a
//! point cannot be trusted: a saturated client (its summary is set aside so plots leave it out),
//! an error rate above the limit, or a cancellation.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use servebench_loadgen_core::CancelHandle;
use servebench_loadgen_core::bench::{BenchOutcome, run_benchmark};
use servebench_loadgen_core::profile::SaturationThresholds;
use servebench_tokenize::Tokenizer;

use crate::SweepError;
use crate::plan::{PointPlan, SweepPlan};

/// The summary every plot tool looks for.
pub const SUMMARY_FILE: &str = "profile_export_aiperf.json";

/// What a saturated point's summary is renamed to, so recursive searches for
/// [`SUMMARY_FILE`] leave the point out (its other exports stay).
pub const SATURATED_SUMMARY_FILE: &str = "profile_export_aiperf.saturated.json";

/// How the points run (everything that is not the plan).
#[derive(Debug, Clone)]
pub struct SweepRun {
    /// Server base URLs (round-robin).
    pub urls: Vec<String>,
    /// Sizes the prompts and counts tokens.
    pub tokenizer: Arc<dyn Tokenizer>,
    /// Count this process's CPU as the client's (off when the server runs in-process).
    pub measure_process_cpu: bool,
    /// When the client counts as saturated.
    pub thresholds: SaturationThresholds,
    /// Stop after a point whose server-side error rate is above this percentage.
    pub max_error_rate_pct: f64,
    /// Stop at a saturated client (setting its summary aside); `false` keeps sweeping and
    /// leaves the saturated points' summaries where they are.
    pub stop_on_saturation: bool,
    /// Scrape the servers' `/metrics` this often during each point (`None`: never).
    pub server_metrics_every: Option<Duration>,
    /// The command line echoed in each run's `cli_command` (already redacted).
    pub cli_command: String,
}

/// A progress event.
#[derive(Debug)]
pub enum Progress<'a> {
    /// Point `index` (0-based) of `total` is starting.
    Starting {
        /// 0-based position.
        index: usize,
        /// Points in the sweep.
        total: usize,
        /// The point.
        point: &'a PointPlan,
    },
    /// A point finished (its exports are written).
    Finished {
        /// 0-based position.
        index: usize,
        /// Points in the sweep.
        total: usize,
        /// The point.
        point: &'a PointPlan,
        /// Its outcome.
        outcome: &'a BenchOutcome,
    },
}

/// Why the sweep ended.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepStop {
    /// Every point ran.
    Completed,
    /// The client was saturated at `concurrency`; the sweep stopped there.
    Saturated {
        /// The point's concurrency.
        concurrency: u64,
        /// The verdict's reasons.
        reasons: Vec<String>,
        /// Where the point's summary was moved (`None` if the rename failed).
        set_aside: Option<PathBuf>,
    },
    /// The server-side error rate at `concurrency` was above the limit.
    ErrorRate {
        /// The point's concurrency.
        concurrency: u64,
        /// Failed requests, percent.
        pct: f64,
        /// The most frequent error kinds, `count x kind`.
        top: Vec<String>,
    },
    /// Cancelled (the point running then wrote its exports with `was_cancelled: true`).
    Cancelled,
}

/// One finished point.
#[derive(Debug)]
pub struct PointResult {
    /// The plan.
    pub plan: PointPlan,
    /// What the run produced.
    pub outcome: BenchOutcome,
}

/// A finished sweep.
#[derive(Debug)]
pub struct SweepOutcome {
    /// The points that ran, in order.
    pub points: Vec<PointResult>,
    /// Why it ended.
    pub stop: SweepStop,
}

/// Runs `plan`'s points under `base` in order and writes `base/deployment_config.json` (when
/// the plan has one) at the end, also after an early stop, so plot tools can read the points
/// that did run.
///
/// # Errors
/// [`SweepError::Bench`] for a point that could not run (its concurrency named),
/// [`SweepError::Write`] when `deployment_config.json` cannot be written.
pub async fn run_sweep(
    plan: &SweepPlan,
    base: &Path,
    run: &SweepRun,
    cancel: CancelHandle,
    mut on_progress: impl FnMut(Progress<'_>),
) -> Result<SweepOutcome, SweepError> {
    let points = plan.points(base);
    let result = run_points(plan, &points, run, cancel, &mut on_progress).await;
    if let Some(deployment) = &plan.deployment {
        let written = deployment.write(base);
        // A run error is the one to report; a failed write after it is secondary.
        if result.is_ok() {
            written?;
        }
    }
    result
}

async fn run_points(
    plan: &SweepPlan,
    points: &[PointPlan],
    run: &SweepRun,
    cancel: CancelHandle,
    on_progress: &mut impl FnMut(Progress<'_>),
) -> Result<SweepOutcome, SweepError> {
    let endpoint = plan.endpoint()?;
    let total = points.len();
    let mut done = Vec::with_capacity(total);
    for (index, point) in points.iter().enumerate() {
        if cancel.is_cancelled() {
            return Ok(SweepOutcome {
                points: done,
                stop: SweepStop::Cancelled,
            });
        }
        on_progress(Progress::Starting {
            index,
            total,
            point,
        });
        let mut bench = plan.benchmark(
            point,
            run.urls.clone(),
            endpoint.clone(),
            Arc::clone(&run.tokenizer),
        );
        bench.measure_process_cpu = run.measure_process_cpu;
        bench.thresholds = run.thresholds;
        bench.server_metrics_every = run.server_metrics_every;
        bench.cli_command = run.cli_command.clone();
        let outcome = run_benchmark(bench, cancel.clone())
            .await
            .map_err(|source| SweepError::Bench {
                concurrency: point.concurrency,
                source,
            })?;
        on_progress(Progress::Finished {
            index,
            total,
            point,
            outcome: &outcome,
        });
        let stop = judge(point, &outcome, run);
        done.push(PointResult {
            plan: point.clone(),
            outcome,
        });
        if let Some(stop) = stop {
            return Ok(SweepOutcome { points: done, stop });
        }
    }
    Ok(SweepOutcome {
        points: done,
        stop: SweepStop::Completed,
    })
}

/// Whether the sweep must stop after `point`: the error rate first (a dead server also makes
/// the client look late), then the client's saturation.
fn judge(point: &PointPlan, outcome: &BenchOutcome, run: &SweepRun) -> Option<SweepStop> {
    let o = &outcome.outcome;
    if o.report.was_cancelled {
        return Some(SweepStop::Cancelled);
    }
    let rate = &o.error_rate;
    if rate.exceeds(run.max_error_rate_pct) {
        return Some(SweepStop::ErrorRate {
            concurrency: point.concurrency,
            pct: rate.server_error_pct(),
            top: rate
                .server_kinds
                .iter()
                .take(5)
                .map(|(kind, count)| format!("{count} x {kind}"))
                .collect(),
        });
    }
    if o.verdict.saturated && run.stop_on_saturation {
        return Some(SweepStop::Saturated {
            concurrency: point.concurrency,
            reasons: o.verdict.reasons.clone(),
            set_aside: set_aside(&o.artifact_dir),
        });
    }
    None
}

/// Renames a saturated point's summary to [`SATURATED_SUMMARY_FILE`].
fn set_aside(dir: &Path) -> Option<PathBuf> {
    let to = dir.join(SATURATED_SUMMARY_FILE);
    std::fs::rename(dir.join(SUMMARY_FILE), &to)
        .ok()
        .map(|()| to)
}
