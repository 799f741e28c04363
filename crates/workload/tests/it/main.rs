//! Integration tests of servebench-workload.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions unwrap like the tests do"
)]

mod burstgpt_convert;
mod python;
mod python_random;
mod real_traces;
mod sin_synth;
