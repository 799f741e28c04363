//! Integration tests of the mocker: a real server on 127.0.0.1:0 driven over HTTP.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] functions fail the test on unexpected errors"
)]

mod config_values;
mod dead_worker;
mod disagg;
mod embedded;
mod embeddings;
mod errors;
mod faults;
mod fixed_timing;
mod fuzz;
mod hostile;
mod limits;
mod metrics;
mod non_streaming;
mod reasoning;
mod routing;
mod startup;
mod streaming;
mod support;
mod token_counts;
mod tokenizer_cache;
