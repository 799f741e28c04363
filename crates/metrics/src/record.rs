//! The per-request record: everything measured about one request, before any metric is computed.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Monotonic nanoseconds since the run's epoch (the [`RunClock`] start).
pub type MonoNs = u64;

/// One monotonic clock for a whole run, paired once with the wall clock so monotonic stamps can be
/// exported as epoch nanoseconds.
#[derive(Debug, Clone, Copy)]
pub struct RunClock {
    start: Instant,
    wall_start_ns: u64,
}

impl RunClock {
    /// Starts the run clock now.
    pub fn start() -> Self {
        let start = Instant::now();
        let wall_start_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        Self {
            start,
            wall_start_ns,
        }
    }

    /// Monotonic nanoseconds since the clock started.
    #[inline]
    pub fn now_ns(&self) -> MonoNs {
        self.ns_at(Instant::now())
    }

    /// Monotonic nanoseconds of `t` since the clock started (0 for instants before the start).
    #[inline]
    pub fn ns_at(&self, t: Instant) -> MonoNs {
        u64::try_from(t.saturating_duration_since(self.start).as_nanos()).unwrap_or(u64::MAX)
    }

    /// The [`Instant`] of a monotonic stamp.
    pub fn instant_at(&self, ns: MonoNs) -> Instant {
        self.start + Duration::from_nanos(ns)
    }

    /// Wall-clock epoch nanoseconds of a monotonic stamp.
    pub fn epoch_ns(&self, ns: MonoNs) -> u64 {
        self.wall_start_ns.saturating_add(ns)
    }

    /// Wall-clock epoch nanoseconds at the clock start.
    pub fn wall_start_ns(&self) -> u64 {
        self.wall_start_ns
    }
}

/// Which phase of the run a request belongs to. Only profiling records feed the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Warm-up requests: exported per record, excluded from the metrics.
    Warmup,
    /// Measured requests.
    Profiling,
}

/// One SSE event (or the whole non-streaming body) that carried content.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContentChunk {
    /// Index of the socket read that delivered the event (events of one read share its stamp).
    pub read_index: u32,
    /// When that read returned, before any parsing.
    pub stamp_ns: MonoNs,
    /// Visible content text of the delta.
    pub text: String,
    /// Reasoning text of the delta (`reasoning_content` / `reasoning`), counted separately.
    pub reasoning: String,
    /// Completion tokens the server reported for this chunk alone, when it reports per-chunk usage.
    pub usage_tokens: Option<u32>,
}

/// The server's `usage` object (the last non-empty one of the response).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// `prompt_tokens`.
    pub prompt_tokens: Option<u64>,
    /// `completion_tokens`.
    pub completion_tokens: Option<u64>,
    /// `total_tokens`.
    pub total_tokens: Option<u64>,
    /// `prompt_tokens_details.cached_tokens`.
    pub cached_tokens: Option<u64>,
    /// `completion_tokens_details.reasoning_tokens`.
    pub reasoning_tokens: Option<u64>,
}

/// Server-side timings reported by servebench's simulated engine (absent for other servers).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerTiming {
    /// Time the request waited in the engine queue, ms.
    pub queue_ms: Option<f64>,
    /// Time spent in prefill, ms.
    pub prefill_ms: Option<f64>,
    /// Time from the request's arrival at the server to its first token handed to HTTP, ms: the
    /// server's own TTFT, to compare with the client's.
    #[serde(default)]
    pub ttft_ms: Option<f64>,
    /// Prompt tokens served from the prefix cache.
    pub cached_tokens: Option<u64>,
    /// Worker that served the request.
    pub worker_id: Option<u32>,
}

/// What went wrong with a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The connection could not be made (refused, DNS failure, unsupported scheme).
    Connect,
    /// The server answered with a non-2xx status.
    HttpStatus,
    /// The connection was closed or reset before the response was complete.
    StreamReset,
    /// No complete response within the request timeout.
    Timeout,
    /// A response chunk was not valid JSON or not an OpenAI response.
    InvalidResponse,
    /// A 2xx streaming response whose body was not an SSE stream.
    NotSse,
    /// The server sent an SSE `event: error`.
    ServerError,
    /// The run was cancelled (Ctrl-C) while the request was in flight.
    Cancelled,
    /// A 2xx response that carried no content although output tokens were requested: a hollow
    /// success (e.g. a prompt the server could not fit, answered with zero tokens).
    EmptyResponse,
    /// A response that ended with `finish_reason` `"abort"` or `"error"`: the server gave up on
    /// the request.
    Aborted,
    /// The client itself could not make the request: it ran out of a local resource (open files,
    /// local ports, buffers). Not a server failure; it counts against the client's health.
    ClientResource,
    /// The request body could not be built from its dataset entry (a client-side input
    /// problem; no request was sent).
    RequestBody,
}

impl ErrorKind {
    /// The kind's name as written in the exports (`http_status`, `empty_response`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::HttpStatus => "http_status",
            Self::StreamReset => "stream_reset",
            Self::Timeout => "timeout",
            Self::InvalidResponse => "invalid_response",
            Self::NotSse => "not_sse",
            Self::ServerError => "server_error",
            Self::Cancelled => "cancelled",
            Self::EmptyResponse => "empty_response",
            Self::Aborted => "aborted",
            Self::RequestBody => "request_body",
            Self::ClientResource => "client_resource",
        }
    }

    /// True when the client caused the failure itself (not the server's doing).
    pub const fn is_client_side(self) -> bool {
        matches!(self, Self::ClientResource)
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestError {
    /// The class of failure.
    pub kind: ErrorKind,
    /// HTTP status (or AIPerf-style code, e.g. 502 for `event: error`), when there is one.
    pub code: Option<u16>,
    /// Human-readable detail (for HTTP errors: the response body, truncated).
    pub message: String,
}

/// Everything measured about one request.
///
/// All stamps are [`MonoNs`] from the run's [`RunClock`].
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// Sequence number of the request in the run (0-based, in issue order).
    pub index: u64,
    /// Warm-up or profiling.
    pub phase: Phase,
    /// Dataset entry / session the payload came from (for `inputs.json` and the JSONL metadata).
    pub session_index: u64,
    /// Turn within the session (0 for single-turn workloads).
    pub turn_index: u32,
    /// Which `--url` served the request.
    pub url_index: u32,
    /// When the scheduler released the request to be sent.
    pub credit_issued_ns: MonoNs,
    /// When the schedule wanted the request sent (open-loop modes and trace replay); `None` in
    /// closed loop, where a request is due the moment a slot frees (`credit_issued_ns`).
    pub intended_send_ns: Option<MonoNs>,
    /// Stamped immediately before the request was written to the connection.
    pub start_ns: MonoNs,
    /// When the response headers arrived.
    pub ack_ns: Option<MonoNs>,
    /// When the response ended (last byte, error or cancellation).
    pub end_ns: MonoNs,
    /// HTTP status, if a response head arrived.
    pub status: Option<u16>,
    /// Whether the request asked for a streamed response.
    pub streaming: bool,
    /// Content responses in arrival order. Non-streaming: one chunk with the whole text, stamped at
    /// the end of the body.
    pub chunks: Vec<ContentChunk>,
    /// Number of socket reads of the response body.
    pub reads: u32,
    /// SSE events that carried no content (role-only, finish-only, usage-only, `[DONE]`).
    pub non_content_events: u32,
    /// The server's usage, when reported.
    pub usage: Option<Usage>,
    /// Prompt length under the client's tokenizer (ISL).
    pub input_tokens: Option<u64>,
    /// Output length the request asked for (`max_tokens` / `max_completion_tokens`), if any.
    pub requested_output_tokens: Option<u64>,
    /// Server-side timings, when the server reports them.
    pub server_timing: Option<ServerTiming>,
    /// Why the request failed; `None` for a success.
    pub error: Option<RequestError>,
}

impl RequestRecord {
    /// True when the request succeeded.
    pub fn is_success(&self) -> bool {
        self.error.is_none()
    }

    /// The stamp a coordinated-omission-correct latency starts from: the intended send time when
    /// there is a schedule, else the credit time.
    pub fn due_ns(&self) -> MonoNs {
        self.intended_send_ns.unwrap_or(self.credit_issued_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    #[test]
    fn error_kind_names_are_the_exported_names() {
        let kinds = [
            ErrorKind::Connect,
            ErrorKind::HttpStatus,
            ErrorKind::StreamReset,
            ErrorKind::Timeout,
            ErrorKind::InvalidResponse,
            ErrorKind::NotSse,
            ErrorKind::ServerError,
            ErrorKind::Cancelled,
            ErrorKind::EmptyResponse,
            ErrorKind::Aborted,
            ErrorKind::ClientResource,
            ErrorKind::RequestBody,
        ];
        for kind in kinds {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
        }
        assert!(ErrorKind::ClientResource.is_client_side());
        assert!(!ErrorKind::Timeout.is_client_side());
    }
}
