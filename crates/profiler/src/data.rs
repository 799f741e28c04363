//! The raw profile data and their file forms: `raw_data.npz` (the original's array names and
//! dtypes) and the planner ConfigMap's `prefill_raw_data.json` / `decode_raw_data.json`.

use serde::{Deserialize, Serialize};
use servebench_profiler_fit::npz::{NpyArray, Npz, NpzError};

/// Prefill sweep results (`profile_prefill`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PrefillData {
    /// Input lengths measured (`<i8` in the npz).
    pub prefill_isl: Vec<i64>,
    /// TTFT per ISL, ms.
    pub prefill_ttft: Vec<f64>,
    /// Prefill throughput per GPU, tokens/s/GPU: `isl / ttft / num_gpus · 1000 · attn_dp`.
    pub prefill_thpt_per_gpu: Vec<f64>,
}

/// Decode sweep results (`profile_decode`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DecodeData {
    /// KV usage of each point: `(isl + osl/2) · n / max_kv_tokens`.
    pub x_kv_usage: Vec<f64>,
    /// Mean decode context length: `isl + osl/2`.
    pub y_context_length: Vec<f64>,
    /// ITL, ms.
    pub z_itl: Vec<f64>,
    /// Output throughput per GPU, tokens/s/GPU.
    pub z_thpt_per_gpu: Vec<f64>,
    /// The engine's KV capacity in tokens.
    pub max_kv_tokens: i64,
}

impl PrefillData {
    /// The `raw_data.npz` bytes: `prefill_isl` (`<i8`), `prefill_ttft`, `prefill_thpt_per_gpu`.
    ///
    /// # Errors
    /// Only an archive beyond the zip limits.
    pub fn to_npz(&self) -> Result<Vec<u8>, NpzError> {
        let mut npz = Npz::default();
        npz.insert("prefill_isl", NpyArray::from_i64(self.prefill_isl.clone()))?;
        npz.insert(
            "prefill_ttft",
            NpyArray::from_f64(self.prefill_ttft.clone()),
        )?;
        npz.insert(
            "prefill_thpt_per_gpu",
            NpyArray::from_f64(self.prefill_thpt_per_gpu.clone()),
        )?;
        npz.to_bytes()
    }

    /// `prefill_raw_data.json`.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// The JSON form of decode data: `max_kv_tokens` a plain number, as the planner's ConfigMap has.
impl DecodeData {
    /// The `raw_data.npz` bytes: five arrays, `max_kv_tokens` `<i8` of shape `(1,)`.
    ///
    /// # Errors
    /// Only an archive beyond the zip limits.
    pub fn to_npz(&self) -> Result<Vec<u8>, NpzError> {
        let mut npz = Npz::default();
        npz.insert("x_kv_usage", NpyArray::from_f64(self.x_kv_usage.clone()))?;
        npz.insert(
            "y_context_length",
            NpyArray::from_f64(self.y_context_length.clone()),
        )?;
        npz.insert("z_itl", NpyArray::from_f64(self.z_itl.clone()))?;
        npz.insert(
            "z_thpt_per_gpu",
            NpyArray::from_f64(self.z_thpt_per_gpu.clone()),
        )?;
        npz.insert(
            "max_kv_tokens",
            NpyArray::from_i64(vec![self.max_kv_tokens]),
        )?;
        npz.to_bytes()
    }

    /// `decode_raw_data.json`.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
