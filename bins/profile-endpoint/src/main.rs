//! `profile-endpoint`: Dynamo's `profile_endpoint.py`. Measures prefill TTFT over a grid of
//! input lengths, or decode ITL and throughput over a grid of KV usage × context length, of a
//! running endpoint (or, with no `--url`, the embedded simulated engine), and writes
//! `raw_data.npz`, the JSON forms and the interpolation plots. Thin glue over
//! `servebench-profiler`.

mod args;
mod engine;
mod run;

use std::process::ExitCode;

use clap::Parser;
use servebench_cli_support::exit;
use servebench_cli_support::logging::{self, LogLevel};

fn main() -> ExitCode {
    let args = args::Args::parse();
    logging::init_timestamped(&args.log, LogLevel::Info);
    exit::report("profile-endpoint", run::run(&args))
}
