//! Errors of a profiling run.

use std::path::PathBuf;

/// Why a profile could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfilerError {
    /// A sweep setting is out of range (names the setting).
    #[error("invalid {setting}: {reason}")]
    Invalid {
        /// The setting (its flag name).
        setting: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// One benchmark could not run.
    #[error("benchmark into {dir} failed")]
    Benchmark {
        /// Its artifact directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: Box<servebench_loadgen_core::bench::BenchError>,
    },
    /// Interpolation or fitting of the results failed.
    #[error("{what}")]
    Fit {
        /// What was being computed.
        what: String,
        /// Why.
        #[source]
        source: servebench_profiler_fit::Error,
    },
    /// A plot could not be drawn.
    #[error("cannot draw {file}")]
    Plot {
        /// The image file name.
        file: &'static str,
        /// Why.
        #[source]
        source: servebench_viz::VizError,
    },
    /// The run was cancelled.
    #[error("cancelled")]
    Cancelled,
}
