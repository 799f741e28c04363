//! The embedded simulated engine: started when no `--url` is given.

use std::thread::JoinHandle;

use anyhow::{Context, anyhow};
use servebench_mocker::{EngineConfig, PoolConfig, ServerConfig, spawn_simulated};
use servebench_tokenize::TokenizerSpec;
use tokio::sync::oneshot;

/// A simulated engine serving on an ephemeral 127.0.0.1 port, on its own thread and runtime so
/// its work never delays the client's.
pub(crate) struct EmbeddedEngine {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EmbeddedEngine {
    /// Starts the engine (Dynamo mocker defaults, the given speed-up) and waits until it listens.
    pub(crate) fn start(
        speedup_ratio: f64,
        model: &str,
        tokenizer: TokenizerSpec,
    ) -> anyhow::Result<Self> {
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
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("servebench-embedded-engine".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ =
                            ready_tx.send(Err(anyhow!(e).context("failed to build its runtime")));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match spawn_simulated(&pool, server).await {
                        Ok(running) => {
                            let _ = ready_tx.send(Ok(running.base_url()));
                            let _ = stop_rx.await;
                            running.shutdown().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(anyhow!(e)));
                        }
                    }
                });
            })
            .context("failed to start the embedded engine thread")?;
        let url = ready_rx
            .recv()
            .map_err(|_| anyhow!("the embedded engine thread ended before it was ready"))?
            .context("failed to start the embedded simulated engine")?;
        Ok(Self {
            url,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for EmbeddedEngine {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
