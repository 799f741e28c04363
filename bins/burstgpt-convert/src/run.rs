//! One conversion: check the paths, convert into a temporary file, rename it into place, report.

use anyhow::Context;
use servebench_cli_support::exit::{self, WithStatus};
use servebench_cli_support::output::OutputFile;
use servebench_cli_support::signals::{self, FirstInterrupt};
use servebench_workload::convert_burstgpt;

use crate::args::Args;
use crate::progress::Progress;
use crate::report::{print_pipeline, write_report};

/// Runs the conversion the flags ask for.
pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    // Watched before any output exists: on an interrupt the unfinished output is removed and
    // the tool exits (there is nothing to save).
    signals::watch("burstgpt-convert", FirstInterrupt::Exit)
        .context("cannot watch for interrupts")?;
    let options = args.options();
    options.validate().map_err(crate::status::of_trace_error)?;
    let output = args.output_path();
    let input_len = std::fs::metadata(&args.input_file)
        .with_context(|| format!("failed to read {}", args.input_file.display()))
        .status(exit::USAGE)?
        .len();
    if let Some(report) = &args.report_json {
        servebench_cli_support::output::check_not_input(report, &[&args.input_file, &output])
            .context("--report-json")
            .status(exit::USAGE)?;
    }
    let flag = if args.output_file.is_some() {
        "--output-file"
    } else {
        "the default output path (the input with extension .jsonl; give --output-file)"
    };
    let mut out = OutputFile::create(&output, &[&args.input_file])
        .context(flag)
        .status(exit::USAGE)?;
    println!("Reading {}", args.input_file.display());
    let mut progress = Progress::new(input_len);
    let result = convert_burstgpt(
        &args.input_file,
        &mut out,
        &output.display().to_string(),
        &options,
        &mut |p| progress.update(p),
    );
    progress.finish();
    let conversion = result.map_err(crate::status::of_trace_error)?;
    out.commit().status(exit::OUTPUT_FAILED)?;
    print_pipeline(&conversion, &options);
    print!("{}", conversion.stats.render());
    println!(
        "\nSaved {} rows to {}",
        conversion.counts.converted,
        output.display()
    );
    if let Some(path) = &args.report_json {
        write_report(path, &conversion, &args.input_file, &output).status(exit::OUTPUT_FAILED)?;
    }
    Ok(())
}
