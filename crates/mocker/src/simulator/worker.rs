//! The loop of one real-clock worker thread: take submissions, step the engine, sleep to the step's
//! deadline, deliver its events, notice cancelled requests.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap as FastMap;
use tokio::sync::mpsc::UnboundedSender;

use super::engine::Engine;
use super::metrics::EngineMetrics;
use super::router::Router;
use super::sequence::RequestId;
use crate::protocol::{GenerateEvent, GenerateRequest};
use std::sync::mpsc::Sender;

/// If a step starts this late after the previous deadline, the schedule restarts from now instead
/// of catching up.
const MAX_LAG: Duration = Duration::from_millis(2);
/// How often all requests are checked for clients that went away (a running request is also
/// noticed when sending its next token fails).
const ABANDONED_SCAN_PERIOD: Duration = Duration::from_millis(5);

/// State shared by the pool handle and its worker threads.
#[derive(Debug)]
pub(crate) struct PoolShared {
    pub(crate) epoch: Instant,
    pub(crate) router: Mutex<Router>,
    pub(crate) metrics: Vec<Mutex<EngineMetrics>>,
    /// Requests submitted to each engine and not yet finished or cancelled (data-parallel rank
    /// choice).
    pub(crate) in_flight: Vec<AtomicUsize>,
    /// Set once a worker thread has died (it panicked).
    pub(crate) dead: AtomicBool,
    /// Why, for `/health` and error responses.
    pub(crate) failure: Mutex<Option<String>>,
    /// Requests waiting in the router's queue, until it releases them to a worker. Lock order:
    /// the router, then this, then `senders`.
    pub(crate) parked: Mutex<FastMap<RequestId, Submission>>,
    /// Every worker's submission channel, so any worker thread can hand over a request the
    /// router released; `None` once the pool is dropped (so the channels can close).
    pub(crate) senders: Mutex<Option<Vec<Sender<WorkerMessage>>>>,
    /// Engines (data-parallel ranks) per worker.
    pub(crate) dp: usize,
    /// Whether the router's targets are engines (KV mode) or workers.
    pub(crate) routes_ranks: bool,
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

    /// The engine that serves router target `target`: the target itself when the router sees
    /// every (worker, rank) engine (KV mode, or one rank per worker), else the worker's rank with
    /// the fewest requests in flight (lowest on ties).
    fn engine_of(&self, target: usize) -> usize {
        if self.routes_ranks || self.dp == 1 {
            return target;
        }
        let first = target * self.dp;
        (first..first + self.dp)
            .min_by_key(|&e| {
                self.in_flight
                    .get(e)
                    .map_or(usize::MAX, |c| c.load(Ordering::Relaxed))
            })
            .unwrap_or(first)
    }

    /// Hands `submission` to router target `target` (already booked there by the router), on
    /// the engine [`Self::engine_of`] picks. If that engine is gone the stream closes with no
    /// events and the router forgets the booking.
    pub(crate) fn send_to(&self, router: &mut Router, target: usize, submission: Submission) {
        let id = submission.id;
        let engine = self.engine_of(target);
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

    /// Sends the requests the router's queue releases now to their workers. A released request
    /// whose client has gone is not sent: the router forgets it and releases the next one.
    pub(crate) fn release_queued(&self, router: &mut Router) {
        loop {
            let released = router.take_dispatched(self.epoch.elapsed());
            if released.is_empty() {
                return;
            }
            let mut abandoned = false;
            let mut ready = Vec::with_capacity(released.len());
            {
                let mut parked = self.parked.lock().unwrap_or_else(PoisonError::into_inner);
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
                self.send_to(router, worker, submission);
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
}

#[derive(Debug)]
pub(crate) struct WorkerLoop {
    engine: Engine,
    submissions: Receiver<WorkerMessage>,
    shared: Arc<PoolShared>,
    clients: FastMap<RequestId, Client>,
    /// The engine's index (its metrics slot).
    worker: usize,
    /// Its index among the router's targets (the engine in KV mode, else its worker).
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
        if self.engine.add_request(s.id, s.request, s.arrival) {
            self.clients.insert(
                s.id,
                Client {
                    events: s.events,
                    first_token_sent: false,
                },
            );
        }
    }

    /// Sends the last step's events to their clients and updates the router.
    fn deliver(&mut self) {
        self.engine.swap_events(&mut self.delivery);
        for (id, event) in self.delivery.drain(..) {
            let Some(client) = self.clients.get_mut(&id) else {
                continue;
            };
            let done = matches!(event, GenerateEvent::Finished { .. });
            if !client.first_token_sent {
                client.first_token_sent = true;
                self.first_tokens.push(id);
            }
            if client.events.send(event).is_err() && !done {
                self.cancelled.push(id);
            }
            if done {
                self.clients.remove(&id);
                self.finished.push(id);
            }
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
        let mut router = self
            .shared
            .router
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
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
        self.shared.release_queued(&mut router);
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
