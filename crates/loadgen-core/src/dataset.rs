//! Datasets: the prompts a run sends.

use std::sync::Arc;

/// One prompt of a dataset: the text sent and what the request asks for.
///
/// Only `prompt`, `input_tokens` and `max_output_tokens` are needed for a text request; the other
/// fields default to empty (build entries with `..DatasetEntry::default()`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetEntry {
    /// The prompt text (the user message for chat, the prompt for completions, the input for
    /// embeddings).
    pub prompt: String,
    /// Input length under the run's tokenizer: the tokens of `prompt` plus those of
    /// `system_prompt` and `user_context` when present (as AIPerf counts ISL).
    pub input_tokens: u64,
    /// Output length to request (`max_tokens`); `None` lets the server decide.
    pub max_output_tokens: Option<u64>,
    /// Images sent with the prompt (chat only): `http(s)://` URLs or `data:image/...;base64,`
    /// URIs. With images, the user message's content is a list of parts (the text, then one
    /// `image_url` part per image); without, a plain string.
    pub images: Vec<String>,
    /// A system message sent before the user message (chat only): AIPerf's
    /// `--shared-system-prompt-length` / `--system-prompt`.
    pub system_prompt: Option<Arc<str>>,
    /// A user message sent before the prompt (chat only): AIPerf's per-conversation
    /// `--user-context-prompt-length` context.
    pub user_context: Option<Arc<str>>,
}
