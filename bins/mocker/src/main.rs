//! `mocker`: a simulated OpenAI-compatible LLM server (Dynamo mocker's flags and defaults).

mod args;
mod engine;
mod serve;

use std::process::ExitCode;

use clap::Parser;
use servebench_cli_support::exit;
use servebench_cli_support::logging::{self, LogLevel};

use crate::args::Args;

fn main() -> ExitCode {
    let args = Args::parse();
    logging::init_timestamped(&args.log, LogLevel::Info);
    // Every error stops the server before it serves: it could not start (status 2).
    exit::report_or("mocker", serve::run(&args), exit::USAGE)
}
