//! Record-by-record aggregation into a [`Summary`].

use std::collections::HashMap;

use crate::catalog::{CATALOGUE, Metric, MetricFlags, MetricKind};
use crate::compute::RecordMetrics;
use crate::distribution::{DEFAULT_EXACT_SAMPLE_CAP, Distribution};
use crate::goodput::Goodput;
use crate::record::{ErrorKind, MonoNs, Phase, RequestRecord, RunClock};
use crate::stats::Stats;
use crate::summary::{
    ErrorGroup, MetricResult, MetricValue, MissingMetric, MissingReason, PhaseSummary, Summary,
};

/// What the run was, which decides the metrics that apply.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregatorConfig {
    /// The run streamed responses; if false, streaming-only metrics are omitted.
    pub streaming: bool,
    /// The endpoint produces tokens; if false (embeddings), token-output metrics are omitted.
    pub produces_tokens: bool,
    /// Goodput SLOs, if given (adds `good_request_count`, `goodput`, `good_request_fraction`).
    pub goodput: Option<Goodput>,
    /// Exact samples kept per metric before switching to the bounded histogram.
    pub exact_sample_cap: usize,
}

impl Default for AggregatorConfig {
    fn default() -> Self {
        Self {
            streaming: true,
            produces_tokens: true,
            goodput: None,
            exact_sample_cap: DEFAULT_EXACT_SAMPLE_CAP,
        }
    }
}

/// Running state of one phase.
#[derive(Debug, Clone)]
struct PhaseAggregate {
    /// Indexed by `Metric as usize`; only record metrics are fed.
    distributions: Vec<Distribution>,
    successes: u64,
    errors: u64,
    good: u64,
    /// (earliest start, latest end) over successful records.
    success_span: Option<(MonoNs, MonoNs)>,
    /// (earliest start, latest end) over all records.
    any_span: Option<(MonoNs, MonoNs)>,
    error_groups: HashMap<(ErrorKind, Option<u16>), (u64, String)>,
}

fn widen(span: &mut Option<(MonoNs, MonoNs)>, start: MonoNs, end: MonoNs) {
    let (s, e) = span.get_or_insert((start, end));
    *s = (*s).min(start);
    *e = (*e).max(end);
}

impl PhaseAggregate {
    fn new(cap: usize) -> Self {
        Self {
            distributions: vec![Distribution::with_cap(cap); CATALOGUE.len()],
            successes: 0,
            errors: 0,
            good: 0,
            success_span: None,
            any_span: None,
            error_groups: HashMap::new(),
        }
    }

    fn dist(&mut self, metric: Metric) -> &mut Distribution {
        &mut self.distributions[metric as usize]
    }

    fn push(&mut self, record: &RequestRecord, metrics: &RecordMetrics, goodput: Option<&Goodput>) {
        widen(&mut self.any_span, record.start_ns, record.end_ns);
        if let Some(err) = &record.error {
            self.errors += 1;
            self.error_groups
                .entry((err.kind, err.code))
                .or_insert_with(|| (0, err.message.clone()))
                .0 += 1;
            return;
        }
        self.successes += 1;
        widen(&mut self.success_span, record.start_ns, record.end_ns);
        for &(metric, value) in metrics.values() {
            self.dist(metric).push(value);
        }
        for &gap in metrics.inter_chunk_latency_ms() {
            self.dist(Metric::InterChunkLatency).push(gap);
        }
        for gap in metrics.token_gaps() {
            self.dist(Metric::InterTokenLatencyPerToken)
                .push_n(gap.per_token_ms, u64::from(gap.tokens));
        }
        for &tokens in metrics.tokens_per_chunk() {
            self.dist(Metric::TokensPerChunk).push(f64::from(tokens));
        }
        if goodput.is_some_and(|g| g.is_good(metrics)) {
            self.good += 1;
        }
    }

    fn summary(&self, config: &AggregatorConfig, clock: &RunClock) -> PhaseSummary {
        let applies = |metric: Metric| {
            let spec = metric.spec();
            (config.streaming || !spec.streaming_only())
                && (config.produces_tokens || !spec.produces_tokens())
                && (config.goodput.is_some() || !spec.flags.contains(MetricFlags::GOODPUT_ONLY))
                && (self.errors > 0 || !spec.flags.contains(MetricFlags::ERROR_ONLY))
        };
        // Each distribution's statistics are computed (its exact samples sorted) once, however
        // many results, sums and checks read them.
        let computed: Vec<std::cell::OnceCell<Option<Stats>>> = self
            .distributions
            .iter()
            .map(|_| std::cell::OnceCell::new())
            .collect();
        let stats = |metric: Metric| {
            let source = match metric {
                // Per-gap ITL is the inter-chunk gap distribution under a servebench name.
                Metric::InterTokenLatencyPerGap => Metric::InterChunkLatency,
                m => m,
            } as usize;
            *computed[source].get_or_init(|| self.distributions[source].stats())
        };
        let sum_of = |metric: Metric| stats(metric).map(|s| s.sum);

        let span = self.success_span.or(self.any_span);
        let duration_s = span.map(|(s, e)| e.saturating_sub(s) as f64 / 1e9);
        let per_sec = |v: Option<f64>| match (v, duration_s) {
            (Some(v), Some(d)) if d > 0.0 => Some(v / d),
            _ => None,
        };
        let completed = self.successes + self.errors;
        let (total_isl, total_osl) = (
            sum_of(Metric::InputSequenceLength),
            sum_of(Metric::OutputSequenceLength),
        );

        let scalar = |metric: Metric| -> Option<f64> {
            match metric {
                Metric::RequestCount => Some(self.successes as f64),
                Metric::ErrorRequestCount => Some(self.errors as f64),
                Metric::CompletedRequestCount => Some(completed as f64),
                Metric::RequestErrorRate => {
                    (completed > 0).then(|| 100.0 * self.errors as f64 / completed as f64)
                }
                Metric::MinRequestTimestamp => span.map(|(s, _)| clock.epoch_ns(s) as f64),
                Metric::MaxResponseTimestamp => span.map(|(_, e)| clock.epoch_ns(e) as f64),
                Metric::BenchmarkDuration => duration_s,
                Metric::RequestThroughput => per_sec(Some(self.successes as f64)),
                Metric::OutputTokenThroughput => per_sec(total_osl),
                Metric::InputTokenThroughput => per_sec(total_isl),
                Metric::TotalTokenThroughput => {
                    per_sec(total_isl.zip(total_osl).map(|(i, o)| i + o))
                }
                Metric::TotalIsl => total_isl,
                Metric::TotalOsl => total_osl,
                Metric::TotalOutputTokens => sum_of(Metric::OutputTokenCount),
                Metric::TotalReasoningTokens => sum_of(Metric::ReasoningTokenCount),
                Metric::GoodRequestCount => Some(self.good as f64),
                Metric::Goodput => per_sec(Some(self.good as f64)),
                Metric::GoodRequestFraction => Some(if completed == 0 {
                    0.0
                } else {
                    self.good as f64 / completed as f64
                }),
                _ => None,
            }
        };

        let missing = CATALOGUE
            .iter()
            .filter(|spec| spec.kind.is_distribution())
            .filter(|spec| {
                !spec.flags.contains(MetricFlags::GOODPUT_ONLY)
                    && !spec.flags.contains(MetricFlags::INTERNAL)
            })
            .filter(|spec| !applies(spec.metric) || stats(spec.metric).is_none())
            .map(|spec| MissingMetric {
                metric: spec.metric,
                reason: if !config.produces_tokens && spec.produces_tokens() {
                    MissingReason::NoOutputTokens
                } else if !config.streaming && spec.streaming_only() {
                    MissingReason::NotStreaming
                } else if completed == 0 {
                    MissingReason::NoRequests
                } else if self.successes == 0 {
                    MissingReason::EveryRequestFailed
                } else {
                    MissingReason::NotReported
                },
            })
            .collect();

        let results = CATALOGUE
            .iter()
            .filter(|spec| applies(spec.metric))
            .filter_map(|spec| {
                let value = match spec.kind {
                    MetricKind::Record | MetricKind::RecordList => {
                        MetricValue::Distribution(stats(spec.metric)?)
                    }
                    MetricKind::Aggregate | MetricKind::Derived => {
                        MetricValue::Scalar(scalar(spec.metric)?)
                    }
                };
                Some(MetricResult {
                    metric: spec.metric,
                    value,
                })
            })
            .collect();

        let mut error_summary: Vec<ErrorGroup> = self
            .error_groups
            .iter()
            .map(|(&(kind, code), (count, message))| ErrorGroup {
                kind,
                code,
                count: *count,
                example_message: message.clone(),
            })
            .collect();
        error_summary.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.kind.cmp(&b.kind))
                .then(a.code.cmp(&b.code))
        });

        PhaseSummary {
            results,
            missing,
            error_summary,
            start_epoch_ns: span.map(|(s, _)| clock.epoch_ns(s)),
            end_epoch_ns: span.map(|(_, e)| clock.epoch_ns(e)),
        }
    }
}

/// Aggregates records one by one with bounded memory and produces the run's [`Summary`].
///
/// Successful profiling records feed the distributions; failed records are counted and grouped by
/// (kind, code); warm-up records are aggregated separately (AIPerf 0.13 `warmup_metrics`).
/// `min_request_timestamp` / `max_response_timestamp` (and so `benchmark_duration` and every
/// throughput) span the successful records' start and end stamps, or all records' when none
/// succeeded.
#[derive(Debug, Clone)]
pub struct Aggregator {
    config: AggregatorConfig,
    profiling: PhaseAggregate,
    warmup: PhaseAggregate,
}

impl Aggregator {
    /// An empty aggregator.
    pub fn new(config: AggregatorConfig) -> Self {
        let cap = config.exact_sample_cap;
        Self {
            config,
            profiling: PhaseAggregate::new(cap),
            warmup: PhaseAggregate::new(cap),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AggregatorConfig {
        &self.config
    }

    /// Adds one record and its metrics (from [`RecordMetrics::compute`]).
    pub fn push(&mut self, record: &RequestRecord, metrics: &RecordMetrics) {
        let goodput = self.config.goodput.as_ref();
        match record.phase {
            Phase::Profiling => self.profiling.push(record, metrics, goodput),
            Phase::Warmup => self.warmup.push(record, metrics, goodput),
        }
    }

    /// Number of profiling records pushed (successes and errors).
    pub fn profiling_count(&self) -> u64 {
        self.profiling.successes + self.profiling.errors
    }

    /// The summary so far; callable at any time, e.g. after a cancelled run.
    pub fn summary(&self, clock: &RunClock) -> Summary {
        let warmup_ran = self.warmup.successes + self.warmup.errors > 0;
        Summary {
            profiling: self.profiling.summary(&self.config, clock),
            warmup: warmup_ran.then(|| self.warmup.summary(&self.config, clock)),
        }
    }
}
