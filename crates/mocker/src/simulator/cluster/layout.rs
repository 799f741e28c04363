//! How the engines of a [`VirtualCluster`](super::VirtualCluster) or of the real-time pool are
//! arranged: aggregated workers with data-parallel ranks, or disaggregated prefill and decode
//! workers with a KV-transfer model; and where each engine sits.

use std::time::Duration;

use crate::simulator::error::EngineError;

/// Most data-parallel ranks per worker.
pub const MAX_DATA_PARALLEL_SIZE: u32 = 256;

/// Default KV bytes per prompt token moved from a prefill to a decode worker: 128 KiB, the KV of
/// one token of Llama-3.1-8B in bf16 (32 layers x 8 KV heads x 128 dims x 2 (K and V) x 2 bytes).
pub const DEFAULT_KV_BYTES_PER_TOKEN: u64 = 131_072;

/// Default KV transfer bandwidth between a prefill and a decode worker: 25 GB/s (one 200 Gb/s
/// RDMA link, as NIXL uses between GPUs of different nodes).
pub const DEFAULT_TRANSFER_BANDWIDTH: f64 = 25e9;

/// The engine serving router target `target` of a role whose engines start at `first_engine`
/// with `dp` data-parallel ranks per worker: the target itself when the router sees every rank
/// (`routes_ranks`, KV mode) or there is one rank per worker, else the worker's rank with the
/// lowest `load` (the engine's own data-parallel balancing), lowest rank on ties. Shared by the
/// virtual cluster and the real-time pool, which measure load their own way.
pub(crate) fn engine_for_target(
    first_engine: usize,
    dp: usize,
    routes_ranks: bool,
    target: usize,
    load: impl Fn(usize) -> usize,
) -> usize {
    if routes_ranks || dp == 1 {
        return first_engine + target;
    }
    let first = first_engine + target * dp;
    (first..first + dp)
        .min_by_key(|&e| load(e))
        .unwrap_or(first)
}

/// Disaggregated prefill and decode (Dynamo's disaggregated serving).
#[derive(Debug, Clone, PartialEq)]
pub struct DisaggConfig {
    /// Prefill workers (at least 1); the pool's `num_workers` are the decode workers.
    pub prefill_workers: u32,
    /// KV cache bytes per prompt token moved to the decode worker
    /// ([`DEFAULT_KV_BYTES_PER_TOKEN`]).
    pub kv_bytes_per_token: u64,
    /// Transfer bandwidth, bytes per second ([`DEFAULT_TRANSFER_BANDWIDTH`]; finite, > 0).
    pub transfer_bandwidth: f64,
}

impl Default for DisaggConfig {
    /// One prefill worker, the default transfer model.
    fn default() -> Self {
        Self {
            prefill_workers: 1,
            kv_bytes_per_token: DEFAULT_KV_BYTES_PER_TOKEN,
            transfer_bandwidth: DEFAULT_TRANSFER_BANDWIDTH,
        }
    }
}

impl DisaggConfig {
    /// Time to move the KV of `prompt_tokens` tokens: `bytes per token x tokens / bandwidth`
    /// (rounded to the nanosecond).
    pub fn transfer_time(&self, prompt_tokens: u32) -> Duration {
        let bytes = self.kv_bytes_per_token as f64 * f64::from(prompt_tokens);
        Duration::try_from_secs_f64(bytes / self.transfer_bandwidth).unwrap_or(Duration::MAX)
    }

    /// This model with transfers `speedup_ratio` times faster, as step times are (the
    /// bandwidth multiplied; a ratio of 0, no delay, makes transfers instant).
    pub fn sped_up(&self, speedup_ratio: f64) -> Self {
        let transfer_bandwidth = if speedup_ratio > 0.0 {
            self.transfer_bandwidth * speedup_ratio
        } else {
            f64::INFINITY
        };
        Self {
            transfer_bandwidth,
            ..self.clone()
        }
    }
}

/// How the engines of a [`VirtualCluster`](super::VirtualCluster) are arranged.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterLayout {
    /// Engines (data-parallel ranks) per worker (`--data-parallel-size`, 1; at most
    /// [`MAX_DATA_PARALLEL_SIZE`]).
    pub data_parallel_size: u32,
    /// Separate prefill and decode workers; `None` (the default) for aggregated workers.
    pub disagg: Option<DisaggConfig>,
}

impl Default for ClusterLayout {
    /// Aggregated workers with one rank each.
    fn default() -> Self {
        Self {
            data_parallel_size: 1,
            disagg: None,
        }
    }
}

impl ClusterLayout {
    /// Checks the settings. Errors name the setting.
    ///
    /// # Errors
    /// [`EngineError::Config`] for `data_parallel_size`, `prefill_workers` or
    /// `transfer_bandwidth` out of range.
    pub fn validate(&self) -> Result<(), EngineError> {
        let invalid = |field, reason: String| Err(EngineError::Config { field, reason });
        if !(1..=MAX_DATA_PARALLEL_SIZE).contains(&self.data_parallel_size) {
            return invalid(
                "data_parallel_size",
                format!(
                    "must be within [1, {MAX_DATA_PARALLEL_SIZE}], got {}",
                    self.data_parallel_size
                ),
            );
        }
        if let Some(d) = &self.disagg {
            if !(1..=crate::simulator::config::MAX_WORKERS).contains(&d.prefill_workers) {
                return invalid(
                    "prefill_workers",
                    format!(
                        "must be within [1, {}], got {}",
                        crate::simulator::config::MAX_WORKERS,
                        d.prefill_workers
                    ),
                );
            }
            if !(d.transfer_bandwidth.is_finite() && d.transfer_bandwidth > 0.0) {
                return invalid(
                    "transfer_bandwidth",
                    format!("must be a finite number > 0, got {}", d.transfer_bandwidth),
                );
            }
        }
        Ok(())
    }
}

/// What an engine of the cluster does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineRole {
    /// Prefill and decode (aggregated serving).
    Aggregated,
    /// Prefill only (disaggregated serving).
    Prefill,
    /// Decode of prompts prefilled elsewhere (disaggregated serving).
    Decode,
}

/// Where an engine sits in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineSlot {
    /// Its role.
    pub role: EngineRole,
    /// Its worker, numbered within the role from 0.
    pub worker: u32,
    /// Its data-parallel rank within the worker.
    pub dp_rank: u32,
}
