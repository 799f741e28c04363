//! The router's KV index: which blocks each worker holds, from the workers' KV events or, without
//! them, predicted from the router's own decisions with a time to live (Dynamo's
//! `--no-router-kv-events` mode).

use std::collections::VecDeque;
use std::time::Duration;

use rustc_hash::FxHashMap as FastMap;

use super::super::config::RouterConfig;

/// Per worker, block hash → the time the entry stops counting (`Duration::MAX` for blocks known
/// from KV events, which stay until a `Removed` event).
#[derive(Debug)]
pub(super) struct KvIndex {
    predicted: bool,
    ttl: Duration,
    max_size: usize,
    prune_to: usize,
    workers: Vec<FastMap<u64, Duration>>,
    /// Predicted entries in the order they were written (so by expiry, as the clock never goes
    /// back): `(expiry, worker, hash)`. An entry refreshed later leaves a stale record here,
    /// skipped when its expiry no longer matches the map.
    order: VecDeque<(Duration, u32, u64)>,
    size: usize,
}

impl KvIndex {
    pub(super) fn new(config: &RouterConfig, workers: usize) -> Self {
        let prune_to = (config.max_tree_size as f64 * config.prune_target_ratio).floor() as usize;
        Self {
            predicted: !config.use_kv_events,
            ttl: config.ttl,
            max_size: config.max_tree_size.max(1),
            prune_to,
            workers: (0..workers).map(|_| FastMap::default()).collect(),
            order: VecDeque::new(),
            size: 0,
        }
    }

    /// Whether entries come from routing decisions rather than KV events.
    pub(super) fn is_predicted(&self) -> bool {
        self.predicted
    }

    /// Leading `hashes` held by `worker` at `now`.
    pub(super) fn overlap(&self, worker: usize, hashes: &[u64], now: Duration) -> usize {
        let Some(map) = self.workers.get(worker) else {
            return 0;
        };
        hashes
            .iter()
            .take_while(|h| map.get(h).is_some_and(|&until| until > now))
            .count()
    }

    /// Blocks in a worker's index (its tree size).
    pub(super) fn len(&self, worker: usize) -> usize {
        self.workers.get(worker).map_or(0, FastMap::len)
    }

    /// A `Stored` event (ignored when predicting).
    pub(super) fn stored(&mut self, worker: usize, hash: u64) {
        if self.predicted {
            return;
        }
        if let Some(map) = self.workers.get_mut(worker)
            && map.insert(hash, Duration::MAX).is_none()
        {
            self.size += 1;
        }
    }

    /// A `Removed` event (ignored when predicting).
    pub(super) fn removed(&mut self, worker: usize, hash: u64) {
        if self.predicted {
            return;
        }
        if let Some(map) = self.workers.get_mut(worker)
            && map.remove(&hash).is_some()
        {
            self.size -= 1;
        }
    }

    /// Predicting: a request with `hashes` was routed to `worker` at `now`, so they count as
    /// cached there until `now + ttl`. Then prunes to the size limit.
    pub(super) fn predict(&mut self, worker: usize, hashes: &[u64], now: Duration) {
        if !self.predicted {
            return;
        }
        let Some(map) = self.workers.get_mut(worker) else {
            return;
        };
        let until = now.saturating_add(self.ttl);
        for &h in hashes {
            if map.insert(h, until).is_none() {
                self.size += 1;
            }
            self.order.push_back((until, worker as u32, h));
        }
        if self.size > self.max_size {
            let prune_to = self.prune_to;
            self.drop_oldest(|_, size| size <= prune_to);
        }
    }

    /// Predicting: forgets entries whose time to live is over at `now`.
    pub(super) fn expire(&mut self, now: Duration) {
        if self.predicted {
            self.drop_oldest(|until, _| until > now);
        }
    }

    /// Pops records from the front of `order` (earliest expiry first) until `stop(expiry, size)`.
    fn drop_oldest(&mut self, stop: impl Fn(Duration, usize) -> bool) {
        while let Some(&(until, worker, hash)) = self.order.front() {
            if stop(until, self.size) {
                break;
            }
            self.order.pop_front();
            let Some(map) = self.workers.get_mut(worker as usize) else {
                continue;
            };
            if map.get(&hash) == Some(&until) {
                map.remove(&hash);
                self.size -= 1;
            }
        }
    }
}
