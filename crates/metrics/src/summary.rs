//! The result of a run: per-phase metric results and error groups.

use crate::catalog::{Metric, MetricSpec};
use crate::record::ErrorKind;
use crate::stats::Stats;

/// A metric's result: a distribution's statistics or a single value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricValue {
    /// Statistics of a per-record metric.
    Distribution(Stats),
    /// An aggregate or derived value (exported as `{unit, avg}`).
    Scalar(f64),
}

/// One metric's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricResult {
    /// Which metric.
    pub metric: Metric,
    /// Its value, in the metric's display unit.
    pub value: MetricValue,
}

impl MetricResult {
    /// The metric's catalogue entry (tag, display name, unit).
    pub fn spec(&self) -> &'static MetricSpec {
        self.metric.spec()
    }
}

/// Failed requests of one kind and code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorGroup {
    /// The class of failure.
    pub kind: ErrorKind,
    /// HTTP status or AIPerf-style code, when there is one.
    pub code: Option<u16>,
    /// Number of failed requests in this group.
    pub count: u64,
    /// The message of the first failed request of the group.
    pub example_message: String,
}

/// Why a per-request metric that applies to the run has no samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingReason {
    /// No request of the phase completed.
    NoRequests,
    /// Every request failed, so no success fed the distribution.
    EveryRequestFailed,
    /// The metric needs streamed responses and the run did not stream.
    NotStreaming,
    /// The endpoint produces no tokens (embeddings).
    NoOutputTokens,
    /// Requests succeeded but none of them reported it (e.g. no `usage` from the server, no
    /// reasoning text, responses of one chunk for inter-chunk gaps).
    NotReported,
}

impl MissingReason {
    /// A short explanation for a console line.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::NoRequests => "no request completed",
            Self::EveryRequestFailed => "every request failed",
            Self::NotStreaming => "not streaming (pass --streaming to measure it)",
            Self::NoOutputTokens => "the endpoint produces no tokens",
            Self::NotReported => "no successful response reported it",
        }
    }
}

impl std::fmt::Display for MissingReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// A per-request metric without samples, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingMetric {
    /// Which metric.
    pub metric: Metric,
    /// Why it has no samples.
    pub reason: MissingReason,
}

/// The results of one phase (profiling or warm-up).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhaseSummary {
    /// Metric results in catalogue order; metrics without a value are absent.
    pub results: Vec<MetricResult>,
    /// Per-request metrics (distributions) absent from `results`, with the reason, so a table
    /// never drops a row silently. Goodput-only and internal metrics are not listed.
    pub missing: Vec<MissingMetric>,
    /// Failed requests grouped by (kind, code), most frequent first.
    pub error_summary: Vec<ErrorGroup>,
    /// Epoch ns of the earliest request start (see [`crate::Aggregator`] for which records count).
    pub start_epoch_ns: Option<u64>,
    /// Epoch ns of the latest response end.
    pub end_epoch_ns: Option<u64>,
}

impl PhaseSummary {
    /// Why `metric` has no samples, if it is listed in [`PhaseSummary::missing`].
    pub fn missing_reason(&self, metric: Metric) -> Option<MissingReason> {
        self.missing
            .iter()
            .find(|m| m.metric == metric)
            .map(|m| m.reason)
    }

    /// The result of `metric`, if present.
    pub fn get(&self, metric: Metric) -> Option<&MetricValue> {
        self.results
            .iter()
            .find(|r| r.metric == metric)
            .map(|r| &r.value)
    }

    /// The statistics of a distribution metric, if present.
    pub fn stats(&self, metric: Metric) -> Option<&Stats> {
        match self.get(metric)? {
            MetricValue::Distribution(s) => Some(s),
            MetricValue::Scalar(_) => None,
        }
    }

    /// The value of a scalar metric, if present.
    pub fn scalar(&self, metric: Metric) -> Option<f64> {
        match self.get(metric)? {
            MetricValue::Scalar(v) => Some(*v),
            MetricValue::Distribution(_) => None,
        }
    }
}

/// The results of a whole run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// The measured (profiling) phase.
    pub profiling: PhaseSummary,
    /// The warm-up phase, when warm-up requests ran (AIPerf 0.13 `warmup_metrics`).
    pub warmup: Option<PhaseSummary>,
}
