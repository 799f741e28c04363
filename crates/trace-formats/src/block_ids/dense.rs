//! Chained block ids for `u64` blocks, equal to [`super::RollingHasher`]`<u64>`'s ids (first-seen
//! ordinal of `(parent id, block)`), built for converters that hash millions of mostly new blocks.
//!
//! Once a sequence reaches a new id, every later block of it is new too, and each new node's
//! parent is the id assigned just before it. Such a node `(p, v) → p + 1` is recorded in a dense
//! per-id array (`chain_child[p] = v`, a sequential write) instead of the hash table (a random
//! probe); the table holds only the other nodes (branch points, and roots whose block is too large
//! for the dense root array). Roots of small blocks (`block < roots.len()`, e.g. every block of a
//! converter drawing from `0..=num_hash_blocks`) are found in a dense array. Lookups check the
//! arrays first, then the table, so the ids are exactly the generic hasher's.
//!
//! The table is open addressing with linear probing, key and id in one slot, so a lookup that
//! misses the cache costs one memory access; [`BlockHasher::warm`] issues the first accesses of
//! many upcoming sequences together so those misses overlap instead of queueing one by one.

/// Marks an id with no chained child yet, and an empty root or table slot.
const NO_CHILD: u64 = u64::MAX;

/// Largest dense root array (8 bytes per entry).
const MAX_DENSE_ROOTS: u64 = 1 << 22;

/// One table slot: node `(parent + 1 or 0 for none, block)` has id `id` (`NO_CHILD`: empty).
#[derive(Clone, Copy)]
struct Slot {
    parent: u64,
    block: u64,
    id: u64,
}

const EMPTY: Slot = Slot {
    parent: 0,
    block: 0,
    id: NO_CHILD,
};

/// Open-addressing map `(parent + 1, block) → id` (linear probing, at most half full).
struct NodeTable {
    slots: Vec<Slot>,
    /// `64 - log2(slots.len())`: the slot of a hash is its top bits.
    shift: u32,
    len: usize,
}

impl NodeTable {
    fn with_capacity(entries: usize) -> Self {
        let slots = (entries.max(8) * 2).next_power_of_two();
        Self {
            slots: vec![EMPTY; slots],
            shift: 64 - slots.trailing_zeros(),
            len: 0,
        }
    }

    #[inline]
    fn home(&self, parent: u64, block: u64) -> usize {
        let h = (parent.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ block)
            .wrapping_mul(0xd6e8_feb8_6659_fd93);
        let h = h ^ (h >> 32);
        (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    /// The id of the node, or the index of the empty slot where it would go.
    #[inline]
    fn find(&self, parent: u64, block: u64) -> Result<u64, usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(parent, block);
        loop {
            let slot = self.slots[i];
            if slot.id == NO_CHILD {
                return Err(i);
            }
            if slot.parent == parent && slot.block == block {
                return Ok(slot.id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Stores a node absent from the table at the empty slot `at` found by [`Self::find`].
    fn insert_at(&mut self, at: usize, parent: u64, block: u64, id: u64) {
        self.slots[at] = Slot { parent, block, id };
        self.len += 1;
        if self.len * 2 > self.slots.len() {
            self.grow();
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        *self = Self::with_capacity(old.len());
        for slot in old.into_iter().filter(|s| s.id != NO_CHILD) {
            if let Err(at) = self.find(slot.parent, slot.block) {
                self.slots[at] = slot;
                self.len += 1;
            }
        }
    }

    /// Reads the home slot of a key (to bring it into the cache ahead of use).
    #[inline]
    fn touch(&self, parent: u64, block: u64) -> u64 {
        self.slots[self.home(parent, block)].id
    }
}

/// Chained ids of `u64` block sequences: the ids of [`super::RollingHasher`]`<u64>`, faster.
pub struct BlockHasher {
    /// `roots[b]`: id of the root node of block `b` (`NO_CHILD`: not seen yet).
    roots: Vec<u64>,
    /// Nodes not stored in `roots` or `chain_child`.
    table: NodeTable,
    /// `chain_child[p] = v`: node `(p, v)` has id `p + 1`. One entry per id assigned.
    chain_child: Vec<u64>,
}

impl Default for BlockHasher {
    fn default() -> Self {
        Self::with_capacity(0, 0, 0)
    }
}

impl BlockHasher {
    /// A hasher with room for about `ids` ids and `branches` table entries before it grows,
    /// finding the roots of blocks below `root_values` (capped at 2^22) in a dense array.
    pub fn with_capacity(ids: usize, branches: usize, root_values: u64) -> Self {
        Self {
            roots: vec![NO_CHILD; root_values.min(MAX_DENSE_ROOTS) as usize],
            table: NodeTable::with_capacity(branches),
            chain_child: Vec::with_capacity(ids),
        }
    }

    /// Appends the chained ids of `blocks` to `out`.
    pub fn hash_into(&mut self, blocks: &[u64], out: &mut Vec<u64>) {
        let mut parent = None;
        for &block in blocks {
            let id = self.id_of(parent, block);
            out.push(id);
            parent = Some(id);
        }
    }

    /// Reads, without changing anything, the memory that hashing these sequences will touch
    /// first (the root's chain entry and the table slot of the second block), so that the cache
    /// misses of many sequences overlap. Returns a value only to keep the reads.
    pub fn warm<'a>(&self, sequences: impl Iterator<Item = &'a [u64]>) -> u64 {
        let mut acc = 0u64;
        for seq in sequences {
            let (Some(&first), Some(&second)) = (seq.first(), seq.get(1)) else {
                continue;
            };
            let Some(&root) = self.roots.get(first as usize) else {
                continue;
            };
            if let Some(&child) = self.chain_child.get(root as usize) {
                acc ^= child ^ self.table.touch(root.wrapping_add(1), second);
            }
        }
        acc
    }

    fn id_of(&mut self, parent: Option<u64>, block: u64) -> u64 {
        let next = self.chain_child.len() as u64;
        let Some(p) = parent else {
            if let Some(root) = self.roots.get_mut(block as usize) {
                if *root == NO_CHILD {
                    *root = next;
                    self.chain_child.push(NO_CHILD);
                }
                return *root;
            }
            return self.id_in_table(None, block);
        };
        if block != NO_CHILD {
            if p + 1 == next {
                // `p` is the newest id, so it has no child anywhere yet (a child gets a later
                // id): the node is new and chained, no table lookup needed.
                self.chain_child[p as usize] = block;
                self.chain_child.push(NO_CHILD);
                return next;
            }
            if self.chain_child[p as usize] == block {
                return p + 1;
            }
        }
        self.id_in_table(Some(p), block)
    }

    /// The id of a node that is neither a dense root nor a chained child.
    fn id_in_table(&mut self, parent: Option<u64>, block: u64) -> u64 {
        let key = parent.map_or(0, |p| p + 1);
        let at = match self.table.find(key, block) {
            Ok(id) => return id,
            Err(at) => at,
        };
        let id = self.chain_child.len() as u64;
        match parent {
            Some(p)
                if p + 1 == id && block != NO_CHILD && self.chain_child[p as usize] == NO_CHILD =>
            {
                self.chain_child[p as usize] = block;
            }
            _ => self.table.insert_at(at, key, block, id),
        }
        self.chain_child.push(NO_CHILD);
        id
    }

    /// Number of ids assigned.
    pub fn len(&self) -> u64 {
        self.chain_child.len() as u64
    }

    /// True when no id has been assigned.
    pub fn is_empty(&self) -> bool {
        self.chain_child.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::RollingHasher;
    use super::*;

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

        #[test]
        fn same_ids_with_dense_roots_growth_and_warming(seqs in proptest::collection::vec(
            proptest::collection::vec(prop_oneof![0u64..6, any::<u64>()], 0..12), 0..60)) {
            let mut reference = RollingHasher::new();
            // Roots 0..3 dense, 3.. in the table; a tiny table that must grow several times.
            let mut ours = BlockHasher::with_capacity(0, 0, 3);
            for (i, seq) in seqs.iter().enumerate() {
                ours.warm(seqs[i..].iter().map(Vec::as_slice));
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
        assert_eq!(ours.table.len, 4);
    }
}
