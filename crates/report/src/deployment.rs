//! `deployment_config.json`, written by `perf.sh` / `perf-sweep` into every `artifacts_N/`.

use std::fs;
use std::path::Path;

use serde_json::{Map, Value};

use crate::ReportError;

/// File name of the deployment description.
pub const DEPLOYMENT_CONFIG: &str = "deployment_config.json";

/// The deployment a sweep ran against (`perf.sh`'s fields, §1.3 of the Dynamo spec).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentConfig {
    /// `kind`, the `--deployment-kind`.
    pub kind: String,
    /// `model`.
    pub model: String,
    /// `input_sequence_length`.
    pub input_sequence_length: u64,
    /// `output_sequence_length`.
    pub output_sequence_length: u64,
    /// `tensor_parallelism`.
    pub tensor_parallelism: u64,
    /// `data_parallelism`.
    pub data_parallelism: u64,
    /// `prefill_tensor_parallelism`.
    pub prefill_tensor_parallelism: u64,
    /// `prefill_data_parallelism`.
    pub prefill_data_parallelism: u64,
    /// `decode_tensor_parallelism`.
    pub decode_tensor_parallelism: u64,
    /// `decode_data_parallelism`.
    pub decode_data_parallelism: u64,
    /// `mode`: `aggregated` or `disaggregated`.
    pub mode: String,
}

impl DeploymentConfig {
    /// Reads `path`.
    ///
    /// # Errors
    /// [`ReportError::Io`], [`ReportError::Json`], or [`ReportError::Field`] naming a missing or
    /// mistyped field.
    pub fn read(path: &Path) -> Result<Self, ReportError> {
        let text = fs::read_to_string(path).map_err(|e| ReportError::io(path, "cannot read", e))?;
        Self::parse(path, &text)
    }

    /// Parses the text of a `deployment_config.json`; `path` is used in error messages.
    ///
    /// # Errors
    /// As [`DeploymentConfig::read`], less the I/O errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ReportError> {
        let value: Value = serde_json::from_str(text).map_err(|e| ReportError::Json {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            source: e,
        })?;
        let Value::Object(obj) = value else {
            return Err(ReportError::field(
                path,
                "(top level)",
                "is not a JSON object",
            ));
        };
        let text = |k: &str| -> Result<String, ReportError> {
            obj.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| ReportError::field(path, k, "is missing or not a string"))
        };
        let int = |k: &str| int_field(path, &obj, k);
        Ok(Self {
            kind: text("kind")?,
            model: text("model")?,
            input_sequence_length: int("input_sequence_length")?,
            output_sequence_length: int("output_sequence_length")?,
            tensor_parallelism: int("tensor_parallelism")?,
            data_parallelism: int("data_parallelism")?,
            prefill_tensor_parallelism: int("prefill_tensor_parallelism")?,
            prefill_data_parallelism: int("prefill_data_parallelism")?,
            decode_tensor_parallelism: int("decode_tensor_parallelism")?,
            decode_data_parallelism: int("decode_data_parallelism")?,
            mode: text("mode")?,
        })
    }

    /// GPUs the deployment uses: `tp × dp` when aggregated, otherwise
    /// `prefill_tp × prefill_dp + decode_tp × decode_dp` (as `plot_pareto.py`).
    #[must_use]
    pub fn gpus(&self) -> u64 {
        if self.mode == "aggregated" {
            self.tensor_parallelism * self.data_parallelism
        } else {
            self.prefill_tensor_parallelism * self.prefill_data_parallelism
                + self.decode_tensor_parallelism * self.decode_data_parallelism
        }
    }

    /// The series label `plot_pareto.py` uses: `{kind}_{mode}`.
    #[must_use]
    pub fn label(&self) -> String {
        format!("{}_{}", self.kind, self.mode)
    }
}

fn int_field(path: &Path, obj: &Map<String, Value>, k: &str) -> Result<u64, ReportError> {
    obj.get(k)
        .and_then(Value::as_u64)
        .ok_or_else(|| ReportError::field(path, k, "is missing or not a whole number ≥ 0"))
}
