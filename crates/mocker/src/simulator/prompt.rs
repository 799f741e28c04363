//! A prompt as the engine and the KV router see it: its length, the chained hashes of its full
//! KV blocks and the tokens of its trailing partial block. Hashing a prompt once and handing the
//! same [`HashedPrompt`] to the router and the engine saves the second hashing; a driver that
//! knows its blocks' content by id (a trace's `hash_ids`) can build one without materialising
//! the tokens ([`HashedPrompt::from_parts`], [`id_block_hash`]).

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::config::BlockSize;
use super::hashing::{BLOCK_HASH_SEED, extend_block_hashes};

/// A prompt's length, full-block sequence hashes and trailing partial block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedPrompt {
    len: u32,
    block_hashes: Vec<u64>,
    tail: Vec<u32>,
}

impl HashedPrompt {
    /// Hashes the full blocks of `tokens` ([`super::sequence_block_hashes`]) and keeps the rest.
    pub fn from_tokens(tokens: &[u32], block_size: BlockSize) -> Self {
        let mut block_hashes = Vec::with_capacity(tokens.len() / block_size.get() as usize);
        extend_block_hashes(&mut block_hashes, tokens, block_size);
        let tail_start = block_hashes.len() * block_size.get() as usize;
        Self {
            len: u32::try_from(tokens.len()).unwrap_or(u32::MAX),
            block_hashes,
            tail: tokens.get(tail_start..).unwrap_or_default().to_vec(),
        }
    }

    /// A prompt of `block_hashes.len()` full blocks (chained sequence hashes, as
    /// [`super::chain_block_hash`] builds them) followed by the `tail` tokens. `None` if the tail
    /// is a whole block or longer, or the length does not fit in `u32`.
    ///
    /// Equal prompts must get equal hashes and different ones different hashes, or the engines'
    /// prefix caches and the router's index will see hits that are not there (or miss real ones).
    pub fn from_parts(
        block_hashes: Vec<u64>,
        tail: Vec<u32>,
        block_size: BlockSize,
    ) -> Option<Self> {
        let bs = block_size.get() as usize;
        if tail.len() >= bs {
            return None;
        }
        let len = block_hashes
            .len()
            .checked_mul(bs)?
            .checked_add(tail.len())?;
        Some(Self {
            len: u32::try_from(len).ok()?,
            block_hashes,
            tail,
        })
    }

    /// Prompt tokens.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the prompt has no token.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sequence hashes of the full blocks.
    pub fn block_hashes(&self) -> &[u64] {
        &self.block_hashes
    }

    /// Tokens after the last full block.
    pub fn tail(&self) -> &[u32] {
        &self.tail
    }

    pub(crate) fn into_parts(self) -> (u32, Vec<u64>, Vec<u32>) {
        (self.len, self.block_hashes, self.tail)
    }
}

/// The local hash of a full block known by id rather than by its tokens: part `part` of content
/// block `content_id` (a trace's `hash_id`, whose tokens are fixed by the id). Chain it with
/// [`super::chain_block_hash`]. Its input (13 bytes: a tag, the id, the part) can never equal a
/// token block's (a multiple of 4 bytes), so it stays apart from hashes of token blocks.
pub fn id_block_hash(content_id: u64, part: u32) -> u64 {
    let mut bytes = [0u8; 13];
    bytes[0] = 0xB1;
    bytes[1..9].copy_from_slice(&content_id.to_le_bytes());
    bytes[9..13].copy_from_slice(&part.to_le_bytes());
    xxh3_64_with_seed(&bytes, BLOCK_HASH_SEED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::sequence_block_hashes;

    fn bs4() -> BlockSize {
        BlockSize::new(4).unwrap()
    }

    #[test]
    fn from_tokens_splits_full_blocks_and_tail() {
        let tokens: Vec<u32> = (10..21).collect();
        let p = HashedPrompt::from_tokens(&tokens, bs4());
        assert_eq!(p.len(), 11);
        assert_eq!(
            p.block_hashes(),
            sequence_block_hashes(&tokens, bs4()).as_slice()
        );
        assert_eq!(p.block_hashes().len(), 2);
        assert_eq!(p.tail(), &[18, 19, 20]);
    }

    #[test]
    fn from_parts_checks_the_tail() {
        assert_eq!(
            HashedPrompt::from_parts(vec![1, 2], vec![7], bs4()).map(|p| p.len()),
            Some(9)
        );
        assert!(HashedPrompt::from_parts(vec![1], vec![0; 4], bs4()).is_none());
    }

    #[test]
    fn id_hashes_differ_by_id_and_part() {
        assert_ne!(id_block_hash(1, 0), id_block_hash(2, 0));
        assert_ne!(id_block_hash(1, 0), id_block_hash(1, 1));
        assert_eq!(id_block_hash(5, 3), id_block_hash(5, 3));
    }
}
