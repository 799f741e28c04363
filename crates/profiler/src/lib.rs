//! Endpoint profiling in the manner of Dynamo's SLA profiler (`profile_endpoint`,
//! `profile_sla`): what `profile-endpoint` and `profile-sla` compose.
//!
//! - [`measure`]: one measurement with the aiperf flags the profiler uses — prefill TTFT at one
//!   ISL (OSL 5, concurrency 1), decode ITL and throughput at one (ISL, concurrency), after a
//!   warm-up run with the same seed — run in-process through
//!   [`servebench_loadgen_core::bench::run_benchmark`];
//! - [`sweep`]: the interpolation sweeps over the grids of [`servebench_profiler_fit::sweeps`];
//! - [`data`]: the results and their file forms, `raw_data.npz` (NumPy format, the original's
//!   array names and dtypes) and `prefill_raw_data.json` / `decode_raw_data.json`;
//! - [`plots`]: the four interpolation plots as PNG bytes;
//! - [`sla`]: candidate configurations measured at the target ISL/OSL, the SLA selection, the
//!   performance and cost plots and the summary.
//!
//! The crate writes only benchmark artifacts (through loadgen-core); the binaries write the
//! profile files it returns as bytes.
#![warn(missing_docs)]

pub mod data;
pub mod error;
pub mod measure;
pub mod plots;
pub mod sla;
pub mod sweep;

pub use error::ProfilerError;
