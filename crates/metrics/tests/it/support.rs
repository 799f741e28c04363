//! Hand-built records with known stamps.

use servebench_metrics::{ContentChunk, ErrorKind, RecordBuilder, RequestRecord, RunClock};
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
    let reads = chunks.len() as u32;
    RecordBuilder::new(0)
        .span(ms(start_ms), end)
        .credit(ms(credit_ms))
        .ack(ms(start_ms) + ms(1))
        .chunks(chunks)
        .reads(reads, 2)
        .input_tokens(12)
        .build()
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
    RecordBuilder::from_record(r).error(kind, code, msg).build()
}

pub(crate) fn clock() -> RunClock {
    RunClock::start()
}
