//! `mocker`: a simulated OpenAI-compatible LLM server (Dynamo mocker's flags and defaults).

mod args;
mod engine;

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use servebench_mocker::{EmbeddedServer, ServerRuntime};

use crate::args::Args;

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(tracing::Level::INFO)
        .init();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
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
