//! The crate's error type.

use std::path::PathBuf;

/// Why a sweep could not be planned or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// A setting is invalid (`setting` is its name in [`crate::SweepPlan`] /
    /// [`crate::DeploymentConfig`] terms).
    #[error("invalid {setting}: {message}")]
    Invalid {
        /// The setting.
        setting: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A directory or file could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file is not the JSON expected.
    #[error("{}:{line}: {field}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The line of the error (1 when unknown).
        line: usize,
        /// The key at fault (`-` for a syntax error).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// One point's benchmark could not run.
    #[error("the run at concurrency {concurrency} failed")]
    Bench {
        /// The point's concurrency.
        concurrency: u64,
        /// The cause.
        #[source]
        source: servebench_loadgen_core::bench::BenchError,
    },
}
