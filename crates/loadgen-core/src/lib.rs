//! The load-generation core of servebench: an HTTP/1.1 and HTTP/2 streaming client for
//! OpenAI-compatible endpoints, an incremental SSE parser, load schedulers (closed loop, open loop
//! with constant, Poisson and gamma arrivals), and datasets with synthetic prompts of exact token
//! lengths.
//!
//! Each request produces one [`servebench_metrics::RequestRecord`]; socket reads are stamped with
//! the run's monotonic clock the moment they return, before any parsing.
//!
//! * [`run`] drives a whole benchmark: a [`RunConfig`] (URLs, [`EndpointConfig`], timeouts,
//!   [`StopCondition`], warm-up), a dataset of [`DatasetEntry`]s, a [`LoadMode`] (closed-loop
//!   concurrency or open-loop arrival offsets), a `std::sync::mpsc::Sender` receiving each record
//!   as it completes, and a [`CancelHandle`]. It returns a [`RunReport`] with counts and
//!   [`ClientHealth`] (send lag, event-loop lag, read coalescing).
//! * [`build_body`] / [`body_bytes`] give the exact request bodies (for `inputs.json`).
//! * [`replay`] reads dataset and trace files (AIPerf's custom JSONL formats, Mooncake traces
//!   with `hash_ids` rendered as token blocks, BurstGPT, an earlier run's `inputs.json`), applies
//!   fixed-schedule options, and names the sampling strategies; multi-turn entries run as
//!   sessions (turns in order, history and replies in the messages).
//! * [`SseParser`], [`ResponseChunk`] and [`ChunkTemplate`] (per-stream chunk decoding) are the
//!   streaming hot path, public for benchmarks.
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
mod client;
mod dataset;
mod error;
pub mod extra_inputs;
pub mod profile;
pub mod prompts;
pub mod replay;
mod request_body;
mod response;
mod runner;
mod sse;

pub use arrivals::{ArrivalPattern, Arrivals};
pub use dataset::{DatasetEntry, EntryExtras, SessionTurn};
pub use error::Error;
pub use extra_inputs::{parse_extra_inputs, parse_header};
pub use prompts::{PromptSynthesizer, SyntheticConfig, SyntheticDataset, synthesize};
pub use request_body::{EndpointConfig, EndpointKind, body_bytes, build_body};
pub use response::{ChunkTemplate, ResponseChunk};
pub use runner::{
    CancelHandle, ClientHealth, LagHistogram, LagStats, LoadMode, PhaseSummary, RunConfig,
    RunProgress, RunReport, StopCondition, run,
};
pub use sse::{SseEvent, SseParser};
