//! End-to-end tests of the `loadgen` binary: real processes, the embedded simulated engine or a
//! dead port, exports on disk.
#![expect(
    clippy::unwrap_used,
    reason = "test fixtures and helpers: a panic is the failure report"
)]

mod aiperf_command_lines;
mod behaviours;
mod cli;
mod context_length;
mod data_safety;
mod media;
mod replay;
mod report;
mod server_metrics;
