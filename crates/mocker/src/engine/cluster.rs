//! Several engines behind a router on a virtual clock: a discrete-event simulation of a pool, for
//! exact tests and offline what-if runs (no threads, no sleeping).

use std::time::Duration;

use super::config::PoolConfig;
use super::error::EngineError;
use super::kv_cache::KvEvent;
use super::router::Router;
use super::scheduler::Engine;
use super::sequence::RequestId;
use crate::protocol::{GenerateEvent, GenerateRequest};

/// One event of a [`VirtualCluster`] run.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterEvent {
    /// When it happened (end of the step that produced it).
    pub at: Duration,
    /// The worker that produced it.
    pub worker: u32,
    /// The request.
    pub request: RequestId,
    /// The token or completion.
    pub event: GenerateEvent,
}

#[derive(Debug)]
struct Node {
    engine: Engine,
    /// When the engine is free to start its next step.
    free_at: Duration,
    /// Results of the step in flight, visible at `free_at`.
    pending: Vec<(RequestId, GenerateEvent)>,
    pending_kv: Vec<KvEvent>,
}

/// A pool of engines and its router on a virtual clock.
#[derive(Debug)]
pub struct VirtualCluster {
    nodes: Vec<Node>,
    router: Router,
    next_id: RequestId,
    first_token_seen: std::collections::HashSet<RequestId>,
}

impl VirtualCluster {
    /// Builds the engines and router of `config`.
    pub fn new(config: &PoolConfig) -> Result<Self, EngineError> {
        config.validate()?;
        let n = config.num_workers;
        let nodes = (0..n)
            .map(|w| {
                Ok(Node {
                    engine: Engine::new(&config.engine, w)?,
                    free_at: Duration::ZERO,
                    pending: Vec::new(),
                    pending_kv: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>, EngineError>>()?;
        Ok(Self {
            router: Router::new(&config.router, nodes.len(), config.engine.block_size),
            nodes,
            next_id: 0,
            first_token_seen: std::collections::HashSet::new(),
        })
    }

    /// The router (to inspect costs and caches).
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// The engine of a worker.
    pub fn engine(&self, worker: usize) -> Option<&Engine> {
        self.nodes.get(worker).map(|n| &n.engine)
    }

    /// Runs the cluster up to `at`, then routes a request arriving at `at`. Returns its id and
    /// worker; events produced on the way are appended to `events`.
    pub fn submit(
        &mut self,
        at: Duration,
        request: GenerateRequest,
        events: &mut Vec<ClusterEvent>,
    ) -> (RequestId, u32) {
        self.advance_to(at, events);
        let id = self.next_id;
        self.next_id += 1;
        let worker = self.router.route(id, &request.prompt_tokens);
        let node = &mut self.nodes[worker];
        node.free_at = node.free_at.max(at);
        node.engine.add_request(id, request, at);
        (id, worker as u32)
    }

    /// Runs every step that starts before `until` (results of steps ending at or before `until`
    /// are delivered, to `events` and to the router).
    pub fn advance_to(&mut self, until: Duration, events: &mut Vec<ClusterEvent>) {
        for w in 0..self.nodes.len() {
            loop {
                let node = &mut self.nodes[w];
                if node.free_at <= until && !(node.pending.is_empty() && node.pending_kv.is_empty())
                {
                    self.deliver(w, events);
                    continue;
                }
                if node.engine.has_work() && node.free_at < until {
                    let out = node.engine.step(node.free_at);
                    node.free_at = out.end;
                    node.pending.extend_from_slice(&out.events);
                    node.pending_kv.extend_from_slice(&out.kv_events);
                    continue;
                }
                break;
            }
        }
    }

    /// Runs until every engine is idle.
    pub fn run_until_idle(&mut self, events: &mut Vec<ClusterEvent>) {
        self.advance_to(Duration::MAX, events);
    }

    fn deliver(&mut self, w: usize, events: &mut Vec<ClusterEvent>) {
        let node = &mut self.nodes[w];
        let at = node.free_at;
        self.router.apply_kv_events(w, &node.pending_kv);
        node.pending_kv.clear();
        for (request, event) in node.pending.drain(..) {
            match event {
                GenerateEvent::Token { .. } => {
                    if self.first_token_seen.insert(request) {
                        self.router.first_token(w, request);
                    }
                }
                GenerateEvent::Finished { .. } => {
                    self.first_token_seen.remove(&request);
                    self.router.finished(w, request);
                }
            }
            events.push(ClusterEvent {
                at,
                worker: w as u32,
                request,
                event,
            });
        }
    }
}
