//! The one error type of this crate.

use std::path::PathBuf;

/// Why artifacts could not be read or a report not written. Every variant names the file (and,
/// for content problems, the field) at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file or directory could not be read or written.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done ("cannot read", "cannot write", ...).
        action: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid JSON.
    #[error("{}:{line}:{column}: not valid JSON: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A field is missing or has the wrong type or value.
    #[error("{}: field `{field}`: {problem}", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// Dotted path of the field, e.g. `inter_token_latency.p50`.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A run's concurrency could not be told from its path nor its exported configuration.
    #[error(
        "{}: cannot tell the concurrency: no `c<N>` directory, no `-concurrency<N>` in the path \
         and no `input_config.phases[].concurrency` of the profiling phase",
        path.display()
    )]
    Concurrency {
        /// The `profile_export_aiperf.json` file.
        path: PathBuf,
    },
    /// The path names several different concurrencies (`plot_pareto.py` needs exactly one).
    #[error("{}: the path names several concurrencies ({found})", path.display())]
    AmbiguousConcurrency {
        /// The `profile_export_aiperf.json` file.
        path: PathBuf,
        /// The values found, comma-separated.
        found: String,
    },
    /// No run export was found where one was expected.
    #[error("{}: {what}", path.display())]
    NotFound {
        /// The directory searched.
        path: PathBuf,
        /// What was missing.
        what: String,
    },
    /// A plot could not be drawn.
    #[error("plot `{file}`: {source}")]
    Plot {
        /// Name of the plot file (or of the HTML section).
        file: String,
        /// The plotting error.
        #[source]
        source: servebench_viz::VizError,
    },
}

impl ReportError {
    pub(crate) fn io(path: &std::path::Path, action: &'static str, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            action,
            source,
        }
    }

    pub(crate) fn field(
        path: &std::path::Path,
        field: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Self::Field {
            path: path.to_owned(),
            field: field.into(),
            problem: problem.into(),
        }
    }
}
