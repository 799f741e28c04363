//! Step times measured on real hardware, loaded from a JSON file (the keys of Dynamo mocker's
//! `perf_data.npz`).
//!
//! Format (all numbers; axes strictly increasing, at least two points each):
//!
//! ```json
//! {
//!   "version": 1,
//!   "prefill_isl": [100, 1000, 4000],
//!   "prefill_ttft_ms": [20.0, 35.0, 110.0],
//!   "decode_active_kv_tokens": [0, 500000, 1000000],
//!   "decode_context_length": [100, 4000],
//!   "decode_itl": [[5.0, 6.0], [20.0, 24.0], [35.0, 40.0]]
//! }
//! ```
//!
//! `prefill_ttft_ms[i]` is the prefill time of `prefill_isl[i]` new tokens;
//! `decode_itl[k][c]` the decode step time (ms) at `decode_active_kv_tokens[k]` active KV tokens and
//! mean context length `decode_context_length[c]` (shape `[kv][ctx]`, like the npz). `version` is
//! optional and must be 1 when present. Lookups interpolate linearly (prefill) and bilinearly
//! (decode) and extrapolate from the two outermost points; negative results become 0.

use std::path::Path;

use serde::Deserialize;

use super::error::EngineError;

/// The timing tables before validation: a JSON timing file's fields, or what a profile or a
/// `perf_data.npz` converts into.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPerfFile {
    pub(crate) version: Option<u32>,
    pub(crate) prefill_isl: Vec<f64>,
    pub(crate) prefill_ttft_ms: Vec<f64>,
    pub(crate) decode_active_kv_tokens: Vec<f64>,
    pub(crate) decode_context_length: Vec<f64>,
    /// Rows `[kv][ctx]`.
    pub(crate) decode_itl: Vec<Vec<f64>>,
}

/// Prefill curve and decode grid of a timing file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PerfData {
    prefill_isl: Vec<f64>,
    prefill_ttft_ms: Vec<f64>,
    decode_kv: Vec<f64>,
    decode_ctx: Vec<f64>,
    /// Row-major `[kv][ctx]`.
    decode_itl: Vec<f64>,
}

impl PerfData {
    /// Reads and validates timing data: a JSON timing file, or profile data (a directory of
    /// profiler output, or an `.npz`), see [`super::profile_data`].
    pub(crate) fn load(path: &Path) -> Result<Self, EngineError> {
        if let Some(raw) = super::profile_data::load(path)? {
            return Self::validate(raw, path);
        }
        let text = std::fs::read_to_string(path).map_err(|source| EngineError::TimingFileRead {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates the text of a timing file named `path` (for messages).
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Self, EngineError> {
        let raw: RawPerfFile =
            serde_json::from_str(text).map_err(|source| EngineError::TimingFileParse {
                path: path.to_path_buf(),
                source,
            })?;
        Self::validate(raw, path)
    }

    /// Checks the tables of `raw`, read from `path` (named in errors).
    pub(crate) fn validate(raw: RawPerfFile, path: &Path) -> Result<Self, EngineError> {
        let field_err = |field: &'static str, reason: String| EngineError::TimingFileField {
            path: path.to_path_buf(),
            field,
            reason,
        };
        if let Some(v) = raw.version.filter(|&v| v != 1) {
            return Err(field_err(
                "version",
                format!("unsupported version {v}, expected 1"),
            ));
        }
        check_axis(&raw.prefill_isl).map_err(|r| field_err("prefill_isl", r))?;
        check_axis(&raw.decode_active_kv_tokens)
            .map_err(|r| field_err("decode_active_kv_tokens", r))?;
        check_axis(&raw.decode_context_length)
            .map_err(|r| field_err("decode_context_length", r))?;
        check_values(&raw.prefill_ttft_ms, raw.prefill_isl.len(), "prefill_isl")
            .map_err(|r| field_err("prefill_ttft_ms", r))?;
        if raw.decode_itl.len() != raw.decode_active_kv_tokens.len() {
            return Err(field_err(
                "decode_itl",
                format!(
                    "has {} rows, expected one per decode_active_kv_tokens value ({})",
                    raw.decode_itl.len(),
                    raw.decode_active_kv_tokens.len()
                ),
            ));
        }
        let ctx_len = raw.decode_context_length.len();
        let mut grid = Vec::with_capacity(raw.decode_itl.len() * ctx_len);
        for (k, row) in raw.decode_itl.iter().enumerate() {
            check_values(row, ctx_len, "decode_context_length")
                .map_err(|r| field_err("decode_itl", format!("row {k}: {r}")))?;
            grid.extend_from_slice(row);
        }
        Ok(Self {
            prefill_isl: raw.prefill_isl,
            prefill_ttft_ms: raw.prefill_ttft_ms,
            decode_kv: raw.decode_active_kv_tokens,
            decode_ctx: raw.decode_context_length,
            decode_itl: grid,
        })
    }

    /// Prefill time (ms) of `new_tokens` uncached tokens.
    pub(crate) fn prefill_ms(&self, new_tokens: f64) -> f64 {
        let (i, t) = segment(&self.prefill_isl, new_tokens);
        let y = lerp(self.prefill_ttft_ms[i], self.prefill_ttft_ms[i + 1], t);
        y.max(0.0)
    }

    /// Decode step time (ms) at `active_kv_tokens` and mean context length `context`.
    pub(crate) fn decode_ms(&self, active_kv_tokens: f64, context: f64) -> f64 {
        let n = self.decode_ctx.len();
        let (k, tk) = segment(&self.decode_kv, active_kv_tokens);
        let (c, tc) = segment(&self.decode_ctx, context);
        let at = |kk: usize, cc: usize| self.decode_itl[kk * n + cc];
        let low = lerp(at(k, c), at(k, c + 1), tc);
        let high = lerp(at(k + 1, c), at(k + 1, c + 1), tc);
        lerp(low, high, tk).max(0.0)
    }
}

fn check_axis(axis: &[f64]) -> Result<(), String> {
    if axis.len() < 2 {
        return Err(format!("needs at least 2 points, has {}", axis.len()));
    }
    if let Some(i) = axis.iter().position(|v| !v.is_finite()) {
        return Err(format!("value {i} is not a finite number"));
    }
    if let Some(i) = axis.windows(2).position(|w| w[1] <= w[0]) {
        return Err(format!(
            "must be strictly increasing, but value {} ({}) <= value {} ({})",
            i + 1,
            axis[i + 1],
            i,
            axis[i]
        ));
    }
    Ok(())
}

fn check_values(values: &[f64], expected: usize, axis: &str) -> Result<(), String> {
    if values.len() != expected {
        return Err(format!(
            "has {} values, expected {expected} (one per {axis} value)",
            values.len()
        ));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!("value {i} is not a finite number"));
    }
    Ok(())
}

/// Index `i` of the segment `[axis[i], axis[i+1]]` used for `x` (the outermost one when `x` is
/// outside the axis) and the position of `x` along it (below 0 or above 1 when extrapolating).
fn segment(axis: &[f64], x: f64) -> (usize, f64) {
    let last = axis.len() - 2;
    let i = axis
        .partition_point(|&a| a <= x)
        .saturating_sub(1)
        .min(last);
    (i, (x - axis[i]) / (axis[i + 1] - axis[i]))
}

fn lerp(a: f64, b: f64, t: f64) -> f64 {
    a + (b - a) * t
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
        "prefill_isl": [100, 1100, 2100],
        "prefill_ttft_ms": [10.0, 30.0, 70.0],
        "decode_active_kv_tokens": [0, 1000],
        "decode_context_length": [100, 300],
        "decode_itl": [[4.0, 6.0], [14.0, 20.0]]
    }"#;

    fn parse(text: &str) -> Result<PerfData, EngineError> {
        PerfData::parse(text, Path::new("perf.json"))
    }

    #[test]
    fn prefill_interpolates_and_extrapolates_linearly() {
        let p = parse(GOOD).expect("valid");
        assert!((p.prefill_ms(600.0) - 20.0).abs() < 1e-12);
        assert!((p.prefill_ms(1600.0) - 50.0).abs() < 1e-12);
        // Beyond the last point: slope (70-30)/1000 per token.
        assert!((p.prefill_ms(3100.0) - 110.0).abs() < 1e-12);
        // Below the first point: slope 20/1000, 10 - 0.02*100 = 8.
        assert!((p.prefill_ms(0.0) - 8.0).abs() < 1e-12);
        assert_eq!(p.prefill_ms(-10_000.0), 0.0, "negative times clamp to zero");
    }

    #[test]
    fn decode_interpolates_bilinearly() {
        let p = parse(GOOD).expect("valid");
        // Centre of the cell: mean of the four corners.
        assert!((p.decode_ms(500.0, 200.0) - 11.0).abs() < 1e-12);
        // Corners are exact.
        assert!((p.decode_ms(1000.0, 300.0) - 20.0).abs() < 1e-12);
        // Extrapolate along kv at ctx=100: 4 + 10*2 = 24.
        assert!((p.decode_ms(2000.0, 100.0) - 24.0).abs() < 1e-12);
    }

    #[test]
    fn malformed_files_name_the_file_and_field() {
        let short = GOOD.replace("[10.0, 30.0, 70.0]", "[10.0, 30.0]");
        let msg = parse(&short).expect_err("length mismatch").to_string();
        assert!(
            msg.contains("perf.json") && msg.contains("prefill_ttft_ms"),
            "{msg}"
        );

        let unsorted = GOOD.replace("[100, 1100, 2100]", "[100, 50, 2100]");
        let msg = parse(&unsorted).expect_err("unsorted").to_string();
        assert!(
            msg.contains("`prefill_isl`") && msg.contains("increasing"),
            "{msg}"
        );

        let ragged = GOOD.replace("[14.0, 20.0]", "[14.0]");
        let msg = parse(&ragged).expect_err("ragged").to_string();
        assert!(
            msg.contains("`decode_itl`") && msg.contains("row 1"),
            "{msg}"
        );

        let missing = GOOD.replace("\"decode_context_length\"", "\"ctx\"");
        let err = parse(&missing).expect_err("missing field");
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert!(err.to_string().contains("perf.json"));
        assert!(source.unwrap_or_default().contains("decode_context_length"));
    }

    #[test]
    fn missing_file_is_an_error_naming_it() {
        let err = PerfData::load(Path::new("/nonexistent/perf.json")).expect_err("no file");
        assert!(err.to_string().contains("/nonexistent/perf.json"));
    }
}
