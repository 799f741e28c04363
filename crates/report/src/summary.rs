//! `SUMMARY.txt` of `plot.py`.

use std::path::Path;

use crate::charts::SWEEP_PLOT_FILES;
use crate::sweep::SweepSeries;

/// The text of `SUMMARY.txt`: title, the data and plots directories, one line per series with
/// its number of concurrency levels and their range, and the five picture names; lines joined
/// by `\n` with no trailing newline, as the original.
#[must_use]
pub fn summary_text(data_dir: &Path, out_dir: &Path, series: &[SweepSeries]) -> String {
    let mut lines = vec![
        "Benchmark Results Summary".to_owned(),
        "=".repeat(30),
        String::new(),
        format!("Results directory: {}", data_dir.display()),
        format!("Plots generated: {}", out_dir.display()),
        String::new(),
        "Deployment Types Found:".to_owned(),
    ];
    for s in series {
        let lo = s.points.first().map_or(0, |p| p.concurrency);
        let hi = s.points.last().map_or(0, |p| p.concurrency);
        lines.push(format!(
            "  {}: {} concurrency levels ({lo}-{hi})",
            s.label,
            s.points.len()
        ));
    }
    lines.push(String::new());
    lines.push("Generated Plots:".to_owned());
    lines.extend(SWEEP_PLOT_FILES.iter().map(|f| format!("  - {f}")));
    lines.join("\n")
}
