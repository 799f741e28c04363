use std::path::PathBuf;

/// Errors from loading a tokenizer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The tokenizer file does not exist or cannot be read.
    #[error("failed to read tokenizer file {path}")]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not a valid Hugging Face `tokenizer.json`.
    #[error("failed to parse tokenizer file {path}: {message}")]
    Parse {
        /// The file that was asked for.
        path: PathBuf,
        /// What the tokenizer library reported.
        message: String,
    },
    /// A tokenizer file was given but this build has no Hugging Face support.
    #[error(
        "cannot load tokenizer file {path}: this build has no Hugging Face tokenizer support \
         (rebuild with the `hf` feature of servebench-tokenize)"
    )]
    HfSupportDisabled {
        /// The file that was asked for.
        path: PathBuf,
    },
}
