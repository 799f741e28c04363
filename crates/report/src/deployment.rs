//! `deployment_config.json`, written by `perf.sh` / `perf-sweep` into every `artifacts_N/`, read
//! here through the writer's own type ([`servebench_sweep::DeploymentConfig`]) so the two cannot
//! drift; only the errors are turned into [`ReportError`]s.

use std::path::Path;

use servebench_sweep::SweepError;
pub use servebench_sweep::{DEPLOYMENT_CONFIG_FILE as DEPLOYMENT_CONFIG, DeploymentConfig, Mode};

use crate::ReportError;

/// Reads the `deployment_config.json` at `path`.
///
/// # Errors
/// [`ReportError::Io`] when the file cannot be read; [`ReportError::Field`] naming the line and
/// the field for malformed JSON, a missing key, a value of the wrong type or an unknown `mode`.
pub fn read_deployment_config(path: &Path) -> Result<DeploymentConfig, ReportError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| ReportError::io(path, "cannot read", e))?;
    DeploymentConfig::parse(&text, path).map_err(|e| match e {
        SweepError::Parse {
            line,
            field,
            message,
            ..
        } => ReportError::field(path, field, format!("line {line}: {message}")),
        other => ReportError::field(path, "-", other.to_string()),
    })
}
