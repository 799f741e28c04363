//! Errors of the metrics crate.

use std::path::PathBuf;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A goodput threshold named a tag that is not in the catalogue.
    #[error("goodput: unknown metric tag `{tag}`")]
    UnknownGoodputMetric {
        /// The tag as given.
        tag: String,
    },
    /// A goodput threshold named a metric that has no single per-request value.
    #[error("goodput: `{tag}` has no single per-request value and cannot be an SLO")]
    NotPerRequestMetric {
        /// The tag as given.
        tag: String,
    },
    /// A goodput specification item was not `tag:value` with a finite number.
    #[error("goodput: malformed item `{item}`: {reason}")]
    MalformedGoodput {
        /// The offending item.
        item: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Writing an export file failed.
    #[error("failed to write {path}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing to a caller-supplied stream failed.
    #[error("failed to write {what}")]
    Io {
        /// Which export was being written.
        what: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
