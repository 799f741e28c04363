//! A simulated request's timeline as the [`RequestRecord`] a real `loadgen` run would have
//! written for it: a streamed response, one content chunk per token stamped when the engine
//! produced it, the server's usage and timings.

use std::time::Duration;

use servebench_metrics::{
    ContentChunk, ErrorKind, MonoNs, Phase, RequestError, RequestRecord, ServerTiming, Usage,
};
use servebench_mocker::ServerTimings;

/// What is known about a request while it runs.
#[derive(Debug)]
pub(crate) struct Timeline {
    /// Issue order (the record's index).
    pub(crate) index: u64,
    /// Session number (the entry index for single requests) and turn.
    pub(crate) session_index: u64,
    pub(crate) turn_index: u32,
    /// When it was submitted (virtual time since the start).
    pub(crate) start: Duration,
    /// When the schedule wanted it sent.
    pub(crate) intended: Option<Duration>,
    pub(crate) input_tokens: u64,
    pub(crate) output_tokens: u32,
    pub(crate) requested_output_tokens: Option<u64>,
    /// Token stamps, ns since the start.
    pub(crate) stamps: Vec<MonoNs>,
}

fn ns(d: Duration) -> MonoNs {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl Timeline {
    /// The record of a request that finished at `end` with the server's `timings`.
    pub(crate) fn into_record(self, end: Duration, timings: &ServerTimings) -> RequestRecord {
        let start_ns = ns(self.start);
        let generated = self.stamps.len() as u64;
        let first = self.stamps.first().copied();
        let chunks: Vec<ContentChunk> = self
            .stamps
            .iter()
            .enumerate()
            .map(|(i, &stamp_ns)| ContentChunk {
                read_index: u32::try_from(i).unwrap_or(u32::MAX),
                stamp_ns,
                text: String::new(),
                reasoning: String::new(),
                usage_tokens: Some(1),
            })
            .collect();
        let error = (generated == 0 && self.output_tokens > 0).then(|| RequestError {
            kind: ErrorKind::EmptyResponse,
            code: None,
            message: "the simulated engine produced no token (the prompt is larger than one \
                      worker's KV cache)"
                .into(),
        });
        RequestRecord {
            index: self.index,
            phase: Phase::Profiling,
            session_index: self.session_index,
            turn_index: self.turn_index,
            url_index: 0,
            credit_issued_ns: start_ns,
            intended_send_ns: self.intended.map(ns),
            start_ns,
            ack_ns: Some(start_ns),
            end_ns: ns(end),
            status: Some(200),
            streaming: true,
            reads: u32::try_from(chunks.len()).unwrap_or(u32::MAX),
            chunks,
            non_content_events: 0,
            usage: Some(Usage {
                prompt_tokens: Some(self.input_tokens),
                completion_tokens: Some(generated),
                total_tokens: Some(self.input_tokens + generated),
                cached_tokens: Some(u64::from(timings.cached_tokens)),
                reasoning_tokens: None,
            }),
            input_tokens: Some(self.input_tokens),
            requested_output_tokens: self.requested_output_tokens,
            server_timing: Some(ServerTiming {
                queue_ms: Some(ms(timings.queue_wait)),
                prefill_ms: Some(ms(timings.prefill)),
                ttft_ms: first.map(|f| f.saturating_sub(start_ns) as f64 / 1e6),
                cached_tokens: Some(u64::from(timings.cached_tokens)),
                worker_id: Some(timings.worker_id),
            }),
            error,
        }
    }
}
