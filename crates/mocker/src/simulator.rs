//! The simulated engine: configuration, scheduler, KV cache, timing and routing.

mod cluster;
mod config;
mod engine;
mod error;
mod hashing;
mod kv_cache;
pub(crate) mod lru;
mod metrics;
mod perf_file;
mod pool;
mod profile_data;
mod prompt;
mod router;
mod sequence;
mod timing;
mod transfer;
mod worker;

#[cfg(test)]
mod tests;

pub use cluster::{
    ClusterEvent, ClusterLayout, DEFAULT_KV_BYTES_PER_TOKEN, DEFAULT_TRANSFER_BANDWIDTH,
    DisaggConfig, EngineRole, EngineSlot, MAX_DATA_PARALLEL_SIZE, VirtualCluster,
};
pub use config::{
    BlockSize, EngineConfig, MAX_SPEEDUP_RATIO, MAX_WORKERS, MIN_SPEEDUP_RATIO, PoolConfig,
    PreemptionMode, QueuePolicy, RouterConfig, RouterMode, TimingModel,
};
pub use engine::{Engine, StepOutput};
pub use error::EngineError;
pub use hashing::{BLOCK_HASH_SEED, chain_block_hash, local_block_hash, sequence_block_hashes};
pub use kv_cache::KvEvent;
pub use metrics::EngineMetrics;
pub use pool::EnginePool;
pub use prompt::{HashedPrompt, id_block_hash};
pub use router::{Routed, Router, WorkerCost};
pub use sequence::{OUTPUT_VOCAB, RequestId, output_token};
pub use timing::{polynomial_decode_ms, polynomial_prefill_ms};
