//! Integration tests of servebench-router-bench.
#![expect(
    clippy::unwrap_used,
    reason = "test fixtures and helpers: a panic is the failure report"
)]

mod cluster_runs;
mod compare;
mod reuse;
mod trace;
