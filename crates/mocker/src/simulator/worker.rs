//! The loop of one real-clock worker thread: take submissions, step the engine, sleep to the step's
//! deadline, deliver its events, notice cancelled requests.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap as FastMap;
use tokio::sync::mpsc::UnboundedSender;

use super::cluster::{DisaggConfig, engine_for_target};
use super::engine::Engine;
use super::metrics::EngineMetrics;
use super::router::Router;
use super::sequence::RequestId;
use super::transfer::Transfer;
use crate::protocol::{GenerateEvent, GenerateRequest, ServerTimings};
use std::sync::mpsc::Sender;

/// If a step starts this late after the previous deadline, the schedule restarts from now instead
/// of catching up.
const MAX_LAG: Duration = Duration::from_millis(2);
/// How often all requests are checked for clients that went away (a running request is also
/// noticed when sending its next token fails).
const ABANDONED_SCAN_PERIOD: Duration = Duration::from_millis(5);

/// The stage of [`PoolShared::stages`] holding the aggregated (or, disaggregated, the decode)
/// workers.
pub(crate) const MAIN_STAGE: usize = 0;
/// The stage of the prefill workers, when disaggregated.
pub(crate) const PREFILL_STAGE: usize = 1;

/// The engines of one role (aggregated, or prefill, or decode) behind their router.
#[derive(Debug)]
pub(crate) struct Stage {
    pub(crate) router: Mutex<Router>,
    /// Requests waiting in the router's queue, until it releases them to a worker. Lock order:
    /// the router, then this, then [`PoolShared::senders`].
    pub(crate) parked: Mutex<FastMap<RequestId, Submission>>,
    /// Index of its first engine.
    pub(crate) first_engine: usize,
    /// Engines (data-parallel ranks) per worker.
    pub(crate) dp: usize,
    /// Whether the router's targets are engines (KV mode) or workers.
    pub(crate) routes_ranks: bool,
}

impl Stage {
    pub(crate) fn router(&self) -> std::sync::MutexGuard<'_, Router> {
        self.router.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// State shared by the pool handle and its worker threads.
#[derive(Debug)]
pub(crate) struct PoolShared {
    pub(crate) epoch: Instant,
    /// [`MAIN_STAGE`], then [`PREFILL_STAGE`] when disaggregated.
    pub(crate) stages: Vec<Stage>,
    pub(crate) metrics: Vec<Mutex<EngineMetrics>>,
    /// Requests submitted to each engine and not yet finished or cancelled (data-parallel rank
    /// choice).
    pub(crate) in_flight: Vec<AtomicUsize>,
    /// Set once a worker thread has died (it panicked).
    pub(crate) dead: AtomicBool,
    /// Why, for `/health` and error responses.
    pub(crate) failure: Mutex<Option<String>>,
    /// Every worker's submission channel, so any worker thread can hand over a request the
    /// router released; `None` once the pool is dropped (so the channels can close).
    pub(crate) senders: Mutex<Option<Vec<Sender<WorkerMessage>>>>,
    /// The KV transfer thread's channel (disaggregated serving); `None` when aggregated or once
    /// the pool is dropped.
    pub(crate) transfers: Mutex<Option<Sender<Transfer>>>,
    /// The transfer-time model (bandwidth already scaled by the speed-up ratio), when
    /// disaggregated.
    pub(crate) disagg: Option<DisaggConfig>,
}

impl PoolShared {
    /// Marks the pool failed with `cause` (the first cause is kept).
    pub(crate) fn fail(&self, cause: String) {
        let mut failure = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        if failure.is_none() {
            *failure = Some(cause);
        }
        self.dead.store(true, Ordering::Release);
    }

    /// The engine of stage `stage` that serves its router's target `target`
    /// ([`engine_for_target`]), load being an engine's requests in flight.
    pub(crate) fn engine_of(&self, stage: usize, target: usize) -> usize {
        let Some(s) = self.stages.get(stage) else {
            return target;
        };
        engine_for_target(s.first_engine, s.dp, s.routes_ranks, target, |e| {
            self.in_flight
                .get(e)
                .map_or(usize::MAX, |c| c.load(Ordering::Relaxed))
        })
    }

    /// Hands `submission` to target `target` of stage `stage`'s router (already booked there
    /// by that router, locked as `router`), on the engine [`Self::engine_of`] picks. If that
    /// engine is gone the stream closes with no events and the router forgets the booking.
    pub(crate) fn send_to(
        &self,
        stage: usize,
        router: &mut Router,
        target: usize,
        submission: Submission,
    ) {
        let id = submission.id;
        let engine = self.engine_of(stage, target);
        if let Some(count) = self.in_flight.get(engine) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let sent = self
            .senders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .and_then(|senders| senders.get(engine))
            .is_some_and(|tx| tx.send(WorkerMessage::Submit(submission)).is_ok());
        if !sent {
            tracing::error!(engine, "engine worker is not running; request dropped");
            router.finished(target, id);
            if let Some(count) = self.in_flight.get(engine) {
                count.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Sends the requests stage `stage`'s router queue releases now to their workers. A
    /// released request whose client has gone is not sent: the router forgets it and releases
    /// the next one.
    pub(crate) fn release_queued(&self, stage: usize, router: &mut Router) {
        let Some(parked) = self.stages.get(stage).map(|s| &s.parked) else {
            return;
        };
        loop {
            let released = router.take_dispatched(self.epoch.elapsed());
            if released.is_empty() {
                return;
            }
            let mut abandoned = false;
            let mut ready = Vec::with_capacity(released.len());
            {
                let mut parked = parked.lock().unwrap_or_else(PoisonError::into_inner);
                for (id, worker) in released {
                    let Some(submission) = parked.remove(&id) else {
                        continue;
                    };
                    if submission.events.is_closed() {
                        router.finished(worker, id);
                        abandoned = true;
                    } else {
                        ready.push((worker, submission));
                    }
                }
            }
            for (worker, submission) in ready {
                self.send_to(stage, router, worker, submission);
            }
            if !abandoned {
                return;
            }
        }
    }
}

/// A request handed to a worker.
#[derive(Debug)]
pub(crate) struct Submission {
    pub(crate) id: RequestId,
    pub(crate) request: GenerateRequest,
    /// Arrival time since the pool's epoch.
    pub(crate) arrival: Duration,
    pub(crate) events: UnboundedSender<GenerateEvent>,
    /// Which part of the request this worker runs.
    pub(crate) phase: Phase,
}

/// The part of a request a worker runs.
#[derive(Debug)]
pub(crate) enum Phase {
    /// All of it (aggregated serving).
    Whole,
    /// Its prefill only (disaggregated serving): [`Submission::request`] asks for one token,
    /// which is held back; when it is computed, the KV transfer of `full` starts.
    Prefill {
        /// The request as the client sent it.
        full: GenerateRequest,
    },
    /// Its decode, after the KV transfer (disaggregated serving): the prompt's blocks are
    /// present and the first token was already sent.
    Decode {
        /// What its `Finished` reports (queueing and cache hits of its prefill, prefill plus
        /// transfer as its prefill time); the worker id is set by the decode worker.
        timings: ServerTimings,
    },
}

/// What a worker thread receives.
#[derive(Debug)]
pub(crate) enum WorkerMessage {
    /// A new request.
    Submit(Submission),
    /// Fault injection: panic, as a bug in the engine would.
    InjectPanic,
}

#[derive(Debug)]
struct Client {
    events: UnboundedSender<GenerateEvent>,
    first_token_sent: bool,
    phase: Phase,
    /// The token a prefill produced, held back until its KV transfer lands.
    held_token: Option<u32>,
    arrival: Duration,
}

#[derive(Debug)]
pub(crate) struct WorkerLoop {
    engine: Engine,
    submissions: Receiver<WorkerMessage>,
    shared: Arc<PoolShared>,
    clients: FastMap<RequestId, Client>,
    /// The engine's index (its metrics slot).
    worker: usize,
    /// Its stage in [`PoolShared::stages`].
    stage: usize,
    /// Its index among its stage router's targets (the engine in KV mode, else its worker).
    target: usize,
    /// Events of the last step, swapped out of the engine (buffers are reused, not reallocated).
    delivery: Vec<(RequestId, GenerateEvent)>,
    /// Router updates collected during delivery, applied under one lock.
    first_tokens: Vec<RequestId>,
    finished: Vec<RequestId>,
    cancelled: Vec<RequestId>,
}

impl WorkerLoop {
    pub(crate) fn new(
        engine: Engine,
        stage: usize,
        target: usize,
        submissions: Receiver<WorkerMessage>,
        shared: Arc<PoolShared>,
    ) -> Self {
        let worker = engine.worker_id() as usize;
        Self {
            engine,
            submissions,
            shared,
            clients: FastMap::default(),
            worker,
            stage,
            target,
            delivery: Vec::new(),
            first_tokens: Vec::new(),
            finished: Vec::new(),
            cancelled: Vec::new(),
        }
    }

    pub(crate) fn run(&mut self) {
        let epoch = self.shared.epoch;
        let mut deadline: Option<Instant> = None;
        let mut last_scan = Instant::now();
        loop {
            if !self.engine.has_work() {
                self.publish_metrics();
                match self.submissions.recv() {
                    Ok(s) => self.accept(s),
                    Err(_) => return,
                }
                deadline = None;
            }
            loop {
                match self.submissions.try_recv() {
                    Ok(s) => self.accept(s),
                    Err(TryRecvError::Empty) => break,
                    // The pool was dropped: nobody can read metrics or submit any more, and
                    // the remaining clients see their streams close without `Finished`.
                    Err(TryRecvError::Disconnected) => return,
                }
            }
            if last_scan.elapsed() >= ABANDONED_SCAN_PERIOD {
                last_scan = Instant::now();
                self.drop_abandoned();
            }
            if !self.engine.has_work() {
                continue;
            }
            let now = Instant::now();
            let start = match deadline {
                Some(d) if now.saturating_duration_since(d) <= MAX_LAG => d,
                _ => now,
            };
            let out = self.engine.step(start.saturating_duration_since(epoch));
            let end = epoch + out.end;
            let wait = end.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
            deadline = Some(end);
            self.deliver();
        }
    }

    fn accept(&mut self, message: WorkerMessage) {
        let s = match message {
            WorkerMessage::Submit(s) => s,
            WorkerMessage::InjectPanic => {
                panic!("injected fault: worker {} was told to panic", self.worker)
            }
        };
        let prefilled = matches!(s.phase, Phase::Decode { .. });
        let added = if prefilled {
            self.engine.add_prefilled(s.id, s.request, s.arrival)
        } else {
            self.engine.add_request(s.id, s.request, s.arrival)
        };
        if added {
            self.clients.insert(
                s.id,
                Client {
                    events: s.events,
                    // A transferred request's first token was sent when its KV landed (and its
                    // router booking marked it then).
                    first_token_sent: prefilled,
                    phase: s.phase,
                    held_token: None,
                    arrival: s.arrival,
                },
            );
        }
    }

    /// Sends the last step's events to their clients (a prefill's to the KV transfer) and
    /// updates the router.
    fn deliver(&mut self) {
        let step_end = self.engine.step_output().end;
        self.engine.swap_events(&mut self.delivery);
        let mut delivery = std::mem::take(&mut self.delivery);
        let mut prefilled = Vec::new();
        for (id, event) in delivery.drain(..) {
            let Some(client) = self.clients.get_mut(&id) else {
                continue;
            };
            let done = matches!(event, GenerateEvent::Finished { .. });
            if !client.first_token_sent {
                client.first_token_sent = true;
                self.first_tokens.push(id);
            }
            let event = match (&client.phase, event) {
                (Phase::Prefill { .. }, GenerateEvent::Token { token_id }) => {
                    client.held_token = Some(token_id);
                    continue;
                }
                (Phase::Prefill { .. }, GenerateEvent::Finished { timings, .. }) => {
                    prefilled.push((id, timings));
                    continue;
                }
                (Phase::Decode { timings }, GenerateEvent::Finished { reason, .. }) => {
                    GenerateEvent::Finished {
                        reason,
                        timings: ServerTimings {
                            worker_id: self.engine.worker_id(),
                            ..*timings
                        },
                    }
                }
                (_, event) => event,
            };
            if client.events.send(event).is_err() && !done {
                self.cancelled.push(id);
            }
            if done {
                self.clients.remove(&id);
                self.finished.push(id);
            }
        }
        self.delivery = delivery;
        for (id, timings) in prefilled {
            if let Some(client) = self.clients.remove(&id) {
                self.start_transfer(id, client, timings, step_end);
            }
            self.finished.push(id);
        }
        for &id in &self.cancelled {
            if self.engine.cancel(id) {
                self.clients.remove(&id);
                self.finished.push(id);
            }
        }
        self.cancelled.clear();
        self.update_router(true);
        self.publish_metrics();
    }

    /// A prefill finished at `step_end` (since the epoch): its KV transfer starts then and lands
    /// after [`DisaggConfig::transfer_time`] of its prompt.
    fn start_transfer(
        &self,
        id: RequestId,
        client: Client,
        prefill: ServerTimings,
        step_end: Duration,
    ) {
        let Phase::Prefill { full } = client.phase else {
            return;
        };
        let transfer = self
            .shared
            .disagg
            .as_ref()
            .map_or(Duration::ZERO, |d| d.transfer_time(prefill.prompt_tokens));
        let lands_at = step_end.saturating_add(transfer);
        let scheduled = client.arrival.saturating_add(prefill.queue_wait);
        let transfer = Transfer {
            id,
            lands_at,
            request: full,
            events: client.events,
            first_token: client.held_token,
            timings: ServerTimings {
                worker_id: 0,
                queue_wait: prefill.queue_wait,
                prefill: lands_at.saturating_sub(scheduled),
                cached_tokens: prefill.cached_tokens,
                prompt_tokens: prefill.prompt_tokens,
            },
        };
        let sent = self
            .shared
            .transfers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|tx| tx.send(transfer).is_ok());
        if !sent {
            tracing::error!(
                request = id,
                "the KV transfer thread is not running; request dropped"
            );
        }
    }

    /// Applies collected first tokens and completions, and the last step's KV events if `with_kv`.
    fn update_router(&mut self, with_kv: bool) {
        let kv_events: &[_] = if with_kv {
            &self.engine.step_output().kv_events
        } else {
            &[]
        };
        if kv_events.is_empty() && self.first_tokens.is_empty() && self.finished.is_empty() {
            return;
        }
        let Some(stage) = self.shared.stages.get(self.stage) else {
            return;
        };
        let mut router = stage.router();
        router.apply_kv_events(self.target, kv_events);
        for id in self.first_tokens.drain(..) {
            router.first_token(self.target, id);
        }
        let in_flight = self.shared.in_flight.get(self.worker);
        for id in self.finished.drain(..) {
            router.finished(self.target, id);
            if let Some(count) = in_flight {
                count.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.shared.release_queued(self.stage, &mut router);
    }

    /// Cancels requests whose receiver was dropped (waiting ones, and running ones in a long
    /// prefill that have no token to fail on yet).
    fn drop_abandoned(&mut self) {
        let gone: Vec<RequestId> = self
            .clients
            .iter()
            .filter(|(_, c)| c.events.is_closed())
            .map(|(&id, _)| id)
            .collect();
        if gone.is_empty() {
            return;
        }
        for id in gone {
            self.engine.cancel(id);
            self.clients.remove(&id);
            self.finished.push(id);
        }
        self.update_router(false);
    }

    fn publish_metrics(&self) {
        let snapshot = self.engine.metrics();
        if let Some(slot) = self.shared.metrics.get(self.worker) {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = snapshot;
        }
    }
}
