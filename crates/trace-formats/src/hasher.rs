//! The rolling block hasher of Dynamo's prefix data generator: chained block ids.

use std::collections::HashMap;
use std::hash::Hash;

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
}
