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
mod server_metrics;
mod signals;
mod timeslices;
mod tokenizer_choice;
mod ui;
mod workload;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = args::Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(args.log_filter())
        .init();
    match run::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("loadgen: error: {e:#}");
            ExitCode::from(run::EXIT_USAGE)
        }
    }
}
