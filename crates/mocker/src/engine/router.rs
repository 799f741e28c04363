//! Picks a worker for each request: round-robin, seeded random, least-loaded, or Dynamo's KV-aware
//! cost (spec §9.3).
//!
//! For the KV mode the router keeps, per worker, the set of block hashes the worker reported as
//! cached (its `Stored`/`Removed` events; with chained hashes a set is equivalent to Dynamo's radix
//! tree) and its own book of the requests it routed there and not yet finished (their blocks and,
//! until their first token, their prefill tokens).

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::config::{BlockSize, RouterConfig, RouterMode};
use super::fast_hash::{FastMap, FastSet};
use super::hashing::sequence_block_hashes;
use super::kv_cache::KvEvent;
use super::sequence::RequestId;

/// The KV-aware cost of sending one request to one worker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkerCost {
    /// Leading request blocks cached on the worker.
    pub overlap_blocks: usize,
    /// Prefill tokens the worker would have: its active ones plus the request's uncached ones.
    pub prefill_tokens: u64,
    /// Blocks the worker would hold: its active ones plus the request's blocks it lacks.
    pub decode_blocks: u64,
    /// `overlap_score_weight · prefill_tokens / block_size + decode_blocks` (lower is better).
    pub logit: f64,
}

#[derive(Debug)]
struct ActiveRequest {
    hashes: Vec<u64>,
    partial_block: bool,
    prefill_tokens: u64,
}

#[derive(Debug, Default)]
struct WorkerBook {
    cached: FastSet<u64>,
    requests: FastMap<RequestId, ActiveRequest>,
    active_blocks: FastMap<u64, u32>,
    partial_blocks: u64,
    prefill_tokens: u64,
}

impl WorkerBook {
    fn overlap(&self, hashes: &[u64]) -> usize {
        hashes
            .iter()
            .take_while(|h| self.cached.contains(h))
            .count()
    }

    fn active_block_count(&self) -> u64 {
        self.active_blocks.len() as u64 + self.partial_blocks
    }
}

/// The router of an engine pool.
#[derive(Debug)]
pub struct Router {
    mode: RouterMode,
    overlap_score_weight: f64,
    temperature: f64,
    block_size: BlockSize,
    rng: StdRng,
    next_round_robin: usize,
    workers: Vec<WorkerBook>,
}

impl Router {
    /// A router over `num_workers` workers (at least 1) whose KV blocks hold `block_size` tokens.
    pub fn new(config: &RouterConfig, num_workers: usize, block_size: BlockSize) -> Self {
        Self {
            mode: config.mode,
            overlap_score_weight: config.overlap_score_weight,
            temperature: config.temperature,
            block_size,
            rng: StdRng::seed_from_u64(config.seed),
            next_round_robin: 0,
            workers: (0..num_workers.max(1))
                .map(|_| WorkerBook::default())
                .collect(),
        }
    }

    /// Number of workers.
    pub fn num_workers(&self) -> usize {
        self.workers.len()
    }

    /// Chooses the worker for request `id` and books it there until [`Router::finished`].
    pub fn route(&mut self, id: RequestId, prompt_tokens: &[u32]) -> usize {
        // Only the KV mode looks at blocks; the others book the request's load alone.
        let hashes = if self.mode == RouterMode::Kv {
            sequence_block_hashes(prompt_tokens, self.block_size)
        } else {
            Vec::new()
        };
        let isl = prompt_tokens.len() as u64;
        let n = self.workers.len();
        let worker = match self.mode {
            RouterMode::RoundRobin => {
                let w = self.next_round_robin % n;
                self.next_round_robin = (w + 1) % n;
                w
            }
            RouterMode::Random => self.rng.random_range(0..n),
            RouterMode::LeastLoaded => (0..n)
                .min_by_key(|&w| self.workers[w].requests.len())
                .unwrap_or(0),
            RouterMode::Kv => {
                let costs = self.costs_of(&hashes, isl);
                self.select(&costs)
            }
        };
        self.book(worker, id, hashes, isl);
        worker
    }

    /// The KV-aware cost of a prompt on every worker, in worker order.
    pub fn costs(&self, prompt_tokens: &[u32]) -> Vec<WorkerCost> {
        let hashes = sequence_block_hashes(prompt_tokens, self.block_size);
        self.costs_of(&hashes, prompt_tokens.len() as u64)
    }

    /// Applies a worker's KV events (blocks stored or evicted).
    pub fn apply_kv_events(&mut self, worker: usize, events: &[KvEvent]) {
        let Some(book) = self.workers.get_mut(worker) else {
            return;
        };
        for event in events {
            match *event {
                KvEvent::Stored { block_hash } => {
                    book.cached.insert(block_hash);
                }
                KvEvent::Removed { block_hash } => {
                    book.cached.remove(&block_hash);
                }
            }
        }
    }

    /// The request produced its first token: its prompt no longer counts as pending prefill.
    pub fn first_token(&mut self, worker: usize, id: RequestId) {
        let Some(book) = self.workers.get_mut(worker) else {
            return;
        };
        if let Some(req) = book.requests.get_mut(&id) {
            book.prefill_tokens -= req.prefill_tokens;
            req.prefill_tokens = 0;
        }
    }

    /// The request finished or was cancelled: it no longer loads the worker.
    pub fn finished(&mut self, worker: usize, id: RequestId) {
        let Some(book) = self.workers.get_mut(worker) else {
            return;
        };
        let Some(req) = book.requests.remove(&id) else {
            return;
        };
        book.prefill_tokens -= req.prefill_tokens;
        book.partial_blocks -= u64::from(req.partial_block);
        for h in req.hashes {
            if let Some(rc) = book.active_blocks.get_mut(&h) {
                *rc -= 1;
                if *rc == 0 {
                    book.active_blocks.remove(&h);
                }
            }
        }
    }

    /// Requests booked on a worker (routed and not finished).
    pub fn active_requests(&self, worker: usize) -> usize {
        self.workers.get(worker).map_or(0, |b| b.requests.len())
    }

    /// Blocks a worker reported as cached (the size of its radix tree).
    pub fn cached_blocks(&self, worker: usize) -> usize {
        self.workers.get(worker).map_or(0, |b| b.cached.len())
    }

    fn costs_of(&self, hashes: &[u64], isl: u64) -> Vec<WorkerCost> {
        let bs = u64::from(self.block_size.get());
        let partial = u64::from(!isl.is_multiple_of(bs));
        self.workers
            .iter()
            .map(|book| {
                let overlap = book.overlap(hashes);
                let uncached = isl.saturating_sub(overlap as u64 * bs);
                let prefill_tokens = book.prefill_tokens + uncached;
                let missing = hashes
                    .iter()
                    .filter(|h| !book.active_blocks.contains_key(h))
                    .count();
                let decode_blocks = book.active_block_count() + missing as u64 + partial;
                let logit = self.overlap_score_weight * prefill_tokens as f64 / bs as f64
                    + decode_blocks as f64;
                WorkerCost {
                    overlap_blocks: overlap,
                    prefill_tokens,
                    decode_blocks,
                    logit,
                }
            })
            .collect()
    }

    /// Temperature 0: the lowest logit, ties to the smallest cache, then at random. Otherwise a
    /// softmax over `-(logit / (max - min)) / temperature`.
    fn select(&mut self, costs: &[WorkerCost]) -> usize {
        let min = costs.iter().map(|c| c.logit).fold(f64::INFINITY, f64::min);
        let max = costs
            .iter()
            .map(|c| c.logit)
            .fold(f64::NEG_INFINITY, f64::max);
        if self.temperature <= 0.0 {
            let best: Vec<usize> = (0..costs.len())
                .filter(|&w| costs[w].logit == min)
                .collect();
            let smallest = best
                .iter()
                .map(|&w| self.workers[w].cached.len())
                .min()
                .unwrap_or(0);
            let tied: Vec<usize> = best
                .into_iter()
                .filter(|&w| self.workers[w].cached.len() == smallest)
                .collect();
            return match tied.len() {
                0 => 0,
                1 => tied[0],
                k => tied[self.rng.random_range(0..k)],
            };
        }
        let range = max - min;
        if range.is_nan() || range <= 0.0 {
            return self.rng.random_range(0..costs.len());
        }
        let scaled: Vec<f64> = costs
            .iter()
            .map(|c| -(c.logit / range) / self.temperature)
            .collect();
        let top = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = scaled.iter().map(|s| (s - top).exp()).collect();
        let total: f64 = weights.iter().sum();
        let mut draw = self.rng.random_range(0.0..total);
        for (w, weight) in weights.iter().enumerate() {
            if draw < *weight {
                return w;
            }
            draw -= weight;
        }
        costs.len() - 1
    }

    fn book(&mut self, worker: usize, id: RequestId, hashes: Vec<u64>, isl: u64) {
        let bs = u64::from(self.block_size.get());
        let Some(book) = self.workers.get_mut(worker) else {
            return;
        };
        let overlap = book.overlap(&hashes) as u64;
        let prefill_tokens = isl.saturating_sub(overlap * bs);
        let partial_block = !isl.is_multiple_of(bs);
        for &h in &hashes {
            *book.active_blocks.entry(h).or_insert(0) += 1;
        }
        book.partial_blocks += u64::from(partial_block);
        book.prefill_tokens += prefill_tokens;
        if let Some(old) = book.requests.insert(
            id,
            ActiveRequest {
                hashes,
                partial_block,
                prefill_tokens,
            },
        ) {
            // A reused id: forget the stale booking's load.
            book.prefill_tokens -= old.prefill_tokens;
            book.partial_blocks -= u64::from(old.partial_block);
            for h in old.hashes {
                if let Some(rc) = book.active_blocks.get_mut(&h) {
                    *rc -= 1;
                    if *rc == 0 {
                        book.active_blocks.remove(&h);
                    }
                }
            }
        }
    }
}
