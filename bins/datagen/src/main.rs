//! `datagen`: analyze the prefix sharing of a Mooncake trace and synthesize new traces with the
//! same structure (a Rust re-creation of Dynamo's `benchmarks/prefix_data_generator`).

mod analyze_cmd;
mod input;
mod synthesize_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use servebench_cli_support::exit;
use servebench_cli_support::logging::{self, LogArgs};

/// Prefix-sharing analysis and synthesis of Mooncake-style traces.
#[derive(Debug, Parser)]
#[command(name = "datagen", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    log: LogArgs,
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
    logging::init(&cli.log, logging::LogLevel::Info);
    let result = match &cli.command {
        Command::Analyze(args) => analyze_cmd::run(args),
        Command::Synthesize(args) => synthesize_cmd::run(args),
    };
    exit::report("datagen", result)
}
