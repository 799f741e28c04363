//! Errors of the simulated engine.

use std::path::PathBuf;

/// Why an engine or pool could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The timing file could not be read.
    #[error("failed to read timing file {path}")]
    TimingFileRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The timing file is not valid JSON of the expected shape.
    #[error("failed to parse timing file {path}")]
    TimingFileParse {
        /// The file.
        path: PathBuf,
        /// The parse error (it names the line and column).
        #[source]
        source: serde_json::Error,
    },
    /// A field of the timing file has an invalid value.
    #[error("invalid timing file {path}: field `{field}`: {reason}")]
    TimingFileField {
        /// The file.
        path: PathBuf,
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A profile-data `.npz` could not be decoded.
    #[error("failed to decode profile data {path}")]
    ProfileDecode {
        /// The file.
        path: PathBuf,
        /// What is wrong with it (names the archive entry).
        #[source]
        source: servebench_profiler_fit::npz::NpzError,
    },
    /// A profile-data directory lacks the prefill or decode data.
    #[error("{path} is not a profile directory: {reason}")]
    ProfileMissing {
        /// The directory.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// An engine setting is out of range.
    #[error("invalid engine configuration: `{field}`: {reason}")]
    Config {
        /// The offending setting.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A worker thread could not be started.
    #[error("failed to start engine worker thread {worker}")]
    Spawn {
        /// The worker index.
        worker: u32,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
