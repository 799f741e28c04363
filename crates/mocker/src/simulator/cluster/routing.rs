//! The engines of one role behind their router on the virtual clock: routing a request to an
//! engine (or parking it in the router's queue), releasing parked requests, and handing a
//! routed request to its engine.

use std::time::Duration;

use rustc_hash::FxHashMap as FastMap;

use super::layout::{EngineRole, EngineSlot, engine_for_target};
use crate::protocol::{GenerateEvent, RouteError, RouteHints};
use crate::simulator::config::{PoolConfig, RouterMode};
use crate::simulator::engine::Engine;
use crate::simulator::error::EngineError;
use crate::simulator::kv_cache::KvEvent;
use crate::simulator::prompt::HashedPrompt;
use crate::simulator::router::{Routed, Router};
use crate::simulator::sequence::RequestId;

#[derive(Debug)]
pub(super) struct Node {
    pub(super) engine: Engine,
    pub(super) slot: EngineSlot,
    /// When the engine is free to start its next step.
    pub(super) free_at: Duration,
    /// Results of the step in flight, visible at `free_at`.
    pub(super) pending: Vec<(RequestId, GenerateEvent)>,
    pub(super) pending_kv: Vec<KvEvent>,
    /// Requests whose first token is in `pending`.
    pub(super) pending_first: Vec<RequestId>,
}

/// The engines of one role behind their router.
#[derive(Debug)]
pub(super) struct Pool {
    /// First engine index.
    pub(super) start: usize,
    pub(super) dp: usize,
    /// Whether the router chooses among ranks (KV mode) or among workers.
    pub(super) routes_ranks: bool,
    pub(super) router: Router,
    /// Requests waiting in the router's queue.
    pub(super) parked: FastMap<RequestId, Parked>,
}

/// A request in a router's queue, and how to start it once released.
#[derive(Debug)]
pub(super) struct Parked {
    pub(super) prompt: HashedPrompt,
    pub(super) output_tokens: u32,
    /// When it reached the router (its engine's arrival time, so the queue counts as waiting).
    pub(super) arrival: Duration,
    /// Its prompt was prefilled elsewhere (a disaggregated decode).
    pub(super) prefilled: bool,
}

impl Pool {
    pub(super) fn target_of(&self, node: usize) -> usize {
        let local = node - self.start;
        if self.routes_ranks {
            local
        } else {
            local / self.dp
        }
    }

    /// The engine serving router target `target` ([`engine_for_target`]), load being an
    /// engine's running plus waiting requests.
    pub(super) fn engine_of(&self, nodes: &[Node], target: usize) -> usize {
        engine_for_target(self.start, self.dp, self.routes_ranks, target, |n| {
            nodes[n].engine.num_running() + nodes[n].engine.num_waiting()
        })
    }

    /// Routes request `id` at `now`: `Some(engine)` to start it there, `None` if it was parked
    /// in the router's queue. Without `hints` (`None`) it is routed as with no hints, except that
    /// direct mode falls back to round-robin (as [`Router::route`]) instead of refusing it.
    pub(super) fn submit(
        &mut self,
        nodes: &[Node],
        id: RequestId,
        parked: Parked,
        hints: Option<&RouteHints>,
        now: Duration,
    ) -> Result<Option<(usize, Parked)>, RouteError> {
        let isl = u64::from(parked.prompt.len());
        let hashes = parked.prompt.block_hashes().to_vec();
        let no_hints = RouteHints::default();
        let routed =
            match self
                .router
                .submit_hashed(id, hashes, isl, hints.unwrap_or(&no_hints), now)
            {
                Err(RouteError::NoWorkerNamed) if hints.is_none() => {
                    let hashes = parked.prompt.block_hashes().to_vec();
                    Routed::Worker(self.router.route_hashed_at(id, hashes, isl, now))
                }
                other => other?,
            };
        match routed {
            Routed::Worker(target) => Ok(Some((self.engine_of(nodes, target), parked))),
            Routed::Queued => {
                self.parked.insert(id, parked);
                Ok(None)
            }
        }
    }

    /// Requests the router's queue releases at `now`, with their engines.
    pub(super) fn released(
        &mut self,
        nodes: &[Node],
        now: Duration,
    ) -> Vec<(RequestId, usize, Parked)> {
        let mut out = Vec::new();
        for (id, target) in self.router.take_dispatched(now) {
            match self.parked.remove(&id) {
                Some(p) => out.push((id, self.engine_of(nodes, target), p)),
                // Not parked here (cannot happen): forget the booking.
                None => self.router.finished(target, id),
            }
        }
        out
    }
}

/// Hands a routed request to engine `node` at `now`.
pub(super) fn start(nodes: &mut [Node], node: usize, id: RequestId, parked: Parked, now: Duration) {
    let n = &mut nodes[node];
    n.free_at = n.free_at.max(now);
    if parked.prefilled {
        n.engine
            .add_prefilled_hashed(id, parked.prompt, parked.output_tokens, parked.arrival);
    } else {
        n.engine
            .add_hashed(id, parked.prompt, parked.output_tokens, parked.arrival);
    }
}

pub(super) fn add_pool(
    nodes: &mut Vec<Node>,
    config: &PoolConfig,
    workers: u32,
    dp: u32,
    role: EngineRole,
) -> Result<Pool, EngineError> {
    let start = nodes.len();
    for worker in 0..workers {
        for dp_rank in 0..dp {
            let index = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
            nodes.push(Node {
                engine: Engine::new(&config.engine, index)?,
                slot: EngineSlot {
                    role,
                    worker,
                    dp_rank,
                },
                free_at: Duration::ZERO,
                pending: Vec::new(),
                pending_kv: Vec::new(),
                pending_first: Vec::new(),
            });
        }
    }
    let routes_ranks = config.router.mode == RouterMode::Kv;
    let targets = if routes_ranks {
        (workers * dp) as usize
    } else {
        workers as usize
    };
    Ok(Pool {
        start,
        dp: dp as usize,
        routes_ranks,
        router: Router::new(&config.router, targets, config.engine.block_size)
            .with_step_budget(config.engine.max_num_batched_tokens),
        parked: FastMap::default(),
    })
}
