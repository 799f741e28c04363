//! `burstgpt-convert`: converts a BurstGPT CSV trace to Mooncake JSONL; a re-creation of Dynamo's
//! `benchmarks/burstgpt_loadgen/convert.py` whose output is byte-identical to the original's.

use std::io::{BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use servebench_trace_formats::{ErrorPolicy, ReadOptions};
use servebench_workload::{
    BurstGptConversion, BurstGptConvertOptions, ConversionReport, ConvertProgress, convert_burstgpt,
};

/// Convert a BurstGPT CSV (Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type)
/// to a Mooncake JSONL trace.
///
/// Pipeline: model filter, log-type filter, skip, head, renumber rows 0..n-1, divide timestamps
/// by the speed ratio, shift the earliest to 0. Row i gets ceil(input_length/block_size) blocks
/// drawn with Python's random.seed(i) and randint(0, num_hash_blocks), chained into hash_ids by
/// one rolling hasher. The random generator is a bit-exact port of CPython's Mersenne Twister,
/// so the output is byte-identical to Dynamo's convert.py for the same input and flags.
#[derive(Debug, Parser)]
#[command(name = "burstgpt-convert", version, about, long_about)]
struct Args {
    /// Path to the input BurstGPT CSV file.
    #[arg(long)]
    input_file: PathBuf,
    /// Path to the output Mooncake JSONL [default: the input path with its extension replaced by .jsonl].
    #[arg(long)]
    output_file: Option<PathBuf>,
    /// Keep only this model [default: all].
    #[arg(long, value_enum)]
    model: Option<Model>,
    /// Keep only this log type [default: all].
    #[arg(long, value_enum)]
    log_type: Option<LogType>,
    /// Skip the first N rows after filtering (before --num-prompt).
    #[arg(long, default_value_t = 0)]
    skip_num_prompt: u64,
    /// Keep at most N rows after filtering and skipping [default: all].
    #[arg(long)]
    num_prompt: Option<u64>,
    /// Divide timestamps by this: > 1 speeds requests up, < 1 slows them down.
    #[arg(long, default_value_t = 1.0)]
    speed_ratio: f64,
    /// Tokens per hash block: each request gets ceil(input_length / block_size) hash ids.
    #[arg(long, default_value_t = 128)]
    block_size: u64,
    /// Block values are drawn from 0..=num_hash_blocks (inclusive, like Python's randint).
    #[arg(long, default_value_t = 10_000)]
    num_hash_blocks: u64,
    /// Skip malformed rows (counted and reported) instead of stopping at the first one.
    #[arg(long)]
    skip_malformed: bool,
    /// Threads drawing hash blocks; the output does not depend on it [default: CPUs, at most 4].
    #[arg(long)]
    draw_threads: Option<usize>,
    /// Also write a machine-readable report (JSON with format_version) to this path.
    #[arg(long)]
    report_json: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Model {
    #[value(name = "ChatGPT")]
    ChatGpt,
    #[value(name = "GPT-4")]
    Gpt4,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogType {
    #[value(name = "Conversation log")]
    Conversation,
    #[value(name = "API log")]
    Api,
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
                    matches!(
                        e,
                        servebench_trace_formats::Error::InvalidOption { .. }
                            | servebench_trace_formats::Error::Record(_)
                    )
                });
            ExitCode::from(if invalid_input { 2 } else { 1 })
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    let output = args
        .output_file
        .clone()
        .unwrap_or_else(|| args.input_file.with_extension("jsonl"));
    let mut options = BurstGptConvertOptions::default();
    options.model = args.model.map(|m| match m {
        Model::ChatGpt => "ChatGPT".to_owned(),
        Model::Gpt4 => "GPT-4".to_owned(),
    });
    options.log_type = args.log_type.map(|l| match l {
        LogType::Conversation => "Conversation log".to_owned(),
        LogType::Api => "API log".to_owned(),
    });
    options.skip = args.skip_num_prompt;
    options.num_prompt = args.num_prompt;
    options.speed_ratio = args.speed_ratio;
    options.block_size = args.block_size;
    options.num_hash_blocks = args.num_hash_blocks;
    let policy = if args.skip_malformed {
        ErrorPolicy::Skip
    } else {
        ErrorPolicy::Stop
    };
    options.read = ReadOptions::with_policy(policy).monotonic_timestamps(false);
    if let Some(threads) = args.draw_threads {
        options.draw_threads = threads.max(1);
    }

    let input_len = std::fs::metadata(&args.input_file)
        .with_context(|| format!("failed to read {}", args.input_file.display()))?
        .len();
    let file = std::fs::File::create(&output)
        .with_context(|| format!("failed to create {}", output.display()))?;
    let output_name = output.display().to_string();
    println!("Reading {}", args.input_file.display());
    let mut progress = Progress::new(input_len);
    let result = convert_burstgpt(
        &args.input_file,
        BufWriter::with_capacity(1 << 16, file),
        &output_name,
        &options,
        &mut |p| progress.update(p),
    );
    progress.finish();
    let conversion = match result {
        Ok(c) => c,
        Err(e) => {
            // Leave no partial trace behind that could be mistaken for a complete one.
            let _ = std::fs::remove_file(&output);
            return Err(e.into());
        }
    };
    print_pipeline(&args, &conversion, &options);
    print!("{}", conversion.stats.render());
    println!(
        "\nSaved {} rows to {}",
        conversion.counts.converted,
        output.display()
    );
    if let Some(path) = &args.report_json {
        write_report(path, &conversion, &args.input_file, &output)?;
    }
    Ok(())
}

/// The original's step-by-step messages.
fn print_pipeline(args: &Args, c: &BurstGptConversion, o: &BurstGptConvertOptions) {
    let n = &c.counts;
    println!("\nApplying filters...\nInitial rows: {}", n.rows_read);
    if c.read_report.malformed > 0 {
        println!("Malformed rows skipped: {}", c.read_report.malformed);
        for e in &c.read_report.first_errors {
            println!("  {e}");
        }
    }
    if let Some(m) = &o.model {
        println!("After model filter ({m}): {} rows", n.after_model);
    }
    if let Some(l) = &o.log_type {
        println!("After log type filter ({l}): {} rows", n.after_log_type);
    }
    if o.skip > 0 {
        println!("After skip_num_prompt ({}): {} rows", o.skip, n.after_skip);
    }
    if let Some(k) = o.num_prompt {
        println!("After num_prompt limit ({k}): {} rows", n.converted);
    }
    if o.speed_ratio == 1.0 {
        println!("Speed ratio is 1.0, no timestamp adjustment needed");
    } else if let Some((lo, hi)) = c.input_range_s {
        println!(
            "Applied speed ratio: {}",
            servebench_trace_formats::python_float_repr(args.speed_ratio)
        );
        println!("Original timestamps: {lo:.2} - {hi:.2}");
        println!(
            "Adjusted timestamps: {:.2} - {:.2}",
            lo / o.speed_ratio,
            hi / o.speed_ratio
        );
    }
    if c.offset_s != 0.0 {
        println!(
            "Offset timestamps so first request starts at t=0 (subtracted {:.6}s)",
            c.offset_s
        );
    }
    println!(
        "\nConverting to mooncake format...\nBlock size: {}\nNum hash blocks: {}",
        o.block_size, o.num_hash_blocks
    );
    println!("Converted {} rows to mooncake format", n.converted);
}

fn write_report(
    path: &Path,
    c: &BurstGptConversion,
    input: &Path,
    output: &Path,
) -> anyhow::Result<()> {
    let report = ConversionReport::from_burstgpt(
        c,
        &input.display().to_string(),
        &output.display().to_string(),
    );
    let text = serde_json_pretty(&report)?;
    std::fs::write(path, text).with_context(|| format!("failed to write {}", path.display()))
}

fn serde_json_pretty(report: &ConversionReport) -> anyhow::Result<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(report)?))
}

/// A two-pass byte progress bar on a terminal; plain percentage lines otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    input_len: u64,
    last_plain_decile: u64,
}

impl Progress {
    fn new(input_len: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(input_len.saturating_mul(2));
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {percent}% {msg} {elapsed_precise}")
            {
                bar.set_style(style);
            }
            bar
        });
        Self {
            bar,
            input_len,
            last_plain_decile: 0,
        }
    }

    fn update(&mut self, p: ConvertProgress) {
        let done = if p.pass == 1 {
            p.bytes
        } else {
            self.input_len + p.bytes
        };
        match &self.bar {
            Some(bar) => {
                bar.set_position(done);
                bar.set_message(if p.pass == 1 {
                    "scanning".to_owned()
                } else {
                    format!("{} rows written", p.rows_written)
                });
            }
            None => {
                let decile = done.saturating_mul(10) / self.input_len.saturating_mul(2).max(1);
                if decile > self.last_plain_decile && decile < 10 {
                    self.last_plain_decile = decile;
                    eprintln!("progress: {}0% ({} rows written)", decile, p.rows_written);
                }
            }
        }
    }

    fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
