//! The simulated engine pool behind the HTTP server: what `mocker` serves by default and what
//! every servebench tool starts in-process when it is given no `--url`.

use std::sync::Arc;

use crate::server::{EngineStats, RunningServer, ServerConfig, ServerError, StatsSnapshot};
use crate::{EngineError, EnginePool, PoolConfig, TokenSource};

impl EngineStats for EnginePool {
    fn snapshot(&self) -> StatsSnapshot {
        let m = self.metrics();
        StatsSnapshot {
            requests_running: m.requests_running,
            requests_waiting: m.requests_waiting,
            kv_cache_usage: m.kv_cache_usage,
            prefix_cache_queries_tokens: m.prefix_cache_queries_tokens,
            prefix_cache_hits_tokens: m.prefix_cache_hits_tokens,
            preemptions: m.preemptions_total,
            requests_truncated: m.requests_truncated_total,
        }
    }
}

/// Why the simulated server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimulatedServerError {
    /// The engine configuration was rejected.
    #[error("failed to start the simulated engine: {0}")]
    Engine(#[from] EngineError),
    /// The HTTP server could not start.
    #[error(transparent)]
    Server(#[from] ServerError),
}

/// Starts the simulated engine pool described by `pool` and serves it over HTTP with `server`
/// (port 0 picks an ephemeral port). Returns the running server: its address and a shutdown
/// handle.
///
/// # Errors
/// An invalid engine or server configuration, or a port that cannot be bound.
pub async fn spawn_simulated(
    pool: &PoolConfig,
    server: ServerConfig,
) -> Result<RunningServer, SimulatedServerError> {
    let engine = Arc::new(EnginePool::start(pool)?);
    let source: Arc<dyn TokenSource> = engine.clone();
    let stats: Arc<dyn EngineStats> = engine;
    Ok(crate::spawn(server, source, Some(stats)).await?)
}
