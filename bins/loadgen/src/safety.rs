//! Data safety of the exports: no export path may be the same file as one of the run's inputs
//! (issue 7's rule), checked before anything is written.

use std::path::{Path, PathBuf};

use anyhow::Context;
use servebench_cli_support::exit::{USAGE, WithStatus};
use servebench_cli_support::output::check_not_input;
use servebench_metrics::{INPUTS_FILE, partial_path};

use crate::args::Args;
use crate::export_names;

/// Every file this run reads: `--input-file` (each file of a directory), `--system-prompt-file`
/// and a `--tokenizer` given as a file or a directory of files.
fn inputs(args: &Args) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    let mut add = |path: &Path| {
        if path.is_dir() {
            if let Ok(entries) = std::fs::read_dir(path) {
                paths.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
            }
        } else {
            paths.push(path.to_owned());
        }
    };
    if let Some(path) = &args.replay.input_file {
        add(path);
    }
    if let Some(path) = &args.media.system_prompt_file {
        add(path);
    }
    if let Some(spec) = &args.tokenizer {
        let path = Path::new(spec);
        if path.exists() {
            add(path);
        }
    }
    paths
}

/// Every path an export of this run may be written to, with its `.partial` sidecar.
fn exports(dir: &Path, prefix_base: Option<&str>) -> Vec<PathBuf> {
    let mut names = vec![
        INPUTS_FILE.to_owned(),
        servebench_report::REPORT_HTML.to_owned(),
    ];
    if let Some(base) = prefix_base {
        names.push(format!("{base}_report.html"));
    }
    for (name, prefixed) in export_names::renames(prefix_base.unwrap_or("profile_export_aiperf")) {
        names.push(name.to_owned());
        if prefix_base.is_some() {
            names.push(prefixed);
        }
    }
    names
        .into_iter()
        .flat_map(|n| {
            let path = dir.join(n);
            [partial_path(&path), path]
        })
        .collect()
}

/// Refuses (status 2, before anything is written) an export of `dir` that is the same file as an
/// input of the run.
///
/// # Errors
/// An export path is an input.
pub(crate) fn check_exports(
    args: &Args,
    dir: &Path,
    prefix_base: Option<&str>,
) -> anyhow::Result<()> {
    let inputs = inputs(args);
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    for export in exports(dir, prefix_base) {
        check_not_input(&export, &inputs)
            .context("--artifact-dir")
            .status(USAGE)?;
    }
    Ok(())
}
