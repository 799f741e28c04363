//! `profile-sla`: Dynamo's `profile_sla.py` for endpoints that are already running (servebench
//! does not deploy): per candidate configuration one prefill measurement at the target ISL and a
//! decode concurrency sweep, the SLA selection, planner hints, cost per 1,000 requests, the
//! performance and cost plots, and the interpolation profile of the chosen configurations. With
//! no `--candidates` file, one embedded simulated engine per GPU count. Thin glue over
//! `servebench-profiler`.

mod args;
mod candidates;
mod run;

use std::process::ExitCode;

use clap::Parser;
use servebench_cli_support::exit;
use servebench_cli_support::logging::{self, LogLevel};

fn main() -> ExitCode {
    let args = args::Args::parse();
    logging::init_timestamped(&args.log, LogLevel::Info);
    exit::report("profile-sla", run::run(&args))
}
