//! The metric catalogue: every metric servebench reports, with AIPerf's tag, display name, display
//! unit and applicability flags.

use std::fmt;

/// Display unit of a metric, spelled exactly as AIPerf writes it in its exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Milliseconds (`ms`).
    Ms,
    /// Seconds (`sec`).
    Sec,
    /// Nanoseconds (`ns`), used for epoch timestamps.
    Ns,
    /// Tokens (`tokens`).
    Tokens,
    /// Tokens per second per user (`tokens/sec/user`).
    TokensPerSecPerUser,
    /// Tokens per second (`tokens/sec`).
    TokensPerSec,
    /// Requests (`requests`).
    Requests,
    /// Requests per second (`requests/sec`).
    RequestsPerSec,
    /// Percent (`%`).
    Percent,
    /// A unitless ratio (`ratio`).
    Ratio,
}

impl Unit {
    /// The unit as written in exports (`"ms"`, `"tokens/sec/user"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ms => "ms",
            Self::Sec => "sec",
            Self::Ns => "ns",
            Self::Tokens => "tokens",
            Self::TokensPerSecPerUser => "tokens/sec/user",
            Self::TokensPerSec => "tokens/sec",
            Self::Requests => "requests",
            Self::RequestsPerSec => "requests/sec",
            Self::Percent => "%",
            Self::Ratio => "ratio",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a metric is computed (AIPerf's three computation types, with record metrics split by shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// One value per request; the values form a distribution.
    Record,
    /// A list of values per request (e.g. inter-chunk gaps); all lists pool into one distribution.
    RecordList,
    /// A running counter, minimum or maximum over records.
    Aggregate,
    /// A formula over other results, computed at the end of the run.
    Derived,
}

impl MetricKind {
    /// True for metrics that export a full distribution (avg, min, max, percentiles, std, ...).
    pub const fn is_distribution(self) -> bool {
        matches!(self, Self::Record | Self::RecordList)
    }
}

/// Applicability and direction flags of a metric (a small bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MetricFlags(u16);

impl MetricFlags {
    /// No flags.
    pub const NONE: Self = Self(0);
    /// Only meaningful for streamed responses; omitted from non-streaming runs.
    pub const STREAMING_ONLY: Self = Self(1);
    /// Larger values are better (goodput thresholds compare with `>=`).
    pub const LARGER_IS_BETTER: Self = Self(1 << 1);
    /// Only meaningful for endpoints that produce tokens; omitted for embeddings runs.
    pub const PRODUCES_TOKENS: Self = Self(1 << 2);
    /// Only reported when goodput thresholds were given.
    pub const GOODPUT_ONLY: Self = Self(1 << 3);
    /// Only reported when there were errors.
    pub const ERROR_ONLY: Self = Self(1 << 4);
    /// Internal bookkeeping kept in the summary but left out of the exports (AIPerf `INTERNAL`).
    pub const INTERNAL: Self = Self(1 << 5);
    /// A servebench addition that AIPerf does not have.
    pub const SERVEBENCH: Self = Self(1 << 6);

    /// Union of two flag sets.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// True if every flag of `other` is set in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

/// Static description of one metric.
#[derive(Debug, Clone, Copy)]
pub struct MetricSpec {
    /// The metric this spec describes.
    pub metric: Metric,
    /// AIPerf's tag (JSON key, lower snake case).
    pub tag: &'static str,
    /// Display name as AIPerf prints it (CSV first column, without the unit).
    pub header: &'static str,
    /// Display unit; per-request values and statistics are in this unit.
    pub unit: Unit,
    /// How it is computed.
    pub kind: MetricKind,
    /// Applicability and direction.
    pub flags: MetricFlags,
}

impl MetricSpec {
    /// True if larger values are better.
    pub const fn larger_is_better(&self) -> bool {
        self.flags.contains(MetricFlags::LARGER_IS_BETTER)
    }

    /// True if the metric only exists for streamed responses.
    pub const fn streaming_only(&self) -> bool {
        self.flags.contains(MetricFlags::STREAMING_ONLY)
    }

    /// True if the metric only exists for endpoints that produce tokens.
    pub const fn produces_tokens(&self) -> bool {
        self.flags.contains(MetricFlags::PRODUCES_TOKENS)
    }
}

macro_rules! catalogue {
    ($( $variant:ident => ($tag:literal, $header:literal, $unit:ident, $kind:ident, [$($flag:ident),*]) ),* $(,)?) => {
        /// Every metric servebench reports. The discriminant indexes [`CATALOGUE`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Metric {
            $(
                #[doc = concat!("`", $tag, "`: ", $header, ".")]
                $variant,
            )*
        }

        /// The catalogue, in display order; `CATALOGUE[m as usize].metric == m`.
        pub static CATALOGUE: &[MetricSpec] = &[
            $(
                MetricSpec {
                    metric: Metric::$variant,
                    tag: $tag,
                    header: $header,
                    unit: Unit::$unit,
                    kind: MetricKind::$kind,
                    flags: MetricFlags::NONE$(.union(MetricFlags::$flag))*,
                },
            )*
        ];
    };
}

catalogue! {
    TimeToFirstToken => ("time_to_first_token", "Time to First Token", Ms, Record,
        [STREAMING_ONLY, PRODUCES_TOKENS]),
    TimeToSecondToken => ("time_to_second_token", "Time to Second Token", Ms, Record,
        [STREAMING_ONLY, PRODUCES_TOKENS]),
    TimeToFirstOutputToken => ("time_to_first_output_token", "Time to First Output Token", Ms,
        Record, [STREAMING_ONLY, PRODUCES_TOKENS]),
    RequestLatency => ("request_latency", "Request Latency", Ms, Record, []),
    InterTokenLatency => ("inter_token_latency", "Inter Token Latency", Ms, Record,
        [STREAMING_ONLY, PRODUCES_TOKENS]),
    InterChunkLatency => ("inter_chunk_latency", "Inter Chunk Latency", Ms, RecordList,
        [STREAMING_ONLY, PRODUCES_TOKENS]),
    InterTokenLatencyPerGap => ("inter_token_latency_per_gap", "Inter Token Latency Per Gap", Ms,
        RecordList, [STREAMING_ONLY, PRODUCES_TOKENS, SERVEBENCH]),
    InterTokenLatencyPerToken => ("inter_token_latency_per_token", "Inter Token Latency Per Token",
        Ms, RecordList, [STREAMING_ONLY, PRODUCES_TOKENS, SERVEBENCH]),
    TokensPerChunk => ("tokens_per_chunk", "Tokens Per Chunk", Tokens, RecordList,
        [STREAMING_ONLY, PRODUCES_TOKENS, SERVEBENCH]),
    OutputTokenThroughputPerUser => ("output_token_throughput_per_user",
        "Output Token Throughput Per User", TokensPerSecPerUser, Record,
        [STREAMING_ONLY, PRODUCES_TOKENS, LARGER_IS_BETTER]),
    E2eOutputTokenThroughput => ("e2e_output_token_throughput", "E2E Output Token Throughput",
        TokensPerSecPerUser, Record, [PRODUCES_TOKENS, LARGER_IS_BETTER]),
    PrefillThroughputPerUser => ("prefill_throughput_per_user", "Prefill Throughput Per User",
        TokensPerSecPerUser, Record, [STREAMING_ONLY, PRODUCES_TOKENS, LARGER_IS_BETTER]),
    OutputSequenceLength => ("output_sequence_length", "Output Sequence Length", Tokens, Record,
        [PRODUCES_TOKENS, LARGER_IS_BETTER]),
    OutputTokenCount => ("output_token_count", "Output Token Count", Tokens, Record,
        [PRODUCES_TOKENS, LARGER_IS_BETTER]),
    ReasoningTokenCount => ("reasoning_token_count", "Reasoning Token Count", Tokens, Record,
        [PRODUCES_TOKENS, LARGER_IS_BETTER]),
    InputSequenceLength => ("input_sequence_length", "Input Sequence Length", Tokens, Record,
        [LARGER_IS_BETTER]),
    UsagePromptTokens => ("usage_prompt_tokens", "Usage Prompt Tokens", Tokens, Record,
        [LARGER_IS_BETTER]),
    UsageCompletionTokens => ("usage_completion_tokens", "Usage Completion Tokens", Tokens, Record,
        [PRODUCES_TOKENS, LARGER_IS_BETTER]),
    UsageTotalTokens => ("usage_total_tokens", "Usage Total Tokens", Tokens, Record,
        [LARGER_IS_BETTER]),
    UsageReasoningTokens => ("usage_reasoning_tokens", "Usage Reasoning Tokens", Tokens, Record,
        [PRODUCES_TOKENS, LARGER_IS_BETTER]),
    UsagePromptCacheReadTokens => ("usage_prompt_cache_read_tokens",
        "Usage Prompt Cache Read Tokens", Tokens, Record, [LARGER_IS_BETTER]),
    CreditToStartLatency => ("credit_to_start_latency", "Credit-to-Start Latency", Ms, Record, []),
    EffectiveLatency => ("effective_latency", "Effective Latency (CO-aware)", Ms, Record, []),
    RequestCount => ("request_count", "Request Count", Requests, Aggregate, [LARGER_IS_BETTER]),
    ErrorRequestCount => ("error_request_count", "Error Request Count", Requests, Aggregate,
        [ERROR_ONLY]),
    CompletedRequestCount => ("completed_request_count", "Completed Requests (Success + Error)",
        Requests, Derived, []),
    RequestErrorRate => ("request_error_rate", "Request Error Rate", Percent, Derived, []),
    MinRequestTimestamp => ("min_request_timestamp", "Minimum Request Timestamp", Ns, Aggregate,
        [INTERNAL]),
    MaxResponseTimestamp => ("max_response_timestamp", "Maximum Response Timestamp", Ns,
        Aggregate, [INTERNAL]),
    BenchmarkDuration => ("benchmark_duration", "Benchmark Duration", Sec, Derived, []),
    RequestThroughput => ("request_throughput", "Request Throughput", RequestsPerSec, Derived,
        [LARGER_IS_BETTER]),
    OutputTokenThroughput => ("output_token_throughput", "Output Token Throughput", TokensPerSec,
        Derived, [PRODUCES_TOKENS, LARGER_IS_BETTER]),
    InputTokenThroughput => ("input_token_throughput", "Input Token Throughput", TokensPerSec,
        Derived, [LARGER_IS_BETTER]),
    TotalTokenThroughput => ("total_token_throughput", "Total Token Throughput", TokensPerSec,
        Derived, [LARGER_IS_BETTER]),
    TotalIsl => ("total_isl", "Total Input Sequence Length", Tokens, Derived, [LARGER_IS_BETTER]),
    TotalOsl => ("total_osl", "Total Output Sequence Length", Tokens, Derived,
        [PRODUCES_TOKENS, LARGER_IS_BETTER]),
    TotalOutputTokens => ("total_output_tokens", "Total Output Tokens", Tokens, Derived,
        [PRODUCES_TOKENS, LARGER_IS_BETTER]),
    TotalReasoningTokens => ("total_reasoning_tokens", "Total Reasoning Tokens", Tokens, Derived,
        [PRODUCES_TOKENS, LARGER_IS_BETTER]),
    GoodRequestCount => ("good_request_count", "GoodRequestCount", Requests, Aggregate,
        [GOODPUT_ONLY, LARGER_IS_BETTER]),
    Goodput => ("goodput", "Goodput", RequestsPerSec, Derived, [GOODPUT_ONLY, LARGER_IS_BETTER]),
    GoodRequestFraction => ("good_request_fraction", "GoodRequestFraction", Ratio, Derived,
        [GOODPUT_ONLY, LARGER_IS_BETTER]),
}

impl Metric {
    /// This metric's catalogue entry.
    pub fn spec(self) -> &'static MetricSpec {
        &CATALOGUE[self as usize]
    }

    /// AIPerf's tag of this metric.
    pub fn tag(self) -> &'static str {
        self.spec().tag
    }

    /// The metric with AIPerf tag `tag`, if servebench reports it.
    pub fn from_tag(tag: &str) -> Option<Self> {
        CATALOGUE.iter().find(|s| s.tag == tag).map(|s| s.metric)
    }

    /// Number of metrics in the catalogue.
    pub fn count() -> usize {
        CATALOGUE.len()
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_index_matches_discriminant() {
        for (i, spec) in CATALOGUE.iter().enumerate() {
            assert_eq!(spec.metric as usize, i, "{}", spec.tag);
            assert_eq!(Metric::from_tag(spec.tag), Some(spec.metric));
        }
    }

    #[test]
    fn tags_are_unique_lower_snake_case() {
        let mut tags: Vec<&str> = CATALOGUE.iter().map(|s| s.tag).collect();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(tags.len(), CATALOGUE.len());
        for t in tags {
            assert!(
                t.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            );
        }
    }

    #[test]
    fn aiperf_names_units_and_flags() {
        let ttft = Metric::TimeToFirstToken.spec();
        assert_eq!(
            (ttft.header, ttft.unit.as_str()),
            ("Time to First Token", "ms")
        );
        assert!(ttft.streaming_only() && !ttft.larger_is_better());
        let tps = Metric::OutputTokenThroughputPerUser.spec();
        assert_eq!(tps.unit.as_str(), "tokens/sec/user");
        assert!(tps.larger_is_better());
        assert_eq!(Metric::RequestErrorRate.spec().unit.as_str(), "%");
        assert_eq!(Metric::BenchmarkDuration.spec().unit.as_str(), "sec");
        assert_eq!(
            Metric::RequestThroughput.spec().unit.as_str(),
            "requests/sec"
        );
        assert!(!Metric::RequestLatency.spec().streaming_only());
    }
}
