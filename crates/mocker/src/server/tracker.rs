//! Per-request bookkeeping shared by streaming and non-streaming responses: token stamps,
//! server-side latency histograms, and the final finish reason, usage and timings.

use std::time::{Duration, Instant};

use super::metrics::Finished;
use super::render::{Timings, Usage};
use super::state::InFlight;
use crate::protocol::{FinishReason, ServerTimings};

/// How a token source's stream ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Outcome {
    /// A `Finished` event arrived.
    Finished(FinishReason, ServerTimings),
    /// The channel closed without one (the source dropped the request).
    Aborted,
}

/// Tracks one generation from arrival to its last token.
#[derive(Debug)]
pub(crate) struct Tracker {
    guard: InFlight,
    arrived: Instant,
    first: Option<Instant>,
    last: Option<Instant>,
    sent: u32,
    planned: u32,
    planned_finish: FinishReason,
    prompt_tokens: u32,
    finished: bool,
}

impl Tracker {
    pub(crate) fn new(
        guard: InFlight,
        arrived: Instant,
        planned: u32,
        planned_finish: FinishReason,
        prompt_tokens: u32,
    ) -> Self {
        Self {
            guard,
            arrived,
            first: None,
            last: None,
            sent: 0,
            planned,
            planned_finish,
            prompt_tokens,
            finished: false,
        }
    }

    /// Why the token source has failed, if it has.
    pub(crate) fn source_failure(&self) -> Option<String> {
        self.guard.state().source.failure()
    }

    /// Tokens handed to the HTTP layer so far.
    pub(crate) fn sent(&self) -> u32 {
        self.sent
    }

    /// Records `n` tokens handed over at `now` (tokens of one batch share the stamp, so all but
    /// the first of a batch count a zero inter-token gap).
    #[inline]
    pub(crate) fn tokens(&mut self, now: Instant, n: u32) {
        if n == 0 {
            return;
        }
        let m = &self.guard.state().metrics;
        match self.last {
            None => {
                m.ttft.observe(now.saturating_duration_since(self.arrived));
                self.first = Some(now);
            }
            Some(last) => m.itl.observe(now.saturating_duration_since(last)),
        }
        m.itl.observe_n(Duration::ZERO, u64::from(n - 1));
        m.generation_tokens
            .fetch_add(u64::from(n), std::sync::atomic::Ordering::Relaxed);
        self.last = Some(now);
        self.sent += n;
    }

    /// Closes the request: records its end-to-end latency and outcome, and returns the finish
    /// reason text, usage and timings to report.
    pub(crate) fn finish(
        &mut self,
        now: Instant,
        outcome: Outcome,
    ) -> (&'static str, Usage, Timings) {
        self.finished = true;
        let (finished, source_timings) = match outcome {
            Outcome::Aborted => (Finished::Abort, ServerTimings::default()),
            Outcome::Finished(reason, t) => {
                // The server decided the length; the source's own reason only matters when it
                // stopped at a different count.
                let reason = if self.sent == self.planned {
                    self.planned_finish
                } else {
                    reason
                };
                let f = match reason {
                    FinishReason::Length => Finished::Length,
                    FinishReason::Stop => Finished::Stop,
                };
                (f, t)
            }
        };
        let cached = source_timings.cached_tokens.min(self.prompt_tokens);
        let m = &self.guard.state().metrics;
        m.e2e.observe(now.saturating_duration_since(self.arrived));
        m.finish(finished, self.prompt_tokens, cached);
        let text = match finished {
            Finished::Stop => "stop",
            Finished::Length => "length",
            Finished::Abort => "abort",
        };
        let usage = Usage {
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.sent,
            cached_tokens: cached,
            reasoning_tokens: None,
        };
        let timings = Timings {
            queue: source_timings.queue_wait,
            prefill: source_timings.prefill,
            ttft: self
                .first
                .unwrap_or(now)
                .saturating_duration_since(self.arrived),
            cached_tokens: cached,
            prompt_tokens: self.prompt_tokens,
            worker_id: source_timings.worker_id,
        };
        (text, usage, timings)
    }
}

impl Drop for Tracker {
    /// A response dropped before its end (client gone, injected disconnect) counts as aborted.
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.finish(Instant::now(), Outcome::Aborted);
        }
    }
}
