//! Finding run exports under a directory and telling each run's concurrency.

use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::ReportError;
use crate::export::{EXPORT_JSON, RunExport};

/// Every `profile_export_aiperf.json` below `dir` (any depth), in sorted path order. Symbolic
/// links to directories are not followed (no cycles).
///
/// # Errors
/// [`ReportError::Io`] when a directory cannot be listed.
pub fn find_exports(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let mut out = Vec::new();
    walk(dir, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ReportError> {
    let entries = fs::read_dir(dir).map_err(|e| ReportError::io(dir, "cannot list", e))?;
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ReportError::io(dir, "cannot list", e))?;
        let kind = entry
            .file_type()
            .map_err(|e| ReportError::io(&entry.path(), "cannot stat", e))?;
        if kind.is_dir() {
            subdirs.push(entry.path());
        } else if kind.is_file() && entry.file_name() == EXPORT_JSON {
            out.push(entry.path());
        }
    }
    subdirs.sort();
    for d in subdirs {
        walk(&d, out)?;
    }
    Ok(())
}

/// The concurrency of a directory name written by `benchmarks.utils` (`c<N>`, the whole name).
#[must_use]
pub fn c_dir_concurrency(name: &str) -> Option<u64> {
    let digits = name.strip_prefix('c')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Every `-concurrency<N>` in `text` (AIPerf's default artifact directory names), in order.
#[must_use]
pub fn dash_concurrencies(text: &str) -> Vec<u64> {
    const KEY: &str = "-concurrency";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        let after = &rest[at + KEY.len()..];
        let end = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        if let Ok(n) = after[..end].parse() {
            out.push(n);
        }
        rest = after;
    }
    out
}

/// The concurrency a directory name carries, either form.
#[must_use]
pub fn name_concurrency(name: &str) -> Option<u64> {
    c_dir_concurrency(name).or_else(|| dash_concurrencies(name).first().copied())
}

/// The concurrency of the run whose export is `export`, with `relative` its path below the
/// searched directory: a `c<N>` directory in the path, else `-concurrency<N>` in the path, else
/// the profiling phase's `concurrency` in the export's `input_config`.
///
/// # Errors
/// [`ReportError::Concurrency`] when none of these gives one.
pub fn run_concurrency(relative: &Path, export: &RunExport) -> Result<u64, ReportError> {
    let names = || {
        relative.components().filter_map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
    };
    names()
        .find_map(c_dir_concurrency)
        .or_else(|| names().find_map(|n| dash_concurrencies(n).first().copied()))
        .or_else(|| export.configured_concurrency())
        .ok_or_else(|| ReportError::Concurrency {
            path: export.path.clone(),
        })
}

/// `plot_pareto.py`'s rule: exactly one `-concurrency<N>` in the path (below the searched root);
/// when there is none, the export's configured concurrency (servebench's extension, so runs
/// written with an explicit artifact directory still count).
///
/// # Errors
/// [`ReportError::AmbiguousConcurrency`] for several different values,
/// [`ReportError::Concurrency`] when there is none at all.
pub fn pareto_concurrency(relative: &Path, export: &RunExport) -> Result<u64, ReportError> {
    let found = dash_concurrencies(&relative.to_string_lossy());
    match found.as_slice() {
        [one] => Ok(*one),
        [] => export
            .configured_concurrency()
            .ok_or_else(|| ReportError::Concurrency {
                path: export.path.clone(),
            }),
        several => Err(ReportError::AmbiguousConcurrency {
            path: export.path.clone(),
            found: several
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_names() {
        assert_eq!(c_dir_concurrency("c16"), Some(16));
        assert_eq!(c_dir_concurrency("c"), None);
        assert_eq!(c_dir_concurrency("c1x"), None);
        assert_eq!(c_dir_concurrency("plots"), None);
        assert_eq!(
            dash_concurrencies("Qwen_Qwen3-0.6B-openai-chat-concurrency8"),
            vec![8]
        );
        assert_eq!(
            dash_concurrencies("a-concurrency2/b-concurrency32-request_rate4.0"),
            vec![2, 32]
        );
        assert_eq!(
            dash_concurrencies("m-openai-chat-request_rate2.5"),
            Vec::<u64>::new()
        );
        assert_eq!(name_concurrency("m-openai-chat-concurrency4"), Some(4));
    }
}
