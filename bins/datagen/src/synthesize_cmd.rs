//! `datagen synthesize` (Dynamo's `synthesizer.py`, spec §6.4).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use servebench_workload::analyze::{SummaryStats, render_stats_table};
use servebench_workload::synthesize::{
    DEFAULT_SEED, OutputNameParts, default_output_path, write_synthetic_jsonl,
};
use servebench_workload::{RequestFilters, Synthesizer, SynthesizerConfig};

use crate::input::read_mooncake_jsonl;
use crate::progress;

/// Arguments of `datagen synthesize`.
#[derive(Debug, Args)]
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
    /// Output JSONL [default: beside the input, named
    /// <stem>_synth_{int(plm)}x{prm}+{pplm}_speedup{s}[_maxisl…][_minisl…][_minosl…][_maxosl…][_oslx…]].
    #[arg(long)]
    output_file: Option<PathBuf>,
    /// Seed of every random stream; the same seed and input give the same output (the draws are
    /// not numpy's, so they differ from Dynamo's for any seed).
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// Drop input rows whose input_length does not fit their hash_ids instead of failing.
    #[arg(long)]
    skip_invalid_rows: bool,
}

pub(crate) fn run(args: &SynthesizeArgs) -> Result<()> {
    let input = std::fs::canonicalize(&args.input_file)
        .with_context(|| format!("cannot open {}", args.input_file.display()))?;
    let output = match &args.output_file {
        Some(path) => path.clone(),
        None => default_output_path(&input, &name_parts(args)),
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "learning from dataset...")?;
    let size = std::fs::metadata(&input)
        .with_context(|| format!("cannot open {}", input.display()))?
        .len();
    let bar = progress::bytes(size, "reading");
    let trace = read_mooncake_jsonl(&input, &bar)?;
    bar.finish_and_clear();
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
    let mut synthesizer = Synthesizer::learn(&trace.records, config).map_err(|err| {
        // Library errors name 0-based rows; point at the file line instead.
        let located = match &err {
            servebench_workload::synthesize::SynthesizeError::BlockMismatch {
                first_row, ..
            }
            | servebench_workload::synthesize::SynthesizeError::MissingTimestamp {
                row: first_row,
            } => format!(" (row {first_row} is line {})", trace.line_of(*first_row)),
            _ => String::new(),
        };
        anyhow::anyhow!("{}: {err}{located}", input.display())
    })?;
    for &row in synthesizer.skipped_rows().iter().take(10) {
        tracing::warn!(
            "{}:{}: skipped: input_length does not fit hash_ids",
            input.display(),
            trace.line_of(row)
        );
    }
    if !synthesizer.skipped_rows().is_empty() {
        tracing::warn!("skipped {} invalid rows", synthesizer.skipped_rows().len());
    }
    let core = synthesizer.core_tree_summary();
    writeln!(
        out,
        "core radix tree: {} nodes, depth {}, {} unique-leaf samples, block size {}",
        core.size, core.depth, core.leaf_samples, args.block_size
    )?;

    writeln!(out, "synthesizing requests...")?;
    let filters = RequestFilters {
        max_isl: args.max_isl,
        min_isl: args.min_isl,
        min_osl: args.min_osl,
        max_osl: args.max_osl,
    };
    let bar = progress::items(args.num_requests as u64, "synthesizing");
    let requests = synthesizer.synthesize_requests(args.num_requests, &filters, &mut |n| {
        if n % 1024 == 0 {
            bar.set_position(n as u64);
        }
    })?;
    bar.finish_and_clear();
    writeln!(out, "synthesized {} requests", requests.len())?;

    writeln!(out, "\n###### Synthesized Statistics ######")?;
    let column = |f: &dyn Fn(&servebench_workload::SyntheticRequest) -> f64| {
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

    let file =
        File::create(&output).with_context(|| format!("cannot create {}", output.display()))?;
    write_synthetic_jsonl(BufWriter::with_capacity(1 << 20, file), &requests)
        .with_context(|| format!("cannot write {}", output.display()))?;
    let shown = std::fs::canonicalize(&output).unwrap_or(output);
    writeln!(out, "synthetic dataset saved at {}", shown.display())?;
    Ok(())
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
