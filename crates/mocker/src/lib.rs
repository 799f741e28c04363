//! A simulated LLM inference engine and its OpenAI-compatible HTTP server.
//!
//! The engine behaves like vLLM at the level a benchmark can see: continuous batching with waiting
//! and running queues, a paged KV cache with prefix caching, chunked prefill, preemption, and step
//! times from Dynamo's mocker timing model. Several engines can sit behind an in-process router
//! with Dynamo's modes (round-robin, random, power-of-two, least-loaded, direct, device-aware
//! weighted, KV-aware with its busy-worker queue and an index from KV events or predicted with a
//! TTL). The server speaks the OpenAI chat and completions APIs, streaming and not (optionally as
//! a reasoning model), and exposes Prometheus metrics with vLLM's names.
//!
//! The one main call starts the simulated engine and its server on a thread of their own
//! ([`EmbeddedServer`]; from async code, [`spawn_simulated`] does the same on the current
//! runtime). One request and its reply:
//!
//! ```
//! use std::io::{Read, Write};
//!
//! use servebench_mocker::{EmbeddedServer, TokenizerSpec};
//!
//! // Dynamo mocker's engine defaults, no step delays (speed-up 0), an ephemeral 127.0.0.1 port.
//! let server = EmbeddedServer::simulated(0.0, "my-model", TokenizerSpec::Builtin)?;
//! let body = r#"{"prompt":"Hello","max_tokens":4,"ignore_eos":true}"#;
//! let mut conn = std::net::TcpStream::connect(server.local_addr())?;
//! write!(
//!     conn,
//!     "POST /v1/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
//!      connection: close\r\ncontent-length: {}\r\n\r\n{body}",
//!     body.len()
//! )?;
//! let mut reply = String::new();
//! conn.read_to_string(&mut reply)?;
//! assert!(reply.starts_with("HTTP/1.1 200 OK"));
//! assert!(reply.contains(r#""completion_tokens":4"#));
//! drop(server); // stops the server and joins its thread
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The public items, by use:
//! - **Serving**: [`EmbeddedServer`], [`spawn_simulated`], [`spawn`], [`ServerConfig`],
//!   [`FaultConfig`], their errors.
//! - **Engine settings**: [`PoolConfig`], [`EngineConfig`], [`RouterConfig`], [`BlockSize`] and
//!   the enums they use; a request's routing hints ([`RouteHints`], [`RouteError`]).
//! - **Token sources** (plug in your own): [`TokenSource`] and its request and event types,
//!   [`EngineStats`] with [`EngineMetrics`], the two built-in sources [`EnginePool`] and
//!   [`FixedTiming`].
//! - **Engine internals** for benchmarks and exact tests on a virtual clock: [`Engine`],
//!   [`Router`], KV block hashing ([`sequence_block_hashes`], bit-exact with Dynamo's router),
//!   the timing polynomials.
//! - **Offline simulation**: [`VirtualCluster`] runs engines and routers on a virtual clock (no
//!   threads, no sleeping), aggregated or disaggregated ([`ClusterLayout`], [`DisaggConfig`]),
//!   with data-parallel ranks.
//! - **Roadmap only**: [`roadmap`] holds items for planned work that no tool uses yet.
#![warn(missing_docs)]

mod embedded;
mod fixed;
mod protocol;
mod server;
mod simulated;
mod simulator;

#[cfg(feature = "cli")]
pub mod cli;

// Serving.
pub use embedded::{EmbeddedServer, ServerRuntime};
pub use servebench_tokenize::TokenizerSpec;
pub use server::{
    DEFAULT_TOKENIZER_CACHE_BYTES, DYNAMO_FRONTEND_OVERHEAD, FaultConfig, RunningServer,
    ServerConfig, ServerError, spawn,
};
pub use simulated::{SimulatedServerError, spawn_simulated, spawn_simulated_with_layout};

// Engine settings.
pub use simulator::{
    BlockSize, EngineConfig, EngineError, MAX_SPEEDUP_RATIO, MAX_WORKERS, MIN_SPEEDUP_RATIO,
    PoolConfig, PreemptionMode, QueuePolicy, RouterConfig, RouterMode, TimingModel,
};

// Token sources.
pub use fixed::{FixedTiming, FixedTimingConfig};
pub use protocol::{
    FinishReason, GenerateEvent, GenerateRequest, RouteError, RouteHints, ServerTimings,
    TokenSource,
};
pub use server::EngineStats;
pub use simulator::{EngineMetrics, EnginePool};

// Engine internals.
pub use simulator::{
    BLOCK_HASH_SEED, Engine, HashedPrompt, KvEvent, OUTPUT_VOCAB, RequestId, Routed, Router,
    StepOutput, WorkerCost, chain_block_hash, id_block_hash, local_block_hash, output_token,
    polynomial_decode_ms, polynomial_prefill_ms, sequence_block_hashes,
};

/// Items for planned work that no servebench tool uses yet; they are tested, but their API may
/// change when that work lands.
pub mod roadmap {
    /// Kept for earlier users: the virtual-clock cluster now lives at the crate root.
    pub use crate::simulator::{ClusterEvent, VirtualCluster};
}

// Offline simulation on a virtual clock (what `sim-replay` drives).
pub use simulator::{
    ClusterEvent, ClusterLayout, DEFAULT_KV_BYTES_PER_TOKEN, DEFAULT_TRANSFER_BANDWIDTH,
    DisaggConfig, EngineRole, EngineSlot, MAX_DATA_PARALLEL_SIZE, VirtualCluster,
};
