//! Hand-built records with known stamps.

use servebench_metrics::{ContentChunk, ErrorKind, Phase, RequestError, RequestRecord, RunClock};
use servebench_tokenize::BuiltinTokenizer;

/// Milliseconds to the record's monotonic nanoseconds.
pub(crate) fn ms(v: u64) -> u64 {
    v * 1_000_000
}

pub(crate) fn tok() -> BuiltinTokenizer {
    BuiltinTokenizer::new()
}

pub(crate) fn chunk(stamp_ms: u64, text: &str) -> ContentChunk {
    ContentChunk {
        read_index: 0,
        stamp_ns: ms(stamp_ms),
        text: text.to_owned(),
        reasoning: String::new(),
        usage_tokens: None,
    }
}

/// A successful streamed profiling record: credit at `credit_ms`, start at `start_ms`, the given
/// chunks, end 5 ms after the last chunk, 12 input tokens.
pub(crate) fn streamed(credit_ms: u64, start_ms: u64, chunks: Vec<ContentChunk>) -> RequestRecord {
    let end = chunks.last().map_or(ms(start_ms), |c| c.stamp_ns) + ms(5);
    RequestRecord {
        index: 0,
        phase: Phase::Profiling,
        session_index: 0,
        turn_index: 0,
        url_index: 0,
        credit_issued_ns: ms(credit_ms),
        intended_send_ns: None,
        start_ns: ms(start_ms),
        ack_ns: Some(ms(start_ms) + ms(1)),
        end_ns: end,
        status: Some(200),
        streaming: true,
        reads: chunks.len() as u32,
        chunks,
        non_content_events: 2,
        usage: None,
        input_tokens: Some(12),
        requested_output_tokens: None,
        server_timing: None,
        error: None,
    }
}

/// A failed profiling record spanning `start_ms..end_ms`.
pub(crate) fn failed(
    start_ms: u64,
    end_ms: u64,
    kind: ErrorKind,
    code: Option<u16>,
    msg: &str,
) -> RequestRecord {
    let mut r = streamed(start_ms, start_ms, Vec::new());
    r.end_ns = ms(end_ms);
    r.status = code;
    r.error = Some(RequestError {
        kind,
        code,
        message: msg.to_owned(),
    });
    r
}

pub(crate) fn clock() -> RunClock {
    RunClock::start()
}
