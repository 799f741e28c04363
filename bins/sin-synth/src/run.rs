//! One generation: validate, guard the size, write into a temporary file, rename into place.

use anyhow::Context;
use rand::SeedableRng;
use rand::rngs::StdRng;
use servebench_cli_support::exit::{self, Failure, WithStatus};
use servebench_cli_support::flags::{flag, settings_to_flags};
use servebench_cli_support::output::{OutputFile, check_rows};
use servebench_cli_support::progress;
use servebench_cli_support::signals::{self, FirstInterrupt};
use servebench_trace_formats::{Error, JsonStyle, MooncakeWriter};

use crate::args::Parsed;

/// Runs the generation the flags ask for.
pub(crate) fn run(parsed: Parsed) -> anyhow::Result<()> {
    let Parsed { args, defaulted } = parsed;
    let cfg = args.config();
    cfg.validate().map_err(flag_error)?;
    check_rows(
        cfg.row_estimate(),
        args.max_rows.max_rows,
        "--request-rate-max × --time-duration",
    )
    .status(exit::USAGE)?;
    let output = args
        .output_file
        .clone()
        .unwrap_or_else(|| cfg.output_file_name(defaulted).into());

    let mut rng = match args.seed {
        Some(seed) => StdRng::seed_from_u64(seed),
        None => rand::make_rng(),
    };
    // Watched before the output exists: on an interrupt the unfinished output is removed and
    // the tool exits (there is nothing to save).
    signals::watch("sin-synth", FirstInterrupt::Exit).context("cannot watch for interrupts")?;
    let out = OutputFile::create(&output, &[])
        .context("--output-file")
        .status(exit::USAGE)?;
    let mut writer = MooncakeWriter::new(out, output.display().to_string(), JsonStyle::Python);
    let bar = progress::items(cfg.intervals(), "intervals");
    let summary = cfg
        .generate(&mut rng, &mut writer, &mut |done| bar.set_position(done))
        .map_err(flag_error)?;
    bar.finish_and_clear();
    let out = writer.finish().status(exit::OUTPUT_FAILED)?;
    out.commit().status(exit::OUTPUT_FAILED)?;
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

/// A library error with the setting names turned into this tool's flags (`isl_osl_ratio_max` →
/// `--isl-osl-ratio-max`: every setting has a flag of the same name).
fn flag_error(error: Error) -> anyhow::Error {
    match error {
        Error::InvalidOption { name, message } => Failure::new(
            exit::USAGE,
            anyhow::anyhow!("invalid {}: {}", flag(name), settings_to_flags(&message)),
        )
        .into(),
        Error::Write { .. } => Failure::new(exit::OUTPUT_FAILED, error).into(),
        other => other.into(),
    }
}
