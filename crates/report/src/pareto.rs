//! `plot_pareto.py`'s table: per-GPU against per-user output throughput for every run of every
//! `artifacts_*` directory, with the Pareto-efficient runs of each configuration marked.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use servebench_trace_formats::python_float_repr;

use crate::ReportError;
use crate::deployment::{DEPLOYMENT_CONFIG, read_deployment_config};
use crate::discover::{find_exports, pareto_concurrency};
use crate::export::RunExport;

/// One run's row of `results.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParetoRow {
    /// Series label, `{kind}_{mode}`.
    pub label: String,
    /// The export's path (the `configuration` column).
    pub configuration: PathBuf,
    /// The run's concurrency.
    pub concurrency: u64,
    /// `output_token_throughput_per_user.avg` (tokens/s/user).
    pub per_user: f64,
    /// `output_token_throughput.avg` divided by the deployment's GPUs (0 when it has none).
    pub per_gpu: f64,
    /// `time_to_first_token.avg` (ms).
    pub ttft_avg: f64,
    /// `inter_token_latency.avg` (ms).
    pub itl_avg: f64,
    /// `request_throughput.avg` (requests/s).
    pub request_throughput: f64,
    /// GPUs of the deployment.
    pub gpus: u64,
    /// No other run of the same label is at least as good on both axes.
    pub is_pareto_efficient: bool,
}

/// The `artifacts_*` directories of `root`, ordered by their number (then name).
///
/// # Errors
/// [`ReportError::Io`] when `root` cannot be listed; [`ReportError::NotFound`] when it has none.
pub fn artifact_dirs(root: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let entries = fs::read_dir(root).map_err(|e| ReportError::io(root, "cannot list", e))?;
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ReportError::io(root, "cannot list", e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(rest) = name.strip_prefix("artifacts_")
            && entry.file_type().is_ok_and(|t| t.is_dir())
        {
            dirs.push((rest.parse::<u64>().unwrap_or(u64::MAX), name, entry.path()));
        }
    }
    if dirs.is_empty() {
        return Err(ReportError::NotFound {
            path: root.to_owned(),
            what: "no artifacts_* directory".into(),
        });
    }
    dirs.sort();
    Ok(dirs.into_iter().map(|(_, _, p)| p).collect())
}

/// Reads every run below every `artifacts_*` directory of `root` and marks the efficient ones.
/// Each `artifacts_*` directory must hold a `deployment_config.json` (as in `plot_pareto.py`).
///
/// # Errors
/// A missing or malformed `deployment_config.json`, an unreadable export, a missing metric
/// (named with its file), or a run whose concurrency cannot be told.
pub fn read_pareto(root: &Path) -> Result<Vec<ParetoRow>, ReportError> {
    let mut rows = Vec::new();
    for dir in artifact_dirs(root)? {
        let config_path = dir.join(DEPLOYMENT_CONFIG);
        if !config_path.is_file() {
            return Err(ReportError::NotFound {
                path: dir,
                what: format!("no {DEPLOYMENT_CONFIG} in this artifacts directory"),
            });
        }
        let config = read_deployment_config(&config_path)?;
        let gpus = config.gpus();
        for path in find_exports(&dir)? {
            let export = RunExport::read(&path)?;
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let concurrency = pareto_concurrency(relative, &export)?;
            let total = export.require("output_token_throughput", "avg")?;
            rows.push(ParetoRow {
                label: config.label(),
                configuration: path.clone(),
                concurrency,
                per_user: export.require("output_token_throughput_per_user", "avg")?,
                per_gpu: if gpus == 0 { 0.0 } else { total / gpus as f64 },
                ttft_avg: export.require("time_to_first_token", "avg")?,
                itl_avg: export.require("inter_token_latency", "avg")?,
                request_throughput: export.require("request_throughput", "avg")?,
                gpus,
                is_pareto_efficient: false,
            });
        }
    }
    mark_efficient(&mut rows);
    Ok(rows)
}

/// The Pareto rows of already-read sweep series (label, GPUs from their
/// `deployment_config.json` or 1), efficiency marked; runs without
/// `output_token_throughput_per_user.avg` or output throughput are left out.
#[must_use]
pub fn sweep_pareto_rows(series: &[crate::SweepSeries]) -> Vec<ParetoRow> {
    let mut rows = Vec::new();
    for s in series {
        let gpus = s.gpus().unwrap_or(1);
        for p in &s.points {
            let e = &p.export;
            let (Some(per_user), Ok(total)) = (
                e.get("output_token_throughput_per_user", "avg"),
                e.output_tokens_per_second(),
            ) else {
                continue;
            };
            rows.push(ParetoRow {
                label: s.label.clone(),
                configuration: e.path.clone(),
                concurrency: p.concurrency,
                per_user,
                per_gpu: if gpus == 0 { 0.0 } else { total / gpus as f64 },
                ttft_avg: e.get("time_to_first_token", "avg").unwrap_or(f64::NAN),
                itl_avg: e.get("inter_token_latency", "avg").unwrap_or(f64::NAN),
                request_throughput: e.get("request_throughput", "avg").unwrap_or(f64::NAN),
                gpus,
                is_pareto_efficient: false,
            });
        }
    }
    mark_efficient(&mut rows);
    rows
}

/// Marks, within each label, the rows no other row of the label is at least as good as on both
/// axes. As in `plot_pareto.py`, two identical points dominate each other, so neither is marked.
pub fn mark_efficient(rows: &mut [ParetoRow]) {
    let flags: Vec<bool> = (0..rows.len())
        .map(|i| {
            let a = &rows[i];
            !rows.iter().enumerate().any(|(j, b)| {
                j != i && b.label == a.label && b.per_user >= a.per_user && b.per_gpu >= a.per_gpu
            })
        })
        .collect();
    for (row, flag) in rows.iter_mut().zip(flags) {
        row.is_pareto_efficient = flag;
    }
}

/// `results.csv` as pandas writes `plot_pareto.py`'s table: an unnamed index column, then
/// `label, configuration, concurrency, output_token_throughput_per_user_avg,
/// output_token_throughput_per_gpu_avg, time_to_first_token_avg, inter_token_latency_avg,
/// is_pareto_efficient`; floats as Python prints them, booleans `True` / `False`.
#[must_use]
pub fn results_csv(rows: &[ParetoRow]) -> String {
    let mut out = String::from(
        ",label,configuration,concurrency,output_token_throughput_per_user_avg,\
         output_token_throughput_per_gpu_avg,time_to_first_token_avg,inter_token_latency_avg,\
         is_pareto_efficient\n",
    );
    for (i, r) in rows.iter().enumerate() {
        let _ = writeln!(
            out,
            "{i},{},{},{},{},{},{},{},{}",
            csv_field(&r.label),
            csv_field(&r.configuration.to_string_lossy()),
            r.concurrency,
            python_float_repr(r.per_user),
            python_float_repr(r.per_gpu),
            python_float_repr(r.ttft_avg),
            python_float_repr(r.itl_avg),
            if r.is_pareto_efficient {
                "True"
            } else {
                "False"
            },
        );
    }
    out
}

/// A CSV field, quoted (with doubled quotes) when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, x: f64, y: f64) -> ParetoRow {
        ParetoRow {
            label: label.into(),
            configuration: PathBuf::from("p"),
            concurrency: 1,
            per_user: x,
            per_gpu: y,
            ttft_avg: 1.0,
            itl_avg: 1.0,
            request_throughput: 1.0,
            gpus: 1,
            is_pareto_efficient: false,
        }
    }

    #[test]
    fn efficiency_is_per_label_and_ties_dominate_each_other() {
        let mut rows = vec![
            row("a", 10.0, 1.0),
            row("a", 5.0, 5.0),
            row("a", 4.0, 4.0),
            row("b", 1.0, 1.0),
            row("a", 1.0, 6.0),
            row("a", 1.0, 6.0),
        ];
        mark_efficient(&mut rows);
        let flags: Vec<bool> = rows.iter().map(|r| r.is_pareto_efficient).collect();
        assert_eq!(flags, [true, true, false, true, false, false]);
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("a_b"), "a_b");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
    }
}
