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
    /// The file was read but is not valid JSON.
    #[error("tokenizer file {path} is not valid JSON: {message}")]
    Parse {
        /// The file that was asked for.
        path: PathBuf,
        /// What the tokenizer library reported.
        message: String,
    },
    /// The file is valid JSON but not a Hugging Face `tokenizer.json`.
    #[error("{path} is valid JSON but not a Hugging Face tokenizer.json: {message}")]
    NotATokenizer {
        /// The file that was asked for.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A Hugging Face model id that is neither a local path nor in the local Hugging Face cache
    /// (nothing is downloaded).
    #[error(
        "tokenizer `{name}` (revision {revision}) not found offline: looked for {}",
        list(.looked)
    )]
    NotFound {
        /// The model id.
        name: String,
        /// The revision looked for.
        revision: String,
        /// Every path checked, in order.
        looked: Vec<PathBuf>,
    },
    /// The `chat_template` of a `tokenizer_config.json` could not be used.
    #[error("chat template of {path}: {message}")]
    ChatTemplate {
        /// The `tokenizer_config.json`.
        path: PathBuf,
        /// What went wrong.
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

fn list(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}
