//! Picks a worker for each request, with Dynamo's router modes: round-robin, seeded random,
//! least-loaded, power of two choices, direct (the request names its worker), device-aware
//! weighted, and the KV-aware cost (spec §9.3) with its queue for when every worker is busy.
//!
//! For the KV mode the router keeps, per worker, an index of the block hashes the worker holds
//! (from its `Stored`/`Removed` events, or predicted from the router's own decisions with a time to
//! live when KV events are off; with chained hashes a set is equivalent to Dynamo's radix tree) and
//! its own book of the requests it routed there and not yet finished (their blocks and, until their
//! first token, their prefill tokens).
//!
//! Time: the router's clock is whatever its caller passes ([`Router::route_at`],
//! [`Router::submit`], [`Router::take_dispatched`]): the pool's real clock, or a virtual one.

mod index;
mod queue;

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use self::index::KvIndex;
use self::queue::RouterQueue;
use super::config::{BlockSize, RouterConfig, RouterMode};
use super::hashing::sequence_block_hashes;
use super::kv_cache::KvEvent;
use super::sequence::RequestId;
use crate::protocol::{RouteError, RouteHints};
use rustc_hash::FxHashMap as FastMap;

/// Step token budget assumed for the queue's busy test until [`Router::with_step_budget`] sets the
/// workers' own (the engine's default `max_num_batched_tokens`).
const DEFAULT_STEP_BUDGET: u32 = 8192;

/// Where [`Router::submit`] put a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routed {
    /// Booked on this worker: send it there now.
    Worker(usize),
    /// Every worker is busy: it waits in the router's queue until [`Router::take_dispatched`]
    /// releases it.
    Queued,
}

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
    requests: FastMap<RequestId, ActiveRequest>,
    active_blocks: FastMap<u64, u32>,
    partial_blocks: u64,
    prefill_tokens: u64,
}

impl WorkerBook {
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
    index: KvIndex,
    /// The latest time a caller passed.
    now: Duration,
    queue: RouterQueue,
    queue_threshold: Option<f64>,
    step_budget: u32,
    cpu_workers: usize,
    non_cpu_to_cpu_ratio: u64,
}

impl Router {
    /// A router over `num_workers` workers (at least 1) whose KV blocks hold `block_size` tokens.
    pub fn new(config: &RouterConfig, num_workers: usize, block_size: BlockSize) -> Self {
        let n = num_workers.max(1);
        Self {
            mode: config.mode,
            overlap_score_weight: config.overlap_score_weight,
            temperature: config.temperature,
            block_size,
            rng: StdRng::seed_from_u64(config.seed),
            next_round_robin: 0,
            workers: (0..n).map(|_| WorkerBook::default()).collect(),
            index: KvIndex::new(config, n),
            now: Duration::ZERO,
            queue: RouterQueue::new(config.queue_policy),
            queue_threshold: config.queue_threshold,
            step_budget: DEFAULT_STEP_BUDGET,
            cpu_workers: (config.cpu_workers as usize).min(n),
            non_cpu_to_cpu_ratio: u64::from(config.non_cpu_to_cpu_ratio.max(1)),
        }
    }

    /// Sets the workers' step token budget (`max_num_batched_tokens`), the unit of the queue
    /// threshold (8192 until set).
    #[must_use]
    pub fn with_step_budget(mut self, max_num_batched_tokens: u32) -> Self {
        self.step_budget = max_num_batched_tokens;
        self
    }

    /// Number of workers.
    pub fn num_workers(&self) -> usize {
        self.workers.len()
    }

    /// Chooses the worker for request `id` and books it there until [`Router::finished`], at the
    /// router's latest time. It never queues and has no target: direct mode falls back to
    /// round-robin here (see [`Router::submit`] for both).
    pub fn route(&mut self, id: RequestId, prompt_tokens: &[u32]) -> usize {
        self.route_at(id, prompt_tokens, self.now)
    }

    /// [`Router::route`] at time `now` (predicted KV entries expire on this clock).
    pub fn route_at(&mut self, id: RequestId, prompt_tokens: &[u32], now: Duration) -> usize {
        let hashes = self.hashes_for(prompt_tokens);
        self.route_hashed_at(id, hashes, prompt_tokens.len() as u64, now)
    }

    /// [`Router::route_at`] for a prompt of `isl` tokens whose full blocks hash to `hashes` (with
    /// this router's block size): the caller hashed it once for the router and the engine.
    pub fn route_hashed_at(
        &mut self,
        id: RequestId,
        hashes: Vec<u64>,
        isl: u64,
        now: Duration,
    ) -> usize {
        self.advance(now);
        let hashes = self.keep_hashes(hashes);
        let worker = self.choose(&hashes, isl);
        self.book(worker, id, hashes, isl);
        worker
    }

    /// Routes request `id` arriving at `now` with the request's own hints: a named worker (honoured
    /// in direct and KV modes, ignored in the others, as Dynamo's push router does), its priority
    /// and strict tier. In KV mode with a queue threshold, a request that finds every worker busy
    /// (or others already queued) is queued instead; a named worker bypasses the queue.
    ///
    /// # Errors
    /// [`RouteError::NoWorkerNamed`] in direct mode without a named worker,
    /// [`RouteError::UnknownWorker`] for a named worker that does not exist.
    pub fn submit(
        &mut self,
        id: RequestId,
        prompt_tokens: &[u32],
        hints: &RouteHints,
        now: Duration,
    ) -> Result<Routed, RouteError> {
        let hashes = self.hashes_for(prompt_tokens);
        self.submit_hashed(id, hashes, prompt_tokens.len() as u64, hints, now)
    }

    /// [`Router::submit`] for a prompt of `isl` tokens whose full blocks hash to `hashes` (with
    /// this router's block size).
    ///
    /// # Errors
    /// As [`Router::submit`].
    pub fn submit_hashed(
        &mut self,
        id: RequestId,
        hashes: Vec<u64>,
        isl: u64,
        hints: &RouteHints,
        now: Duration,
    ) -> Result<Routed, RouteError> {
        self.advance(now);
        let hashes = self.keep_hashes(hashes);
        let honours_target = matches!(self.mode, RouterMode::Direct | RouterMode::Kv);
        let target = hints.worker.filter(|_| honours_target);
        if let Some(w) = target {
            let w = w as usize;
            if w >= self.workers.len() {
                return Err(RouteError::UnknownWorker {
                    worker: w as u64,
                    workers: self.workers.len(),
                });
            }
            self.book(w, id, hashes, isl);
            return Ok(Routed::Worker(w));
        }
        if self.mode == RouterMode::Direct {
            return Err(RouteError::NoWorkerNamed);
        }
        if self.mode == RouterMode::Kv && (!self.queue.is_empty() || self.all_busy()) {
            let bs = u64::from(self.block_size.get());
            let best = (0..self.workers.len())
                .map(|w| self.index.overlap(w, &hashes, self.now))
                .max()
                .unwrap_or(0);
            let uncached = isl.saturating_sub(best as u64 * bs);
            self.queue.push(
                id,
                hashes,
                isl,
                uncached,
                now,
                hints.priority,
                hints.strict_priority,
            );
            return Ok(Routed::Queued);
        }
        Ok(Routed::Worker(self.route_hashed_at(id, hashes, isl, now)))
    }

    /// Releases queued requests, best first, while some worker is not busy: each is routed by the
    /// KV cost now and booked. Call it after [`Router::first_token`] and [`Router::finished`].
    pub fn take_dispatched(&mut self, now: Duration) -> Vec<(RequestId, usize)> {
        self.advance(now);
        let mut out = Vec::new();
        while !self.queue.is_empty() && !self.all_busy() {
            let Some(q) = self.queue.pop() else { break };
            let worker = self.choose(&q.hashes, q.isl);
            self.book(worker, q.id, q.hashes, q.isl);
            out.push((q.id, worker));
        }
        out
    }

    /// Drops a queued request (its client went away); false if it is not queued.
    pub fn cancel_queued(&mut self, id: RequestId) -> bool {
        self.queue.remove(id)
    }

    /// Requests waiting in the router's queue.
    pub fn queued_requests(&self) -> usize {
        self.queue.len()
    }

    /// Pending prefill tokens booked on a worker (routed, first token not yet produced, minus
    /// what its index said was cached).
    pub fn prefill_tokens(&self, worker: usize) -> u64 {
        self.workers.get(worker).map_or(0, |b| b.prefill_tokens)
    }

    /// Moves the router's clock to `now` (it never goes back): predicted KV entries whose time to
    /// live is over are forgotten.
    pub fn advance_to(&mut self, now: Duration) {
        self.advance(now);
    }

    fn advance(&mut self, now: Duration) {
        self.now = self.now.max(now);
        self.index.expire(self.now);
    }

    /// The given block hashes when the mode uses them (only the KV mode looks at blocks).
    fn keep_hashes(&self, hashes: Vec<u64>) -> Vec<u64> {
        if self.mode == RouterMode::Kv {
            hashes
        } else {
            Vec::new()
        }
    }

    /// Block hashes of a prompt when the mode uses them (only the KV mode looks at blocks).
    fn hashes_for(&self, prompt_tokens: &[u32]) -> Vec<u64> {
        if self.mode == RouterMode::Kv {
            sequence_block_hashes(prompt_tokens, self.block_size)
        } else {
            Vec::new()
        }
    }

    /// Whether the queue holds requests back: a threshold is set and every worker's pending
    /// prefill exceeds `threshold × step budget`.
    fn all_busy(&self) -> bool {
        let Some(threshold) = self.queue_threshold else {
            return false;
        };
        let limit = threshold * f64::from(self.step_budget);
        self.workers.iter().all(|b| b.prefill_tokens as f64 > limit)
    }

    fn load(&self, worker: usize) -> usize {
        self.workers[worker].requests.len()
    }

    /// The least loaded of `candidates`, the first on a tie.
    fn least_loaded(&self, candidates: impl Iterator<Item = usize>) -> usize {
        candidates.min_by_key(|&w| self.load(w)).unwrap_or(0)
    }

    fn choose(&mut self, hashes: &[u64], isl: u64) -> usize {
        let n = self.workers.len();
        match self.mode {
            RouterMode::RoundRobin | RouterMode::Direct => {
                let w = self.next_round_robin % n;
                self.next_round_robin = (w + 1) % n;
                w
            }
            RouterMode::Random => self.rng.random_range(0..n),
            RouterMode::LeastLoaded => self.least_loaded(0..n),
            RouterMode::PowerOfTwo => {
                if n == 1 {
                    return 0;
                }
                let a = self.rng.random_range(0..n);
                let b = (a + 1 + self.rng.random_range(0..n - 1)) % n;
                if self.load(a) <= self.load(b) { a } else { b }
            }
            RouterMode::DeviceAwareWeighted => {
                let first_cpu = n - self.cpu_workers;
                if self.cpu_workers == 0 || first_cpu == 0 {
                    return self.least_loaded(0..n);
                }
                let inflight =
                    |r: std::ops::Range<usize>| -> u64 { r.map(|w| self.load(w) as u64).sum() };
                let (gpu_load, cpu_load) = (inflight(0..first_cpu), inflight(first_cpu..n));
                let allowed = gpu_load.saturating_mul(self.cpu_workers as u64)
                    / self.non_cpu_to_cpu_ratio.saturating_mul(first_cpu as u64);
                if cpu_load < allowed {
                    self.least_loaded(first_cpu..n)
                } else {
                    self.least_loaded(0..first_cpu)
                }
            }
            RouterMode::Kv => {
                let costs = self.costs_of(hashes, isl);
                self.select(&costs)
            }
        }
    }

    /// The KV-aware cost of a prompt on every worker, in worker order.
    pub fn costs(&self, prompt_tokens: &[u32]) -> Vec<WorkerCost> {
        let hashes = sequence_block_hashes(prompt_tokens, self.block_size);
        self.costs_of(&hashes, prompt_tokens.len() as u64)
    }

    /// Applies a worker's KV events (blocks stored or evicted).
    ///
    /// Ignored when KV events are off ([`RouterConfig::use_kv_events`]): the index is then
    /// predicted from routing decisions.
    pub fn apply_kv_events(&mut self, worker: usize, events: &[KvEvent]) {
        if self.index.is_predicted() {
            return;
        }
        for event in events {
            match *event {
                KvEvent::Stored { block_hash } => self.index.stored(worker, block_hash),
                KvEvent::Removed { block_hash } => self.index.removed(worker, block_hash),
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

    /// Blocks in a worker's index (the size of its radix tree): those it reported as cached, or
    /// without KV events those predicted and not yet expired at the router's latest time.
    pub fn cached_blocks(&self, worker: usize) -> usize {
        self.index.len(worker)
    }

    fn costs_of(&self, hashes: &[u64], isl: u64) -> Vec<WorkerCost> {
        let bs = u64::from(self.block_size.get());
        let partial = u64::from(!isl.is_multiple_of(bs));
        self.workers
            .iter()
            .enumerate()
            .map(|(w, book)| {
                let overlap = self.index.overlap(w, hashes, self.now);
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
            let smallest = best.iter().map(|&w| self.index.len(w)).min().unwrap_or(0);
            let tied: Vec<usize> = best
                .into_iter()
                .filter(|&w| self.index.len(w) == smallest)
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
        let overlap = self.index.overlap(worker, &hashes, self.now) as u64;
        self.index.predict(worker, &hashes, self.now);
        let Some(book) = self.workers.get_mut(worker) else {
            return;
        };
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
