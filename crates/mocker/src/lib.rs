//! A simulated LLM inference engine and its OpenAI-compatible HTTP server.
//!
//! The engine behaves like vLLM at the level a benchmark can see: continuous batching with waiting
//! and running queues, a paged KV cache with prefix caching, chunked prefill, preemption, and step
//! times from Dynamo's mocker timing model. Several engines can sit behind an in-process router
//! (round-robin, random, least-loaded, KV-aware). The server speaks the OpenAI chat and completions
//! APIs, streaming and not, and exposes Prometheus metrics with vLLM's names.
#![warn(missing_docs)]

mod embedded;
mod fixed;
mod protocol;
mod server;
mod simulated;
mod simulator;

pub use embedded::{EmbeddedServer, ServerRuntime};
pub use fixed::{FixedTiming, FixedTimingConfig};
pub use protocol::{FinishReason, GenerateEvent, GenerateRequest, ServerTimings, TokenSource};
pub use servebench_tokenize::TokenizerSpec;
pub use server::{EngineStats, FaultConfig, RunningServer, ServerConfig, ServerError, spawn};
pub use simulated::{SimulatedServerError, spawn_simulated};
pub use simulator::{
    BLOCK_HASH_SEED, ClusterEvent, Engine, EngineError, EngineMetrics, EnginePool, KvEvent,
    OUTPUT_VOCAB, RequestId, Router, StepOutput, VirtualCluster, WorkerCost, chain_block_hash,
    local_block_hash, output_token, polynomial_decode_ms, polynomial_prefill_ms,
    sequence_block_hashes,
};
pub use simulator::{
    BlockSize, EngineConfig, MAX_SPEEDUP_RATIO, MIN_SPEEDUP_RATIO, PoolConfig, PreemptionMode,
    RouterConfig, RouterMode, TimingModel,
};
