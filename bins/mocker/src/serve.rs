//! Serving until Ctrl-C or SIGTERM.

use std::time::Duration;

use anyhow::Context as _;
use servebench_cli_support::signals::{self, CancelToken, FirstInterrupt};
use servebench_mocker::{EmbeddedServer, ServerRuntime};

use crate::args::{self, Args};
use crate::engine;

/// How often the interrupt waiter's token is checked.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Starts the token source and the server (tokio's multi-threaded runtime), serves until a
/// shutdown signal, then lets open streams finish.
pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    // Watch before serving, so an interrupt as soon as the server is up stops it gracefully.
    let interrupted = watch_interrupts()?;
    let (source, stats) = engine::token_source(args)?;
    let server = EmbeddedServer::start(
        args.server_config(),
        source,
        stats,
        ServerRuntime::MultiThread,
    )
    .map_err(args::server_error_with_flag)?;
    tracing::info!("serving {} on {}", args.model_name, server.url());
    while !interrupted.is_cancelled() {
        std::thread::sleep(SIGNAL_POLL);
    }
    tracing::info!("shutting down: finishing open streams");
    server.shutdown();
    Ok(())
}

/// Starts the shared interrupt waiter: the first Ctrl-C or SIGTERM sets the returned token (a
/// second one exits at once with status 130).
fn watch_interrupts() -> anyhow::Result<CancelToken> {
    let token = CancelToken::new();
    signals::watch(
        "mocker",
        FirstInterrupt::Cancel {
            token: token.clone(),
            message: "finishing open streams",
        },
    )
    .context("cannot watch for interrupts")?;
    Ok(token)
}
