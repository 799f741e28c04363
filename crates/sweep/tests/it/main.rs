//! Integration tests of servebench-sweep: the `artifacts_N` layout and `deployment_config.json`
//! on disk, and whole sweeps against the simulated engine in-process, counted on the server's
//! side through its `/metrics`.
#![expect(
    clippy::unwrap_used,
    reason = "test fixtures and helpers: a panic is the failure report"
)]

mod layout_files;
mod support;
mod sweeps;
