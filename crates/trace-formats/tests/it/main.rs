//! Integration tests of servebench-trace-formats.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions unwrap like the tests do"
)]

mod burstgpt_convert;
mod malformed;
mod python;
mod python_random;
mod real_traces;
mod roundtrip;
mod sin_synth;
