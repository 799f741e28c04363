//! The runner: load modes driving requests, stop conditions, cancellation, client health.

mod cancel;
mod config;
mod context;
mod health;
mod issuers;
mod phase;
mod run;
mod sessions;
mod timer;
mod variation;

pub use cancel::CancelHandle;
pub use config::{ConnectionReuse, LoadMode, RunConfig, RunProgress, StopCondition};
pub use context::PhaseSummary;
pub use health::{ClientHealth, LagHistogram, LagStats};
pub use run::{RunReport, check_run, run};
pub use variation::{ModelChoice, ModelStrategy, RequestCancellation};
