//! Per-request metrics: one [`RequestRecord`] in, AIPerf's per-record values (display units) out.

use servebench_tokenize::Tokenizer;

use crate::catalog::Metric;
use crate::record::{MonoNs, RequestRecord};

/// How per-record metrics are computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricOptions {
    /// Take ISL, OSL and reasoning tokens from the server's `usage` block instead of re-tokenising
    /// the texts (AIPerf `--use-server-token-count`).
    pub use_server_token_count: bool,
}

/// One inter-chunk gap spread over the tokens of the chunk that ended it: `tokens` samples of
/// `per_token_ms` each (servebench's per-token ITL).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenGap {
    /// Gap divided by the chunk's token count, ms.
    pub per_token_ms: f64,
    /// Tokens of the chunk that ended the gap.
    pub tokens: u32,
}

/// The metrics of one request, in display units.
///
/// Scalar metrics are `(Metric, value)` pairs; the list-valued ones (inter-chunk gaps, per-token
/// gaps, tokens per chunk) are kept per chunk until the record is pushed into an
/// [`crate::Aggregator`] and then dropped with this value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordMetrics {
    values: Vec<(Metric, f64)>,
    inter_chunk_latency_ms: Vec<f64>,
    token_gaps: Vec<TokenGap>,
    tokens_per_chunk: Vec<u32>,
}

/// The pieces joined, allocated once at the final length.
fn concat<'a>(pieces: impl Iterator<Item = &'a str> + Clone) -> String {
    let mut out = String::with_capacity(pieces.clone().map(str::len).sum());
    pieces.for_each(|p| out.push_str(p));
    out
}

fn ms_between(later: MonoNs, earlier: MonoNs) -> f64 {
    later.saturating_sub(earlier) as f64 / 1e6
}

impl RecordMetrics {
    /// Computes the metrics of `record`.
    ///
    /// Failed requests get no metrics (AIPerf feeds distributions from successes only); they are
    /// counted by the aggregator and described by their error.
    pub fn compute(
        record: &RequestRecord,
        tokenizer: &dyn Tokenizer,
        options: &MetricOptions,
    ) -> Self {
        let mut m = Self::default();
        if !record.is_success() {
            return m;
        }
        let chunks = &record.chunks;
        let usage = record.usage.as_ref();

        // Token counts.
        let (output_tokens, reasoning_tokens, isl) = if options.use_server_token_count {
            let completion = usage.and_then(|u| u.completion_tokens);
            let reasoning = usage.and_then(|u| u.reasoning_tokens);
            let output = completion.map(|c| c.saturating_sub(reasoning.unwrap_or(0)));
            (output, reasoning, usage.and_then(|u| u.prompt_tokens))
        } else {
            let text = concat(chunks.iter().map(|c| c.text.as_str()));
            let reasoning = concat(chunks.iter().map(|c| c.reasoning.as_str()));
            let reasoning = (!reasoning.is_empty()).then(|| tokenizer.count_tokens(&reasoning));
            (
                Some(tokenizer.count_tokens(&text) as u64),
                reasoning.map(|r| r as u64),
                record.input_tokens,
            )
        };
        let osl = output_tokens.map(|o| o + reasoning_tokens.unwrap_or(0));

        // Timing.
        let last_stamp = match chunks.last() {
            Some(c) => Some(c.stamp_ns),
            None if !record.streaming => Some(record.end_ns),
            None => None,
        };
        let latency_ms = last_stamp.map(|s| ms_between(s, record.start_ns));
        let ttft_ms = (record.streaming)
            .then(|| chunks.first())
            .flatten()
            .map(|c| ms_between(c.stamp_ns, record.start_ns));

        m.put(Metric::TimeToFirstToken, ttft_ms);
        if record.streaming && chunks.len() >= 2 {
            m.put(
                Metric::TimeToSecondToken,
                Some(ms_between(chunks[1].stamp_ns, chunks[0].stamp_ns)),
            );
        }
        // TTFO: to the first chunk with visible (non-reasoning) text, for streamed responses that
        // reasoned (without reasoning it equals TTFT and is left out, keeping those exports as
        // they were).
        if record.streaming && chunks.iter().any(|c| !c.reasoning.is_empty()) {
            m.put(
                Metric::TimeToFirstOutputToken,
                chunks
                    .iter()
                    .find(|c| !c.text.is_empty())
                    .map(|c| ms_between(c.stamp_ns, record.start_ns)),
            );
        }
        m.put(Metric::RequestLatency, latency_ms);

        // ITL = (latency - TTFT) / (OSL - k), k = first chunk's reported tokens else 1.
        let itl_ms = match (latency_ms, ttft_ms, osl) {
            (Some(lat), Some(ttft), Some(osl)) if osl >= 2 => {
                let first = chunks.first().and_then(|c| c.usage_tokens).map(u64::from);
                let decode_tokens = match first {
                    Some(k) if k >= 1 && osl > k => osl - k,
                    _ => osl - 1,
                };
                Some((lat - ttft) / decode_tokens as f64)
            }
            _ => None,
        };
        m.put(Metric::InterTokenLatency, itl_ms);
        m.put(
            Metric::OutputTokenThroughputPerUser,
            itl_ms.filter(|&v| v > 0.0).map(|v| 1000.0 / v),
        );
        m.put(
            Metric::E2eOutputTokenThroughput,
            latency_ms
                .zip(osl)
                .filter(|&(l, _)| l > 0.0)
                .map(|(l, o)| o as f64 * 1000.0 / l),
        );
        m.put(
            Metric::PrefillThroughputPerUser,
            ttft_ms
                .zip(isl)
                .filter(|&(t, _)| t > 0.0)
                .map(|(t, i)| i as f64 * 1000.0 / t),
        );

        m.put(Metric::OutputSequenceLength, osl.map(|v| v as f64));
        m.put(Metric::OutputTokenCount, output_tokens.map(|v| v as f64));
        m.put(
            Metric::ReasoningTokenCount,
            reasoning_tokens.map(|v| v as f64),
        );
        m.put(Metric::InputSequenceLength, isl.map(|v| v as f64));
        if let Some(u) = usage {
            m.put(Metric::UsagePromptTokens, u.prompt_tokens.map(|v| v as f64));
            m.put(
                Metric::UsageCompletionTokens,
                u.completion_tokens.map(|v| v as f64),
            );
            m.put(Metric::UsageTotalTokens, u.total_tokens.map(|v| v as f64));
            m.put(
                Metric::UsageReasoningTokens,
                u.reasoning_tokens.map(|v| v as f64),
            );
            m.put(
                Metric::UsagePromptCacheReadTokens,
                u.cached_tokens.map(|v| v as f64),
            );
        }
        m.put(
            Metric::CreditToStartLatency,
            Some(ms_between(record.start_ns, record.credit_issued_ns)),
        );
        m.put(
            Metric::EffectiveLatency,
            last_stamp.map(|s| ms_between(s, record.due_ns())),
        );

        if record.streaming {
            m.compute_chunk_lists(record, tokenizer);
        }
        m
    }

    /// Inter-chunk gaps, per-token gaps and tokens per chunk.
    fn compute_chunk_lists(&mut self, record: &RequestRecord, tokenizer: &dyn Tokenizer) {
        let chunks = &record.chunks;
        self.tokens_per_chunk.reserve(chunks.len());
        self.inter_chunk_latency_ms
            .reserve(chunks.len().saturating_sub(1));
        self.token_gaps.reserve(chunks.len().saturating_sub(1));
        // A gap that ends in a chunk with no tokens is carried to the next chunk that has tokens.
        let mut pending_ms = 0.0;
        for (i, chunk) in chunks.iter().enumerate() {
            let tokens = chunk.usage_tokens.unwrap_or_else(|| {
                let n =
                    tokenizer.count_tokens(&chunk.text) + tokenizer.count_tokens(&chunk.reasoning);
                u32::try_from(n).unwrap_or(u32::MAX)
            });
            self.tokens_per_chunk.push(tokens);
            if i == 0 {
                continue;
            }
            let gap = ms_between(chunk.stamp_ns, chunks[i - 1].stamp_ns);
            self.inter_chunk_latency_ms.push(gap);
            pending_ms += gap;
            if tokens > 0 {
                self.token_gaps.push(TokenGap {
                    per_token_ms: pending_ms / f64::from(tokens),
                    tokens,
                });
                pending_ms = 0.0;
            }
        }
    }

    fn put(&mut self, metric: Metric, value: Option<f64>) {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            self.values.push((metric, v));
        }
    }

    /// The value of a scalar per-record metric, if the request has it.
    pub fn get(&self, metric: Metric) -> Option<f64> {
        self.values
            .iter()
            .find(|(m, _)| *m == metric)
            .map(|&(_, v)| v)
    }

    /// All scalar per-record values, in computation order.
    pub fn values(&self) -> &[(Metric, f64)] {
        &self.values
    }

    /// Gaps between consecutive content chunks, ms (AIPerf `inter_chunk_latency`).
    pub fn inter_chunk_latency_ms(&self) -> &[f64] {
        &self.inter_chunk_latency_ms
    }

    /// Per-token gaps: each inter-chunk gap spread over the tokens of the chunk that ended it.
    pub fn token_gaps(&self) -> &[TokenGap] {
        &self.token_gaps
    }

    /// Tokens carried by each content chunk (server per-chunk usage when reported, else the
    /// tokenizer's count of the chunk's text and reasoning).
    pub fn tokens_per_chunk(&self) -> &[u32] {
        &self.tokens_per_chunk
    }
}
