use std::path::PathBuf;

/// Why a benchmark run could not be carried out or its results not written. Failed requests are
/// not errors: they are records, counted and exported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The artifact directory could not be created.
    #[error("failed to create artifact directory {path}: {source}")]
    ArtifactDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An export file could not be written.
    #[error("failed to write exports: {0}")]
    Export(#[from] servebench_metrics::Error),
    /// The run configuration was rejected before anything was sent.
    #[error(transparent)]
    Run(#[from] crate::Error),
    /// A request body could not be serialised for `inputs.json`.
    #[error("failed to serialise a request body: {0}")]
    Body(#[from] serde_json::Error),
    /// The record-processing thread could not be started or died.
    #[error("record-processing thread failed: {0}")]
    Processor(String),
}
