//! A server on a thread and tokio runtime of its own, stopped when its handle is dropped: what
//! `loadgen` embeds when it is given no `--url`, and what the `mocker` binary runs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use servebench_tokenize::TokenizerSpec;
use tokio::sync::oneshot;

use crate::server::{EngineStats, ServerConfig, spawn};
use crate::simulated::SimulatedServerError;
use crate::{ClusterLayout, EngineConfig, EnginePool, PoolConfig, TokenSource};

/// The tokio runtime an [`EmbeddedServer`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerRuntime {
    /// One thread: the server never competes with the embedding program for more than one core
    /// (the load generator's choice).
    #[default]
    CurrentThread,
    /// Tokio's multi-threaded runtime, one worker per core (the `mocker` binary's choice).
    MultiThread,
}

/// A running server that owns its thread and runtime. Dropping it (or [`EmbeddedServer::shutdown`])
/// stops the server gracefully and joins the thread.
///
/// ```
/// use servebench_mocker::{EmbeddedServer, TokenizerSpec};
///
/// let server = EmbeddedServer::simulated(0.0, "demo", TokenizerSpec::Builtin)?;
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// server.shutdown();
/// # Ok::<(), servebench_mocker::SimulatedServerError>(())
/// ```
#[derive(Debug)]
pub struct EmbeddedServer {
    addr: SocketAddr,
    url: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EmbeddedServer {
    /// The simulated engine with Dynamo mocker's defaults (one worker) and the given speed-up
    /// (0 = no delays), serving `model` on an ephemeral 127.0.0.1 port with `tokenizer`, on a
    /// current-thread runtime.
    ///
    /// # Errors
    /// As [`EmbeddedServer::start_simulated`].
    pub fn simulated(
        speedup_ratio: f64,
        model: &str,
        tokenizer: TokenizerSpec,
    ) -> Result<Self, SimulatedServerError> {
        let pool = PoolConfig {
            engine: EngineConfig {
                speedup_ratio,
                ..EngineConfig::default()
            },
            num_workers: 1,
            ..PoolConfig::default()
        };
        let server = ServerConfig {
            port: 0,
            model_name: model.to_owned(),
            tokenizer,
            ..ServerConfig::default()
        };
        Self::start_simulated(&pool, server)
    }

    /// The simulated engine pool `pool` served with `server`, on a current-thread runtime.
    ///
    /// # Errors
    /// An invalid engine or server setting, a port that cannot be bound, or a thread or runtime
    /// the OS would not start.
    pub fn start_simulated(
        pool: &PoolConfig,
        server: ServerConfig,
    ) -> Result<Self, SimulatedServerError> {
        Self::start_simulated_with_layout(pool, &ClusterLayout::default(), server)
    }

    /// [`EmbeddedServer::start_simulated`] with the engines arranged as `layout` (data-parallel
    /// ranks, disaggregated prefill and decode workers; see [`EnginePool::start_with_layout`]).
    ///
    /// # Errors
    /// As [`EmbeddedServer::start_simulated`]; a layout out of range.
    pub fn start_simulated_with_layout(
        pool: &PoolConfig,
        layout: &ClusterLayout,
        server: ServerConfig,
    ) -> Result<Self, SimulatedServerError> {
        let engine = Arc::new(EnginePool::start_with_layout(pool, layout)?);
        let stats: Arc<dyn EngineStats> = engine.clone();
        Self::start(server, engine, Some(stats), ServerRuntime::CurrentThread)
    }

    /// Serves `source` (with `stats` for `/metrics`, if any) with `server` on `runtime`; returns
    /// once the server listens.
    ///
    /// # Errors
    /// An invalid server setting, a port that cannot be bound, or a thread or runtime the OS
    /// would not start.
    pub fn start(
        server: ServerConfig,
        source: Arc<dyn TokenSource>,
        stats: Option<Arc<dyn EngineStats>>,
        runtime: ServerRuntime,
    ) -> Result<Self, SimulatedServerError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("servebench-server".into())
            .spawn(move || {
                let built = match runtime {
                    ServerRuntime::CurrentThread => tokio::runtime::Builder::new_current_thread(),
                    ServerRuntime::MultiThread => tokio::runtime::Builder::new_multi_thread(),
                }
                .enable_all()
                .build();
                let rt = match built {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(SimulatedServerError::Runtime(e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    match spawn(server, source, stats).await {
                        Ok(running) => {
                            let _ = ready_tx.send(Ok(running.local_addr()));
                            // A dropped handle closes the channel: stop as well.
                            let _ = stop_rx.await;
                            running.shutdown().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e.into()));
                        }
                    }
                });
            })
            .map_err(SimulatedServerError::Thread)?;
        let addr = match ready_rx.recv() {
            Ok(Ok(addr)) => addr,
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(SimulatedServerError::ThreadEnded);
            }
        };
        Ok(Self {
            addr,
            url: format!("http://{addr}"),
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, the base URL for clients.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops the server (open requests get the configured grace period) and joins its thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for EmbeddedServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}
