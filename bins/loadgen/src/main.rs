//! `loadgen`: benchmark an OpenAI-compatible endpoint, or with no `--url` the embedded simulated
//! engine, and write AIPerf-compatible exports. Thin glue over servebench's crates.

mod aiperf_compat;
mod args;
mod compose;
mod console;
mod export_names;
mod limits;
mod media_args;
mod replay_args;
mod run;
mod safety;
mod server_metrics;
mod tokenizer_choice;
mod ui;
mod workload;

use std::process::ExitCode;

use clap::Parser;
use servebench_cli_support::exit;
use servebench_cli_support::logging::{self, LogLevel};

fn main() -> ExitCode {
    let args = args::Args::parse();
    logging::init(&args.log, LogLevel::Warn);
    match run::run(args) {
        Ok(code) => code,
        // Unlabelled errors stopped the run before it started: bad flags or values.
        Err(e) => exit::report_or("loadgen", Err(e), exit::USAGE),
    }
}
