//! Datasets: the prompts a run sends.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::replay::BlockPrompt;

/// One prompt of a dataset: the text sent and what the request asks for.
///
/// Synthetic prompts use the first three fields only; entries read from dataset and trace files
/// (see [`crate::replay`]) may also carry [`EntryExtras`]; synthetic image and system-prompt
/// options fill `images`, `system_prompt` and `user_context`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DatasetEntry {
    /// The prompt text (the user message for chat, the prompt for completions, the input for
    /// embeddings). Empty for a prompt rendered from blocks at send time (see
    /// [`EntryExtras::blocks`]).
    pub prompt: String,
    /// Input length under the run's tokenizer: the tokens of `prompt` plus those of
    /// `system_prompt` and `user_context` when present (as AIPerf counts ISL).
    pub input_tokens: u64,
    /// Output length to request (`max_tokens`); `None` lets the server decide.
    pub max_output_tokens: Option<u64>,
    /// Content, timing and session details of entries read from files; `None` for a plain prompt.
    pub extras: Option<Arc<EntryExtras>>,
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

/// What an entry read from a dataset or trace file may carry besides its prompt text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntryExtras {
    /// A whole request body sent verbatim (`inputs_json`, a trace's `payload`).
    pub payload: Option<Value>,
    /// Chat messages sent verbatim instead of one user message (a trace's `messages`).
    pub messages: Option<Vec<Value>>,
    /// Extra body fields of this entry (a file's `extra`), merged into the body last.
    pub extra: Option<Map<String, Value>>,
    /// A prompt made of token blocks (Mooncake `hash_ids`), rendered when the body is built.
    pub blocks: Option<BlockPrompt>,
    /// Send time from the start of the trace (fixed-schedule replay).
    pub timestamp: Option<Duration>,
    /// Wait before sending, after the previous turn of the session completed.
    pub delay: Option<Duration>,
    /// Session (conversation) this entry is a turn of, with its turn number.
    pub session: Option<SessionTurn>,
}

/// Where an entry sits in a multi-turn session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTurn {
    /// Dense session number (0-based, in file order).
    pub session: u64,
    /// The session's id as the file names it (or `session_NNNNNN`).
    pub session_id: String,
    /// Turn number within the session (0-based).
    pub turn: u32,
}

impl DatasetEntry {
    /// A plain prompt entry.
    pub fn new(prompt: String, input_tokens: u64, max_output_tokens: Option<u64>) -> Self {
        Self {
            prompt,
            input_tokens,
            max_output_tokens,
            ..Self::default()
        }
    }

    /// The prompt text: `prompt`, or the rendered block prompt.
    pub fn prompt_text(&self) -> std::borrow::Cow<'_, str> {
        match self.extras.as_deref().and_then(|e| e.blocks.as_ref()) {
            Some(blocks) => std::borrow::Cow::Owned(blocks.render()),
            None => std::borrow::Cow::Borrowed(&self.prompt),
        }
    }

    /// Whether the body must be built at send time (a block prompt, too large to keep rendered).
    pub fn renders_lazily(&self) -> bool {
        self.extras.as_deref().is_some_and(|e| e.blocks.is_some())
    }

    /// The session turn this entry is, if any.
    pub fn session(&self) -> Option<&SessionTurn> {
        self.extras.as_deref().and_then(|e| e.session.as_ref())
    }

    /// The entry's trace timestamp, if any.
    pub fn timestamp(&self) -> Option<Duration> {
        self.extras.as_deref().and_then(|e| e.timestamp)
    }

    /// The entry's delay after the previous turn, if any.
    pub fn delay(&self) -> Option<Duration> {
        self.extras.as_deref().and_then(|e| e.delay)
    }
}
