//! The real-clock engine pool: one OS thread per worker engine, a shared router, and the
//! [`TokenSource`] the HTTP server calls.
//!
//! Each worker sleeps to absolute step deadlines with `std::thread::sleep` (finer than tokio's
//! 1 ms timer) and pushes events into each request's tokio channel from its own thread.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use rustc_hash::FxHashMap as FastMap;
use tokio::sync::mpsc::UnboundedSender;

use super::cluster::{ClusterLayout, EngineRole};
use super::config::{PoolConfig, RouterMode};
use super::engine::Engine;
use super::error::EngineError;
use super::metrics::EngineMetrics;
use super::router::{Routed, Router};
use super::worker::{
    MAIN_STAGE, PREFILL_STAGE, Phase, PoolShared, Stage, Submission, WorkerLoop, WorkerMessage,
};
use crate::protocol::{GenerateEvent, GenerateRequest, RouteError, RouteHints, TokenSource};

#[derive(Debug)]
struct WorkerHandle {
    submissions: Option<mpsc::Sender<WorkerMessage>>,
    thread: Option<JoinHandle<()>>,
}

/// Simulated engines running in real time behind a router.
///
/// Start it with [`EnginePool::start`], hand it to the server as a [`TokenSource`], read
/// [`EnginePool::metrics`] for `/metrics`. Dropping it stops the worker threads after their
/// current step (requests still in flight end with their channel closed, without `Finished`).
#[derive(Debug)]
pub struct EnginePool {
    shared: Arc<PoolShared>,
    workers: Vec<WorkerHandle>,
    /// The KV transfer thread, when disaggregated.
    transfer_thread: Option<JoinHandle<()>>,
    /// What each engine does.
    roles: Vec<EngineRole>,
    next_id: AtomicU64,
    /// KV capacity of one worker, in tokens.
    capacity_tokens: u32,
}

impl EnginePool {
    /// Builds every worker engine (validating the configuration and loading the timing file) and
    /// starts one thread per worker.
    ///
    /// # Errors
    /// A setting out of range (see [`PoolConfig::validate`]), an unreadable timing file, or a
    /// thread the OS would not start.
    pub fn start(config: &PoolConfig) -> Result<Self, EngineError> {
        Self::start_with_layout(config, &ClusterLayout::default())
    }

    /// [`EnginePool::start`] arranged as `layout`, the engines numbered as
    /// [`VirtualCluster::with_layout`](super::VirtualCluster::with_layout) numbers them:
    /// `num_workers` workers (the decode workers when disaggregated) of
    /// `layout.data_parallel_size` engines (ranks) each, then the prefill workers, if any, with
    /// as many ranks; one thread per engine
    /// ([`ServerTimings::worker_id`](crate::ServerTimings) is that number).
    ///
    /// Data-parallel ranks: in KV mode the router sees every (worker, rank) engine as a target of
    /// its own, as Dynamo's router does; other modes choose a worker, then its rank with the
    /// fewest requests in flight (lowest on ties).
    ///
    /// Disaggregated serving (`layout.disagg`): a request is routed by the prefill router (with
    /// the request's hints; in KV mode it may wait in that router's queue) to a prefill engine,
    /// which computes its prompt and its first token; that token is held while the prompt's KV
    /// blocks travel ([`DisaggConfig::transfer_time`](super::DisaggConfig::transfer_time),
    /// divided by the speed-up ratio like step times, waited on the real clock by a transfer
    /// thread); when they land the token goes to the client and the decode router (no hints,
    /// never queueing: direct mode falls back to round-robin there) picks a decode engine, which
    /// holds the prompt's blocks without computing them and generates the rest. TTFT is queue +
    /// prefill + transfer; the `Finished` timings report the decode engine as the worker and
    /// prefill plus transfer as the prefill time, as the offline cluster does.
    ///
    /// # Errors
    /// As [`EnginePool::start`]; a layout out of range.
    pub fn start_with_layout(
        config: &PoolConfig,
        layout: &ClusterLayout,
    ) -> Result<Self, EngineError> {
        config.validate()?;
        layout.validate()?;
        let dp = layout.data_parallel_size;
        let routes_ranks = config.router.mode == RouterMode::Kv;
        let mut roles = vec![
            if layout.disagg.is_some() {
                EngineRole::Decode
            } else {
                EngineRole::Aggregated
            };
            (config.num_workers * dp) as usize
        ];
        let mut stages = vec![stage(config, config.num_workers, dp, 0)];
        if let Some(d) = &layout.disagg {
            stages.push(stage(config, d.prefill_workers, dp, roles.len()));
            roles.extend(std::iter::repeat_n(
                EngineRole::Prefill,
                (d.prefill_workers * dp) as usize,
            ));
        }
        let engines = (0u32..)
            .zip(&roles)
            .map(|(w, _)| Engine::new(&config.engine, w))
            .collect::<Result<Vec<_>, _>>()?;
        let disagg = layout
            .disagg
            .as_ref()
            .map(|d| d.sped_up(config.engine.speedup_ratio));
        let (transfer_tx, transfer_rx) = mpsc::channel();
        let shared = Arc::new(PoolShared {
            epoch: Instant::now(),
            stages,
            metrics: engines.iter().map(|e| Mutex::new(e.metrics())).collect(),
            in_flight: engines.iter().map(|_| AtomicUsize::new(0)).collect(),
            dead: AtomicBool::new(false),
            failure: Mutex::new(None),
            senders: Mutex::new(None),
            transfers: Mutex::new(disagg.is_some().then_some(transfer_tx)),
            disagg,
        });
        let mut workers = Vec::with_capacity(engines.len());
        for ((w, engine), role) in (0u32..).zip(engines).zip(&roles) {
            let (tx, rx) = mpsc::channel();
            let stage_index = if *role == EngineRole::Prefill {
                PREFILL_STAGE
            } else {
                MAIN_STAGE
            };
            let local = w as usize - shared.stages[stage_index].first_engine;
            let target = if routes_ranks {
                local
            } else {
                local / dp as usize
            };
            let worker = WorkerLoop::new(engine, stage_index, target, rx, Arc::clone(&shared));
            let thread = spawn_watched(
                &shared,
                format!("mocker-worker-{w}"),
                format!("engine worker {w}"),
                worker,
                |worker| {
                    worker.run();
                },
            )
            .map_err(|source| EngineError::Spawn { worker: w, source })?;
            workers.push(WorkerHandle {
                submissions: Some(tx),
                thread: Some(thread),
            });
        }
        let transfer_thread = if shared.disagg.is_some() {
            let state = (Arc::clone(&shared), transfer_rx);
            let thread = spawn_watched(
                &shared,
                "mocker-kv-transfer".into(),
                "the KV transfer thread".into(),
                state,
                |(shared, incoming)| super::transfer::run(shared, incoming),
            )
            .map_err(|source| EngineError::Spawn {
                worker: u32::try_from(roles.len()).unwrap_or(u32::MAX),
                source,
            })?;
            Some(thread)
        } else {
            None
        };
        *shared
            .senders
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(
            workers
                .iter()
                .filter_map(|w| w.submissions.clone())
                .collect(),
        );
        let capacity_tokens = config
            .engine
            .num_gpu_blocks
            .saturating_mul(config.engine.block_size.get());
        Ok(Self {
            shared,
            workers,
            transfer_thread,
            roles,
            next_id: AtomicU64::new(0),
            capacity_tokens,
        })
    }

    /// What each engine does, in engine order (all [`EngineRole::Aggregated`] unless
    /// disaggregated).
    pub fn engine_roles(&self) -> &[EngineRole] {
        &self.roles
    }

    /// The stage new requests enter: the prefill workers when disaggregated.
    fn entry_stage(&self) -> usize {
        if self.shared.stages.len() > PREFILL_STAGE {
            PREFILL_STAGE
        } else {
            MAIN_STAGE
        }
    }

    /// A new request as the entry stage's worker runs it: whole, or (disaggregated) its prefill
    /// only, asking for one token, with the client's request kept for the decode.
    fn entry_submission(
        &self,
        request: GenerateRequest,
        events: UnboundedSender<GenerateEvent>,
    ) -> Submission {
        let arrival = self.shared.epoch.elapsed();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if self.entry_stage() == MAIN_STAGE {
            return Submission {
                id,
                request,
                arrival,
                events,
                phase: Phase::Whole,
            };
        }
        Submission {
            id,
            request: GenerateRequest {
                prompt_tokens: request.prompt_tokens.clone(),
                output_tokens: 1,
            },
            arrival,
            events,
            phase: Phase::Prefill { full: request },
        }
    }

    /// Number of workers.
    pub fn num_workers(&self) -> usize {
        self.workers.len()
    }

    /// Gauges and counters summed over workers (KV usage averaged); refreshed after every step.
    pub fn metrics(&self) -> EngineMetrics {
        let mut total = EngineMetrics::default();
        for m in &self.shared.metrics {
            total.accumulate(&m.lock().unwrap_or_else(PoisonError::into_inner));
        }
        total
    }

    /// Fault injection for reliability tests: makes worker `worker` panic when it reads this
    /// message, as a bug in the engine would. The pool then reports [`TokenSource::failure`].
    /// Returns false if there is no such worker or it is already gone.
    pub fn inject_worker_panic(&self, worker: usize) -> bool {
        self.workers
            .get(worker)
            .and_then(|w| w.submissions.as_ref())
            .is_some_and(|tx| tx.send(WorkerMessage::InjectPanic).is_ok())
    }

    /// Per-worker snapshots, in worker order.
    pub fn worker_metrics(&self) -> Vec<EngineMetrics> {
        self.shared
            .metrics
            .iter()
            .map(|m| *m.lock().unwrap_or_else(PoisonError::into_inner))
            .collect()
    }
}

impl TokenSource for EnginePool {
    /// Routes with no hints and never queues (direct mode falls back to round-robin); the server
    /// uses [`TokenSource::submit_routed`].
    fn submit(&self, request: GenerateRequest) -> UnboundedReceiver<GenerateEvent> {
        let (events, rx) = unbounded_channel();
        let stage = self.entry_stage();
        let mut router = self.shared.stages[stage].router();
        let submission = self.entry_submission(request, events);
        let target = router.route_at(
            submission.id,
            &submission.request.prompt_tokens,
            submission.arrival,
        );
        self.shared.send_to(stage, &mut router, target, submission);
        rx
    }

    /// Routes with the request's hints; in KV mode a request that finds every worker busy waits
    /// in the router's queue (its arrival time stays the submission time, so its queue wait
    /// counts in `queue_ms`).
    fn submit_routed(
        &self,
        request: GenerateRequest,
        hints: &RouteHints,
    ) -> Result<UnboundedReceiver<GenerateEvent>, RouteError> {
        let (events, rx) = unbounded_channel();
        let stage = self.entry_stage();
        let mut router = self.shared.stages[stage].router();
        let submission = self.entry_submission(request, events);
        let id = submission.id;
        let routed = router.submit(
            id,
            &submission.request.prompt_tokens,
            hints,
            submission.arrival,
        )?;
        match routed {
            Routed::Worker(worker) => self.shared.send_to(stage, &mut router, worker, submission),
            Routed::Queued => {
                // Under the router's lock, so no worker can release it before it is parked.
                self.shared.stages[stage]
                    .parked
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id, submission);
            }
        }
        Ok(rx)
    }

    /// `num_gpu_blocks × block_size`: a longer request could never fit in one worker's cache.
    fn max_context_tokens(&self) -> Option<u32> {
        Some(self.capacity_tokens)
    }

    fn failure(&self) -> Option<String> {
        if !self.shared.dead.load(Ordering::Acquire) {
            return None;
        }
        let failure = self
            .shared
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Some(
            failure
                .clone()
                .unwrap_or_else(|| "an engine worker died".into()),
        )
    }
}

/// The text of a panic payload (`panic!` with a literal or a formatted message).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".into()
    }
}

impl EnginePool {
    /// Requests waiting in the routers' queues (KV mode, every worker busy; when disaggregated,
    /// the prefill router's).
    pub fn queued_requests(&self) -> usize {
        self.shared
            .stages
            .iter()
            .map(|s| s.router().queued_requests())
            .sum()
    }
}

/// The router and bookkeeping of `workers` workers of `dp` ranks each, the first engine at
/// `first_engine`.
fn stage(config: &PoolConfig, workers: u32, dp: u32, first_engine: usize) -> Stage {
    let routes_ranks = config.router.mode == RouterMode::Kv;
    let targets = if routes_ranks { workers * dp } else { workers };
    Stage {
        router: Mutex::new(
            Router::new(&config.router, targets as usize, config.engine.block_size)
                .with_step_budget(config.engine.max_num_batched_tokens),
        ),
        parked: Mutex::new(FastMap::default()),
        first_engine,
        dp: dp as usize,
        routes_ranks,
    }
}

/// Starts a pool thread running `body` on `state`. If it panics, the pool is marked failed (the
/// server then answers 503) before `state` is dropped: the state is borrowed, not moved, so the
/// client channels it holds stay open until the failure is recorded, and a client whose stream
/// then ends can tell why.
fn spawn_watched<S: Send + 'static>(
    shared: &Arc<PoolShared>,
    name: String,
    what: String,
    mut state: S,
    body: impl FnOnce(&mut S) + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    let watcher = Arc::clone(shared);
    std::thread::Builder::new().name(name).spawn(move || {
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| body(&mut state)));
        if let Err(payload) = run {
            let cause = panic_message(payload.as_ref());
            tracing::error!(%what, %cause, "engine worker panicked; the server now answers 503");
            watcher.fail(format!("{what} panicked: {cause}"));
        }
        drop(state);
    })
}

impl Drop for EnginePool {
    fn drop(&mut self) {
        *self
            .shared
            .senders
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        *self
            .shared
            .transfers
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        for stage in &self.shared.stages {
            stage
                .parked
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        }
        for w in &mut self.workers {
            w.submissions = None;
        }
        if let Some(thread) = self.transfer_thread.take() {
            let _ = thread.join();
        }
        for w in &mut self.workers {
            if let Some(thread) = w.thread.take() {
                let _ = thread.join();
            }
        }
    }
}
