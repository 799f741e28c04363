//! Integration tests of servebench-loadgen-core against an in-process scripted server.
#![expect(
    clippy::unwrap_used,
    reason = "test fixtures and helpers: a panic is the failure report"
)]

mod faults;
mod load;
mod protocol;
mod sse_split;
mod support;
mod timing;
