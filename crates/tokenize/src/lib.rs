//! Tokenizers for servebench.
//!
//! Every servebench tool that counts tokens (the load generator counting ISL and OSL, the simulated
//! engine hashing prompt blocks, prompt synthesis producing exact lengths) goes through the
//! [`Tokenizer`] trait, so a prompt built by one tool has the same token ids in another.
//!
//! Two implementations:
//! - [`BuiltinTokenizer`]: compiled into every binary, needs no file and no network. It splits text
//!   into words and punctuation (see its docs for the exact rule) and has a fixed vocabulary of
//!   synthetic words, so synthetic prompts have exact token counts by construction. It is not the
//!   tokenizer of any real model: use it for offline runs and for the simulated engine.
//! - `HfTokenizer` (cargo feature `hf`): a Hugging Face `tokenizer.json` loaded from a local path,
//!   for counting tokens the way a real model server does.
//!
//! A [`TokenizerSpec`] names one as users do (`builtin`, a file or directory, or a Hugging Face
//! model id resolved offline through the local [`HubCache`]); [`load`] / [`load_with`] load it.
//! Cargo feature `chat-template` adds `ChatTemplate`, a model's `chat_template` rendered from its
//! `tokenizer_config.json`.
//!
//! The one main call: parse a spec as a user writes it, load it, count tokens.
//!
//! ```
//! use servebench_tokenize::{BuiltinTokenizer, TokenizerSpec, load};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let spec: TokenizerSpec = "builtin".parse()?;
//! let tokenizer = load(&spec)?;
//! assert_eq!(tokenizer.name(), "builtin");
//! // Words and punctuation are tokens of their own.
//! assert_eq!(tokenizer.count_tokens("Hello, world!"), 4);
//!
//! // The built-in tokenizer also makes texts of an exact length.
//! let text = BuiltinTokenizer::new().synthetic_text(0, 5);
//! assert_eq!(tokenizer.count_tokens(&text), 5);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod builtin;
#[cfg(feature = "chat-template")]
mod chat_template;
mod choice;
mod error;
#[cfg(feature = "hf")]
mod hf;
mod hub_cache;
mod spec;

pub use builtin::BuiltinTokenizer;
#[cfg(feature = "chat-template")]
pub use chat_template::{ChatMessage, ChatTemplate, config_beside};
pub use choice::{
    ChoiceError, ChosenTokenizer, TokenizerNotice, choose_tokenizer, is_placeholder_model,
};
pub use error::Error;
#[cfg(feature = "hf")]
pub use hf::HfTokenizer;
pub use hub_cache::{DEFAULT_REVISION, HubCache, HubLookup, is_repo_id};
pub use spec::{LoadOptions, SharedTokenizer, TokenizerSpec, load, load_with, tokenizer_file};

/// A tokenizer: text to token ids and back.
///
/// Implementations are cheap to share (`Arc<dyn Tokenizer>`) and safe to call from many threads.
pub trait Tokenizer: Send + Sync + std::fmt::Debug {
    /// A short name for logs and exports (`builtin`, or the file path of a Hugging Face tokenizer).
    fn name(&self) -> &str;

    /// Token ids of `text`, without special tokens.
    fn encode(&self, text: &str) -> Vec<u32>;

    /// Number of tokens in `text`, without special tokens.
    fn count_tokens(&self, text: &str) -> usize {
        self.encode(text).len()
    }

    /// Text of `ids`. Exact for ids that [`Tokenizer::encode`] can produce from ordinary text; see
    /// each implementation for ids it cannot invert.
    fn decode(&self, ids: &[u32]) -> String;

    /// Number of ids in the vocabulary (ids `0..vocab_size` decode to text).
    fn vocab_size(&self) -> u32;
}
