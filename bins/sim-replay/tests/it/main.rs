//! Integration tests of the `sim-replay` binary: a small trace replayed aggregated and
//! disaggregated, and the exit statuses of bad input.

mod cli;
