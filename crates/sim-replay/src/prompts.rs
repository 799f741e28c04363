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
use servebench_loadgen_core::replay::{BlockPrompt, BlockText};
use servebench_mocker::{BlockSize, HashedPrompt, chain_block_hash, id_block_hash};
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

    /// The word token ids of a block renderer (computed once per renderer).
    fn word_ids(&mut self, text: &Arc<BlockText>) -> &[u32] {
        let stale = self
            .words
            .as_ref()
            .is_none_or(|(t, _)| !Arc::ptr_eq(t, text));
        if stale {
            let ids = text.word_token_ids(&*self.tokenizer);
            self.words = Some((Arc::clone(text), ids));
        }
        self.words.as_ref().map_or(&[], |(_, ids)| ids.as_slice())
    }

    /// The prompt of a block entry (Mooncake `hash_ids`) hashed for engines of `block_size`
    /// without materialising its tokens, when the trace's block size is a multiple of it; `None`
    /// for other entries and sizes.
    ///
    /// Engine block `k` of trace block `j` holds the tokens `[k·b, (k+1)·b)` of content block
    /// `hash_ids[j]`, which the id fixes (a shorter last block holds the first tokens of the same
    /// content), so its local hash is [`id_block_hash`]`(hash_ids[j], k)`, chained as token
    /// hashes are: equal prompt prefixes get equal hashes, different ones different hashes. Only
    /// the partial last engine block is materialised (its tokens are hashed with the generated
    /// ones). The hash values differ from the tokens' ([`HashedPrompt::from_tokens`]), so a
    /// run uses one or the other for every prompt that can share blocks (`sim.rs` keeps session
    /// turns, whose histories are tokens, on tokens).
    pub fn hashed_blocks(
        &mut self,
        entry: &DatasetEntry,
        block_size: BlockSize,
    ) -> Option<HashedPrompt> {
        let blocks = entry.extras.as_deref()?.blocks.as_ref()?;
        let trace_block = blocks.block_text().block_size();
        let engine_block = u64::from(block_size.get());
        if trace_block == 0 || !trace_block.is_multiple_of(engine_block) {
            return None;
        }
        let ids = self.word_ids(blocks.block_text());
        Some(hash_block_prompt(blocks, ids, block_size))
    }

    /// Appends the prompt token ids of `entry` to `out`.
    pub fn append(&mut self, entry: &DatasetEntry, out: &mut Vec<u32>) {
        let extras = entry.extras.as_deref();
        if let Some(blocks) = extras.and_then(|e| e.blocks.as_ref()) {
            let ids = self.word_ids(blocks.block_text());
            blocks.push_token_ids(ids, out);
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

/// [`PromptTokens::hashed_blocks`] once the sizes are checked (the trace's block size is a
/// multiple of the engine's).
fn hash_block_prompt(
    blocks: &BlockPrompt,
    word_ids: &[u32],
    block_size: BlockSize,
) -> HashedPrompt {
    let text = blocks.block_text();
    let trace_block = text.block_size();
    let engine_block = u64::from(block_size.get());
    let mut left = blocks.input_length();
    let mut hashes = Vec::with_capacity(usize::try_from(left / engine_block).unwrap_or(0));
    let mut tail = Vec::new();
    for &id in blocks.hash_ids() {
        if left == 0 {
            break;
        }
        let take = left.min(trace_block);
        let full = take / engine_block;
        for part in 0..full {
            let local = id_block_hash(id, u32::try_from(part).unwrap_or(u32::MAX));
            hashes.push(chain_block_hash(hashes.last().copied(), local));
        }
        let rest = take % engine_block;
        if rest > 0 {
            // Only a shorter last block ends inside an engine block: its first `take` tokens,
            // of which the tail is the last `rest`.
            let mut tokens = Vec::with_capacity(usize::try_from(take).unwrap_or(0));
            text.push_token_ids(
                id,
                usize::try_from(take).unwrap_or(0),
                word_ids,
                &mut tokens,
            );
            let start = usize::try_from(full * engine_block).unwrap_or(0);
            tail = tokens.get(start..).unwrap_or_default().to_vec();
        }
        left -= take;
    }
    HashedPrompt::from_parts(hashes, tail, block_size)
        // Cannot happen: the tail is shorter than a block and the length is a trace's u64
        // prompt length cut to full engine blocks; fall back to hashing the tokens.
        .unwrap_or_else(|| {
            let mut tokens = Vec::new();
            blocks.push_token_ids(word_ids, &mut tokens);
            HashedPrompt::from_tokens(&tokens, block_size)
        })
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
