//! Reports from benchmark artifacts: servebench's own exports and AIPerf's.
//!
//! This crate reads `profile_export_aiperf.json` files (the summary export both `loadgen` and
//! AIPerf 0.13 write, see [`RunExport`]) and `deployment_config.json` files ([`DeploymentConfig`])
//! into plain sweep tables ([`SweepSeries`], [`ParetoRow`]), draws them with `servebench-viz`
//! ([`Chart`]) and renders self-contained HTML pages (inline SVG, no scripts, no network).
//!
//! The entry points write whole files next to the artifacts:
//!
//! * [`write_run_report`]: `report.html` for one run directory;
//! * [`write_sweep_report`]: `report.html` for one sweep directory (`artifacts_N/`);
//! * [`plot_sweep`]: Dynamo's `benchmarks/utils/plot.py` (four line plots, the efficiency plot,
//!   `SUMMARY.txt`);
//! * [`plot_pareto`]: Dynamo's `benchmarks/llm/plot_pareto.py` (`pareto_plot.png`,
//!   `results.csv`).
//!
//! Layouts understood: `perf.sh` / `perf-sweep` (`artifacts_N/` holding `deployment_config.json`
//! and one directory per concurrency), AIPerf's default run directories
//! (`<model>-openai-chat-concurrency<N>/`), `benchmarks.utils` (`<name>/c<N>/`), and run
//! directories of any name whose export records the concurrency in `input_config`. Errors name
//! the file, and the field, at fault ([`ReportError`]).
//!
//! ```no_run
//! use std::path::Path;
//!
//! let html = servebench_report::write_sweep_report(Path::new("artifacts_root/artifacts_0"))?;
//! println!("report in {}", html.display());
//! # Ok::<(), servebench_report::ReportError>(())
//! ```

mod charts;
mod deployment;
mod discover;
mod error;
mod export;
mod html;
mod pareto;
mod records;
mod summary;
mod sweep;
mod write;

use std::path::{Path, PathBuf};

pub use charts::{
    Chart, EfficiencyPoint, SWEEP_PLOT_FILES, check_sweep_run, efficiency_points, pareto_chart,
    plottable, run_charts, sweep_charts, timeline_chart,
};
pub use deployment::{DEPLOYMENT_CONFIG, DeploymentConfig, Mode, read_deployment_config};
pub use discover::{
    c_dir_concurrency, dash_concurrencies, find_exports, name_concurrency, pareto_concurrency,
    run_concurrency,
};
pub use error::ReportError;
pub use export::{EXPORT_JSON, ErrorCount, MetricStats, RunExport};
pub use html::{client_verdict, escape, run_report_html, sweep_report_html};
pub use pareto::{
    ParetoRow, artifact_dirs, mark_efficient, read_pareto, results_csv, sweep_pareto_rows,
};
pub use records::{MAX_TIMELINE_POINTS, Timeline, read_timeline, records_path};
pub use summary::summary_text;
pub use sweep::{PLOTS_DIR, SweepPoint, SweepSeries, python_title, read_data_dir};
pub use write::write_atomic;

/// File name of every HTML report.
pub const REPORT_HTML: &str = "report.html";
/// File name of `plot.py`'s summary.
pub const SUMMARY_TXT: &str = "SUMMARY.txt";
/// File name of `plot_pareto.py`'s table.
pub const RESULTS_CSV: &str = "results.csv";

/// Writes `run_dir/report.html` from `run_dir/profile_export_aiperf.json` and returns its path.
///
/// # Errors
/// The export cannot be read or parsed, a plot cannot be drawn, or the file cannot be written.
pub fn write_run_report(run_dir: &Path) -> Result<PathBuf, ReportError> {
    let out = run_dir.join(REPORT_HTML);
    write_run_report_from(&run_dir.join(EXPORT_JSON), &out)?;
    Ok(out)
}

/// Writes the HTML report of the run whose summary export is `export_json` (any name, e.g. one
/// renamed by `--profile-export-prefix`) to `out`. The per-request export beside it
/// ([`records_path`]) adds a latency timeline; when it is missing or unreadable the page says so.
///
/// # Errors
/// As [`write_run_report`].
pub fn write_run_report_from(export_json: &Path, out: &Path) -> Result<(), ReportError> {
    let export = RunExport::read(export_json)?;
    let records = records_path(export_json);
    let timeline = if records.is_file() {
        read_timeline(&records)
    } else {
        Err(ReportError::NotFound {
            path: records,
            what: "no per-request export".to_owned(),
        })
    };
    write_atomic(out, run_report_html(&export, timeline.as_ref())?.as_bytes())
}

/// Writes `artifacts_dir/report.html` for the sweep below `artifacts_dir` (every run export at
/// any depth; see [`SweepSeries::read_artifacts_dir`]) and returns its path.
///
/// Runs without the plotted metrics are left out of the plots with a note (see
/// [`sweep_report_html`]).
///
/// # Errors
/// No export below the directory, an export or `deployment_config.json` that cannot be read, a
/// run whose concurrency cannot be told, or the file cannot be written.
pub fn write_sweep_report(artifacts_dir: &Path) -> Result<PathBuf, ReportError> {
    let series = SweepSeries::read_artifacts_dir(artifacts_dir)?;
    let out = artifacts_dir.join(REPORT_HTML);
    write_atomic(&out, sweep_report_html(&[series])?.as_bytes())?;
    Ok(out)
}

/// What [`plot_sweep`] wrote.
#[derive(Debug, Clone)]
pub struct PlotSweepOutcome {
    /// The series plotted.
    pub series: Vec<SweepSeries>,
    /// The five PNG files, in [`SWEEP_PLOT_FILES`] order.
    pub plots: Vec<PathBuf>,
    /// `SUMMARY.txt`.
    pub summary: PathBuf,
}

/// Dynamo's `plot.py`: reads `data_dir` ([`read_data_dir`], filtered by `names` when not empty)
/// and writes the five pictures and `SUMMARY.txt` into `out_dir` (created if missing).
///
/// # Errors
/// Reading errors ([`read_data_dir`]), a run without a plotted metric, drawing or writing
/// errors.
pub fn plot_sweep(
    data_dir: &Path,
    out_dir: &Path,
    names: &[String],
) -> Result<PlotSweepOutcome, ReportError> {
    let series = read_data_dir(data_dir, names)?;
    let charts = sweep_charts(&series)?;
    write::create_dir(out_dir)?;
    let mut plots = Vec::with_capacity(charts.len());
    for c in &charts {
        plots.push(c.save_png(out_dir)?);
    }
    let summary = out_dir.join(SUMMARY_TXT);
    write_atomic(
        &summary,
        summary_text(data_dir, out_dir, &series).as_bytes(),
    )?;
    Ok(PlotSweepOutcome {
        series,
        plots,
        summary,
    })
}

/// What [`plot_pareto`] wrote.
#[derive(Debug, Clone)]
pub struct ParetoOutcome {
    /// The table, in `results.csv` order.
    pub rows: Vec<ParetoRow>,
    /// `pareto_plot.png`.
    pub plot: PathBuf,
    /// `results.csv`.
    pub csv: PathBuf,
}

/// Dynamo's `plot_pareto.py`: reads every run below `root/artifacts_*` ([`read_pareto`]) and
/// writes `pareto_plot.png` (titled `Pareto - {title}`) and `results.csv` into `out_dir`
/// (created if missing).
///
/// # Errors
/// Reading errors ([`read_pareto`]), drawing or writing errors; [`ReportError::NotFound`] when
/// no run was found.
pub fn plot_pareto(root: &Path, title: &str, out_dir: &Path) -> Result<ParetoOutcome, ReportError> {
    let rows = read_pareto(root)?;
    if rows.is_empty() {
        return Err(ReportError::NotFound {
            path: root.to_owned(),
            what: format!("no {EXPORT_JSON} below any artifacts_* directory"),
        });
    }
    write::create_dir(out_dir)?;
    let plot = pareto_chart(&rows, title).save_png(out_dir)?;
    let csv = out_dir.join(RESULTS_CSV);
    write_atomic(&csv, results_csv(&rows).as_bytes())?;
    Ok(ParetoOutcome { rows, plot, csv })
}
