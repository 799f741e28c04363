//! What every request task shares: the client, the payloads, the sink and the tallies.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use servebench_metrics::{ErrorKind, MonoNs, Phase, RequestError, RequestRecord, RunClock};

use super::config::RunProgress;
use super::health::ClientHealth;
use super::phase::PhaseRun;
use super::variation::{ModelChoice, RequestCancellation};
use crate::client::{HttpClient, SessionConn};
use crate::dataset::DatasetEntry;
use crate::replay::EntrySampler;
use crate::request_body::{EndpointConfig, body_bytes};

/// Counts of one phase's records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhaseSummary {
    /// Records produced (successes + failures).
    pub records: u64,
    /// Successful records.
    pub succeeded: u64,
    /// Failed records by error kind.
    pub errors: BTreeMap<ErrorKind, u64>,
}

impl PhaseSummary {
    /// Failed records.
    pub fn failed(&self) -> u64 {
        self.errors.values().sum()
    }

    fn observe(&mut self, record: &RequestRecord) {
        self.records += 1;
        match &record.error {
            None => self.succeeded += 1,
            Some(error) => *self.errors.entry(error.kind).or_default() += 1,
        }
    }
}

/// Tallies updated once per finished request.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) health: ClientHealth,
    pub(crate) warmup: PhaseSummary,
    pub(crate) profiling: PhaseSummary,
    pub(crate) undelivered: u64,
}

/// One request to make.
pub(crate) struct RequestSpec {
    /// Sequence number within the phase (selects the dataset entry).
    pub(crate) phase_seq: u64,
    pub(crate) credit_issued_ns: MonoNs,
    pub(crate) intended_send_ns: Option<MonoNs>,
    /// Released ahead of its due time: the request is written no earlier than this instant
    /// (its due time); `None`: written as soon as it can be.
    pub(crate) send_at: Option<Instant>,
    /// A session turn: the entry, its body (with the conversation so far) and where it sits.
    /// `None`: the sampler picks the entry from `phase_seq` and its prepared body is sent.
    pub(crate) turn: Option<TurnSpec>,
}

/// The entry and body of one turn of a session.
pub(crate) struct TurnSpec {
    pub(crate) entry: usize,
    pub(crate) body: Bytes,
    pub(crate) session_index: u64,
    pub(crate) turn_index: u32,
}

/// Shared by all request tasks of a run.
pub(crate) struct RunContext {
    pub(crate) clock: RunClock,
    client: HttpClient,
    pub(crate) dataset: Arc<[DatasetEntry]>,
    /// For bodies built at send time (block prompts, session turns).
    pub(crate) endpoint: EndpointConfig,
    sampler: EntrySampler,
    /// `bodies[model][entry]` (empty for entries rendered at send time).
    bodies: Vec<Vec<Bytes>>,
    requested_output_tokens: Vec<Option<u64>>,
    streaming: bool,
    timeout: Duration,
    sink: Sender<RequestRecord>,
    progress: Arc<RunProgress>,
    next_index: AtomicU64,
    pub(crate) tally: Mutex<Tally>,
    /// Several models: which one (which row of `bodies`) a request names.
    pub(crate) models: Option<ModelChoice>,
    /// Requests cancelled on purpose.
    pub(crate) cancellation: Option<RequestCancellation>,
}

/// Upper bound of the chunks reserved per record (`chunk_capacity`): ~72 KiB of `ContentChunk`s,
/// so a thousand streams asking for long outputs do not reserve gigabytes up front; longer
/// streams grow the vector as usual.
const MAX_RESERVED_CHUNKS: usize = 1024;

enum Outcome {
    Done,
    Aborted,
    TimedOut,
    CancelledOnPurpose,
}

impl RunContext {
    #[expect(
        clippy::too_many_arguments,
        reason = "private constructor of a plain bundle"
    )]
    pub(crate) fn new(
        clock: RunClock,
        client: HttpClient,
        dataset: Arc<[DatasetEntry]>,
        bodies: Vec<Vec<Bytes>>,
        requested_output_tokens: Vec<Option<u64>>,
        streaming: bool,
        timeout: Duration,
        sink: Sender<RequestRecord>,
        progress: Arc<RunProgress>,
        endpoint: EndpointConfig,
        sampler: EntrySampler,
    ) -> Self {
        Self {
            clock,
            client,
            dataset,
            endpoint,
            sampler,
            bodies,
            requested_output_tokens,
            streaming,
            timeout,
            sink,
            progress,
            next_index: AtomicU64::new(0),
            tally: Mutex::new(Tally::default()),
            models: None,
            cancellation: None,
        }
    }

    /// The body of an entry rendered at send time (a block prompt), naming request model `model`.
    fn lazy_body(&self, model: usize, entry: usize) -> Result<Bytes, serde_json::Error> {
        match self.models.as_ref().and_then(|m| m.models.get(model)) {
            Some(name) => {
                let mut endpoint = self.endpoint.clone();
                endpoint.model.clone_from(name);
                body_bytes(&endpoint, &self.dataset[entry])
            }
            None => body_bytes(&self.endpoint, &self.dataset[entry]),
        }
    }

    /// Whether [`Self::prepare_turn`] renders anything: some entry renders at send time and
    /// every request names the same model.
    pub(crate) fn renders_at_send_time(&self) -> bool {
        self.models.is_none() && self.dataset.iter().any(DatasetEntry::renders_lazily)
    }

    /// The request of sequence number `seq` with its body rendered ahead of time, when the entry
    /// renders at send time (block prompts) and every request names the same model; `None`
    /// otherwise (the body is then taken or rendered when the request runs).
    pub(crate) fn prepare_turn(&self, seq: u64) -> Option<TurnSpec> {
        if self.models.is_some() {
            return None;
        }
        let entry = self.sampler.index(seq);
        if !self.dataset.get(entry)?.renders_lazily() {
            return None;
        }
        let body = body_bytes(&self.endpoint, &self.dataset[entry]).ok()?;
        Some(TurnSpec {
            entry,
            body,
            session_index: entry as u64,
            turn_index: 0,
        })
    }

    /// The sampled item (entry, or session of a multi-turn dataset) for sequence number `seq`.
    pub(crate) fn sampler_index(&self, seq: u64) -> usize {
        self.sampler.index(seq)
    }

    /// Makes one request and returns its record (never fails: failures are in the record).
    /// `connection`: the connection its session keeps between turns (sticky connection reuse).
    pub(crate) async fn execute(
        &self,
        phase: &PhaseRun,
        spec: RequestSpec,
        connection: Option<&mut SessionConn>,
    ) -> RequestRecord {
        let task_start_ns = self.clock.now_ns();
        let record = self.execute_inner(phase, spec, connection).await;
        if record.intended_send_ns.is_some() {
            self.tally
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .health
                .observe_dispatch(&record, task_start_ns);
        }
        record
    }

    async fn execute_inner(
        &self,
        phase: &PhaseRun,
        spec: RequestSpec,
        connection: Option<&mut SessionConn>,
    ) -> RequestRecord {
        let index = self.next_index.fetch_add(1, Ordering::Relaxed);
        self.progress.record_start();
        let send_at = spec.send_at;
        let (session, body, session_index, turn_index) = match spec.turn {
            Some(turn) => (
                turn.entry,
                Some(turn.body),
                turn.session_index,
                turn.turn_index,
            ),
            None => {
                let entry = self.sampler.index(spec.phase_seq);
                (entry, None, entry as u64, 0)
            }
        };
        let url_index = u32::try_from(index % self.client.url_count() as u64).unwrap_or(0);
        let mut record = RequestRecord {
            index,
            phase: phase.phase,
            session_index,
            turn_index,
            url_index,
            credit_issued_ns: spec.credit_issued_ns,
            intended_send_ns: spec.intended_send_ns,
            start_ns: spec.credit_issued_ns,
            ack_ns: None,
            end_ns: spec.credit_issued_ns,
            status: None,
            streaming: self.streaming,
            // Reserved up front (capped) so the vector does not regrow while the stream is read.
            chunks: Vec::with_capacity(self.chunk_capacity(session)),
            reads: 0,
            non_content_events: 0,
            usage: None,
            input_tokens: Some(self.dataset[session].input_tokens),
            requested_output_tokens: self.requested_output_tokens[session],
            server_timing: None,
            error: None,
        };
        let now = tokio::time::Instant::now();
        let deadline = now + self.timeout;
        let model = self.models.as_ref().map_or(0, |m| m.pick(index));
        let cancel_at = self
            .cancellation
            .filter(|c| c.cancels(index))
            .map(|c| now + c.delay);
        let body = match body {
            Some(body) => body,
            None if self.dataset[session].renders_lazily() => {
                match self.lazy_body(model, session) {
                    Ok(body) => body,
                    Err(e) => {
                        record.end_ns = self.clock.now_ns();
                        record.error = Some(RequestError {
                            kind: ErrorKind::RequestBody,
                            code: None,
                            message: format!("failed to serialize the request body: {e}"),
                        });
                        return record;
                    }
                }
            }
            None => self.bodies[model.min(self.bodies.len() - 1)][session].clone(),
        };
        let outcome = {
            let exchange = self.client.exchange(&mut record, body, connection, send_at);
            tokio::select! {
                biased;
                () = exchange => Outcome::Done,
                () = phase.abort.raised() => Outcome::Aborted,
                () = tokio::time::sleep_until(deadline) => Outcome::TimedOut,
                () = sleep_until_some(cancel_at) => Outcome::CancelledOnPurpose,
            }
        };
        let (kind, message) = match outcome {
            Outcome::Done => return record,
            Outcome::Aborted => (
                ErrorKind::Cancelled,
                format!("cancelled in flight: {}", phase.abort_reason()),
            ),
            Outcome::CancelledOnPurpose => {
                record.end_ns = self.clock.now_ns();
                record.error = Some(RequestError {
                    kind: ErrorKind::Cancelled,
                    code: Some(499),
                    message: "cancelled by the client (--request-cancellation-rate)".to_owned(),
                });
                return record;
            }
            Outcome::TimedOut => (
                ErrorKind::Timeout,
                format!(
                    "no complete response within the request timeout of {} s",
                    self.timeout.as_secs_f64()
                ),
            ),
        };
        record.end_ns = self.clock.now_ns();
        record.error = Some(RequestError {
            kind,
            code: None,
            message,
        });
        record
    }

    /// Content chunks to reserve for a request to dataset entry `session`: its requested output
    /// tokens (one content chunk per token is the common case), at most [`MAX_RESERVED_CHUNKS`];
    /// one when not streaming (the whole text).
    fn chunk_capacity(&self, session: usize) -> usize {
        if !self.streaming {
            return 1;
        }
        let requested = self.requested_output_tokens[session].unwrap_or(0);
        usize::try_from(requested)
            .unwrap_or(MAX_RESERVED_CHUNKS)
            .min(MAX_RESERVED_CHUNKS)
    }

    /// Tallies a finished record and hands it to the sink (never blocks).
    pub(crate) fn deliver(&self, record: RequestRecord) {
        let mut tally = self.tally.lock().unwrap_or_else(PoisonError::into_inner);
        tally.health.observe(&record);
        match record.phase {
            Phase::Warmup => tally.warmup.observe(&record),
            Phase::Profiling => tally.profiling.observe(&record),
        }
        if self.sink.send(record).is_err() {
            tally.undelivered += 1;
        }
    }
}

async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
