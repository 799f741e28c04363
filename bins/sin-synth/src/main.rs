//! `sin-synth`: writes a Mooncake JSONL trace whose request rate and ISL/OSL mix follow sine
//! waves; a re-creation of Dynamo's `benchmarks/sin_load_generator/sin_synth.py` with the same
//! flags, defaults, formulas and output file name, plus `--seed` for reproducible output.

mod args;
mod run;

use std::process::ExitCode;

use servebench_cli_support::{exit, logging};

fn main() -> ExitCode {
    let parsed = args::Parsed::from_env();
    logging::init(&parsed.args.log, logging::LogLevel::Info);
    exit::report("sin-synth", run::run(parsed))
}
