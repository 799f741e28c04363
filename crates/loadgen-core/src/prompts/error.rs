//! Errors of prompt synthesis.

/// Why a synthetic dataset could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthesisError {
    /// A setting is out of range or inconsistent with another one.
    #[error("invalid synthetic dataset setting {field}: {reason}")]
    InvalidConfig {
        /// The setting, named as its command-line flag (`--isl`, `--prefix-prompt-length`, ...).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No text with exactly the wanted number of tokens was found. This happens only with
    /// tokenizers whose counts jump by more than one token when a character is appended, for
    /// every one of the random texts tried.
    #[error(
        "could not build a text of exactly {tokens} tokens with tokenizer {tokenizer} after \
         {attempts} attempts"
    )]
    LengthUnreachable {
        /// The wanted length.
        tokens: u64,
        /// The tokenizer's name.
        tokenizer: String,
        /// How many random texts were tried.
        attempts: usize,
    },
}
