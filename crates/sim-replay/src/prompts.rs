//! Dataset entries as the token ids a simulated server would see.
//!
//! A Mooncake block prompt (`hash_ids`) becomes the token ids of its rendered text without
//! rendering or tokenizing anything ([`servebench_loadgen_core::replay::BlockPrompt::push_token_ids`]);
//! any other entry's text (prompt, chat messages, system prompt and user context, or a verbatim
//! payload's `prompt` / `messages`) is encoded with the run's tokenizer, as the mocker server
//! encodes what it receives.

use std::sync::Arc;

use serde_json::Value;
use servebench_loadgen_core::DatasetEntry;
use servebench_loadgen_core::replay::BlockText;
use servebench_tokenize::Tokenizer;

/// Turns entries into prompt token ids.
pub struct PromptTokens {
    tokenizer: Arc<dyn Tokenizer>,
    /// The word token ids of the last block renderer seen (a dataset has one).
    words: Option<(Arc<BlockText>, Vec<u32>)>,
}

impl std::fmt::Debug for PromptTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptTokens")
            .field("tokenizer", &self.tokenizer.name())
            .finish_non_exhaustive()
    }
}

impl PromptTokens {
    /// Encodes with `tokenizer` (the one the dataset was built with).
    pub fn new(tokenizer: Arc<dyn Tokenizer>) -> Self {
        Self {
            tokenizer,
            words: None,
        }
    }

    /// Appends the prompt token ids of `entry` to `out`.
    pub fn append(&mut self, entry: &DatasetEntry, out: &mut Vec<u32>) {
        let extras = entry.extras.as_deref();
        if let Some(blocks) = extras.and_then(|e| e.blocks.as_ref()) {
            let text = blocks.block_text();
            let stale = self
                .words
                .as_ref()
                .is_none_or(|(t, _)| !Arc::ptr_eq(t, text));
            if stale {
                let ids = text.word_token_ids(&*self.tokenizer);
                self.words = Some((Arc::clone(text), ids));
            }
            if let Some((_, ids)) = &self.words {
                blocks.push_token_ids(ids, out);
            }
            return;
        }
        let mut text = String::new();
        for part in [&entry.system_prompt, &entry.user_context]
            .into_iter()
            .flatten()
        {
            text.push_str(part);
            text.push('\n');
        }
        match extras {
            Some(e) if e.messages.is_some() => {
                push_message_texts(e.messages.as_deref().unwrap_or_default(), &mut text);
            }
            Some(e) if e.payload.is_some() => {
                if let Some(payload) = &e.payload {
                    match (payload.get("prompt"), payload.get("messages")) {
                        (Some(Value::String(p)), _) => text.push_str(p),
                        (_, Some(Value::Array(m))) => push_message_texts(m, &mut text),
                        _ => {}
                    }
                }
            }
            _ => text.push_str(&entry.prompt),
        }
        out.extend(self.tokenizer.encode(&text));
    }
}

/// The text contents of chat messages, one per line.
fn push_message_texts(messages: &[Value], text: &mut String) {
    for m in messages {
        match m.get("content") {
            Some(Value::String(s)) => {
                text.push_str(s);
                text.push('\n');
            }
            Some(Value::Array(parts)) => {
                for p in parts {
                    if let Some(Value::String(s)) = p.get("text") {
                        text.push_str(s);
                        text.push('\n');
                    }
                }
            }
            _ => {}
        }
    }
}
