//! What a run does: endpoint, load shape, stop conditions.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use servebench_metrics::RunClock;

use super::variation::{ModelChoice, RequestCancellation};
use crate::replay::SamplingStrategy;
use crate::request_body::EndpointConfig;

/// How requests are issued.
pub enum LoadMode {
    /// Closed loop: `n` virtual users, each sending its next request the instant its previous one
    /// completes (AIPerf `--concurrency`).
    Concurrency(usize),
    /// Open loop: request `k` is due at profiling start + the `k`-th offset (an absolute
    /// timeline: a late send does not shift later ones). Sends are timed by a dedicated thread
    /// (sub-millisecond precision, unlike tokio's 1 ms timer). The run stops issuing when the
    /// iterator ends.
    OpenLoop {
        /// Offsets from the start of the profiling phase, non-decreasing.
        arrivals: Box<dyn Iterator<Item = Duration> + Send>,
        /// Optional cap on requests in flight (AIPerf `--request-rate` with `--concurrency`): a due
        /// request waits for a free slot; its lateness shows in `credit_issued_ns` versus
        /// `intended_send_ns`.
        max_in_flight: Option<usize>,
    },
}

impl fmt::Debug for LoadMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadMode::Concurrency(n) => f.debug_tuple("Concurrency").field(n).finish(),
            LoadMode::OpenLoop { max_in_flight, .. } => f
                .debug_struct("OpenLoop")
                .field("max_in_flight", max_in_flight)
                .finish_non_exhaustive(),
        }
    }
}

/// How HTTP/1.1 connections are reused across requests (AIPerf `--connection-reuse-strategy`).
/// With HTTP/2 every request is a stream of the one shared connection per URL, whatever this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectionReuse {
    /// Idle keep-alive connections are shared by all requests (AIPerf's default).
    #[default]
    Pooled,
    /// A fresh connection for every request, closed after its response.
    Never,
    /// Each session (all turns of a multi-turn conversation, or a single-turn request) gets a
    /// connection of its own, kept for its turns and closed when the session ends.
    StickyUserSessions,
}

impl ConnectionReuse {
    /// The AIPerf spelling: `pooled`, `never` or `sticky-user-sessions`.
    pub fn name(self) -> &'static str {
        match self {
            ConnectionReuse::Pooled => "pooled",
            ConnectionReuse::Never => "never",
            ConnectionReuse::StickyUserSessions => "sticky-user-sessions",
        }
    }
}

impl std::str::FromStr for ConnectionReuse {
    type Err = String;

    /// Parses AIPerf's spellings (case-insensitive, `_` for `-` accepted).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "pooled" => Ok(ConnectionReuse::Pooled),
            "never" => Ok(ConnectionReuse::Never),
            "sticky-user-sessions" => Ok(ConnectionReuse::StickyUserSessions),
            _ => Err(format!(
                "unknown connection reuse strategy {s:?} (expected pooled, never or \
                 sticky-user-sessions)"
            )),
        }
    }
}

/// When the profiling phase stops issuing requests. At least one of the two must be set; the
/// first reached wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopCondition {
    /// Number of profiling requests to issue (AIPerf `--request-count`).
    pub request_count: Option<u64>,
    /// Stop issuing this long after the profiling phase started (AIPerf `--benchmark-duration`).
    pub duration: Option<Duration>,
    /// After `duration`, in-flight requests may finish for this long (they count); when it
    /// expires the rest are recorded as cancelled (AIPerf `--benchmark-grace-period`, 30 s).
    pub grace_period: Duration,
}

impl StopCondition {
    /// Stop after `count` requests.
    pub fn requests(count: u64) -> Self {
        Self {
            request_count: Some(count),
            duration: None,
            grace_period: Duration::from_secs(30),
        }
    }

    /// Stop issuing after `duration`, with AIPerf's default 30 s grace period.
    pub fn duration(duration: Duration) -> Self {
        Self {
            request_count: None,
            duration: Some(duration),
            grace_period: Duration::from_secs(30),
        }
    }
}

/// Everything about a run except the dataset, load mode, record sink and cancel handle.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The run's monotonic clock; every stamp of every record is taken from it. Share it with
    /// whoever converts stamps to epoch time.
    pub clock: RunClock,
    /// Base URLs (`http://host:port[/prefix]`; `http://` is assumed when no scheme is given),
    /// used round-robin by request index. `https://` is refused.
    pub urls: Vec<String>,
    /// Endpoint, body and header options.
    pub endpoint: EndpointConfig,
    /// Speak HTTP/2 with prior knowledge (one multiplexed connection per URL) instead of
    /// HTTP/1.1 keep-alive (one connection per in-flight request).
    pub http2: bool,
    /// How HTTP/1.1 connections are reused (AIPerf `--connection-reuse-strategy`).
    pub connection_reuse: ConnectionReuse,
    /// A request with no complete response this long after it was dispatched is recorded as a
    /// timeout (AIPerf `--request-timeout-seconds`).
    pub request_timeout: Duration,
    /// When the profiling phase stops.
    pub stop: StopCondition,
    /// Requests sent before profiling (recorded with `Phase::Warmup`), in closed loop.
    pub warmup_requests: u64,
    /// Stop issuing warm-up requests after this long (AIPerf `--warmup-duration`); with
    /// `warmup_requests` also set, the first limit reached ends the warm-up. Requests in flight
    /// then finish (they count as warm-up) before profiling starts.
    pub warmup_duration: Option<Duration>,
    /// Virtual users of the warm-up; `None`: the closed-loop concurrency, or the open-loop
    /// in-flight cap, or 1.
    pub warmup_concurrency: Option<usize>,
    /// After a cancel, in-flight requests may finish for this long before they are cancelled.
    pub cancel_grace: Duration,
    /// Period of the event-loop lag probe.
    pub probe_period: Duration,
    /// Live counters a progress display can read while the run goes on.
    pub progress: Arc<RunProgress>,
    /// How requests pick dataset entries (sessions, for a multi-turn dataset).
    pub sampling: SamplingStrategy,
    /// Seed of the `random` and `shuffle` strategies.
    pub sampling_seed: u64,
    /// Test hook: block the client runtime this long every probe period, so the client is
    /// genuinely late (tests of the client-saturation verdict). `None` in real runs.
    pub stall_event_loop: Option<Duration>,
    /// Several models, one named per request (`None`: every body names `endpoint.model`).
    pub models: Option<ModelChoice>,
    /// Requests the client cancels on purpose.
    pub cancellation: Option<RequestCancellation>,
    /// User-centric load (AIPerf `--user-centric-rate R --num-users N`): with
    /// [`LoadMode::Concurrency`]`(N)`, each of the N users sends its next turn this long (N/R)
    /// after its previous one was due (and not before that one completed).
    pub user_pacing: Option<Duration>,
    /// Closed loop: start the profiling phase's users one by one over this long (AIPerf
    /// `--concurrency-ramp-duration`, from 1 to the target; see [`crate::ramp::user_start`]).
    pub concurrency_ramp: Option<Duration>,
}

/// Live counters of a run, updated as requests are sent (read them from any thread).
#[derive(Debug, Default)]
pub struct RunProgress {
    started: AtomicU64,
}

impl RunProgress {
    /// Requests sent so far (warm-up and profiling).
    pub fn started(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    pub(crate) fn record_start(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }
}

impl RunConfig {
    /// A configuration with AIPerf-like defaults: 10 requests, 600 s timeout, no warm-up,
    /// HTTP/1.1 with pooled connections, 2 s cancel grace, 10 ms probe period, entries used in
    /// order.
    pub fn new(clock: RunClock, urls: Vec<String>, endpoint: EndpointConfig) -> Self {
        Self {
            clock,
            urls,
            endpoint,
            http2: false,
            connection_reuse: ConnectionReuse::Pooled,
            request_timeout: Duration::from_secs(600),
            stop: StopCondition::requests(10),
            warmup_requests: 0,
            warmup_duration: None,
            warmup_concurrency: None,
            cancel_grace: Duration::from_secs(2),
            probe_period: Duration::from_millis(10),
            progress: Arc::new(RunProgress::default()),
            sampling: SamplingStrategy::Sequential,
            sampling_seed: 0,
            stall_event_loop: None,
            models: None,
            cancellation: None,
            user_pacing: None,
            concurrency_ramp: None,
        }
    }
}
