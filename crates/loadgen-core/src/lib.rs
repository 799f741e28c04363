//! The load-generation core of servebench: an HTTP/1.1 and HTTP/2 streaming client for
//! OpenAI-compatible endpoints, an incremental SSE parser, load schedulers (closed loop, open loop
//! with constant, Poisson and gamma arrivals), and datasets with synthetic prompts of exact token
//! lengths.
//!
//! The entry point is [`profile::profile`]: one whole benchmark run, from a dataset to AIPerf's
//! exports (`inputs.json`, `profile_export.jsonl`, `profile_export_aiperf.json` and `.csv`), with
//! the metrics, the client-saturation verdict and the error rate in its [`profile::ProfileOutcome`].
//! Here against a tiny server on 127.0.0.1 that answers every request with the same completion:
//!
//! ```
//! use std::sync::Arc;
//!
//! use servebench_loadgen_core::profile::{ProfileConfig, profile};
//! use servebench_loadgen_core::{
//!     CancelHandle, DatasetEntry, EndpointConfig, EndpointKind, LoadMode, RunConfig, StopCondition,
//! };
//! use servebench_metrics::{Metric, RunClock};
//! use servebench_tokenize::BuiltinTokenizer;
//! # use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! # let url = format!("http://{}", listener.local_addr()?);
//! # tokio::spawn(async move {
//! #     while let Ok((mut socket, _)) = listener.accept().await {
//! #         tokio::spawn(async move {
//! #             let body = r#"{"choices":[{"message":{"content":"Hello there"},"finish_reason":"stop"}]}"#;
//! #             let answer = format!(
//! #                 "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
//! #                 body.len()
//! #             );
//! #             let mut request = Vec::new();
//! #             let mut buf = [0u8; 4096];
//! #             // Each request: its head, then content-length bytes of body; then the answer.
//! #             while let Ok(n @ 1..) = socket.read(&mut buf).await {
//! #                 request.extend_from_slice(&buf[..n]);
//! #                 let text = String::from_utf8_lossy(&request).to_lowercase();
//! #                 let Some(head_end) = text.find("\r\n\r\n") else { continue };
//! #                 let length: usize = text[..head_end]
//! #                     .lines()
//! #                     .find_map(|l| l.strip_prefix("content-length:"))
//! #                     .and_then(|v| v.trim().parse().ok())
//! #                     .unwrap_or(0);
//! #                 if request.len() >= head_end + 4 + length {
//! #                     request.drain(..head_end + 4 + length);
//! #                     if socket.write_all(answer.as_bytes()).await.is_err() {
//! #                         break;
//! #                     }
//! #                 }
//! #             }
//! #         });
//! #     }
//! # });
//! let mut run = RunConfig::new(
//!     RunClock::start(),
//!     vec![url],
//!     EndpointConfig::new(EndpointKind::Chat, "my-model"),
//! );
//! run.stop = StopCondition::requests(4);
//! let dataset = vec![DatasetEntry::new("Say hello".into(), 2, Some(8))];
//! let exports = tempfile::tempdir()?;
//! let config = ProfileConfig::new(
//!     run,
//!     dataset.into(),
//!     Arc::new(BuiltinTokenizer::new()),
//!     exports.path().to_owned(),
//! );
//! let outcome = profile(config, LoadMode::Concurrency(2), CancelHandle::new()).await?;
//!
//! assert_eq!(outcome.summary.profiling.scalar(Metric::RequestCount), Some(4.0));
//! assert_eq!(outcome.error_rate.server_errors, 0);
//! assert!(exports.path().join("profile_export_aiperf.json").exists());
//! # Ok(())
//! # }
//! ```
//!
//! Underneath, each request produces one [`servebench_metrics::RequestRecord`]; socket reads are
//! stamped with the run's monotonic clock the moment they return, before any parsing.
//!
//! * [`run`] drives the requests alone: a [`RunConfig`] (URLs, [`EndpointConfig`], timeouts,
//!   [`StopCondition`], warm-up), a dataset of [`DatasetEntry`]s, a [`LoadMode`] (closed-loop
//!   concurrency or open-loop arrival offsets), a `std::sync::mpsc::Sender` receiving each record
//!   as it completes, and a [`CancelHandle`]. It returns a [`RunReport`] with counts and
//!   [`ClientHealth`] (send lag, event-loop lag, read coalescing). [`check_run`] refuses a
//!   configuration that cannot work before anything is sent.
//! * [`bench`](mod@bench) runs one benchmark described as plain data ([`bench::Benchmark`]: endpoint,
//!   dataset, load, counts, artifact directory) with server-metrics scraping: what the sweep,
//!   router and profiler tools call in-process instead of spawning `loadgen`.
//! * [`build_body`] / [`body_bytes`] give the exact request bodies (for `inputs.json`).
//! * [`replay`] reads dataset and trace files (AIPerf's custom JSONL formats, Mooncake traces
//!   with `hash_ids` rendered as token blocks, BurstGPT, an earlier run's `inputs.json`), applies
//!   fixed-schedule options, and names the sampling strategies; multi-turn entries run as
//!   sessions (turns in order, history and replies in the messages).
//! * [`SseParser`], [`ResponseChunk`] and [`ChunkTemplate`] (per-stream chunk decoding) are the
//!   streaming hot path, public for benchmarks:
//!
//! ```
//! use servebench_loadgen_core::{SseParser, ResponseChunk};
//!
//! let mut parser = SseParser::new();
//! let mut texts = Vec::new();
//! for piece in [&b"data: {\"choices\":[{\"delta\":{\"content\":\"Hel"[..], b"lo\"}}]}\r\n\r\ndata: [DONE]\n\n"] {
//!     parser.feed(piece, &mut |event| {
//!         if event.data != b"[DONE]" {
//!             texts.push(ResponseChunk::parse(event.data).unwrap().text().to_owned());
//!         }
//!     });
//! }
//! assert_eq!(texts, ["Hello"]);
//! ```
#![warn(missing_docs)]

pub mod arrivals;
pub mod bench;
mod client;
mod dataset;
mod error;
mod extra_inputs;
pub mod media;
pub mod profile;
pub mod prompts;
pub mod ramp;
pub mod redact;
pub mod replay;
mod request_body;
mod response;
mod runner;
pub mod server_metrics;
mod sse;

pub use arrivals::{ArrivalMode, ArrivalPattern, Arrivals};
pub use dataset::{DatasetEntry, EntryExtras, SessionTurn};
pub use error::RunConfigError;
pub use extra_inputs::{RequestOptionError, parse_extra_inputs, parse_header};
pub use request_body::{EndpointConfig, EndpointKind, body_bytes, build_body};
pub use response::{ChunkTemplate, ResponseChunk};
pub use runner::{
    CancelHandle, ClientHealth, ConnectionReuse, LagHistogram, LagStats, LoadMode, ModelChoice,
    ModelStrategy, PhaseSummary, RequestCancellation, RunConfig, RunProgress, RunReport,
    StopCondition, check_run, run,
};
pub use sse::{SseEvent, SseParser};
