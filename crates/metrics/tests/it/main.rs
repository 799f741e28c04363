//! Integration tests of servebench-metrics: metric math against hand-computed values, aggregation,
//! goodput and the AIPerf export formats.

mod aggregate;
mod exports;
mod record_metrics;
mod support;
