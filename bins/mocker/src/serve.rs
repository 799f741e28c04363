//! Serving until Ctrl-C or SIGTERM.

use anyhow::Context as _;
use servebench_mocker::{EmbeddedServer, ServerRuntime};

use crate::args::{self, Args};
use crate::engine;

/// Starts the token source and the server (tokio's multi-threaded runtime), serves until a
/// shutdown signal, then lets open streams finish.
pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let (source, stats) = engine::token_source(args)?;
    let server = EmbeddedServer::start(
        args.server_config(),
        source,
        stats,
        ServerRuntime::MultiThread,
    )
    .map_err(args::server_error_with_flag)?;
    tracing::info!("serving {} on {}", args.model_name, server.url());
    shutdown_signal()?;
    tracing::info!("shutting down: finishing open streams");
    server.shutdown();
    Ok(())
}

/// Waits for Ctrl-C, or SIGTERM on Unix.
fn shutdown_signal() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("failed to build the signal runtime")?;
    rt.block_on(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            if let Ok(mut term) = signal(SignalKind::terminate()) {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                return;
            }
        }
        let _ = tokio::signal::ctrl_c().await;
    });
    Ok(())
}
