//! `datagen analyze` (Dynamo's `prefix_analyzer.py`, spec §6.2).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;
use servebench_workload::analyze::{MetricSummary, PrefixAnalyzer, render_stats_table};

use crate::input::{Trace, read_mooncake_jsonl};
use servebench_cli_support::progress;

/// Warnings printed one by one before summarising the rest.
const MAX_LISTED_WARNINGS: usize = 10;

/// Arguments of `datagen analyze`.
#[derive(Debug, Args)]
pub(crate) struct AnalyzeArgs {
    /// Mooncake JSONL trace to analyze.
    #[arg(long, default_value = "mooncake_trace.jsonl")]
    input_file: PathBuf,
    /// Tokens per hash block.
    #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..))]
    block_size: u64,
    /// Print the statistics as JSON on stdout instead of the table (messages go to stderr).
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    input_file: String,
    block_size: u64,
    rows: usize,
    distinct_pairs: usize,
    repeated_pairs: usize,
    /// 1-based lines whose context length exceeds the input length.
    prefix_exceeds_input_lines: Vec<u64>,
    /// 1-based lines with fewer blocks than the input length needs.
    too_few_blocks_lines: Vec<u64>,
    metrics: &'a [MetricSummary],
}

pub(crate) fn run(args: &AnalyzeArgs) -> Result<()> {
    let path = &args.input_file;
    // Informational lines go to stdout like Dynamo's, or to stderr when stdout carries JSON.
    let mut stdout = std::io::stdout().lock();
    let mut say = |line: String| -> std::io::Result<()> {
        if args.json {
            eprintln!("{line}");
            Ok(())
        } else {
            writeln!(stdout, "{line}")
        }
    };
    say(format!("Analyzing dataset: {}", path.display()))?;
    say(format!("Using block size: {}\n", args.block_size))?;
    say(format!("Loading dataset from {}...", path.display()))?;
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .len();
    let bar = progress::bytes(size, "reading");
    let trace = read_mooncake_jsonl(path, &bar)?;
    bar.finish_and_clear();
    say(format!("Dataset loaded: {} examples", trace.records.len()))?;
    if trace.records.is_empty() {
        anyhow::bail!("{}: no records", path.display());
    }

    let mut analyzer = PrefixAnalyzer::new(args.block_size);
    for record in &trace.records {
        analyzer.push(record);
    }
    let analysis = analyzer.finish();
    say(format!(
        "Hash counter built: {} unique (position, hash_id) pairs",
        analysis.distinct_pairs
    ))?;
    report_rows(&trace, &analysis.prefix_exceeds_input, path, |row| {
        format!(
            "context length {} exceeds input length {}",
            analysis.context_lengths[row], analysis.input_lengths[row]
        )
    });
    report_rows(&trace, &analysis.too_few_blocks, path, |row| {
        format!(
            "{} hash ids of {} tokens cannot hold input length {}",
            trace.records[row].hash_ids.len(),
            args.block_size,
            analysis.input_lengths[row]
        )
    });

    let summary = analysis.summary();
    if args.json {
        let lines = |rows: &[usize]| rows.iter().map(|&r| trace.line_of(r)).collect();
        let report = JsonReport {
            input_file: path.display().to_string(),
            block_size: args.block_size,
            rows: analysis.rows,
            distinct_pairs: analysis.distinct_pairs,
            repeated_pairs: analysis.repeated_pairs,
            prefix_exceeds_input_lines: lines(&analysis.prefix_exceeds_input),
            too_few_blocks_lines: lines(&analysis.too_few_blocks),
            metrics: &summary,
        };
        writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&report)?
        )?;
    } else {
        let rows: Vec<(&str, _)> = summary.iter().map(|m| (m.name.as_str(), m.stats)).collect();
        // Dynamo: print(tabulate(...), "\n").
        writeln!(std::io::stdout().lock(), "{} \n", render_stats_table(&rows))?;
    }
    Ok(())
}

/// Prints a warning per offending row (up to a limit), naming file and line.
fn report_rows(
    trace: &Trace,
    rows: &[usize],
    path: &std::path::Path,
    describe: impl Fn(usize) -> String,
) {
    for &row in rows.iter().take(MAX_LISTED_WARNINGS) {
        tracing::warn!(
            "{}:{}: {}",
            path.display(),
            trace.line_of(row),
            describe(row)
        );
    }
    if rows.len() > MAX_LISTED_WARNINGS {
        tracing::warn!(
            "{}: {} more such rows",
            path.display(),
            rows.len() - MAX_LISTED_WARNINGS
        );
    }
}
