//! One request inside an engine: its tokens, its progress and the KV blocks it holds.

use std::time::Duration;

use super::config::BlockSize;
use super::hashing::{chain_block_hash, local_block_hash};
use super::kv_cache::BlockKey;
use super::prompt::HashedPrompt;

/// Identifies a request within an engine (the pool assigns them).
pub type RequestId = u64;

/// Size of the id range emitted tokens are drawn from (`0..8192`). The server renders id `i` as
/// its output word `i` (modulo the number of words its tokenizer offers): with the built-in
/// tokenizer exactly its token `i`, a word with a leading space.
pub const OUTPUT_VOCAB: u32 = 8192;

/// The `index`-th generated token of the request with `seed` (deterministic, spread over the
/// vocabulary).
pub fn output_token(seed: u64, index: u32) -> u32 {
    let mut z = seed
        .wrapping_add(u64::from(index).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % u64::from(OUTPUT_VOCAB)) as u32
}

#[derive(Debug)]
pub(crate) struct Sequence {
    pub(crate) id: RequestId,
    /// Tokens in the sequence: prompt plus generated.
    len: u32,
    /// Tokens after the last full block (prompt tail, then generated ones), hashed into
    /// `block_hashes` when they fill a block.
    tail: Vec<u32>,
    pub(crate) prompt_len: u32,
    pub(crate) output_target: u32,
    pub(crate) generated: u32,
    /// Tokens whose KV is computed (or was found cached).
    pub(crate) computed: u32,
    /// Whether the sequence has finished its (re)prefill and now decodes one token per step.
    pub(crate) decoding: bool,
    /// Blocks held, covering tokens `[0, blocks.len() * block_size)`.
    pub(crate) blocks: Vec<BlockKey>,
    /// Sequence hashes of the full blocks of the sequence.
    pub(crate) block_hashes: Vec<u64>,
    /// How many leading entries of `blocks` are already shared full blocks.
    pub(crate) promoted: usize,
    pub(crate) arrival: Duration,
    pub(crate) first_scheduled: Option<Duration>,
    pub(crate) first_token: Option<Duration>,
    pub(crate) cached_tokens: u32,
    pub(crate) token_seed: u64,
    /// The prompt's KV arrived from a prefill worker (disaggregated serving): on admission it
    /// needs blocks but no prefill compute, and its first token was already emitted.
    pub(crate) transferred: bool,
}

impl Sequence {
    pub(crate) fn new(
        id: RequestId,
        prompt: HashedPrompt,
        output_target: u32,
        arrival: Duration,
    ) -> Self {
        let (prompt_len, block_hashes, tail) = prompt.into_parts();
        Self {
            id,
            len: prompt_len,
            tail,
            prompt_len,
            output_target,
            generated: 0,
            computed: 0,
            decoding: false,
            blocks: Vec::new(),
            block_hashes,
            promoted: 0,
            arrival,
            first_scheduled: None,
            first_token: None,
            cached_tokens: 0,
            token_seed: id,
            transferred: false,
        }
    }

    /// Tokens in the sequence (prompt plus generated).
    pub(crate) fn len(&self) -> u32 {
        self.len
    }

    /// Tokens still to compute before the next token can be sampled.
    pub(crate) fn pending(&self) -> u32 {
        self.len() - self.computed
    }

    /// Appends the next generated token and hashes a block it completes.
    pub(crate) fn push_generated(&mut self, block_size: BlockSize) -> u32 {
        let token = output_token(self.token_seed, self.generated);
        self.tail.push(token);
        self.len = self.len.saturating_add(1);
        self.generated += 1;
        if self.tail.len() >= block_size.get() as usize {
            let local = local_block_hash(&self.tail);
            let hash = chain_block_hash(self.block_hashes.last().copied(), local);
            self.block_hashes.push(hash);
            self.tail.clear();
        }
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_tokens_are_in_the_vocabulary_and_vary() {
        let tokens: Vec<u32> = (0..1000).map(|i| output_token(42, i)).collect();
        assert!(tokens.iter().all(|&t| t < OUTPUT_VOCAB));
        let distinct: std::collections::HashSet<_> = tokens.iter().collect();
        assert!(distinct.len() > 900, "{} distinct of 1000", distinct.len());
        assert_ne!(output_token(1, 0), output_token(2, 0));
    }
}
