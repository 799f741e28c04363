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
