//! The simulated engine pool behind the HTTP server: what `mocker` serves by default and what
//! every servebench tool starts in-process when it is given no `--url`.

use std::sync::Arc;

use crate::server::{EngineStats, RunningServer, ServerConfig, ServerError};
use crate::{
    ClusterLayout, EngineError, EngineMetrics, EnginePool, EngineRole, PoolConfig, TokenSource,
};

impl EngineStats for EnginePool {
    fn snapshot(&self) -> EngineMetrics {
        self.metrics()
    }

    fn worker_snapshots(&self) -> Vec<EngineMetrics> {
        self.worker_metrics()
    }

    fn worker_roles(&self) -> Vec<&'static str> {
        let roles = self.engine_roles();
        if roles.iter().all(|r| *r == EngineRole::Aggregated) {
            return Vec::new();
        }
        roles
            .iter()
            .map(|r| match r {
                EngineRole::Aggregated => "aggregated",
                EngineRole::Prefill => "prefill",
                EngineRole::Decode => "decode",
            })
            .collect()
    }
}

/// Why the simulated server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimulatedServerError {
    /// The engine configuration was rejected.
    #[error("failed to start the simulated engine")]
    Engine(#[from] EngineError),
    /// The HTTP server could not start.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The OS would not start the server's thread.
    #[error("failed to start the server thread")]
    Thread(#[source] std::io::Error),
    /// The server's tokio runtime could not be built.
    #[error("failed to build the server's runtime")]
    Runtime(#[source] std::io::Error),
    /// The server thread ended before it was ready (it panicked).
    #[error("the server thread ended before it was ready")]
    ThreadEnded,
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
    spawn_simulated_with_layout(pool, &ClusterLayout::default(), server).await
}

/// [`spawn_simulated`] with the engines arranged as `layout` (data-parallel ranks,
/// disaggregated prefill and decode workers; see [`EnginePool::start_with_layout`]).
///
/// # Errors
/// As [`spawn_simulated`]; a layout out of range.
pub async fn spawn_simulated_with_layout(
    pool: &PoolConfig,
    layout: &ClusterLayout,
    server: ServerConfig,
) -> Result<RunningServer, SimulatedServerError> {
    let engine = Arc::new(EnginePool::start_with_layout(pool, layout)?);
    let source: Arc<dyn TokenSource> = engine.clone();
    let stats: Arc<dyn EngineStats> = engine;
    Ok(crate::spawn(server, source, Some(stats)).await?)
}
