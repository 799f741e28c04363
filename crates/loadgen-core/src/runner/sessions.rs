//! Multi-turn sessions: in closed loop each virtual user takes a session, sends its turns in
//! order (each after the previous one completed and the turn's delay passed), with the turns so
//! far and the assistant replies actually received in the messages, then takes the next session;
//! in open loop the timer thread starts each session at its arrival (see
//! [`super::issuers::OpenLoop`]) and the later turns follow as in closed loop.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Map, Value};
use servebench_metrics::{MonoNs, RequestRecord};

use super::context::{RequestSpec, RunContext, TurnSpec};
use super::phase::PhaseRun;
use crate::client::SessionConn;
use crate::dataset::DatasetEntry;
use crate::request_body::{EndpointConfig, EndpointKind, build_body};

/// The sessions of a dataset: entry indices per session, turns in order.
pub(crate) struct Sessions {
    turns: Vec<Vec<usize>>,
    numbers: Vec<u64>,
    next: AtomicU64,
    /// Turns of the sessions started so far: a session starts only while the phase's request
    /// count has room left after the turns of the sessions already running, so sessions in
    /// progress finish before new ones take the remaining requests.
    reserved: AtomicU64,
}

impl Sessions {
    /// `None` when no entry belongs to a session. Entries without a session are sessions of one
    /// turn.
    pub(crate) fn of(dataset: &[DatasetEntry]) -> Option<Arc<Self>> {
        dataset.iter().find_map(DatasetEntry::session)?;
        let mut turns: Vec<Vec<usize>> = Vec::new();
        let mut numbers = Vec::new();
        let mut last = None;
        for (i, entry) in dataset.iter().enumerate() {
            let key = entry.session().map(|s| s.session);
            if key.is_none() || key != last {
                turns.push(Vec::new());
                numbers.push(key.unwrap_or(i as u64));
            }
            if let Some(current) = turns.last_mut() {
                current.push(i);
            }
            last = key;
        }
        Some(Arc::new(Self {
            turns,
            numbers,
            next: AtomicU64::new(0),
            reserved: AtomicU64::new(0),
        }))
    }

    /// Every entry a session of one turn (user-centric load over a single-turn dataset).
    pub(crate) fn singles(len: usize) -> Arc<Self> {
        Arc::new(Self {
            turns: (0..len).map(|i| vec![i]).collect(),
            numbers: (0..len as u64).collect(),
            next: AtomicU64::new(0),
            reserved: AtomicU64::new(0),
        })
    }

    /// Number of sessions.
    pub(crate) fn len(&self) -> usize {
        self.turns.len()
    }

    /// The next session to run, with its turns reserved against the phase's request count;
    /// `None` when the sessions already started take every remaining request.
    pub(crate) fn claim(&self, context: &RunContext, phase: &PhaseRun) -> Option<usize> {
        let run = self.next.fetch_add(1, Ordering::Relaxed);
        let s = context.sampler_index(run);
        let turns = self.turns[s].len() as u64;
        let before = self.reserved.fetch_add(turns, Ordering::Relaxed);
        if phase.limit().is_some_and(|limit| before >= limit) {
            return None;
        }
        Some(s)
    }
}

/// The first turn of a session released by the open-loop timer thread.
pub(crate) struct FirstTurn {
    pub(crate) credit_issued_ns: MonoNs,
    pub(crate) intended_send_ns: MonoNs,
    /// The due instant, when the session was released ahead of it (see [`RequestSpec::send_at`]).
    pub(crate) send_at: Option<Instant>,
}

/// When a session's turns are sent.
pub(crate) enum SessionPace<'a> {
    /// Closed loop: the first turn at once, each later turn after the previous one completed
    /// plus its delay.
    Closed,
    /// User-centric: each turn at `due` (not before the previous one completed), then
    /// `due += gap`; the dataset's delays are not used.
    Paced(Duration, &'a mut tokio::time::Instant),
    /// Open loop: the first turn was released on schedule by the timer thread; later turns as
    /// in [`SessionPace::Closed`].
    Scheduled(FirstTurn),
}

/// Spawns `users` virtual users running sessions until the phase stops.
///
/// With `pacing` (AIPerf's user-centric mode: `--user-centric-rate R --num-users N` gives a gap of
/// N/R), each user sends a turn every `gap` on an absolute timeline, the users' first turns
/// staggered evenly over one gap, and never before its previous turn completed; the dataset's turn
/// delays are then not used.
pub(crate) fn start_sessions(
    context: &Arc<RunContext>,
    phase: &Arc<PhaseRun>,
    users: usize,
    sessions: Arc<Sessions>,
    pacing: Option<Duration>,
) {
    for user in 0..users {
        let mut due = pacing.map(|gap| {
            let offset = gap.mul_f64(user as f64 / users as f64);
            tokio::time::Instant::from_std(phase.start + offset)
        });
        let guard = phase.tracker.enter();
        let context = Arc::clone(context);
        let phase = Arc::clone(phase);
        let sessions = Arc::clone(&sessions);
        tokio::spawn(async move {
            let _guard = guard;
            while let Some(s) = sessions.claim(&context, &phase) {
                let pace = match (pacing, due.as_mut()) {
                    (Some(gap), Some(due)) => SessionPace::Paced(gap, due),
                    _ => SessionPace::Closed,
                };
                if !run_session(&context, &phase, &sessions, s, pace).await {
                    break;
                }
            }
        });
    }
}

/// Runs one session; false when the phase stopped.
pub(crate) async fn run_session(
    context: &RunContext,
    phase: &PhaseRun,
    sessions: &Sessions,
    s: usize,
    mut pace: SessionPace<'_>,
) -> bool {
    let mut history: Vec<Value> = Vec::new();
    // The session's own connection under sticky reuse, closed when the session ends.
    let mut connection = SessionConn::default();
    for (turn, &entry_index) in sessions.turns[s].iter().enumerate() {
        let entry = &context.dataset[entry_index];
        let mut intended_send_ns = None;
        let mut released_ns = None;
        let mut send_at = None;
        match &mut pace {
            SessionPace::Paced(gap, due) => {
                tokio::select! {
                    () = tokio::time::sleep_until(**due) => {}
                    () = phase.stop.raised() => return false,
                }
                intended_send_ns = Some(context.clock.ns_at(due.into_std()));
                **due += *gap;
            }
            SessionPace::Scheduled(first) if turn == 0 => {
                intended_send_ns = Some(first.intended_send_ns);
                released_ns = Some(first.credit_issued_ns);
                send_at = first.send_at;
            }
            SessionPace::Closed | SessionPace::Scheduled(_) => {
                if turn > 0
                    && let Some(delay) = entry.delay()
                    && !delay.is_zero()
                {
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = phase.stop.raised() => return false,
                    }
                }
            }
        }
        let Some(phase_seq) = phase.try_issue() else {
            return false;
        };
        let (body, user_messages) = turn_body(&context.endpoint, entry, &history);
        let spec = RequestSpec {
            phase_seq,
            credit_issued_ns: released_ns.unwrap_or_else(|| context.clock.now_ns()),
            intended_send_ns,
            send_at,
            turn: Some(TurnSpec {
                entry: entry_index,
                body,
                session_index: sessions.numbers[s],
                turn_index: u32::try_from(turn).unwrap_or(u32::MAX),
            }),
        };
        let record = context.execute(phase, spec, Some(&mut connection)).await;
        let failed = record.error.is_some();
        history.extend(user_messages);
        history.push(assistant_message(&record));
        context.deliver(record);
        if failed {
            // The conversation cannot go on without the reply.
            return true;
        }
    }
    true
}

/// The reply text as received.
fn assistant_message(record: &RequestRecord) -> Value {
    let text: String = record.chunks.iter().map(|c| c.text.as_str()).collect();
    let mut m = Map::new();
    m.insert("role".into(), Value::String("assistant".into()));
    m.insert("content".into(), Value::String(text));
    Value::Object(m)
}

/// The body of a turn with the conversation so far in front, and the turn's own messages (to
/// append to the history). A verbatim payload is sent as it is (it holds its own history).
fn turn_body(
    config: &EndpointConfig,
    entry: &DatasetEntry,
    history: &[Value],
) -> (Bytes, Vec<Value>) {
    let mut body = build_body(config, entry);
    let verbatim = entry.extras.as_deref().is_some_and(|e| e.payload.is_some());
    let mut own = Vec::new();
    if !verbatim {
        match config.kind {
            EndpointKind::Chat => {
                if let Some(Value::Array(messages)) = body.get_mut("messages") {
                    own.clone_from(messages);
                    let mut all = history.to_vec();
                    all.append(messages);
                    *messages = all;
                }
            }
            EndpointKind::Completions => {
                if let Some(Value::String(prompt)) = body.get_mut("prompt") {
                    let mut user = Map::new();
                    user.insert("role".into(), Value::String("user".into()));
                    user.insert("content".into(), Value::String(prompt.clone()));
                    own.push(Value::Object(user));
                    let mut text = String::new();
                    for m in history {
                        if let Some(Value::String(c)) = m.get("content") {
                            text.push_str(c);
                            text.push('\n');
                        }
                    }
                    text.push_str(prompt);
                    *prompt = text;
                }
            }
            EndpointKind::Embeddings => {}
        }
    }
    // Serializing a `Value` cannot fail (string keys only).
    let bytes = serde_json::to_vec(&body)
        .map(Bytes::from)
        .unwrap_or_default();
    (bytes, own)
}
