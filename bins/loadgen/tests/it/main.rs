//! End-to-end tests of the `loadgen` binary: real processes, the embedded simulated engine or a
//! dead port, exports on disk.

mod aiperf_command_lines;
mod behaviours;
mod cli;
mod media;
mod server_metrics;
