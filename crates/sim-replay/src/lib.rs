//! Offline trace replay: the datasets and traces `loadgen` replays (Mooncake traces with
//! `hash_ids`, AIPerf `single_turn` / `multi_turn` JSONL, sessions) run through simulated engines
//! and their router on a virtual clock — no HTTP, no threads, no sleeping — and written as the
//! AIPerf-format exports a real `loadgen` run against the mocker writes.
//!
//! It answers "how many workers, which router, what cache size" in seconds instead of the
//! trace's real duration. The pieces:
//! - [`run_replay`]: one [`Replay`] from dataset to exports (`profile_export.jsonl`,
//!   `profile_export_aiperf.json` / `.csv`, `server_metrics_export.json` / `.csv` with each
//!   engine's prefix-cache hits and queries).
//! - [`simulate`]: the loop alone, handing each finished request's
//!   [`servebench_metrics::RequestRecord`] to a callback, under a fixed schedule or closed-loop
//!   users ([`SimLoad`]).
//! - [`PromptTokens`]: dataset entries as the token ids the mocker server would see.
//!
//! Requests are modelled as a streamed completion whose client adds no latency: a request is
//! "sent" at its arrival time and each token is "received" when the engine step producing it
//! ends, so TTFT, ITL and latency are the server's, exactly.
//!
//! Not modelled (a real `loadgen` run differs here): `inputs.json` is not written (no payload is
//! ever built); request-rate arrivals (`--request-rate`) and an in-flight cap on a fixed schedule
//! are not offered (a schedule or closed-loop users only); entries without an output length get
//! a fixed one ([`DEFAULT_OUTPUT_TOKENS`] unless set) instead of the mocker's random stop length;
//! a session turn's prompt is its history's tokens followed by its own (no chat template or line
//! breaks between messages).
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! use servebench_loadgen_core::DatasetEntry;
//! use servebench_mocker::{EngineConfig, PoolConfig};
//! use servebench_sim_replay::{PromptTokens, SimConfig, SimLoad, simulate};
//! use servebench_tokenize::BuiltinTokenizer;
//!
//! let tokenizer = Arc::new(BuiltinTokenizer::new());
//! let entries = vec![DatasetEntry::new("hello there world".into(), 3, Some(4)); 2];
//! let config = SimConfig::new(PoolConfig {
//!     engine: EngineConfig::default(),
//!     num_workers: 2,
//!     ..PoolConfig::default()
//! });
//! let load = SimLoad::Schedule(vec![Duration::ZERO, Duration::from_millis(5)]);
//! let mut records = Vec::new();
//! let report = simulate(&config, &entries, &load, &mut PromptTokens::new(tokenizer), &mut |r| {
//!     records.push(r)
//! })?;
//! assert_eq!(report.requests, 2);
//! assert_eq!(records.len(), 2);
//! assert!(records.iter().all(|r| r.chunks.len() == 4));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod prompts;
mod records;
mod replay;
mod sim;

pub use prompts::PromptTokens;
pub use replay::{Replay, ReplayError, ReplayOutcome, SIMULATED_URL, run_replay};
pub use sim::{DEFAULT_OUTPUT_TOKENS, SimConfig, SimError, SimLoad, SimReport, simulate};
