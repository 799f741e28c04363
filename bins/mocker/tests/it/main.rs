//! End-to-end tests of the `mocker` binary: real processes on 127.0.0.1 ephemeral ports.
#![expect(
    clippy::unwrap_used,
    reason = "test fixtures and helpers: a panic is the failure report"
)]

mod startup;
