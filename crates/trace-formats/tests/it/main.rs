//! Integration tests of servebench-trace-formats.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions unwrap like the tests do"
)]

mod fuzz;
mod malformed;
mod non_utf8;
mod real_traces;
mod roundtrip;
