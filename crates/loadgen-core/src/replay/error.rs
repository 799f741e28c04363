//! Why a dataset or trace file could not be turned into a dataset.

/// A dataset file that cannot be replayed, or a replay option that cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The file could not be read or a line is malformed (the message names `file:line: field`).
    #[error(transparent)]
    Format(#[from] servebench_trace_formats::Error),
    /// A record is well-formed but cannot be replayed.
    #[error("{source_name}:{line}: field `{field}`: {message}")]
    Record {
        /// The file.
        source_name: String,
        /// 1-based line number.
        line: u64,
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A file or directory could not be read.
    #[error("failed to read {path}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A whole-file JSON document (`inputs.json`) is malformed.
    #[error("{path}: {message}")]
    Document {
        /// The file.
        path: String,
        /// What is wrong (names the JSON path at fault).
        message: String,
    },
    /// The tokenizer cannot build block prompts.
    #[error("tokenizer {tokenizer} cannot build block prompts: {message}")]
    Tokenizer {
        /// The tokenizer's name.
        tokenizer: String,
        /// Why.
        message: String,
    },
    /// An option value that cannot be used.
    #[error("invalid {what}: {message}")]
    Invalid {
        /// The flag or setting.
        what: &'static str,
        /// Why.
        message: String,
    },
    /// The file holds no usable entry.
    #[error("{path}: no entries")]
    Empty {
        /// The file.
        path: String,
    },
}
