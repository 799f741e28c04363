//! Per-request records, AIPerf-compatible metrics, statistics and exports for servebench.
//!
//! This crate is synchronous and has no network code. A load generator fills one
//! [`RequestRecord`] per request (timestamps from one monotonic [`RunClock`], the content chunks
//! with the stamp of the socket read that delivered them, the server's `usage`, errors); this crate
//! turns records into AIPerf's metrics with AIPerf's exact definitions, aggregates them with bounded
//! memory, and writes AIPerf's export files.
#![warn(missing_docs)]

mod record;

pub use record::{
    ContentChunk, ErrorKind, MonoNs, Phase, RequestError, RequestRecord, RunClock, ServerTiming,
    Usage,
};
