//! `perf-sweep`: a concurrency sweep against an OpenAI-compatible endpoint, or with no `--url` the
//! embedded simulated engine, laid out as Dynamo's `benchmarks/llm/perf.sh` lays it out (or, with
//! `--utils-wrapper`, as the later `benchmarks/utils` wrapper does). Thin glue over
//! `servebench-sweep`.

mod args;
mod compose;
mod console;
mod run;

use std::process::ExitCode;

use clap::Parser;
use servebench_cli_support::exit;
use servebench_cli_support::logging::{self, LogLevel};

fn main() -> ExitCode {
    let args = args::Args::parse();
    logging::init(&args.log, LogLevel::Warn);
    match run::run(&args) {
        Ok(code) => code,
        // Unlabelled errors stopped the sweep before it started: bad flags or values.
        Err(e) => exit::report_or("perf-sweep", Err(e), exit::USAGE),
    }
}
