//! The replay loop: dataset entries issued on a fixed schedule or by closed-loop users, through a
//! [`VirtualCluster`] on its virtual clock, each finished request handed over as a
//! [`RequestRecord`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use rustc_hash::FxHashMap as FastMap;
use servebench_loadgen_core::DatasetEntry;
use servebench_metrics::RequestRecord;
use servebench_mocker::{
    BlockSize, ClusterEvent, ClusterLayout, EngineError, EngineMetrics, EngineSlot, GenerateEvent,
    HashedPrompt, PoolConfig, RequestId, VirtualCluster,
};

use crate::prompts::PromptTokens;
use crate::records::Timeline;

/// Output length of entries that ask for none (the mocker server's mean stop length).
pub const DEFAULT_OUTPUT_TOKENS: u32 = 256;

/// How requests are issued.
#[derive(Debug, Clone, PartialEq)]
pub enum SimLoad {
    /// Entry `i` at offset `i` from the start (a fixed-schedule replay: loadgen-core's
    /// `PreparedDataset::schedule`, speed-up already applied); requests go out in time order.
    Schedule(Vec<Duration>),
    /// Closed loop: this many users, each sending its next request the moment its previous one
    /// completes (a session's next turn after the turn's `delay`). Entries are taken in order
    /// (sessions whole) and reused from the start if the request limit asks for more.
    Concurrency(usize),
}

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Engines and router.
    pub pool: PoolConfig,
    /// Data-parallel ranks and disaggregation.
    pub layout: ClusterLayout,
    /// Output length of entries that give none.
    pub default_output_tokens: u32,
    /// Most requests to issue; `None`: every entry once.
    pub request_limit: Option<u64>,
}

impl SimConfig {
    /// `pool` with the default layout, output length and no request limit.
    pub fn new(pool: PoolConfig) -> Self {
        Self {
            pool,
            layout: ClusterLayout::default(),
            default_output_tokens: DEFAULT_OUTPUT_TOKENS,
            request_limit: None,
        }
    }
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The engine, router or layout settings are invalid.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The load cannot issue anything.
    #[error("invalid load: {0}")]
    Load(String),
}

/// What the simulation did, besides its records.
#[derive(Debug, Clone, PartialEq)]
pub struct SimReport {
    /// Requests issued (and finished: a simulation runs every request to its end).
    pub requests: u64,
    /// Virtual time from the start to the last event.
    pub duration: Duration,
    /// Each engine's place and final counters, in engine order.
    pub engines: Vec<(EngineSlot, EngineMetrics)>,
}

/// A request waiting for its send time.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Arrival {
    at: Duration,
    /// Tie-break: issue order.
    seq: u64,
    entry: usize,
    user: usize,
    intended: bool,
}

/// A closed-loop user: its current job (a session, or one entry) and the next turn.
#[derive(Debug, Default)]
struct User {
    job: Vec<usize>,
    turn: usize,
    /// Prompt and reply tokens of the session so far (the next turn's history).
    history: Vec<u32>,
}

struct Driver<'a> {
    entries: &'a [DatasetEntry],
    prompts: &'a mut PromptTokens,
    cluster: VirtualCluster,
    default_output: u32,
    arrivals: BinaryHeap<Reverse<Arrival>>,
    running: FastMap<RequestId, (Timeline, usize, Option<Vec<u32>>)>,
    users: Vec<User>,
    jobs: Vec<Vec<usize>>,
    next_job: usize,
    issued: u64,
    limit: u64,
    seq: u64,
    last_event: Duration,
    block_size: BlockSize,
}

/// Runs `entries` under `load` and calls `sink` with each finished request's record (in
/// completion order).
///
/// # Errors
/// [`SimError`]: invalid settings, a schedule whose length differs from the entries', or zero
/// users.
pub fn simulate(
    config: &SimConfig,
    entries: &[DatasetEntry],
    load: &SimLoad,
    prompts: &mut PromptTokens,
    sink: &mut dyn FnMut(RequestRecord),
) -> Result<SimReport, SimError> {
    let cluster = VirtualCluster::with_layout(&config.pool, &config.layout)?;
    let jobs = jobs_of(entries);
    let all = entries.len() as u64;
    let mut driver = Driver {
        entries,
        prompts,
        cluster,
        default_output: config.default_output_tokens,
        arrivals: BinaryHeap::new(),
        running: FastMap::default(),
        users: Vec::new(),
        jobs,
        next_job: 0,
        issued: 0,
        limit: config.request_limit.unwrap_or(all),
        seq: 0,
        last_event: Duration::ZERO,
        block_size: config.pool.engine.block_size,
    };
    match load {
        SimLoad::Schedule(offsets) => {
            if offsets.len() != entries.len() {
                return Err(SimError::Load(format!(
                    "{} schedule offsets for {} entries",
                    offsets.len(),
                    entries.len()
                )));
            }
            for (entry, &at) in offsets.iter().enumerate() {
                driver.push_arrival(at, entry, usize::MAX, true);
            }
        }
        SimLoad::Concurrency(0) => {
            return Err(SimError::Load("the concurrency must be at least 1".into()));
        }
        SimLoad::Concurrency(n) => {
            for user in 0..*n {
                driver.users.push(User::default());
                driver.next_turn(user, Duration::ZERO);
            }
        }
    }
    driver.run(sink);
    let engines = (0..driver.cluster.num_engines())
        .filter_map(|i| Some((driver.cluster.slot(i)?, driver.cluster.engine(i)?.metrics())))
        .collect();
    Ok(SimReport {
        requests: driver.issued,
        duration: driver.last_event,
        engines,
    })
}

/// Entries grouped into jobs: each session's turns together, every other entry alone.
fn jobs_of(entries: &[DatasetEntry]) -> Vec<Vec<usize>> {
    let mut jobs: Vec<Vec<usize>> = Vec::new();
    let mut last_session = None;
    for (i, e) in entries.iter().enumerate() {
        match e.session().map(|s| s.session) {
            Some(s) if last_session == Some(s) => {
                if let Some(job) = jobs.last_mut() {
                    job.push(i);
                }
            }
            session => {
                jobs.push(vec![i]);
                last_session = session;
            }
        }
    }
    jobs
}

impl Driver<'_> {
    fn push_arrival(&mut self, at: Duration, entry: usize, user: usize, intended: bool) {
        self.seq += 1;
        self.arrivals.push(Reverse(Arrival {
            at,
            seq: self.seq,
            entry,
            user,
            intended,
        }));
    }

    /// Queues user `user`'s next request, whose previous one finished at `now`.
    fn next_turn(&mut self, user: usize, now: Duration) {
        if self.issued + self.pending_users() >= self.limit {
            return;
        }
        let state = &mut self.users[user];
        if state.turn >= state.job.len() {
            if self.jobs.is_empty() {
                return;
            }
            state
                .job
                .clone_from(&self.jobs[self.next_job % self.jobs.len()]);
            state.turn = 0;
            state.history.clear();
            self.next_job += 1;
        }
        let entry = state.job[state.turn];
        let delay = if state.turn > 0 {
            self.entries[entry].delay().unwrap_or_default()
        } else {
            Duration::ZERO
        };
        state.turn += 1;
        self.push_arrival(now + delay, entry, user, false);
    }

    /// Closed-loop arrivals queued but not yet issued.
    fn pending_users(&self) -> u64 {
        self.arrivals.len() as u64
    }

    fn run(&mut self, sink: &mut dyn FnMut(RequestRecord)) {
        let mut events: Vec<ClusterEvent> = Vec::new();
        loop {
            let until = self
                .arrivals
                .peek()
                .map_or(Duration::MAX, |Reverse(a)| a.at);
            if self.cluster.run_next_before(until, &mut events) {
                self.handle(&mut events, sink);
                continue;
            }
            let Some(Reverse(arrival)) = self.arrivals.pop() else {
                break;
            };
            if self.issued >= self.limit {
                continue;
            }
            self.issue(arrival, &mut events);
            self.handle(&mut events, sink);
        }
    }

    fn issue(&mut self, a: Arrival, events: &mut Vec<ClusterEvent>) {
        let entry = &self.entries[a.entry];
        let output_tokens = entry.max_output_tokens.map_or(self.default_output, |n| {
            u32::try_from(n).unwrap_or(u32::MAX)
        });
        let in_session = entry.session().is_some();
        // A trace block prompt outside a session is hashed from its block ids; session turns
        // carry their history as tokens, so they (and text prompts) are tokenized and hashed.
        let derived = if in_session {
            None
        } else {
            self.prompts.hashed_blocks(entry, self.block_size)
        };
        let mut history = None;
        let prompt = match derived {
            Some(prompt) => prompt,
            None => {
                let mut tokens = Vec::new();
                if let Some(user) = self.users.get(a.user)
                    && in_session
                {
                    tokens.reserve(user.history.len() + output_tokens.min(1 << 20) as usize);
                    tokens.extend_from_slice(&user.history);
                }
                self.prompts.append(entry, &mut tokens);
                let prompt = HashedPrompt::from_tokens(&tokens, self.block_size);
                history = (in_session && a.user < self.users.len()).then_some(tokens);
                prompt
            }
        };
        let (session_index, turn_index) = match entry.session() {
            Some(s) => (s.session, s.turn),
            None => (a.entry as u64, 0),
        };
        let timeline = Timeline {
            index: self.issued,
            session_index,
            turn_index,
            start: a.at,
            intended: a.intended.then_some(a.at),
            input_tokens: u64::from(prompt.len()),
            output_tokens,
            requested_output_tokens: entry.max_output_tokens,
            stamps: Vec::with_capacity(output_tokens.min(4096) as usize),
        };
        self.issued += 1;
        // Queued by the KV router when every worker is busy, it starts once one frees.
        let (id, _) = self
            .cluster
            .submit_hashed(a.at, prompt, output_tokens, events);
        self.running.insert(id, (timeline, a.user, history));
    }

    fn handle(&mut self, events: &mut Vec<ClusterEvent>, sink: &mut dyn FnMut(RequestRecord)) {
        for e in events.drain(..) {
            self.last_event = self.last_event.max(e.at);
            let Some((timeline, user, history)) = self.running.get_mut(&e.request) else {
                continue;
            };
            match e.event {
                GenerateEvent::Token { token_id } => {
                    timeline
                        .stamps
                        .push(u64::try_from(e.at.as_nanos()).unwrap_or(u64::MAX));
                    if let Some(h) = history {
                        h.push(token_id);
                    }
                }
                GenerateEvent::Finished { timings, .. } => {
                    let user = *user;
                    let Some((timeline, _, history)) = self.running.remove(&e.request) else {
                        continue;
                    };
                    sink(timeline.into_record(e.at, &timings));
                    if let Some(state) = self.users.get_mut(user) {
                        if let Some(h) = history {
                            state.history = h;
                        }
                        self.next_turn(user, e.at);
                    }
                }
            }
        }
    }
}
