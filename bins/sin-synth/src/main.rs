//! `sin-synth`: writes a Mooncake JSONL trace whose request rate and ISL/OSL mix follow sine
//! waves; a re-creation of Dynamo's `benchmarks/sin_load_generator/sin_synth.py` with the same
//! flags, defaults, formulas and output file name, plus `--seed` for reproducible output.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;
use servebench_trace_formats::{JsonStyle, MooncakeWriter};
use servebench_workload::{DefaultedFloats, SinSynthConfig};

/// Generate a Mooncake trace (JSONL) whose request rate and ISL/OSL mix follow sine waves.
///
/// For each interval [t, t+interval) the request count is Poisson(rate(t)·interval), with
/// rate(t) = (min+max)/2 + (max−min)/2·sin(2πt/period − π/2) evaluated at the interval start;
/// requests are evenly spaced inside the interval. Each request uses (isl1, osl1) with
/// probability ratio(t_req) (same sine form), else (isl2, osl2). Hash ids chain random block
/// values in 0..total-blocks through one rolling hasher.
#[derive(Debug, Parser)]
#[command(name = "sin-synth", version, about, long_about)]
struct Args {
    /// Tokens per hash block.
    #[arg(long, default_value_t = 512)]
    block_size: u64,
    /// ISL prompt blocks are sampled from 0..total-blocks.
    #[arg(long, default_value_t = 10_000)]
    total_blocks: u64,
    /// Output file [default: sin_b{bs}_t{dur}_rr{min}-{max}-{period}_io{isl1}{osl1}-{isl2}{osl2}-{rmin}-{rmax}-{rperiod}.jsonl].
    #[arg(long)]
    output_file: Option<PathBuf>,
    /// Trace length in seconds.
    #[arg(long, default_value_t = 100)]
    time_duration: u64,
    /// Interval length in seconds (one Poisson draw per interval).
    #[arg(long, default_value_t = 1)]
    process_interval: u64,
    /// Request rate at the sine's trough (req/s).
    #[arg(long, default_value_t = 5.0)]
    request_rate_min: f64,
    /// Request rate at the sine's crest (req/s).
    #[arg(long, default_value_t = 10.0)]
    request_rate_max: f64,
    /// Period of the request-rate sine (s).
    #[arg(long, default_value_t = 10.0)]
    request_rate_period: f64,
    /// Input sequence length of the first ISL/OSL pair.
    #[arg(long, default_value_t = 100)]
    isl1: u64,
    /// Output sequence length of the first ISL/OSL pair.
    #[arg(long, default_value_t = 2000)]
    osl1: u64,
    /// Input sequence length of the second ISL/OSL pair.
    #[arg(long, default_value_t = 5000)]
    isl2: u64,
    /// Output sequence length of the second ISL/OSL pair.
    #[arg(long, default_value_t = 100)]
    osl2: u64,
    /// Probability of the first pair at the ratio sine's trough.
    #[arg(long, default_value_t = 0.2)]
    isl_osl_ratio_min: f64,
    /// Probability of the first pair at the ratio sine's crest.
    #[arg(long, default_value_t = 0.8)]
    isl_osl_ratio_max: f64,
    /// Period of the ratio sine (s).
    #[arg(long, default_value_t = 10.0)]
    isl_osl_ratio_period: f64,
    /// Seed for reproducible output [default: unseeded (OS entropy), like the original].
    #[arg(long)]
    seed: Option<u64>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let invalid_input = e
                .downcast_ref::<servebench_trace_formats::Error>()
                .is_some_and(|e| {
                    matches!(e, servebench_trace_formats::Error::InvalidOption { .. })
                });
            ExitCode::from(if invalid_input { 2 } else { 1 })
        }
    }
}

fn defaulted(matches: &ArgMatches, id: &str) -> bool {
    matches.value_source(id) == Some(ValueSource::DefaultValue)
}

fn run() -> anyhow::Result<()> {
    let matches = Args::command().get_matches();
    let args = Args::from_arg_matches(&matches)?;
    let mut cfg = SinSynthConfig::default();
    cfg.block_size = args.block_size;
    cfg.total_blocks = args.total_blocks;
    cfg.time_duration = args.time_duration;
    cfg.process_interval = args.process_interval;
    cfg.request_rate_min = args.request_rate_min;
    cfg.request_rate_max = args.request_rate_max;
    cfg.request_rate_period = args.request_rate_period;
    cfg.isl1 = args.isl1;
    cfg.osl1 = args.osl1;
    cfg.isl2 = args.isl2;
    cfg.osl2 = args.osl2;
    cfg.isl_osl_ratio_min = args.isl_osl_ratio_min;
    cfg.isl_osl_ratio_max = args.isl_osl_ratio_max;
    cfg.isl_osl_ratio_period = args.isl_osl_ratio_period;
    cfg.validate()?;

    let mut floats = DefaultedFloats::default();
    floats.request_rate_min = defaulted(&matches, "request_rate_min");
    floats.request_rate_max = defaulted(&matches, "request_rate_max");
    floats.request_rate_period = defaulted(&matches, "request_rate_period");
    floats.isl_osl_ratio_min = defaulted(&matches, "isl_osl_ratio_min");
    floats.isl_osl_ratio_max = defaulted(&matches, "isl_osl_ratio_max");
    floats.isl_osl_ratio_period = defaulted(&matches, "isl_osl_ratio_period");
    let output = args
        .output_file
        .unwrap_or_else(|| PathBuf::from(cfg.output_file_name(floats)));

    let mut rng = match args.seed {
        Some(seed) => StdRng::seed_from_u64(seed),
        None => rand::make_rng(),
    };
    let mut writer = MooncakeWriter::create(&output, JsonStyle::Python)?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(cfg.intervals());
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} intervals {elapsed_precise}")
                .context("progress bar template")?,
        );
        Some(bar)
    } else {
        None
    };
    let summary = cfg.generate(&mut rng, &mut writer, &mut |done| {
        if let Some(bar) = &bar {
            bar.set_position(done);
        }
    })?;
    writer.finish()?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    tracing::debug!(
        requests = summary.requests,
        intervals = summary.per_interval.len(),
        seed = ?args.seed,
        "wrote {}",
        output.display()
    );
    println!(
        "Wrote {} requests over {} intervals to {}",
        summary.requests,
        summary.per_interval.len(),
        output.display()
    );
    Ok(())
}
