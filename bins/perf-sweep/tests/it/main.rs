//! End-to-end tests of the `perf-sweep` binary: real processes against the simulated engine (in
//! this process or embedded in perf-sweep), files on disk, and a real nginx in front of two
//! engines.
#![expect(
    clippy::unwrap_used,
    reason = "test fixtures and helpers: a panic is the failure report"
)]

mod cli;
mod guide;
mod layout;
mod nginx;
mod support;
