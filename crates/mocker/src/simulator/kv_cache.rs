//! The paged KV cache of one engine: a ref-counted active pool and an LRU-evicted inactive pool
//! (Dynamo mocker's `KvManager`, vLLM's prefix cache).
//!
//! Every block occupies one of `capacity` slots. Full blocks are named by their chained sequence
//! hash and can be shared by several sequences; when the last user releases a full block it moves
//! to the inactive pool, where it stays reusable until it is evicted (least recently released
//! first) to make room. Partial blocks are private to one sequence and are freed on release.

use super::lru::LruList;
use rustc_hash::FxHashMap as FastMap;

/// A KV cache event, as the KV router consumes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KvEvent {
    /// A full block with this sequence hash is now cached on the worker.
    Stored {
        /// Chained sequence hash of the block.
        block_hash: u64,
    },
    /// The block with this sequence hash was evicted from the worker.
    Removed {
        /// Chained sequence hash of the block.
        block_hash: u64,
    },
}

/// One KV block held by a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum BlockKey {
    /// A full block named by its sequence hash (shareable).
    Full(u64),
    /// A private block (partial, or any block when prefix caching is off).
    Private(u64),
}

/// Leading cached blocks of a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct PrefixHit {
    /// Leading blocks found in either pool.
    pub(crate) blocks: usize,
    /// Of those, how many sit in the active pool (they need no free slot).
    pub(crate) active: usize,
}

/// A full block: its users, and its place in the LRU list while it has none.
#[derive(Debug, Clone, Copy)]
struct FullBlock {
    users: u32,
    /// Handle in `lru`; meaningful only when `users == 0`.
    lru: u32,
}

/// The block pools of one engine.
///
/// Full blocks, active or cached, live in one map (one hash probe per operation); private blocks
/// are only counted, as nothing looks them up.
#[derive(Debug)]
pub(crate) struct KvCache {
    capacity: usize,
    prefix_caching: bool,
    /// Every full block, with users (active) or without (cached, in `lru`).
    full: FastMap<u64, FullBlock>,
    /// Full blocks with at least one user.
    active_full: usize,
    /// Private blocks held (each has exactly one user).
    private: usize,
    /// Cached blocks, least recently released first.
    lru: LruList,
    next_private: u64,
    events: Vec<KvEvent>,
}

impl KvCache {
    pub(crate) fn new(capacity: usize, prefix_caching: bool) -> Self {
        Self {
            capacity,
            prefix_caching,
            full: FastMap::default(),
            active_full: 0,
            private: 0,
            lru: LruList::default(),
            next_private: 0,
            events: Vec::new(),
        }
    }

    /// Total slots.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Blocks in use by running sequences.
    pub(crate) fn active_blocks(&self) -> usize {
        self.active_full + self.private
    }

    /// Cached blocks with no user (evictable).
    pub(crate) fn inactive_blocks(&self) -> usize {
        self.full.len() - self.active_full
    }

    /// Slots that can be given to new blocks: free ones plus evictable ones.
    pub(crate) fn reclaimable(&self) -> usize {
        self.capacity - self.active_blocks()
    }

    /// Leading blocks of `hashes` that are cached (0 when prefix caching is off).
    pub(crate) fn lookup_prefix(&self, hashes: &[u64]) -> PrefixHit {
        let mut hit = PrefixHit::default();
        if !self.prefix_caching {
            return hit;
        }
        for h in hashes {
            let Some(block) = self.full.get(h) else {
                break;
            };
            hit.active += usize::from(block.users > 0);
            hit.blocks += 1;
        }
        hit
    }

    /// Takes a reference on a cached full block found by [`KvCache::lookup_prefix`].
    ///
    /// Returns `None` when the block is not cached (the caller looked it up in the same step, so
    /// that means a caller bug, handled by allocating instead).
    pub(crate) fn acquire_cached(&mut self, hash: u64) -> Option<BlockKey> {
        let block = self.full.get_mut(&hash)?;
        if block.users == 0 {
            self.lru.remove(block.lru);
            self.active_full += 1;
        }
        block.users += 1;
        Some(BlockKey::Full(hash))
    }

    /// Allocates a private block, evicting the least recently released cached block if needed.
    /// `None` when every slot is in use (the caller preempts).
    pub(crate) fn allocate(&mut self) -> Option<BlockKey> {
        if !self.make_room() {
            return None;
        }
        let key = BlockKey::Private(self.next_private);
        self.next_private += 1;
        self.private += 1;
        Some(key)
    }

    /// Turns a private block that just became full into the shared block `hash`.
    ///
    /// If another sequence already holds (or cached) the same block, the private copy is freed and
    /// the shared one referenced; otherwise the block is renamed and a `Stored` event emitted. With
    /// prefix caching off the block stays private.
    pub(crate) fn promote(&mut self, key: BlockKey, hash: u64) -> BlockKey {
        if !self.prefix_caching || !matches!(key, BlockKey::Private(_)) {
            return key;
        }
        self.private = self.private.saturating_sub(1);
        if let Some(shared) = self.acquire_cached(hash) {
            return shared;
        }
        self.full.insert(hash, FullBlock { users: 1, lru: 0 });
        self.active_full += 1;
        self.events.push(KvEvent::Stored { block_hash: hash });
        BlockKey::Full(hash)
    }

    /// Drops one reference; an unused full block becomes cached (most recently used), an unused
    /// private block is freed.
    pub(crate) fn release(&mut self, key: BlockKey) {
        let hash = match key {
            BlockKey::Private(_) => {
                self.private = self.private.saturating_sub(1);
                return;
            }
            BlockKey::Full(hash) => hash,
        };
        let Some(block) = self.full.get_mut(&hash) else {
            return;
        };
        if block.users == 0 {
            return;
        }
        block.users -= 1;
        if block.users == 0 {
            block.lru = self.lru.push_newest(hash);
            self.active_full -= 1;
        }
    }

    /// Events since the last drain, oldest first.
    pub(crate) fn drain_events(&mut self, into: &mut Vec<KvEvent>) {
        into.append(&mut self.events);
    }

    fn make_room(&mut self) -> bool {
        if self.private + self.full.len() < self.capacity {
            return true;
        }
        let Some(hash) = self.lru.pop_oldest() else {
            return false;
        };
        self.full.remove(&hash);
        self.events.push(KvEvent::Removed { block_hash: hash });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drained(kv: &mut KvCache) -> Vec<KvEvent> {
        let mut v = Vec::new();
        kv.drain_events(&mut v);
        v
    }

    #[test]
    fn eviction_takes_the_least_recently_released_block() {
        let mut kv = KvCache::new(3, true);
        let keys: Vec<BlockKey> = (0..3)
            .map(|h| {
                let k = kv.allocate().expect("room");
                kv.promote(k, 100 + h)
            })
            .collect();
        // Release in the order 101, 100, 102: 101 is the least recently released.
        kv.release(keys[1]);
        kv.release(keys[0]);
        kv.release(keys[2]);
        drained(&mut kv);
        assert_eq!(kv.inactive_blocks(), 3);
        let _ = kv.allocate().expect("evicts one");
        assert_eq!(drained(&mut kv), vec![KvEvent::Removed { block_hash: 101 }]);
        // Touching 100 (reuse then release) makes 102 the oldest.
        let k = kv.acquire_cached(100).expect("cached");
        kv.release(k);
        let _ = kv.allocate().expect("evicts one");
        assert_eq!(drained(&mut kv), vec![KvEvent::Removed { block_hash: 102 }]);
    }

    #[test]
    fn full_pool_refuses_allocation() {
        let mut kv = KvCache::new(2, true);
        assert!(kv.allocate().is_some());
        assert!(kv.allocate().is_some());
        assert!(kv.allocate().is_none());
    }

    #[test]
    fn shared_blocks_are_ref_counted_and_promotion_dedups() {
        let mut kv = KvCache::new(4, true);
        let a = kv.allocate().expect("room");
        let a = kv.promote(a, 7);
        let b = kv.allocate().expect("room");
        let b = kv.promote(b, 7);
        assert_eq!(a, b);
        assert_eq!(
            kv.active_blocks(),
            1,
            "the duplicate private block was freed"
        );
        assert_eq!(drained(&mut kv), vec![KvEvent::Stored { block_hash: 7 }]);
        kv.release(a);
        assert_eq!(kv.active_blocks(), 1);
        kv.release(b);
        assert_eq!((kv.active_blocks(), kv.inactive_blocks()), (0, 1));
        assert_eq!(
            kv.lookup_prefix(&[7, 8]),
            PrefixHit {
                blocks: 1,
                active: 0
            }
        );
    }

    #[test]
    fn without_prefix_caching_nothing_is_shared_or_kept() {
        let mut kv = KvCache::new(2, false);
        let a = kv.allocate().expect("room");
        let a = kv.promote(a, 7);
        kv.release(a);
        assert_eq!((kv.active_blocks(), kv.inactive_blocks()), (0, 0));
        assert_eq!(kv.lookup_prefix(&[7]), PrefixHit::default());
        assert!(drained(&mut kv).is_empty());
    }
}
