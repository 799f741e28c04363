//! `burstgpt-convert`: converts a BurstGPT CSV trace to Mooncake JSONL; a re-creation of Dynamo's
//! `benchmarks/burstgpt_loadgen/convert.py` whose output is byte-identical to the original's.

mod args;
mod progress;
mod report;
mod run;
mod status;

use std::process::ExitCode;

use clap::Parser;
use servebench_cli_support::{exit, logging};

fn main() -> ExitCode {
    let args = args::Args::parse();
    logging::init(&args.log, logging::LogLevel::Info);
    exit::report("burstgpt-convert", run::run(&args))
}
