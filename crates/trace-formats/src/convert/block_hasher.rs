//! Chained block ids for `u64` blocks, equal to [`crate::RollingHasher`]`<u64>`'s ids (first-seen
//! ordinal of `(parent id, block)`), built for converters that hash millions of mostly new blocks.
//!
//! Once a sequence reaches a new id, every later block of it is new too, and each new node's
//! parent is the id assigned just before it. Such a node `(p, v) → p + 1` is recorded in a dense
//! per-id array (`chain_child[p] = v`, a sequential write) instead of the hash table (a random
//! probe); the table holds only the other nodes (roots and branch points). Lookups check the
//! array first, then the table, so the ids are exactly the generic hasher's.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A multiply-rotate hasher for integer keys (the scheme of rustc's FxHasher). Not DoS-resistant;
/// keys come from local trace files.
#[derive(Default, Clone, Copy)]
pub(crate) struct MulHasher(u64);

impl Hasher for MulHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

type Build = BuildHasherDefault<MulHasher>;

/// Marks an id with no chained child yet.
const NO_CHILD: u64 = u64::MAX;

/// Chained ids of `u64` block sequences.
#[derive(Default)]
pub(crate) struct BlockHasher {
    /// Nodes not stored in `chain_child`: `(parent + 1 or 0 for none, block) → id`.
    table: HashMap<(u64, u64), u64, Build>,
    /// `chain_child[p] = v`: node `(p, v)` has id `p + 1`. One entry per id assigned.
    chain_child: Vec<u64>,
}

impl BlockHasher {
    /// A hasher with room for about `ids` ids and `branches` table entries before it grows.
    pub(crate) fn with_capacity(ids: usize, branches: usize) -> Self {
        Self {
            table: HashMap::with_capacity_and_hasher(branches, Build::default()),
            chain_child: Vec::with_capacity(ids),
        }
    }

    /// Appends the chained ids of `blocks` to `out`.
    pub(crate) fn hash_into(&mut self, blocks: &[u64], out: &mut Vec<u64>) {
        let mut parent = None;
        for &block in blocks {
            let id = self.id_of(parent, block);
            out.push(id);
            parent = Some(id);
        }
    }

    fn id_of(&mut self, parent: Option<u64>, block: u64) -> u64 {
        if let Some(p) = parent
            && block != NO_CHILD
            && self.chain_child[p as usize] == block
        {
            return p + 1;
        }
        let key = (parent.map_or(0, |p| p + 1), block);
        if let Some(id) = self.table.get(&key) {
            return *id;
        }
        let id = self.chain_child.len() as u64;
        match parent {
            Some(p)
                if p + 1 == id && block != NO_CHILD && self.chain_child[p as usize] == NO_CHILD =>
            {
                self.chain_child[p as usize] = block;
            }
            _ => {
                self.table.insert(key, id);
            }
        }
        self.chain_child.push(NO_CHILD);
        id
    }

    /// Number of ids assigned.
    #[cfg(test)]
    pub(crate) fn len(&self) -> u64 {
        self.chain_child.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::RollingHasher;

    proptest! {
        #[test]
        fn same_ids_as_the_rolling_hasher(seqs in proptest::collection::vec(
            proptest::collection::vec(prop_oneof![0u64..4, any::<u64>()], 0..12), 0..40)) {
            let mut reference = RollingHasher::new();
            let mut ours = BlockHasher::default();
            for seq in &seqs {
                let mut out = Vec::new();
                ours.hash_into(seq, &mut out);
                prop_assert_eq!(out, reference.hash_sequence(seq.iter().copied()));
            }
            prop_assert_eq!(ours.len(), reference.len() as u64);
        }
    }

    #[test]
    fn fresh_chains_stay_out_of_the_table() {
        let mut ours = BlockHasher::default();
        let mut out = Vec::new();
        ours.hash_into(&[5, 6, 7, 8], &mut out);
        ours.hash_into(&[5, 6, 9], &mut out); // branches at id 1
        ours.hash_into(&[u64::MAX, u64::MAX], &mut out); // the marker value as a block
        ours.hash_into(&[u64::MAX, u64::MAX], &mut out);
        assert_eq!(out, vec![0, 1, 2, 3, 0, 1, 4, 5, 6, 5, 6]);
        // table: root 5, the branch (1, 9), root MAX and (5, MAX)
        assert_eq!(ours.table.len(), 4);
    }
}
