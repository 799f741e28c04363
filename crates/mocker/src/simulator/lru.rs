//! An O(1) least-recently-used order of cached block hashes: a doubly linked list in a slab.

const NIL: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Node {
    hash: u64,
    prev: u32,
    next: u32,
}

/// Block hashes from least to most recently released. Handles returned by
/// [`LruList::push_newest`] stay valid until the entry is removed or popped.
#[derive(Debug)]
pub(crate) struct LruList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    oldest: u32,
    newest: u32,
}

impl Default for LruList {
    fn default() -> Self {
        Self {
            nodes: Vec::new(),
            free: Vec::new(),
            oldest: NIL,
            newest: NIL,
        }
    }
}

impl LruList {
    /// Appends `hash` as the most recent entry; returns its handle.
    pub(crate) fn push_newest(&mut self, hash: u64) -> u32 {
        let node = Node {
            hash,
            prev: self.newest,
            next: NIL,
        };
        let idx = match self.free.pop() {
            Some(idx) => {
                self.nodes[idx as usize] = node;
                idx
            }
            None => {
                self.nodes.push(node);
                u32::try_from(self.nodes.len() - 1).unwrap_or(NIL)
            }
        };
        match self.newest {
            NIL => self.oldest = idx,
            newest => self.nodes[newest as usize].next = idx,
        }
        self.newest = idx;
        idx
    }

    /// Unlinks the entry with this handle.
    pub(crate) fn remove(&mut self, idx: u32) {
        let Node { prev, next, .. } = self.nodes[idx as usize];
        match prev {
            NIL => self.oldest = next,
            p => self.nodes[p as usize].next = next,
        }
        match next {
            NIL => self.newest = prev,
            n => self.nodes[n as usize].prev = prev,
        }
        self.free.push(idx);
    }

    /// Removes and returns the least recent hash.
    pub(crate) fn pop_oldest(&mut self) -> Option<u64> {
        if self.oldest == NIL {
            return None;
        }
        let idx = self.oldest;
        let hash = self.nodes[idx as usize].hash;
        self.remove(idx);
        Some(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_release_order_skipping_removed_entries() {
        let mut lru = LruList::default();
        let a = lru.push_newest(1);
        let _b = lru.push_newest(2);
        let c = lru.push_newest(3);
        lru.remove(a);
        lru.remove(c);
        let _d = lru.push_newest(4);
        assert_eq!(lru.pop_oldest(), Some(2));
        assert_eq!(lru.pop_oldest(), Some(4));
        assert_eq!(lru.pop_oldest(), None);
        let _e = lru.push_newest(5);
        assert_eq!(lru.pop_oldest(), Some(5));
    }
}
