//! The KV router's queue: requests that arrived while every worker was busy, released in the
//! order of [`QueuePolicy`] when load drops.

use std::cmp::Ordering;
use std::time::Duration;

use super::super::config::QueuePolicy;
use super::super::sequence::RequestId;

/// A queued request and what routing it later needs.
#[derive(Debug)]
pub(super) struct Queued {
    pub(super) id: RequestId,
    pub(super) hashes: Vec<u64>,
    pub(super) isl: u64,
    strict: u32,
    score: f64,
    seq: u64,
}

/// Requests waiting for a worker to stop being busy.
#[derive(Debug, Default)]
pub(super) struct RouterQueue {
    policy: QueuePolicy,
    entries: Vec<Queued>,
    next_seq: u64,
}

impl RouterQueue {
    pub(super) fn new(policy: QueuePolicy) -> Self {
        Self {
            policy,
            entries: Vec::new(),
            next_seq: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Queues a request that arrived at `arrival` with priority `jump` (seconds) in tier `strict`;
    /// `uncached` is its prompt tokens not cached on the best worker (for WSPT).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push(
        &mut self,
        id: RequestId,
        hashes: Vec<u64>,
        isl: u64,
        uncached: u64,
        arrival: Duration,
        jump: f64,
        strict: u32,
    ) {
        let jump = if jump.is_finite() { jump.max(0.0) } else { 0.0 };
        let arrival = arrival.as_secs_f64();
        let score = match self.policy {
            QueuePolicy::Fcfs => jump - arrival,
            QueuePolicy::Lcfs => jump + arrival,
            QueuePolicy::Wspt => (1.0 + jump) / uncached.max(1) as f64,
        };
        self.entries.push(Queued {
            id,
            hashes,
            isl,
            strict,
            score,
            seq: self.next_seq,
        });
        self.next_seq += 1;
    }

    /// Takes the request to release next: the highest tier, then the highest score, then the
    /// earliest queued.
    pub(super) fn pop(&mut self) -> Option<Queued> {
        let best = (0..self.entries.len()).max_by(|&a, &b| {
            let (x, y) = (&self.entries[a], &self.entries[b]);
            x.strict
                .cmp(&y.strict)
                .then(x.score.partial_cmp(&y.score).unwrap_or(Ordering::Equal))
                .then(y.seq.cmp(&x.seq))
        })?;
        Some(self.entries.swap_remove(best))
    }

    /// Removes a queued request; false if it is not queued.
    pub(super) fn remove(&mut self, id: RequestId) -> bool {
        match self.entries.iter().position(|q| q.id == id) {
            Some(i) => {
                self.entries.swap_remove(i);
                true
            }
            None => false,
        }
    }
}
