//! `datagen`: analyze the prefix sharing of a Mooncake trace and synthesize new traces with the
//! same structure (a Rust re-creation of Dynamo's `benchmarks/prefix_data_generator`).

mod analyze_cmd;
mod input;
mod progress;
mod synthesize_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Prefix-sharing analysis and synthesis of Mooncake-style traces.
#[derive(Debug, Parser)]
#[command(name = "datagen", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Prefix statistics of a trace: context and unique-prompt lengths, theoretical hit rates.
    Analyze(analyze_cmd::AnalyzeArgs),
    /// Learn a trace's prefix tree and timing, then synthesize a new trace from them.
    Synthesize(synthesize_cmd::SynthesizeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_max_level(tracing::Level::INFO)
        .init();
    let result = match cli.command {
        Command::Analyze(args) => analyze_cmd::run(&args),
        Command::Synthesize(args) => synthesize_cmd::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed stdout (`datagen analyze | head`) is not a failure.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
