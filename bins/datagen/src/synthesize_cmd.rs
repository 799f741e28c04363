//! `datagen synthesize` (Dynamo's `synthesizer.py`, spec §6.4).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use servebench_workload::analyze::{SummaryStats, render_stats_table};
use servebench_workload::synthesize::{
    DEFAULT_SEED, OutputNameParts, RequestFilters, SynthesizeError, Synthesizer, SynthesizerConfig,
    SyntheticRequest, default_output_path, write_synthetic_jsonl,
};

use servebench_cli_support::exit::{self, Failure, WithStatus};
use servebench_cli_support::flags::{flag, settings_to_flags};
use servebench_cli_support::output::{MaxRowsArg, OutputFile, check_rows};
use servebench_cli_support::progress;
use servebench_cli_support::signals::{self, FirstInterrupt};

use crate::input::{Trace, read_mooncake_jsonl};

/// Row warnings listed one by one before the count.
const MAX_LISTED_ROWS: usize = 10;

/// Arguments of `datagen synthesize`.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub(crate) struct SynthesizeArgs {
    /// Mooncake JSONL trace to learn from.
    #[arg(long, default_value = "mooncake_trace.jsonl")]
    input_file: PathBuf,
    /// Number of requests to synthesize.
    #[arg(long, default_value_t = 100_000)]
    num_requests: usize,
    /// Divide inter-arrival gaps by this factor (> 0) [default: 1].
    #[arg(long)]
    speedup_ratio: Option<f64>,
    /// Multiply shared-prefix (core) chain lengths; values > 1 are rounded up to an integer.
    #[arg(long, default_value_t = 1.0)]
    prefix_len_multiplier: f64,
    /// Number of copies of the core prefix tree; each request lands in a random copy.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    prefix_root_multiplier: u32,
    /// Multiply unique-prompt (leaf) lengths, max(1, round(len·m)); < 1 gives shorter prompts.
    #[arg(long, default_value_t = 1.0)]
    prompt_len_multiplier: f64,
    /// Multiply sampled output lengths (truncated to an integer).
    #[arg(long, default_value_t = 1.0)]
    osl_multiplier: f64,
    /// Drop synthesized requests with a longer input [default: no filter].
    #[arg(long)]
    max_isl: Option<u64>,
    /// Drop synthesized requests with a shorter input [default: no filter].
    #[arg(long)]
    min_isl: Option<u64>,
    /// Raise shorter outputs to this length [default: no clipping].
    #[arg(long)]
    min_osl: Option<u64>,
    /// Cut longer outputs to this length [default: no clipping].
    #[arg(long)]
    max_osl: Option<u64>,
    /// Tokens per hash block.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..))]
    block_size: u64,
    // Help given as an attribute, not a doc comment: rustdoc would read `<stem>` as an HTML tag
    // and `[_minisl…]` as a link.
    #[arg(
        long,
        help = "Output JSONL [default: beside the input, named \
                <stem>_synth_{int(plm)}x{prm}+{pplm}_speedup{s}[_maxisl…][_minisl…][_minosl…][_maxosl…][_oslx…]]"
    )]
    output_file: Option<PathBuf>,
    /// Seed of every random stream; the same seed and input give the same output (the draws are
    /// not numpy's, so they differ from Dynamo's for any seed).
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Drop input rows whose input_length does not fit their hash_ids instead of failing.
    #[arg(long)]
    skip_invalid_rows: bool,
    #[command(flatten)]
    max_rows: MaxRowsArg,
}

pub(crate) fn run(args: &SynthesizeArgs) -> Result<()> {
    // Every flag is checked before the input is read: a bad value is never blamed on the file.
    let config = SynthesizerConfig {
        block_size: args.block_size,
        speedup_ratio: args.speedup_ratio.unwrap_or(1.0),
        prefix_root_multiplier: args.prefix_root_multiplier,
        prefix_len_multiplier: args.prefix_len_multiplier,
        prompt_len_multiplier: args.prompt_len_multiplier,
        osl_multiplier: args.osl_multiplier,
        seed: args.seed,
        skip_invalid_rows: args.skip_invalid_rows,
    };
    let filters = RequestFilters {
        max_isl: args.max_isl,
        min_isl: args.min_isl,
        min_osl: args.min_osl,
        max_osl: args.max_osl,
    };
    config.validate().map_err(flag_error)?;
    filters.validate().map_err(flag_error)?;
    check_rows(
        args.num_requests as f64,
        args.max_rows.max_rows,
        "--num-requests",
    )
    .status(exit::USAGE)?;
    let input = std::fs::canonicalize(&args.input_file)
        .with_context(|| format!("cannot open {}", args.input_file.display()))
        .status(exit::USAGE)?;
    let (output, flag) = match &args.output_file {
        Some(path) => (path.clone(), "--output-file"),
        None => (
            default_output_path(&input, &name_parts(args)),
            "the default output path (give --output-file)",
        ),
    };
    // Watched before the output exists: on an interrupt the unfinished output is removed and
    // the tool exits (there is nothing to save).
    signals::watch("datagen", FirstInterrupt::Exit).context("cannot watch for interrupts")?;
    let mut file = OutputFile::create(&output, &[&input])
        .context(flag)
        .status(exit::USAGE)?;

    let mut out = std::io::stdout().lock();
    writeln!(out, "learning from dataset...")?;
    let size = std::fs::metadata(&input)
        .with_context(|| format!("cannot open {}", input.display()))?
        .len();
    let bar = progress::bytes(size, "reading");
    let trace = read_mooncake_jsonl(&input, &bar)?;
    bar.finish_and_clear();
    let mut synthesizer = Synthesizer::learn(&trace.records, config).map_err(|err| {
        // Library errors name 0-based rows; point at the file line instead.
        let located = match &err {
            SynthesizeError::InvalidConfig { .. } => return flag_error(err),
            SynthesizeError::BlockMismatch { first_row, .. }
            | SynthesizeError::MissingTimestamp { row: first_row } => {
                format!(" (row {first_row} is line {})", trace.line_of(*first_row))
            }
            _ => String::new(),
        };
        Failure::new(
            exit::USAGE,
            anyhow::anyhow!("{}: {err}{located}", input.display()),
        )
        .into()
    })?;
    warn_rows(
        &input,
        &trace,
        synthesizer.skipped_rows(),
        "skipped: input_length does not fit hash_ids",
        "invalid rows skipped",
    );
    warn_rows(
        &input,
        &trace,
        synthesizer.out_of_order_rows(),
        "timestamp is earlier than the row before it (that row may be an outlier): the gap \
         before it is learned as one long pause",
        "rows out of timestamp order",
    );
    let core = synthesizer.core_tree_summary();
    writeln!(
        out,
        "core radix tree: {} nodes, depth {}, {} unique-leaf samples, block size {}",
        core.size, core.depth, core.leaf_samples, args.block_size
    )?;

    writeln!(out, "synthesizing requests...")?;
    let bar = progress::items(args.num_requests as u64, "synthesizing");
    let requests = synthesizer
        .synthesize_requests(args.num_requests, &filters, &mut |n| {
            if n % 1024 == 0 {
                bar.set_position(n as u64);
            }
        })
        .map_err(flag_error)?;
    bar.finish_and_clear();
    writeln!(out, "synthesized {} requests", requests.len())?;

    writeln!(out, "\n###### Synthesized Statistics ######")?;
    let column = |f: &dyn Fn(&SyntheticRequest) -> f64| {
        let values: Vec<f64> = requests.iter().map(f).collect();
        SummaryStats::from_values(&values)
    };
    let rows = [
        ("Input Length", column(&|r| r.input_length as f64)),
        ("Context Length", column(&|r| r.context_len as f64)),
        (
            "Unique Prompt Length",
            column(&|r| r.unique_user_prompt_len as f64),
        ),
        ("Output Length", column(&|r| r.output_length as f64)),
    ];
    writeln!(out, "{} \n", render_stats_table(&rows))?;

    write_synthetic_jsonl(&mut file, &requests)
        .with_context(|| format!("cannot write {}", output.display()))
        .status(exit::OUTPUT_FAILED)?;
    file.commit().status(exit::OUTPUT_FAILED)?;
    let shown = std::fs::canonicalize(&output).unwrap_or(output);
    writeln!(out, "synthetic dataset saved at {}", shown.display())?;
    Ok(())
}

/// Warns about the first few `rows` by file line, then how many there were in all.
fn warn_rows(input: &Path, trace: &Trace, rows: &[usize], what: &str, summary: &str) {
    for &row in rows.iter().take(MAX_LISTED_ROWS) {
        tracing::warn!("{}:{}: {what}", input.display(), trace.line_of(row));
    }
    if rows.len() > MAX_LISTED_ROWS {
        tracing::warn!("{} {summary} in all", rows.len());
    }
}

/// A synthesizer error about a setting, with the setting names turned into this command's flags
/// (`min_isl` → `--min-isl`; every setting has a flag of the same name).
fn flag_error(error: SynthesizeError) -> anyhow::Error {
    match &error {
        SynthesizeError::InvalidConfig { name, reason } => Failure::new(
            exit::USAGE,
            anyhow::anyhow!("invalid {}: {}", flag(name), settings_to_flags(reason)),
        )
        .into(),
        SynthesizeError::FiltersRejectEverything { .. } => Failure::new(
            exit::USAGE,
            anyhow::anyhow!("{}", settings_to_flags(&error.to_string())),
        )
        .into(),
        _ => error.into(),
    }
}

fn name_parts(args: &SynthesizeArgs) -> OutputNameParts {
    OutputNameParts {
        prefix_len_multiplier: args.prefix_len_multiplier,
        prefix_root_multiplier: args.prefix_root_multiplier,
        prompt_len_multiplier: args.prompt_len_multiplier,
        speedup_ratio: args.speedup_ratio,
        max_isl: args.max_isl,
        min_isl: args.min_isl,
        min_osl: args.min_osl,
        max_osl: args.max_osl,
        osl_multiplier: args.osl_multiplier,
    }
}
