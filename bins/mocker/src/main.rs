//! `mocker`: a simulated OpenAI-compatible LLM server (Dynamo mocker's flags and defaults).

mod args;
mod engine;

use std::process::ExitCode;

use clap::Parser;

use crate::args::Args;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(tracing::Level::INFO)
        .init();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let (source, stats) = engine::token_source(&args)?;
    let server = servebench_mocker::spawn(args.server_config(), source, stats)
        .await
        .map_err(args::server_error_with_flag)?;
    tracing::info!("serving {} on {}", args.model_name, server.base_url());
    shutdown_signal().await;
    tracing::info!("shutting down: finishing open streams");
    server.shutdown().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
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
}
