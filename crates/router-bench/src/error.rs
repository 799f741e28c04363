//! Why a router benchmark could not run.

use std::path::PathBuf;

use servebench_loadgen_core::bench::BenchError;

/// Errors of the router benchmarks. Messages name the flag or file at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RouterBenchError {
    /// A setting is out of range.
    #[error("{flag}: {reason}")]
    Invalid {
        /// The flag (or setting) at fault.
        flag: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The embedded cluster could not start.
    #[error("failed to start the embedded cluster")]
    Cluster(#[source] Box<servebench_mocker::SimulatedServerError>),
    /// A benchmark run failed.
    #[error("benchmark {} failed", dir.display())]
    Bench {
        /// Its artifact directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: Box<BenchError>,
    },
    /// A file could not be read or written.
    #[error("{}: {what}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file's content is not what it should be (`file:line: field ...`).
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when the whole file is at fault).
        line: usize,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A trace could not be read or synthesized.
    #[error("{context}")]
    Trace {
        /// What was being done, with the file.
        context: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A plot could not be drawn.
    #[error("cannot draw {}", path.display())]
    Plot {
        /// The image file.
        path: PathBuf,
        /// Why.
        #[source]
        source: servebench_viz::VizError,
    },
    /// Every run of a sweep failed.
    #[error("no benchmark run succeeded; see the messages above")]
    NothingSucceeded,
}

impl RouterBenchError {
    /// An out-of-range setting.
    pub fn invalid(flag: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            flag,
            reason: reason.into(),
        }
    }

    pub(crate) fn io(path: &std::path::Path, what: &'static str, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            what,
            source,
        }
    }
}
