use std::path::PathBuf;

/// Why a benchmark run could not be carried out or its results not written. Failed requests are
/// not errors: they are records, counted and exported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The artifact directory could not be created.
    #[error("failed to create artifact directory {path}")]
    ArtifactDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An export file could not be written.
    #[error("failed to write exports")]
    Export(#[from] servebench_metrics::Error),
    /// The summary exports (`profile_export_aiperf.json` / `.csv`) could not be written after
    /// the run: the requests were sent, only their report is missing.
    #[error("failed to write the summary exports after the run")]
    Summary(#[source] servebench_metrics::Error),
    /// The run configuration was rejected before anything was sent.
    #[error(transparent)]
    Run(#[from] crate::RunConfigError),
    /// The record-processing thread could not be started or died.
    #[error("record-processing thread failed: {0}")]
    Processor(String),
}

impl ProfileError {
    /// True for a failure to write an export after the requests were sent (the run itself
    /// happened); false for one that stopped the run before it started.
    pub fn is_after_run(&self) -> bool {
        matches!(self, Self::Summary(_))
    }
}
