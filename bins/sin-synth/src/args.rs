//! The command line of `sin-synth`, and its translation into a synthesizer configuration.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use servebench_cli_support::logging::LogArgs;
use servebench_cli_support::output::MaxRowsArg;
use servebench_workload::{DefaultedFloats, SinSynthConfig};

/// Generate a Mooncake trace (JSONL) whose request rate and ISL/OSL mix follow sine waves.
///
/// For each interval [t, t+interval) the request count is Poisson(rate(t)·interval), with
/// rate(t) = (min+max)/2 + (max−min)/2·sin(2πt/period − π/2) evaluated at the interval start;
/// requests are evenly spaced inside the interval. Each request uses (isl1, osl1) with
/// probability ratio(t_req) (same sine form), else (isl2, osl2). Hash ids chain random block
/// values in 0..total-blocks through one rolling hasher.
#[derive(Debug, Parser)]
#[command(
    name = "sin-synth",
    version,
    about,
    long_about,
    allow_negative_numbers = true
)]
pub(crate) struct Args {
    /// Tokens per hash block.
    #[arg(long, default_value_t = 512)]
    pub(crate) block_size: u64,
    /// ISL prompt blocks are sampled from 0..total-blocks.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) total_blocks: u64,
    /// Output file [default: sin_b{bs}_t{dur}_rr{min}-{max}-{period}_io{isl1}{osl1}-{isl2}{osl2}-{rmin}-{rmax}-{rperiod}.jsonl].
    #[arg(long)]
    pub(crate) output_file: Option<PathBuf>,
    /// Trace length in seconds.
    #[arg(long, default_value_t = 100)]
    pub(crate) time_duration: u64,
    /// Interval length in seconds (one Poisson draw per interval).
    #[arg(long, default_value_t = 1)]
    pub(crate) process_interval: u64,
    /// Request rate at the sine's trough (req/s).
    #[arg(long, default_value_t = 5.0)]
    pub(crate) request_rate_min: f64,
    /// Request rate at the sine's crest (req/s).
    #[arg(long, default_value_t = 10.0)]
    pub(crate) request_rate_max: f64,
    /// Period of the request-rate sine (s).
    #[arg(long, default_value_t = 10.0)]
    pub(crate) request_rate_period: f64,
    /// Input sequence length of the first ISL/OSL pair.
    #[arg(long, default_value_t = 100)]
    pub(crate) isl1: u64,
    /// Output sequence length of the first ISL/OSL pair.
    #[arg(long, default_value_t = 2000)]
    pub(crate) osl1: u64,
    /// Input sequence length of the second ISL/OSL pair.
    #[arg(long, default_value_t = 5000)]
    pub(crate) isl2: u64,
    /// Output sequence length of the second ISL/OSL pair.
    #[arg(long, default_value_t = 100)]
    pub(crate) osl2: u64,
    /// Probability of the first pair at the ratio sine's trough.
    #[arg(long, default_value_t = 0.2)]
    pub(crate) isl_osl_ratio_min: f64,
    /// Probability of the first pair at the ratio sine's crest.
    #[arg(long, default_value_t = 0.8)]
    pub(crate) isl_osl_ratio_max: f64,
    /// Period of the ratio sine (s).
    #[arg(long, default_value_t = 10.0)]
    pub(crate) isl_osl_ratio_period: f64,
    /// Seed for reproducible output [default: unseeded (OS entropy), like the original].
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    #[command(flatten)]
    pub(crate) max_rows: MaxRowsArg,
    #[command(flatten)]
    pub(crate) log: LogArgs,
}

/// The parsed flags, and which float flags were left at their default (they print as ints in
/// the default output name, as in the original).
pub(crate) struct Parsed {
    pub(crate) args: Args,
    pub(crate) defaulted: DefaultedFloats,
}

impl Parsed {
    /// Parses the process's arguments (clap exits with status 2 on bad ones).
    pub(crate) fn from_env() -> Self {
        let matches = Args::command().get_matches();
        let args = match Args::from_arg_matches(&matches) {
            Ok(args) => args,
            Err(e) => e.exit(),
        };
        let mut defaulted = DefaultedFloats::default();
        defaulted.request_rate_min = is_default(&matches, "request_rate_min");
        defaulted.request_rate_max = is_default(&matches, "request_rate_max");
        defaulted.request_rate_period = is_default(&matches, "request_rate_period");
        defaulted.isl_osl_ratio_min = is_default(&matches, "isl_osl_ratio_min");
        defaulted.isl_osl_ratio_max = is_default(&matches, "isl_osl_ratio_max");
        defaulted.isl_osl_ratio_period = is_default(&matches, "isl_osl_ratio_period");
        Self { args, defaulted }
    }
}

fn is_default(matches: &ArgMatches, id: &str) -> bool {
    matches.value_source(id) == Some(ValueSource::DefaultValue)
}

impl Args {
    /// The synthesizer configuration the flags ask for (not yet validated).
    pub(crate) fn config(&self) -> SinSynthConfig {
        let mut cfg = SinSynthConfig::default();
        cfg.block_size = self.block_size;
        cfg.total_blocks = self.total_blocks;
        cfg.time_duration = self.time_duration;
        cfg.process_interval = self.process_interval;
        cfg.request_rate_min = self.request_rate_min;
        cfg.request_rate_max = self.request_rate_max;
        cfg.request_rate_period = self.request_rate_period;
        cfg.isl1 = self.isl1;
        cfg.osl1 = self.osl1;
        cfg.isl2 = self.isl2;
        cfg.osl2 = self.osl2;
        cfg.isl_osl_ratio_min = self.isl_osl_ratio_min;
        cfg.isl_osl_ratio_max = self.isl_osl_ratio_max;
        cfg.isl_osl_ratio_period = self.isl_osl_ratio_period;
        cfg
    }
}
