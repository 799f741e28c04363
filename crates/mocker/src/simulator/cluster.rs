//! Several engines behind a router on a virtual clock: a discrete-event simulation of a pool, for
//! exact tests and offline trace replay (no threads, no sleeping).
//!
//! Besides the aggregated pool of [`VirtualCluster::new`], [`VirtualCluster::with_layout`] builds
//! the two layouts of [`ClusterLayout`]: data-parallel ranks (each worker runs
//! `data_parallel_size` engines with caches of their own, which the KV router sees as separate
//! targets, as Dynamo's router sees `(worker, dp_rank)` pairs), and disaggregated serving
//! (prefill workers compute the prompt, its KV blocks travel to a decode worker in
//! [`DisaggConfig::transfer_time`], and the decode worker generates the rest).
//!
//! Actions run in time order over all engines: at one instant, step results are delivered and
//! KV transfers land first, then requests submitted at that instant are routed, then steps start.
//!
//! Routing goes through the same [`Router`] calls as the real-time pool, on the virtual clock:
//! [`Router::submit`] with the request's hints (in KV mode a request that finds every worker busy
//! waits in the router's queue), [`Router::take_dispatched`] after each delivery (queued requests
//! leave, best first, as soon as a worker stops being busy; their queue time counts in
//! `queue_wait`), and the clock moves the approximate index's time to live along.

mod layout;
pub(crate) use layout::engine_for_target;
mod routing;

pub use layout::{
    ClusterLayout, DEFAULT_KV_BYTES_PER_TOKEN, DEFAULT_TRANSFER_BANDWIDTH, DisaggConfig,
    EngineRole, EngineSlot, MAX_DATA_PARALLEL_SIZE,
};
use routing::{Node, Parked, Pool, add_pool, start};

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use rustc_hash::FxHashMap as FastMap;

use super::config::BlockSize;
use super::config::PoolConfig;
use super::engine::Engine;
use super::error::EngineError;
use super::prompt::HashedPrompt;
use super::router::Router;
use super::sequence::RequestId;
use crate::protocol::{GenerateEvent, GenerateRequest, RouteError, RouteHints, ServerTimings};

/// One event of a [`VirtualCluster`] run.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterEvent {
    /// When it happened (end of the step that produced it, or the end of a KV transfer).
    pub at: Duration,
    /// The engine that produced it: an index into the cluster's engines (see
    /// [`VirtualCluster::slot`]); for the first token of a disaggregated request, its decode
    /// engine.
    pub worker: u32,
    /// The request.
    pub request: RequestId,
    /// The token or completion.
    pub event: GenerateEvent,
}

/// A disaggregated request between its prefill and its decode.
#[derive(Debug)]
struct InFlight {
    prompt: HashedPrompt,
    output_tokens: u32,
    first_token: Option<u32>,
    /// Prefill-side timings, reported in the final `Finished`.
    timings: Option<ServerTimings>,
    /// When the prefill engine first scheduled it.
    scheduled: Duration,
    /// When its KV transfer landed (its first token reached the client).
    first_token_at: Duration,
}

/// A KV transfer that lands at a time (ordered by time, then by start order).
type Handoff = Reverse<(Duration, u64, RequestId)>;

/// A pool of engines and its router on a virtual clock.
#[derive(Debug)]
pub struct VirtualCluster {
    nodes: Vec<Node>,
    main: Pool,
    prefill: Option<Pool>,
    disagg: Option<DisaggConfig>,
    next_id: RequestId,
    in_flight: FastMap<RequestId, InFlight>,
    handoffs: BinaryHeap<Handoff>,
    handoff_seq: u64,
    block_size: BlockSize,
}

/// The next thing to do, in time order; at equal times deliveries and transfers come before
/// steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Deliver(usize),
    Handoff,
    Step(usize),
}

impl VirtualCluster {
    /// Builds the engines and router of `config` (aggregated workers, one rank each).
    ///
    /// # Errors
    /// A setting out of range, or a timing file that cannot be loaded.
    pub fn new(config: &PoolConfig) -> Result<Self, EngineError> {
        Self::with_layout(config, &ClusterLayout::default())
    }

    /// Builds the engines and routers of `config` arranged as `layout`: `num_workers` workers
    /// (the decode workers when disaggregated) of `data_parallel_size` ranks each, then the
    /// prefill workers, if any, with as many ranks. Engine indices run over the workers in that
    /// order, ranks of a worker together.
    ///
    /// # Errors
    /// A setting out of range, or a timing file that cannot be loaded.
    pub fn with_layout(config: &PoolConfig, layout: &ClusterLayout) -> Result<Self, EngineError> {
        config.validate()?;
        layout.validate()?;
        let dp = layout.data_parallel_size;
        let mut nodes = Vec::new();
        let main_role = if layout.disagg.is_some() {
            EngineRole::Decode
        } else {
            EngineRole::Aggregated
        };
        let main = add_pool(&mut nodes, config, config.num_workers, dp, main_role)?;
        let prefill = match &layout.disagg {
            Some(d) => Some(add_pool(
                &mut nodes,
                config,
                d.prefill_workers,
                dp,
                EngineRole::Prefill,
            )?),
            None => None,
        };
        Ok(Self {
            nodes,
            main,
            prefill,
            disagg: layout
                .disagg
                .as_ref()
                .map(|d| d.sped_up(config.engine.speedup_ratio)),
            next_id: 0,
            in_flight: FastMap::default(),
            handoffs: BinaryHeap::new(),
            handoff_seq: 0,
            block_size: config.engine.block_size,
        })
    }

    /// The router of the aggregated (or, disaggregated, the decode) workers, to inspect costs
    /// and caches. With data-parallel ranks in KV mode its targets are engines, otherwise workers.
    pub fn router(&self) -> &Router {
        &self.main.router
    }

    /// The router of the prefill workers, when disaggregated.
    pub fn prefill_router(&self) -> Option<&Router> {
        self.prefill.as_ref().map(|p| &p.router)
    }

    /// Number of engines (workers times ranks, prefill ones included).
    pub fn num_engines(&self) -> usize {
        self.nodes.len()
    }

    /// The engine at an index.
    pub fn engine(&self, index: usize) -> Option<&Engine> {
        self.nodes.get(index).map(|n| &n.engine)
    }

    /// Where the engine at an index sits.
    pub fn slot(&self, index: usize) -> Option<EngineSlot> {
        self.nodes.get(index).map(|n| n.slot)
    }

    /// Runs the cluster up to `at`, then routes a request arriving at `at` with no hints. Returns
    /// its id and engine (the prefill engine when disaggregated), or `None` for the engine when
    /// the router queued it (KV mode, every worker busy); events produced on the way are
    /// appended to `events`.
    pub fn submit(
        &mut self,
        at: Duration,
        request: GenerateRequest,
        events: &mut Vec<ClusterEvent>,
    ) -> (RequestId, Option<u32>) {
        let prompt = HashedPrompt::from_tokens(&request.prompt_tokens, self.block_size);
        // Without hints nothing is refused: direct mode falls back to round-robin.
        self.submit_routed(at, prompt, request.output_tokens, None, events)
            .unwrap_or((RequestId::MAX, None))
    }

    /// [`VirtualCluster::submit`] for a prompt already hashed with the engines' block size
    /// (hashed once for the routers and the engines; a driver that knows its blocks by id need
    /// not materialise the tokens), generating `output_tokens` tokens.
    pub fn submit_hashed(
        &mut self,
        at: Duration,
        prompt: HashedPrompt,
        output_tokens: u32,
        events: &mut Vec<ClusterEvent>,
    ) -> (RequestId, Option<u32>) {
        self.submit_routed(at, prompt, output_tokens, None, events)
            .unwrap_or((RequestId::MAX, None))
    }

    /// [`VirtualCluster::submit`] with the request's routing hints (named worker, priority and
    /// strict tier), as the real-time pool's `submit_routed`.
    ///
    /// # Errors
    /// [`RouteError`] as [`Router::submit`]: direct mode without a named worker, or a worker that
    /// does not exist. Nothing is submitted then.
    pub fn submit_with_hints(
        &mut self,
        at: Duration,
        request: GenerateRequest,
        hints: &RouteHints,
        events: &mut Vec<ClusterEvent>,
    ) -> Result<(RequestId, Option<u32>), RouteError> {
        let prompt = HashedPrompt::from_tokens(&request.prompt_tokens, self.block_size);
        self.submit_routed(at, prompt, request.output_tokens, Some(hints), events)
    }

    fn submit_routed(
        &mut self,
        at: Duration,
        prompt: HashedPrompt,
        output_tokens: u32,
        hints: Option<&RouteHints>,
        events: &mut Vec<ClusterEvent>,
    ) -> Result<(RequestId, Option<u32>), RouteError> {
        self.advance_to(at, events);
        let id = self.next_id;
        let routed = match &mut self.prefill {
            Some(pool) => {
                let parked = Parked {
                    prompt: prompt.clone(),
                    output_tokens: 1,
                    arrival: at,
                    prefilled: false,
                };
                let routed = pool.submit(&self.nodes, id, parked, hints, at)?;
                self.in_flight.insert(
                    id,
                    InFlight {
                        prompt,
                        output_tokens,
                        first_token: None,
                        timings: None,
                        scheduled: at,
                        first_token_at: Duration::ZERO,
                    },
                );
                routed
            }
            None => {
                let parked = Parked {
                    prompt,
                    output_tokens,
                    arrival: at,
                    prefilled: false,
                };
                self.main.submit(&self.nodes, id, parked, hints, at)?
            }
        };
        self.next_id += 1;
        let node = routed.map(|(node, parked)| {
            start(&mut self.nodes, node, id, parked, at);
            node as u32
        });
        Ok((id, node))
    }

    /// Requests waiting in the routers' queues (prefill and decode together).
    pub fn queued_requests(&self) -> usize {
        self.main.router.queued_requests()
            + self
                .prefill
                .as_ref()
                .map_or(0, |p| p.router.queued_requests())
    }

    /// Runs every action due before `until`: results of steps ending and transfers landing at or
    /// before `until` are delivered (to `events` and to the routers), steps starting before
    /// `until` run.
    /// The routers' clocks then read `until` (predicted KV entries older than their time to live
    /// are forgotten).
    pub fn advance_to(&mut self, until: Duration, events: &mut Vec<ClusterEvent>) {
        while self.run_next_before(until, events) {}
        self.main.router.advance_to(until);
        if let Some(p) = &mut self.prefill {
            p.router.advance_to(until);
        }
    }

    /// Runs the earliest pending action (a step, a delivery or a transfer landing) and returns its
    /// time, or `None` when every engine is idle and nothing is in flight. A driver that submits
    /// requests in reaction to events (closed-loop users) calls this until the events it waits
    /// for appear.
    pub fn run_next(&mut self, events: &mut Vec<ClusterEvent>) -> Option<Duration> {
        let (at, action) = self.next_action()?;
        self.run(action, events);
        Some(at)
    }

    /// Runs the earliest pending action if it is due before `until` (a step starting before it,
    /// a delivery or transfer at or before it); returns whether one ran. A driver with its own
    /// arrivals calls this with the next arrival's time until it returns false, then submits.
    pub fn run_next_before(&mut self, until: Duration, events: &mut Vec<ClusterEvent>) -> bool {
        let Some((at, action)) = self.next_action() else {
            return false;
        };
        let due = match action {
            Action::Step(_) => at < until,
            Action::Deliver(_) | Action::Handoff => at <= until,
        };
        if due {
            self.run(action, events);
        }
        due
    }

    /// The time of the earliest pending action, if any.
    pub fn next_time(&self) -> Option<Duration> {
        self.next_action().map(|(at, _)| at)
    }

    /// Runs until every engine is idle.
    pub fn run_until_idle(&mut self, events: &mut Vec<ClusterEvent>) {
        while self.run_next(events).is_some() {}
    }

    fn next_action(&self) -> Option<(Duration, Action)> {
        let mut best: Option<(Duration, Action)> = None;
        for (i, node) in self.nodes.iter().enumerate() {
            let action = if !(node.pending.is_empty() && node.pending_kv.is_empty()) {
                Action::Deliver(i)
            } else if node.engine.has_work() {
                Action::Step(i)
            } else {
                continue;
            };
            let candidate = (node.free_at, action);
            if best.is_none_or(|b| candidate < b) {
                best = Some(candidate);
            }
        }
        if let Some(Reverse((at, _, _))) = self.handoffs.peek() {
            let candidate = (*at, Action::Handoff);
            if best.is_none_or(|b| candidate < b) {
                best = Some(candidate);
            }
        }
        best
    }

    fn run(&mut self, action: Action, events: &mut Vec<ClusterEvent>) {
        match action {
            Action::Deliver(w) => self.deliver(w, events),
            Action::Handoff => self.land_transfer(events),
            Action::Step(w) => {
                let node = &mut self.nodes[w];
                let out = node.engine.step(node.free_at);
                node.free_at = out.end;
                node.pending.extend_from_slice(&out.events);
                node.pending_kv.extend_from_slice(&out.kv_events);
                node.pending_first.extend_from_slice(&out.first_tokens);
            }
        }
    }

    fn deliver(&mut self, w: usize, events: &mut Vec<ClusterEvent>) {
        let node = &mut self.nodes[w];
        let at = node.free_at;
        let role = node.slot.role;
        let mut pending = std::mem::take(&mut node.pending);
        let pool = match (role, &mut self.prefill) {
            (EngineRole::Prefill, Some(p)) => p,
            _ => &mut self.main,
        };
        let target = pool.target_of(w);
        pool.router.apply_kv_events(target, &node.pending_kv);
        node.pending_kv.clear();
        if role != EngineRole::Prefill {
            for id in node.pending_first.drain(..) {
                pool.router.first_token(target, id);
            }
        }
        node.pending_first.clear();
        for (request, event) in pending.drain(..) {
            if role == EngineRole::Prefill {
                self.prefilled(w, at, request, event);
                continue;
            }
            let pool = &mut self.main;
            let event = match event {
                GenerateEvent::Token { .. } => event,
                GenerateEvent::Finished { reason, timings } => {
                    pool.router.finished(target, request);
                    let timings = match self.in_flight.remove(&request) {
                        Some(f) => merged_timings(&f, timings, w),
                        None => timings,
                    };
                    GenerateEvent::Finished { reason, timings }
                }
            };
            events.push(ClusterEvent {
                at,
                worker: w as u32,
                request,
                event,
            });
        }
        // Keep the buffer's allocation.
        self.nodes[w].pending = pending;
        self.release_queued(role == EngineRole::Prefill, at);
    }

    /// Starts the requests the router's queue (the prefill router's, or the main one's) releases
    /// at `now`.
    fn release_queued(&mut self, prefill: bool, now: Duration) {
        let pool = match (&mut self.prefill, prefill) {
            (Some(p), true) => p,
            _ => &mut self.main,
        };
        if pool.parked.is_empty() {
            return;
        }
        for (id, node, parked) in pool.released(&self.nodes, now) {
            start(&mut self.nodes, node, id, parked, now);
        }
    }

    /// A prefill engine's result: its one token is held back, its completion starts the transfer.
    fn prefilled(&mut self, w: usize, at: Duration, request: RequestId, event: GenerateEvent) {
        let Some(pool) = self.prefill.as_mut() else {
            return;
        };
        let target = pool.target_of(w);
        let Some(flight) = self.in_flight.get_mut(&request) else {
            return;
        };
        match event {
            GenerateEvent::Token { token_id } => {
                pool.router.first_token(target, request);
                flight.first_token = Some(token_id);
            }
            GenerateEvent::Finished { timings, .. } => {
                pool.router.finished(target, request);
                flight.scheduled += timings.queue_wait;
                flight.timings = Some(timings);
                let transfer = self
                    .disagg
                    .as_ref()
                    .map_or(Duration::ZERO, |d| d.transfer_time(timings.prompt_tokens));
                self.handoff_seq += 1;
                self.handoffs
                    .push(Reverse((at + transfer, self.handoff_seq, request)));
            }
        }
    }

    /// A KV transfer landed: the first token reaches the client and the request moves to a
    /// decode engine (or ends, if it wanted one token).
    fn land_transfer(&mut self, events: &mut Vec<ClusterEvent>) {
        let Some(Reverse((at, _, id))) = self.handoffs.pop() else {
            return;
        };
        let Some(flight) = self.in_flight.get_mut(&id) else {
            return;
        };
        flight.first_token_at = at;
        let parked = Parked {
            prompt: flight.prompt.clone(),
            output_tokens: flight.output_tokens,
            arrival: at,
            prefilled: true,
        };
        let first_token = flight.first_token;
        let wants_decode = flight.output_tokens >= 2;
        let routed = self.main.submit(&self.nodes, id, parked, None, at);
        let (node, parked) = match routed {
            Ok(Some(routed)) => routed,
            // The decode workers compute no prompt, so their router never finds them all busy
            // and never queues; should it, the request is routed at once instead.
            _ => {
                self.main.router.cancel_queued(id);
                let Some(parked) = self.main.parked.remove(&id) else {
                    return;
                };
                let hashes = parked.prompt.block_hashes().to_vec();
                let isl = u64::from(parked.prompt.len());
                let target = self.main.router.route_hashed_at(id, hashes, isl, at);
                (self.main.engine_of(&self.nodes, target), parked)
            }
        };
        let target = self.main.target_of(node);
        // The decode worker computes no prompt: its booked prefill load ends at once.
        self.main.router.first_token(target, id);
        if let Some(token_id) = first_token {
            events.push(ClusterEvent {
                at,
                worker: node as u32,
                request: id,
                event: GenerateEvent::Token { token_id },
            });
        }
        if wants_decode {
            start(&mut self.nodes, node, id, parked, at);
            return;
        }
        // One token (or none) was asked for: the request ends with the transfer.
        self.main.router.finished(target, id);
        if let Some(flight) = self.in_flight.remove(&id) {
            let done = merged_timings(&flight, ServerTimings::default(), node);
            events.push(ClusterEvent {
                at,
                worker: node as u32,
                request: id,
                event: GenerateEvent::Finished {
                    reason: crate::protocol::FinishReason::Length,
                    timings: done,
                },
            });
        }
        self.release_queued(false, at);
    }
}

/// The timings of a disaggregated request: queueing and cache hits of its prefill, prefill plus
/// transfer as its prefill time, served (decoded) by engine `decode_engine`.
fn merged_timings(flight: &InFlight, decode: ServerTimings, decode_engine: usize) -> ServerTimings {
    let Some(prefill) = flight.timings else {
        return decode;
    };
    ServerTimings {
        worker_id: decode_engine as u32,
        queue_wait: prefill.queue_wait,
        prefill: flight.first_token_at.saturating_sub(flight.scheduled),
        cached_tokens: prefill.cached_tokens,
        prompt_tokens: prefill.prompt_tokens,
    }
}
