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

/// The results of one phase (profiling or warm-up).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhaseSummary {
    /// Metric results in catalogue order; metrics without a value are absent.
    pub results: Vec<MetricResult>,
    /// Failed requests grouped by (kind, code), most frequent first.
    pub error_summary: Vec<ErrorGroup>,
    /// Epoch ns of the earliest request start (see [`crate::Aggregator`] for which records count).
    pub start_epoch_ns: Option<u64>,
    /// Epoch ns of the latest response end.
    pub end_epoch_ns: Option<u64>,
}

impl PhaseSummary {
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
