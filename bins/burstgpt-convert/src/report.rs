//! What `burstgpt-convert` prints after a conversion (the original's step-by-step messages) and
//! the machine-readable report it writes.

use std::path::Path;

use servebench_cli_support::output;
use servebench_trace_formats::python_float_repr;
use servebench_workload::{BurstGptConversion, BurstGptConvertOptions, ConversionReport};

/// The original's step-by-step messages.
pub(crate) fn print_pipeline(c: &BurstGptConversion, o: &BurstGptConvertOptions) {
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
        println!("Applied speed ratio: {}", python_float_repr(o.speed_ratio));
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

/// Writes the conversion report to `path` (never over `input` or `output`).
pub(crate) fn write_report(
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
    let text = format!("{}\n", serde_json::to_string_pretty(&report)?);
    output::write_file(path, &[input, output], text.as_bytes())?;
    Ok(())
}
