//! A simulated LLM inference engine and its OpenAI-compatible HTTP server.
//!
//! The engine behaves like vLLM at the level a benchmark can see: continuous batching with waiting
//! and running queues, a paged KV cache with prefix caching, chunked prefill, preemption, and step
//! times from Dynamo's mocker timing model. Several engines can sit behind an in-process router
//! (round-robin, random, least-loaded, KV-aware). The server speaks the OpenAI chat and completions
//! APIs, streaming and not, and exposes Prometheus metrics with vLLM's names.
#![warn(missing_docs)]

mod engine;
mod fixed;
mod protocol;
mod server;
mod simulated;

pub use engine::{
    BLOCK_HASH_SEED, ClusterEvent, Engine, EngineError, EngineMetrics, EnginePool, KvEvent,
    OUTPUT_VOCAB, RequestId, Router, StepOutput, VirtualCluster, WorkerCost, chain_block_hash,
    local_block_hash, output_token, polynomial_decode_ms, polynomial_prefill_ms,
    sequence_block_hashes,
};
pub use engine::{
    BlockSize, EngineConfig, MAX_SPEEDUP_RATIO, MIN_SPEEDUP_RATIO, PoolConfig, PreemptionMode,
    RouterConfig, RouterMode, TimingModel,
};
pub use fixed::{FixedTiming, FixedTimingConfig};
pub use protocol::{FinishReason, GenerateEvent, GenerateRequest, ServerTimings, TokenSource};
pub use server::{
    EngineStats, FaultConfig, RunningServer, ServerConfig, ServerError, StatsSnapshot, spawn,
};
pub use simulated::{SimulatedServerError, spawn_simulated};
