//! Sweep tables: the runs of one or more configurations, one point per concurrency.

use std::fs;
use std::path::{Path, PathBuf};

use crate::ReportError;
use crate::deployment::{DEPLOYMENT_CONFIG, DeploymentConfig, read_deployment_config};
use crate::discover::{find_exports, name_concurrency, run_concurrency};
use crate::export::RunExport;

/// Name of the plots directory inside a data directory; never a series.
pub const PLOTS_DIR: &str = "plots";

/// One run of a sweep.
#[derive(Debug, Clone)]
pub struct SweepPoint {
    /// The run's concurrency.
    pub concurrency: u64,
    /// The run's export.
    pub export: RunExport,
}

/// One configuration's runs, sorted by concurrency.
#[derive(Debug, Clone)]
pub struct SweepSeries {
    /// Legend label.
    pub label: String,
    /// The directory the runs were found in.
    pub dir: PathBuf,
    /// The deployment description, when the directory has a `deployment_config.json`.
    pub deployment: Option<DeploymentConfig>,
    /// The runs, one per concurrency, in increasing order.
    pub points: Vec<SweepPoint>,
}

impl SweepSeries {
    /// Reads every run below `dir` into one series labelled `label`; when several exports share
    /// a concurrency the first in path order is kept (as `plot.py`). A
    /// `deployment_config.json` directly in `dir` is read too.
    ///
    /// # Errors
    /// Any read or parse error of an export or of the deployment file, a run whose concurrency
    /// cannot be told ([`ReportError::Concurrency`]).
    pub fn read(dir: &Path, label: impl Into<String>) -> Result<Self, ReportError> {
        let deployment_path = dir.join(DEPLOYMENT_CONFIG);
        let deployment = if deployment_path.is_file() {
            Some(read_deployment_config(&deployment_path)?)
        } else {
            None
        };
        let mut points: Vec<SweepPoint> = Vec::new();
        for path in find_exports(dir)? {
            let export = RunExport::read(&path)?;
            let relative = path.strip_prefix(dir).unwrap_or(&path);
            let concurrency = run_concurrency(relative, &export)?;
            if points.iter().all(|p| p.concurrency != concurrency) {
                points.push(SweepPoint {
                    concurrency,
                    export,
                });
            }
        }
        points.sort_by_key(|p| p.concurrency);
        Ok(Self {
            label: label.into(),
            dir: dir.to_owned(),
            deployment,
            points,
        })
    }

    /// One sweep directory (`perf-sweep`'s / `perf.sh`'s `artifacts_N/`, or one AIPerf run
    /// directory per concurrency below it), labelled `{kind}_{mode}` from its
    /// `deployment_config.json`, or with the directory's name when it has none.
    ///
    /// # Errors
    /// As [`SweepSeries::read`], and [`ReportError::NotFound`] when no export is below `dir`.
    pub fn read_artifacts_dir(dir: &Path) -> Result<Self, ReportError> {
        let mut series = Self::read(dir, dir_name(dir))?;
        if let Some(d) = &series.deployment {
            series.label = d.label();
        }
        if series.points.is_empty() {
            return Err(not_found(dir));
        }
        Ok(series)
    }

    /// GPUs of the deployment, when known from `deployment_config.json`.
    #[must_use]
    pub fn gpus(&self) -> Option<u64> {
        self.deployment.as_ref().map(DeploymentConfig::gpus)
    }
}

fn dir_name(dir: &Path) -> String {
    dir.file_name()
        .map(ToOwned::to_owned)
        .or_else(|| dir.canonicalize().ok()?.file_name().map(ToOwned::to_owned))
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

fn not_found(dir: &Path) -> ReportError {
    ReportError::NotFound {
        path: dir.to_owned(),
        what: format!("no {} below this directory", crate::export::EXPORT_JSON),
    }
}

/// Reads a data directory the way `benchmarks/utils/plot.py` does: every sub-directory except
/// `plots` is one series named after it, holding `c<N>/` run directories. `names`, when not
/// empty, keeps only those series.
///
/// Two other layouts are understood as one series named after `data_dir` (or `{kind}_{mode}` of
/// its `deployment_config.json`): sub-directories that are themselves runs (AIPerf's default `<model>-openai-chat-concurrency<N>/` names, or
/// `c<N>/`), and exports directly in `data_dir`. Series without any export are left out.
///
/// # Errors
/// Read and parse errors of any export or deployment file; [`ReportError::NotFound`] when no
/// series remains.
pub fn read_data_dir(data_dir: &Path, names: &[String]) -> Result<Vec<SweepSeries>, ReportError> {
    let entries =
        fs::read_dir(data_dir).map_err(|e| ReportError::io(data_dir, "cannot list", e))?;
    let mut subdirs = Vec::new();
    let mut runs_here = data_dir.join(crate::export::EXPORT_JSON).is_file();
    for entry in entries {
        let entry = entry.map_err(|e| ReportError::io(data_dir, "cannot list", e))?;
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_dir || name == PLOTS_DIR {
            continue;
        }
        if name_concurrency(&name).is_some() {
            runs_here = true;
        } else {
            subdirs.push((name, entry.path()));
        }
    }
    subdirs.sort();
    let mut out = Vec::new();
    if runs_here {
        let label = dir_name(data_dir);
        if names.is_empty() || names.contains(&label) {
            let mut s = SweepSeries::read(data_dir, label)?;
            if let Some(d) = &s.deployment {
                s.label = d.label();
            }
            // Only the runs named by their own directory belong to this series; the others are
            // in their series' sub-directories, read below.
            s.points
                .retain(|p| !in_subdir(data_dir, &p.export.path, &subdirs));
            if !s.points.is_empty() {
                out.push(s);
            }
        }
    }
    for (name, path) in subdirs {
        if !names.is_empty() && !names.contains(&name) {
            continue;
        }
        let s = SweepSeries::read(&path, name)?;
        if !s.points.is_empty() {
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err(not_found(data_dir));
    }
    Ok(out)
}

fn in_subdir(root: &Path, file: &Path, subdirs: &[(String, PathBuf)]) -> bool {
    let Ok(rel) = file.strip_prefix(root) else {
        return false;
    };
    let first = rel.components().next();
    subdirs
        .iter()
        .any(|(name, _)| first.is_some_and(|c| c.as_os_str() == name.as_str()))
}

/// Python's `str.title()` for the series labels of `plot.py`: the first letter of every run of
/// letters upper-cased, the rest lower-cased.
#[must_use]
pub fn python_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_letter = false;
    for c in s.chars() {
        if c.is_alphabetic() {
            if prev_letter {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            prev_letter = true;
        } else {
            out.push(c);
            prev_letter = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::python_title;

    #[test]
    fn title_case_like_python() {
        assert_eq!(python_title("agg"), "Agg");
        assert_eq!(python_title("dynamo_vllm-tp4"), "Dynamo_Vllm-Tp4");
        assert_eq!(python_title("h100x8"), "H100X8");
        assert_eq!(python_title("ÄBC déf"), "Äbc Déf");
    }
}
