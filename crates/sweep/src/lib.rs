//! Concurrency sweeps as Dynamo's `benchmarks/llm/perf.sh` and the later `benchmarks/utils`
//! wrapper run them, in-process: the deployment's parallelism bookkeeping and
//! `deployment_config.json` ([`deployment`]), the concurrency list and per-point request counts
//! ([`concurrency`]), the `artifacts_N/` and `<name>/c<C>/` layouts ([`layout`]), the points and
//! their benchmarks ([`plan`]) and the run that stops at a saturated client or a high error rate
//! ([`run`]). `perf-sweep` is this crate behind flags; plot tools read what it writes.
//!
//! ```no_run
//! use std::path::Path;
//! use std::sync::Arc;
//!
//! use servebench_loadgen_core::CancelHandle;
//! use servebench_loadgen_core::profile::SaturationThresholds;
//! use servebench_sweep::{
//!     DeploymentConfig, Flavour, Mode, Parallelism, SweepPlan, SweepRun, layout, run_sweep,
//! };
//! use servebench_tokenize::BuiltinTokenizer;
//!
//! # async fn example() -> Result<(), servebench_sweep::SweepError> {
//! let parallelism = Parallelism { tp: 4, dp: 2, ..Parallelism::default() };
//! parallelism.validate(Mode::Aggregated)?;
//! let plan = SweepPlan {
//!     model: "Qwen/Qwen3-0.6B".into(),
//!     isl: 3000,
//!     isl_stddev: 0.0,
//!     osl: 150,
//!     concurrencies: vec![1, 2, 4, 8],
//!     flavour: Flavour::PerfSh,
//!     deployment: Some(DeploymentConfig::new(
//!         "vllm_serve", "Qwen/Qwen3-0.6B", 3000, 150, parallelism, Mode::Aggregated,
//!     )),
//! };
//! let dir = layout::create_next(Path::new("artifacts_root"))?;
//! let run = SweepRun {
//!     urls: vec!["http://127.0.0.1:8000".into()],
//!     tokenizer: Arc::new(BuiltinTokenizer::new()),
//!     measure_process_cpu: true,
//!     thresholds: SaturationThresholds::default(),
//!     max_error_rate_pct: 5.0,
//!     stop_on_saturation: true,
//!     server_metrics_every: None,
//!     cli_command: String::new(),
//! };
//! let done = run_sweep(&plan, &dir.path, &run, CancelHandle::new(), |_| {}).await?;
//! println!("{} points, {:?}", done.points.len(), done.stop);
//! # Ok(())
//! # }
//! ```

pub mod concurrency;
pub mod deployment;
mod error;
pub mod layout;
pub mod plan;
pub mod run;

pub use deployment::{DEPLOYMENT_CONFIG_FILE, DeploymentConfig, Mode, Parallelism};
pub use error::SweepError;
pub use plan::{Flavour, PointPlan, SweepPlan};
pub use run::{Progress, SweepOutcome, SweepRun, SweepStop, run_sweep};
