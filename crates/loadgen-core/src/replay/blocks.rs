//! Prompts made of token blocks named by hash ids (Mooncake `hash_ids`).
//!
//! Each hash id is one block of `block_size` tokens; equal ids give identical blocks, so a
//! prefix-caching server sees exactly the reuse a trace describes. A block is a sequence of words
//! that are each one token under the run's tokenizer *with their leading space* (`" river"`), and
//! the tokenizer must split before spaces (the built-in tokenizer and byte-level BPEs with a
//! GPT-style pre-tokenizer, such as Qwen's, do). Then a concatenation of such words has exactly
//! one token per word, at block boundaries too, so prompts are built by copying words without
//! re-tokenizing anything. [`BlockText::new`] checks both properties for the tokenizer it is given.
//!
//! Block contents are a pure function of `(seed, hash id)`: nothing is cached, the words of a
//! block are drawn from a small generator seeded with the id when the prompt is rendered.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use servebench_tokenize::Tokenizer;

use super::error::ReplayError;
use crate::prompts::corpus::SENTENCES;

/// Bytes of a word slot (longest word: 10 letters and the space).
const SLOT: usize = 16;
/// Fewest single-token words a tokenizer must offer.
const MIN_WORDS: usize = 64;
/// Words checked together for one-token-per-word additivity.
const CHECK_WORDS: usize = 512;

/// Renders the blocks of a run: a pool of one-token words and the run's seed.
pub struct BlockText {
    /// Words with their leading space, each exactly one token.
    words: Vec<Box<str>>,
    /// The same words in fixed 16-byte slots with their lengths (copied whole, then the write
    /// position advances by the length: no variable-length copy per word).
    slots: Vec<([u8; SLOT], usize)>,
    seed: u64,
    block_size: u64,
}

impl fmt::Debug for BlockText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockText")
            .field("words", &self.words.len())
            .field("seed", &self.seed)
            .field("block_size", &self.block_size)
            .finish()
    }
}

impl BlockText {
    /// A renderer of `block_size`-token blocks for `tokenizer`, seeded with `seed`.
    ///
    /// # Errors
    /// [`ReplayError::Tokenizer`] if the tokenizer has too few one-token words or does not count
    /// a sequence of them as one token per word; [`ReplayError::Invalid`] for a zero block size.
    pub fn new(tokenizer: &dyn Tokenizer, block_size: u64, seed: u64) -> Result<Self, ReplayError> {
        if block_size == 0 {
            return Err(ReplayError::Invalid {
                what: "--prompt-input-tokens-block-size",
                message: "must be at least 1".into(),
            });
        }
        let candidates: BTreeSet<String> = SENTENCES
            .iter()
            .flat_map(|s| s.split(|c: char| !c.is_ascii_alphabetic()))
            .filter(|w| (2..=10).contains(&w.len()))
            .map(str::to_ascii_lowercase)
            .collect();
        let words: Vec<Box<str>> = candidates
            .into_iter()
            .map(|w| format!(" {w}"))
            .filter(|w| tokenizer.count_tokens(w) == 1)
            .map(String::into_boxed_str)
            .collect();
        if words.len() < MIN_WORDS {
            return Err(ReplayError::Tokenizer {
                tokenizer: tokenizer.name().to_owned(),
                message: format!(
                    "only {} corpus words are one token with a leading space (need {MIN_WORDS})",
                    words.len()
                ),
            });
        }
        let slots = words
            .iter()
            .map(|w| {
                let mut slot = [0u8; SLOT];
                slot[..w.len()].copy_from_slice(w.as_bytes());
                (slot, w.len())
            })
            .collect();
        let text = Self {
            slots,
            words,
            seed,
            block_size,
        };
        let mut sample = String::new();
        text.push_words(u64::MAX, CHECK_WORDS, &mut sample);
        let counted = tokenizer.count_tokens(&sample);
        if counted != CHECK_WORDS {
            return Err(ReplayError::Tokenizer {
                tokenizer: tokenizer.name().to_owned(),
                message: format!(
                    "{CHECK_WORDS} one-token words in a row encode to {counted} tokens (the \
                     tokenizer must split before spaces)"
                ),
            });
        }
        Ok(text)
    }

    /// Tokens per block.
    pub fn block_size(&self) -> u64 {
        self.block_size
    }

    /// Appends `count` words of block `id` (the first `count` tokens of that block).
    pub fn push_words(&self, id: u64, count: usize, out: &mut String) {
        let mut bytes = std::mem::take(out).into_bytes();
        self.push_word_bytes(id, count, &mut bytes);
        // Only whole ASCII words were appended to valid UTF-8.
        *out = String::from_utf8(bytes).unwrap_or_default();
    }

    /// [`BlockText::push_words`] into a byte buffer (the words are ASCII and need no JSON
    /// escaping, so they can be written straight into a serialized body).
    pub fn push_word_bytes(&self, id: u64, count: usize, out: &mut Vec<u8>) {
        let start = out.len();
        out.resize(start + count * SLOT, 0);
        let mut at = start;
        self.draw_words(id, count, |index| {
            let (slot, len) = &self.slots[index];
            out[at..at + SLOT].copy_from_slice(slot);
            at += len;
        });
        out.truncate(at);
    }

    /// Appends the token ids of the first `count` tokens of block `id`: `ids[w]` is the token id
    /// of word `w` (see [`BlockText::word_token_ids`]). The same tokens a server gets by
    /// tokenizing [`BlockText::push_words`]' text, without rendering or tokenizing anything.
    pub fn push_token_ids(&self, id: u64, count: usize, ids: &[u32], out: &mut Vec<u32>) {
        let start = out.len();
        out.resize(start + count, 0);
        let mut slots = out[start..].iter_mut();
        self.draw_words(id, count, |index| {
            if let Some(slot) = slots.next() {
                *slot = ids.get(index).copied().unwrap_or_default();
            }
        });
    }

    /// The token id of each word under `tokenizer` (the one token [`BlockText::new`] checked
    /// each word encodes to), in word order, for [`BlockText::push_token_ids`].
    pub fn word_token_ids(&self, tokenizer: &dyn Tokenizer) -> Vec<u32> {
        self.words
            .iter()
            .map(|w| tokenizer.encode(w).first().copied().unwrap_or_default())
            .collect()
    }

    /// Calls `put` with the word index of each of the first `count` words of block `id`.
    #[inline]
    fn draw_words(&self, id: u64, count: usize, mut put: impl FnMut(usize)) {
        let mut state = mix(self.seed ^ mix(id));
        let n = self.slots.len() as u64;
        // Multiply-shift: a uniform index below n without division.
        let index = |r: u32| ((u64::from(r) * n) >> 32) as usize;
        // Two words per draw: the low and high halves of one 64-bit value.
        for _ in 0..count / 2 {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let r = mix(state);
            put(index(r as u32));
            put(index((r >> 32) as u32));
        }
        if count % 2 == 1 {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            put(index(mix(state) as u32));
        }
    }
}

/// SplitMix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A prompt of `input_length` tokens made of the blocks `hash_ids` (the last one cut).
#[derive(Clone)]
pub struct BlockPrompt {
    text: Arc<BlockText>,
    hash_ids: Arc<[u64]>,
    input_length: u64,
}

impl BlockPrompt {
    /// A prompt of `input_length` tokens from `hash_ids`; the caller has checked that
    /// `(len - 1) * block_size < input_length <= len * block_size`.
    pub(crate) fn new(text: Arc<BlockText>, hash_ids: Arc<[u64]>, input_length: u64) -> Self {
        Self {
            text,
            hash_ids,
            input_length,
        }
    }

    /// The block ids.
    pub fn hash_ids(&self) -> &[u64] {
        &self.hash_ids
    }

    /// Prompt length in tokens.
    pub fn input_length(&self) -> u64 {
        self.input_length
    }

    /// The prompt text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.input_length as usize * 8);
        self.render_into(&mut out);
        out
    }

    /// Appends the prompt text to `out`.
    pub fn render_into(&self, out: &mut String) {
        let mut bytes = std::mem::take(out).into_bytes();
        self.render_bytes(&mut bytes);
        // Only whole ASCII words were appended to valid UTF-8.
        *out = String::from_utf8(bytes).unwrap_or_default();
    }

    /// Appends the prompt text (ASCII, JSON-safe without escaping) to `out`.
    pub fn render_bytes(&self, out: &mut Vec<u8>) {
        let mut left = self.input_length;
        for &id in self.hash_ids.iter() {
            if left == 0 {
                break;
            }
            let take = left.min(self.text.block_size);
            self.text
                .push_word_bytes(id, usize::try_from(take).unwrap_or(usize::MAX), out);
            left -= take;
        }
    }

    /// The block renderer.
    pub fn block_text(&self) -> &Arc<BlockText> {
        &self.text
    }

    /// Appends the prompt's token ids, given the token id of each word of its renderer
    /// ([`BlockText::word_token_ids`]): the tokens of [`BlockPrompt::render`]'s text.
    pub fn push_token_ids(&self, word_ids: &[u32], out: &mut Vec<u32>) {
        let mut left = self.input_length;
        for &id in self.hash_ids.iter() {
            if left == 0 {
                break;
            }
            let take = left.min(self.text.block_size);
            self.text.push_token_ids(
                id,
                usize::try_from(take).unwrap_or(usize::MAX),
                word_ids,
                out,
            );
            left -= take;
        }
    }

    /// Bytes of the rendered prompt, to size buffers: at most the longest word per token.
    pub(crate) fn max_len(&self) -> usize {
        let longest = self.text.words.iter().map(|w| w.len()).max().unwrap_or(0);
        usize::try_from(self.input_length)
            .unwrap_or(usize::MAX)
            .saturating_mul(longest)
    }
}

impl fmt::Debug for BlockPrompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockPrompt")
            .field("hash_ids", &self.hash_ids)
            .field("input_length", &self.input_length)
            .finish_non_exhaustive()
    }
}

impl PartialEq for BlockPrompt {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.text, &other.text)
            && self.hash_ids == other.hash_ids
            && self.input_length == other.input_length
    }
}

impl Eq for BlockPrompt {}

#[cfg(test)]
mod tests {
    use servebench_tokenize::BuiltinTokenizer;

    use super::*;

    fn prompt(text: &Arc<BlockText>, ids: &[u64], len: u64) -> String {
        BlockPrompt::new(Arc::clone(text), ids.into(), len).render()
    }

    #[test]
    fn equal_ids_give_equal_blocks_and_lengths_are_exact() {
        let tok = BuiltinTokenizer::new();
        let text = Arc::new(BlockText::new(&tok, 16, 7).unwrap());
        let a = prompt(&text, &[1, 2, 3], 40);
        let b = prompt(&text, &[1, 2, 4], 48);
        assert_eq!(tok.count_tokens(&a), 40);
        assert_eq!(tok.count_tokens(&b), 48);
        let ids_a = tok.encode(&a);
        let ids_b = tok.encode(&b);
        assert_eq!(ids_a[..32], ids_b[..32], "shared blocks 1 and 2");
        assert_ne!(ids_a[32..40], ids_b[32..40], "block 3 differs from block 4");
        // Another seed, other text.
        let other = Arc::new(BlockText::new(&tok, 16, 8).unwrap());
        assert_ne!(prompt(&other, &[1, 2, 3], 40), a);
        assert_eq!(prompt(&text, &[1, 2, 3], 40), a, "deterministic");
    }

    #[test]
    fn token_ids_are_those_of_the_rendered_text() {
        let tok = BuiltinTokenizer::new();
        let text = Arc::new(BlockText::new(&tok, 16, 7).unwrap());
        let words = text.word_token_ids(&tok);
        for (ids, len) in [(&[1u64, 2, 3][..], 40u64), (&[9, 2], 17), (&[5], 1)] {
            let p = BlockPrompt::new(Arc::clone(&text), ids.into(), len);
            let mut out = Vec::new();
            p.push_token_ids(&words, &mut out);
            assert_eq!(out, tok.encode(&p.render()), "{ids:?} {len}");
        }
    }

    #[test]
    fn zero_block_size_is_refused() {
        assert!(BlockText::new(&BuiltinTokenizer::new(), 0, 1).is_err());
    }
}
