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

use super::cluster::ClusterLayout;
use super::config::{PoolConfig, RouterMode};
use super::engine::Engine;
use super::error::EngineError;
use super::metrics::EngineMetrics;
use super::router::{Routed, Router};
use super::worker::{PoolShared, Submission, WorkerLoop, WorkerMessage};
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

    /// [`EnginePool::start`] with `layout.data_parallel_size` engines (ranks) per worker, one
    /// thread each. In KV mode the router sees every (worker, rank) engine as a target of its
    /// own, as Dynamo's router does; other modes choose a worker, then its rank with the fewest
    /// requests in flight (lowest on ties). Engines are numbered worker by worker
    /// ([`ServerTimings::worker_id`](crate::ServerTimings) is that number).
    ///
    /// # Errors
    /// As [`EnginePool::start`]; a layout out of range; a disaggregated layout (simulated offline
    /// only, by [`VirtualCluster`](super::VirtualCluster)).
    pub fn start_with_layout(
        config: &PoolConfig,
        layout: &ClusterLayout,
    ) -> Result<Self, EngineError> {
        config.validate()?;
        layout.validate()?;
        if layout.disagg.is_some() {
            return Err(EngineError::Config {
                field: "prefill_workers",
                reason: "disaggregated serving is simulated offline only (sim-replay); the \
                         real-time pool does not support it"
                    .into(),
            });
        }
        let dp = layout.data_parallel_size;
        let n = config.num_workers * dp;
        let routes_ranks = config.router.mode == RouterMode::Kv;
        let targets = if routes_ranks { n } else { config.num_workers };
        let engines = (0..n)
            .map(|w| Engine::new(&config.engine, w))
            .collect::<Result<Vec<_>, _>>()?;
        let shared = Arc::new(PoolShared {
            epoch: Instant::now(),
            router: Mutex::new(
                Router::new(&config.router, targets as usize, config.engine.block_size)
                    .with_step_budget(config.engine.max_num_batched_tokens),
            ),
            metrics: engines.iter().map(|e| Mutex::new(e.metrics())).collect(),
            in_flight: engines.iter().map(|_| AtomicUsize::new(0)).collect(),
            dead: AtomicBool::new(false),
            failure: Mutex::new(None),
            parked: Mutex::new(Default::default()),
            senders: Mutex::new(None),
            dp: dp as usize,
            routes_ranks,
        });
        let mut workers = Vec::with_capacity(engines.len());
        for (w, engine) in (0u32..).zip(engines) {
            let (tx, rx) = mpsc::channel();
            let target = if routes_ranks { w } else { w / dp };
            let mut worker = WorkerLoop::new(engine, target as usize, rx, Arc::clone(&shared));
            let watcher = Arc::clone(&shared);
            let thread = std::thread::Builder::new()
                .name(format!("mocker-worker-{w}"))
                .spawn(move || {
                    // The loop is borrowed, not moved, so its client channels stay open until
                    // the failure is recorded: a client whose stream then ends can tell why.
                    let run = std::panic::catch_unwind(AssertUnwindSafe(|| worker.run()));
                    if let Err(payload) = run {
                        let cause = panic_message(payload.as_ref());
                        tracing::error!(
                            worker = w,
                            %cause,
                            "engine worker panicked; the server now answers 503"
                        );
                        watcher.fail(format!("engine worker {w} panicked: {cause}"));
                    }
                    drop(worker);
                })
                .map_err(|source| EngineError::Spawn { worker: w, source })?;
            workers.push(WorkerHandle {
                submissions: Some(tx),
                thread: Some(thread),
            });
        }
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
            next_id: AtomicU64::new(0),
            capacity_tokens,
        })
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
        let arrival = self.shared.epoch.elapsed();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut router = self.router();
        let target = router.route_at(id, &request.prompt_tokens, arrival);
        let submission = Submission {
            id,
            request,
            arrival,
            events,
        };
        self.shared.send_to(&mut router, target, submission);
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
        let arrival = self.shared.epoch.elapsed();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut router = self.router();
        let routed = router.submit(id, &request.prompt_tokens, hints, arrival)?;
        let submission = Submission {
            id,
            request,
            arrival,
            events,
        };
        match routed {
            Routed::Worker(worker) => self.shared.send_to(&mut router, worker, submission),
            Routed::Queued => {
                // Under the router's lock, so no worker can release it before it is parked.
                self.shared
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
    fn router(&self) -> std::sync::MutexGuard<'_, Router> {
        self.shared
            .router
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Requests waiting in the router's queue (KV mode, every worker busy).
    pub fn queued_requests(&self) -> usize {
        self.router().queued_requests()
    }
}

impl Drop for EnginePool {
    fn drop(&mut self) {
        *self
            .shared
            .senders
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        self.shared
            .parked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        for w in &mut self.workers {
            w.submissions = None;
        }
        for w in &mut self.workers {
            if let Some(thread) = w.thread.take() {
                let _ = thread.join();
            }
        }
    }
}
