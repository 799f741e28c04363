//! Per-request records, AIPerf-compatible metrics, statistics and exports for servebench.
//!
//! This crate is synchronous and has no network code. A load generator fills one
//! [`RequestRecord`] per request (timestamps from one monotonic [`RunClock`], the content chunks
//! with the stamp of the socket read that delivered them, the server's `usage`, errors); this crate
//! turns records into AIPerf's metrics with AIPerf's exact definitions, aggregates them with bounded
//! memory, and writes AIPerf's export files.
//!
//! Flow: [`Aggregator::new`] once; per completed request [`RecordMetrics::compute`],
//! [`RecordJsonlWriter::write`] and [`Aggregator::push`]; at the end [`Aggregator::summary`] and
//! [`write_summary_exports`]. The metric catalogue ([`CATALOGUE`], [`Metric`]) gives every tag, display
//! name and unit; [`Stats`] are AIPerf's statistics (numpy-linear percentiles, population std).
//!
//! ```
//! use servebench_metrics::*;
//! use servebench_tokenize::BuiltinTokenizer;
//!
//! let clock = RunClock::start();
//! let mut aggregator = Aggregator::new(AggregatorConfig::default());
//! let ms = |v: u64| v * 1_000_000;
//! let record = RecordBuilder::new(0)
//!     .span(0, ms(150))
//!     .streamed_chunks([(ms(100), " hello"), (ms(120), " world"), (ms(140), " again")])
//!     .reads(3, 1)
//!     .input_tokens(8)
//!     .build();
//! let metrics = RecordMetrics::compute(&record, &BuiltinTokenizer::new(), &MetricOptions::default());
//! // TTFT 100 ms; ITL = (140 - 100) / (3 - 1) = 20 ms.
//! assert_eq!(metrics.get(Metric::TimeToFirstToken), Some(100.0));
//! assert_eq!(metrics.get(Metric::InterTokenLatency), Some(20.0));
//! aggregator.push(&record, &metrics);
//! let summary = aggregator.summary(&clock);
//! assert_eq!(summary.profiling.scalar(Metric::RequestCount), Some(1.0));
//! let csv = summary_csv(&summary.profiling);
//! assert!(csv.starts_with("Metric,avg,min,max,sum,p1,"));
//! ```
#![warn(missing_docs)]

mod aggregate;
mod catalog;
mod compute;
mod distribution;
mod error;
mod export;
mod goodput;
mod histogram;
mod record;
mod record_builder;
mod sort;
mod stats;
mod summary;
pub mod timeslices;

pub use aggregate::{Aggregator, AggregatorConfig};
pub use catalog::{CATALOGUE, Metric, MetricFlags, MetricKind, MetricSpec, Unit};
pub use compute::{MetricOptions, RecordMetrics, TokenGap};
pub use distribution::{DEFAULT_EXACT_SAMPLE_CAP, Distribution};
pub use error::{Error, Result};
pub use export::{
    CSV_FILE, ExportContext, INPUTS_FILE, InputsJsonWriter, JSON_FILE, JSONL_FILE,
    RecordJsonlWriter, SCHEMA_VERSION, commit_partial, iso8601_utc, partial_path, record_line,
    session_id, summary_csv, summary_json, write_atomically, write_summary_exports, x_request_id,
};
pub use goodput::{Goodput, Slo};
pub use histogram::HISTOGRAM_RELATIVE_ERROR;
pub use record::{
    ContentChunk, ErrorKind, MonoNs, Phase, RequestError, RequestRecord, RunClock, ServerTiming,
    Usage,
};
pub use record_builder::RecordBuilder;
pub use stats::{PERCENTILES, Stats, percentile_sorted};
pub use summary::{
    ErrorGroup, MetricResult, MetricValue, MissingMetric, MissingReason, PhaseSummary, Summary,
};
