//! Errors of the server's library entry points.

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The listening socket could not be bound.
    #[error("failed to bind {host}:{port}: {source}")]
    Bind {
        /// Host that was asked for.
        host: String,
        /// Port that was asked for.
        port: u16,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The tokenizer could not be loaded.
    #[error("failed to load the server tokenizer: {0}")]
    Tokenizer(#[from] servebench_tokenize::Error),
    /// A setting is out of range.
    #[error("invalid server configuration: `{field}`: {reason}")]
    Config {
        /// The offending setting (a [`crate::ServerConfig`] field, `faults.` ones prefixed).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}
