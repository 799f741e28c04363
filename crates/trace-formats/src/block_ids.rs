//! What a hash id means: the chained block ids of Mooncake traces, as Dynamo's prefix data
//! generator assigns them.
//!
//! A sequence (of tokens, or of block values) is cut into blocks; the id of a block is the
//! first-seen ordinal of the key `(parent id, block contents)`, where the parent of a sequence's
//! first block is "none". Equal leading blocks of two sequences therefore get equal ids, the same
//! block under different parents gets different ids, and the ids of a set of sequences always form
//! a tree. [`RollingHasher`] is the definition (any hashable block type);
//! [`token_ids_to_hash_ids`] applies it to token sequences (Dynamo's `texts_to_hashes` after
//! tokenizing); [`BlockHasher`] assigns exactly the same ids to `u64` blocks, built for tools
//! that hash millions of mostly new blocks.

mod dense;

use std::collections::HashMap;
use std::hash::Hash;

use crate::error::Error;

pub use dense::BlockHasher;

/// Assigns chained ids to sequences of blocks: the id of a block is the first-seen ordinal of the
/// key `(parent id, block contents)`, where the parent of a sequence's first block is "none".
///
/// Equal leading blocks of two sequences therefore get equal ids, and the same block under different
/// parents gets different ids, so the ids of a set of sequences always form a tree.
#[derive(Debug, Clone)]
pub struct RollingHasher<B> {
    ids: HashMap<(Option<u64>, B), u64>,
}

impl<B: Hash + Eq> Default for RollingHasher<B> {
    fn default() -> Self {
        Self {
            ids: HashMap::new(),
        }
    }
}

impl<B: Hash + Eq> RollingHasher<B> {
    /// An empty hasher; the first id it assigns is 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Chained ids of `blocks`, assigning new ids to keys never seen before.
    pub fn hash_sequence(&mut self, blocks: impl IntoIterator<Item = B>) -> Vec<u64> {
        let mut parent = None;
        blocks
            .into_iter()
            .map(|block| {
                let next = self.ids.len() as u64;
                let id = *self.ids.entry((parent, block)).or_insert(next);
                parent = Some(id);
                id
            })
            .collect()
    }

    /// Number of distinct ids assigned so far.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no id has been assigned.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Hash ids of each token sequence of `batch`: the sequence is cut into `block_size`-token blocks
/// (the last may be partial) and the blocks are chained through one fresh [`RollingHasher`] for
/// the whole batch, so equal leading blocks get equal ids within the batch (and only within it).
pub fn token_ids_to_hash_ids<T: AsRef<[u32]>>(
    batch: &[T],
    block_size: usize,
) -> Result<Vec<Vec<u64>>, Error> {
    if block_size == 0 {
        return Err(Error::invalid_option("block_size", "must be at least 1"));
    }
    let mut hasher = RollingHasher::new();
    Ok(batch
        .iter()
        .map(|tokens| hasher.hash_sequence(tokens.as_ref().chunks(block_size)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_prefixes_share_ids_and_parents_disambiguate() {
        let mut h = RollingHasher::new();
        assert_eq!(h.hash_sequence([7, 8, 9]), vec![0, 1, 2]);
        assert_eq!(h.hash_sequence([7, 8, 5]), vec![0, 1, 3]);
        // block 8 under a different parent is a new node
        assert_eq!(h.hash_sequence([8]), vec![4]);
        assert_eq!(h.hash_sequence([5, 8]), vec![5, 6]);
        assert_eq!(h.len(), 7);
    }

    #[test]
    fn shared_prefix_blocks_share_ids_and_partial_blocks_count() {
        let a: Vec<u32> = (0..10).collect();
        let mut b = a[..8].to_vec();
        b.extend([99, 98, 97]);
        let ids = token_ids_to_hash_ids(&[a, b], 4).unwrap();
        // a: [0..4) [4..8) [8,9]; b: same two blocks, then [99,98,97]
        assert_eq!(ids, vec![vec![0, 1, 2], vec![0, 1, 3]]);
        // a fresh hasher per call
        assert_eq!(
            token_ids_to_hash_ids(&[vec![5u32, 6]], 4).unwrap(),
            vec![vec![0]]
        );
        assert!(token_ids_to_hash_ids(&[vec![1u32]], 0).is_err());
    }
}
