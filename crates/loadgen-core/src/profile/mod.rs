//! A whole benchmark run: dataset export, the runner, the record-processing thread, the
//! client-saturation verdict and AIPerf-format exports. This is what `loadgen` runs, and what
//! later tools (sweeps, router benchmarks) compose.

mod artifacts;
mod cpu;
mod echo;
mod error;
mod error_rate;
mod processor;
mod progress;
mod replay_lag;
mod run;
mod verdict;

pub use artifacts::default_artifact_dir;
pub use cpu::process_cpu_time;
pub(crate) use echo::synthetic_dataset_echo;
pub use echo::{DatasetEcho, InputEcho, LoadEcho, benchmark_id, input_config, run_info};
pub use error::ProfileError;
pub use error_rate::{DEFAULT_MAX_ERROR_RATE_PCT, ErrorRate};
pub use progress::{LiveProgress, ProgressSnapshot};
pub use run::{ProfileConfig, ProfileOutcome, profile};
pub use verdict::{ClientVerdict, SaturationThresholds};
