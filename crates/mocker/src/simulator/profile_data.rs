//! Profile data as the timing model (`--planner-profile-data`): the output of `profile-endpoint`
//! / `profile-sla` or of Dynamo's profiler, and Dynamo mocker's `perf_data.npz`, converted into
//! the timing file's tables ([`RawPerfFile`]) as Dynamo's `planner_profiler_perf_data_converter`
//! does.
//!
//! Accepted (anything else is left to the JSON timing-file reader):
//! - an `.npz` file with the mocker keys `prefill_isl`, `prefill_ttft_ms`,
//!   `decode_active_kv_tokens`, `decode_context_length`, `decode_itl` (shape `[kv, ctx]`);
//! - a directory with `selected_prefill_interpolation/raw_data.npz` or `prefill_raw_data.json`
//!   (`prefill_isl`, `prefill_ttft` ms) and `selected_decode_interpolation/raw_data.npz` or
//!   `decode_raw_data.json` (`x_kv_usage`, `y_context_length`, `z_itl` ms, `max_kv_tokens`).
//!
//! A profile is converted on [`RESOLUTION`]-point grids by profiler-fit's planner module, with
//! the planner's own interpolators: prefill TTFT by a not-a-knot cubic spline over the measured
//! ISLs (`interp1d(kind="cubic")`; PCHIP for fewer than 4 samples, which scipy refuses); decode
//! ITL by Clough–Tocher cubic interpolation of the scattered (KV usage, context length) samples
//! onto `linspace(0, 1) × linspace(0, max context)` (`griddata(method="cubic")`), cells outside the samples' hull taking the nearest sample (the
//! planner's second `griddata(method="nearest")`). KV usage becomes active KV tokens through
//! `max_kv_tokens`. A cubic can overshoot between samples; times that come out negative are read
//! as 0 by the timing model, as with any timing file.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use servebench_profiler_fit::interp1d::Method;
use servebench_profiler_fit::npz::Npz;
use servebench_profiler_fit::planner::{
    DecodeInterpolator, DecodeProfile, PrefillInterpolator, Surface, mocker_perf_data,
};

use super::error::EngineError;
use super::perf_file::RawPerfFile;

/// Points per axis of the converted tables (the converter's default resolution).
pub(crate) const RESOLUTION: usize = servebench_profiler_fit::planner::DEFAULT_RESOLUTION;

/// Where a profile directory keeps its prefill and decode data.
const PREFILL_NPZ: &str = "selected_prefill_interpolation/raw_data.npz";
const DECODE_NPZ: &str = "selected_decode_interpolation/raw_data.npz";
const PREFILL_JSON: &str = "prefill_raw_data.json";
const DECODE_JSON: &str = "decode_raw_data.json";

/// Profile data at `path` converted to timing tables; `None` when `path` is a plain file that
/// is not an `.npz` (a JSON timing file).
pub(crate) fn load(path: &Path) -> Result<Option<RawPerfFile>, EngineError> {
    if path.is_dir() {
        return from_profile_dir(path).map(Some);
    }
    if path.extension().is_some_and(|e| e == "npz") {
        let npz = read_npz(path)?;
        return from_mocker_npz(&npz, path).map(Some);
    }
    Ok(None)
}

fn read_npz(path: &Path) -> Result<Npz, EngineError> {
    let bytes = std::fs::read(path).map_err(|source| EngineError::TimingFileRead {
        path: path.to_path_buf(),
        source,
    })?;
    Npz::from_bytes(&bytes).map_err(|source| EngineError::ProfileDecode {
        path: path.to_path_buf(),
        source,
    })
}

/// One array of `npz` as `f64`, or an error naming the file and array.
fn array(
    npz: &Npz,
    path: &Path,
    name: &'static str,
) -> Result<(Vec<usize>, Vec<f64>), EngineError> {
    let a = npz.get(name).ok_or_else(|| EngineError::TimingFileField {
        path: path.to_path_buf(),
        field: name,
        reason: format!(
            "missing (the file has: {})",
            npz.names().collect::<Vec<_>>().join(", ")
        ),
    })?;
    Ok((a.shape().to_vec(), a.to_f64()))
}

/// A mocker-format `perf_data.npz`.
fn from_mocker_npz(npz: &Npz, path: &Path) -> Result<RawPerfFile, EngineError> {
    let (_, prefill_isl) = array(npz, path, "prefill_isl")?;
    let (_, prefill_ttft_ms) = array(npz, path, "prefill_ttft_ms")?;
    let (_, kv) = array(npz, path, "decode_active_kv_tokens")?;
    let (_, ctx) = array(npz, path, "decode_context_length")?;
    let (shape, itl) = array(npz, path, "decode_itl")?;
    if shape != [kv.len(), ctx.len()] {
        return Err(EngineError::TimingFileField {
            path: path.to_path_buf(),
            field: "decode_itl",
            reason: format!(
                "shape {shape:?}, expected [{}, {}] (decode_active_kv_tokens × decode_context_length)",
                kv.len(),
                ctx.len()
            ),
        });
    }
    let rows = if ctx.is_empty() {
        Vec::new()
    } else {
        itl.chunks(ctx.len()).map(<[f64]>::to_vec).collect()
    };
    Ok(RawPerfFile {
        version: None,
        prefill_isl,
        prefill_ttft_ms,
        decode_active_kv_tokens: kv,
        decode_context_length: ctx,
        decode_itl: rows,
    })
}

/// Prefill samples of a profile.
#[derive(Debug, Deserialize)]
struct PrefillRaw {
    prefill_isl: Vec<f64>,
    prefill_ttft: Vec<f64>,
    prefill_thpt_per_gpu: Vec<f64>,
}

/// Decode samples of a profile.
#[derive(Debug, Deserialize)]
struct DecodeRaw {
    x_kv_usage: Vec<f64>,
    y_context_length: Vec<f64>,
    z_itl: Vec<f64>,
    z_thpt_per_gpu: Vec<f64>,
    max_kv_tokens: MaxKv,
}

/// `max_kv_tokens`: a number, or a one-element list as the npz stores it.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum MaxKv {
    One(f64),
    List(Vec<f64>),
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, EngineError> {
    let text = std::fs::read_to_string(path).map_err(|source| EngineError::TimingFileRead {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| EngineError::TimingFileParse {
        path: path.to_path_buf(),
        source,
    })
}

/// The first of `candidates` (relative to `dir`) that exists.
fn first_existing(dir: &Path, candidates: [&str; 2]) -> Option<PathBuf> {
    candidates.iter().map(|c| dir.join(c)).find(|p| p.is_file())
}

fn from_profile_dir(dir: &Path) -> Result<RawPerfFile, EngineError> {
    let missing = |what: &str, a: &str, b: &str| EngineError::ProfileMissing {
        path: dir.to_path_buf(),
        reason: format!("no {what} data: neither {a} nor {b}"),
    };
    let prefill_path = first_existing(dir, [PREFILL_NPZ, PREFILL_JSON])
        .ok_or_else(|| missing("prefill", PREFILL_NPZ, PREFILL_JSON))?;
    let decode_path = first_existing(dir, [DECODE_NPZ, DECODE_JSON])
        .ok_or_else(|| missing("decode", DECODE_NPZ, DECODE_JSON))?;
    let prefill = if prefill_path.extension().is_some_and(|e| e == "npz") {
        let npz = read_npz(&prefill_path)?;
        PrefillRaw {
            prefill_isl: array(&npz, &prefill_path, "prefill_isl")?.1,
            prefill_ttft: array(&npz, &prefill_path, "prefill_ttft")?.1,
            prefill_thpt_per_gpu: array(&npz, &prefill_path, "prefill_thpt_per_gpu")?.1,
        }
    } else {
        read_json(&prefill_path)?
    };
    let decode = if decode_path.extension().is_some_and(|e| e == "npz") {
        let npz = read_npz(&decode_path)?;
        DecodeRaw {
            x_kv_usage: array(&npz, &decode_path, "x_kv_usage")?.1,
            y_context_length: array(&npz, &decode_path, "y_context_length")?.1,
            z_itl: array(&npz, &decode_path, "z_itl")?.1,
            z_thpt_per_gpu: array(&npz, &decode_path, "z_thpt_per_gpu")?.1,
            max_kv_tokens: MaxKv::List(array(&npz, &decode_path, "max_kv_tokens")?.1),
        }
    } else {
        read_json(&decode_path)?
    };
    convert(&prefill, &prefill_path, &decode, &decode_path)
}

/// The planner's `interp1d(kind="cubic")` needs 4 samples (scipy refuses fewer); a shorter
/// prefill sweep is read with monotone cubic (PCHIP) interpolation instead of failing.
fn prefill_method(samples: usize) -> Method {
    if samples >= 4 {
        Method::CubicSpline
    } else {
        Method::Pchip
    }
}

/// The prefill and decode samples through the planner's interpolators onto the mocker's
/// tables ([`mocker_perf_data`]).
fn convert(
    prefill: &PrefillRaw,
    prefill_path: &Path,
    decode: &DecodeRaw,
    decode_path: &Path,
) -> Result<RawPerfFile, EngineError> {
    let field_err =
        |path: &Path, field: &'static str, reason: String| EngineError::TimingFileField {
            path: path.to_path_buf(),
            field,
            reason,
        };
    let curve = PrefillInterpolator::new(
        &prefill.prefill_isl,
        &prefill.prefill_ttft,
        &prefill.prefill_thpt_per_gpu,
        prefill_method(prefill.prefill_isl.len()),
    )
    .map_err(|e| field_err(prefill_path, "prefill_ttft", e.to_string()))?;
    let max_kv = match &decode.max_kv_tokens {
        MaxKv::One(v) => Some(*v),
        MaxKv::List(v) => v.first().copied(),
    }
    .ok_or_else(|| {
        field_err(
            decode_path,
            "max_kv_tokens",
            "must be one number > 0".into(),
        )
    })?;
    let profile = DecodeProfile {
        x_kv_usage: &decode.x_kv_usage,
        y_context_length: &decode.y_context_length,
        z_itl_ms: &decode.z_itl,
        z_thpt_per_gpu: &decode.z_thpt_per_gpu,
        max_kv_tokens: max_kv,
    };
    let grid = DecodeInterpolator::from_profile(&profile, RESOLUTION, Surface::Cubic)
        .map_err(|e| field_err(decode_path, "z_itl", e.to_string()))?;
    let perf = mocker_perf_data(&curve, &grid);
    let ctx = perf.decode_context_length.len().max(1);
    Ok(RawPerfFile {
        version: None,
        prefill_isl: perf.prefill_isl,
        prefill_ttft_ms: perf.prefill_ttft_ms,
        decode_itl: perf.decode_itl.chunks(ctx).map(<[f64]>::to_vec).collect(),
        decode_active_kv_tokens: perf.decode_active_kv_tokens,
        decode_context_length: perf.decode_context_length,
    })
}

#[cfg(test)]
mod tests {
    use servebench_profiler_fit::npz::NpyArray;

    use super::super::perf_file::PerfData;
    use super::*;

    /// Prefill TTFT 10 + 0.01·isl ms; decode ITL 5 + 20·usage ms (independent of context):
    /// both are reproduced exactly by cubic spline / Clough–Tocher interpolation (linear data has
    /// exact gradients, up to the iterative gradient estimate's tolerance, as scipy's), so lookups
    /// can be checked by hand.
    const PREFILL_JSON_TEXT: &str = r#"{"prefill_isl": [100, 1100, 2100, 3100], "prefill_ttft": [11.0, 21.0, 31.0, 41.0], "prefill_thpt_per_gpu": [1.0, 2.0, 3.0, 4.0]}"#;
    const DECODE_JSON_TEXT: &str = r#"{
        "x_kv_usage": [0.0, 1.0, 0.0, 1.0, 0.5],
        "y_context_length": [100.0, 100.0, 2000.0, 2000.0, 1000.0],
        "z_itl": [5.0, 25.0, 5.0, 25.0, 15.0],
        "z_thpt_per_gpu": [1.0, 2.0, 3.0, 4.0, 5.0],
        "max_kv_tokens": 10000
    }"#;

    fn check_model(p: &PerfData) {
        // Prefill: 10 + 0.01·1600 = 26 ms.
        assert!((p.prefill_ms(1600.0) - 26.0).abs() < 1e-9);
        // Decode at 2500 of 10000 KV tokens (usage 0.25), context 1000: 5 + 20·0.25 = 10 ms.
        assert!((p.decode_ms(2500.0, 1000.0) - 10.0).abs() < 1e-6);
        assert!((p.decode_ms(7000.0, 500.0) - 19.0).abs() < 1e-6);
    }

    #[test]
    fn a_directory_of_json_profile_data_becomes_the_timing_model() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(PREFILL_JSON), PREFILL_JSON_TEXT).unwrap();
        std::fs::write(dir.path().join(DECODE_JSON), DECODE_JSON_TEXT).unwrap();
        check_model(&PerfData::load(dir.path()).unwrap());
    }

    #[test]
    fn the_originals_npz_layout_becomes_the_timing_model() {
        let dir = tempfile::tempdir().unwrap();
        let mut prefill = Npz::default();
        prefill
            .insert(
                "prefill_isl",
                NpyArray::from_i64(vec![100, 1100, 2100, 3100]),
            )
            .unwrap();
        prefill
            .insert(
                "prefill_ttft",
                NpyArray::from_f64(vec![11.0, 21.0, 31.0, 41.0]),
            )
            .unwrap();
        prefill
            .insert("prefill_thpt_per_gpu", NpyArray::from_f64(vec![1.0; 4]))
            .unwrap();
        let mut decode = Npz::default();
        for (name, values) in [
            ("x_kv_usage", vec![0.0, 1.0, 0.0, 1.0, 0.5]),
            (
                "y_context_length",
                vec![100.0, 100.0, 2000.0, 2000.0, 1000.0],
            ),
            ("z_itl", vec![5.0, 25.0, 5.0, 25.0, 15.0]),
            ("z_thpt_per_gpu", vec![1.0; 5]),
        ] {
            decode.insert(name, NpyArray::from_f64(values)).unwrap();
        }
        decode
            .insert("max_kv_tokens", NpyArray::from_i64(vec![10000]))
            .unwrap();
        for (sub, npz) in [
            ("selected_prefill_interpolation", prefill),
            ("selected_decode_interpolation", decode),
        ] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
            std::fs::write(
                dir.path().join(sub).join("raw_data.npz"),
                npz.to_bytes().unwrap(),
            )
            .unwrap();
        }
        check_model(&PerfData::load(dir.path()).unwrap());
    }

    #[test]
    fn a_mocker_perf_data_npz_is_read_as_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("perf_data.npz");
        let mut npz = Npz::default();
        npz.insert("prefill_isl", NpyArray::from_f64(vec![0.0, 1000.0]))
            .unwrap();
        npz.insert("prefill_ttft_ms", NpyArray::from_f64(vec![10.0, 20.0]))
            .unwrap();
        npz.insert(
            "decode_active_kv_tokens",
            NpyArray::from_f64(vec![0.0, 100.0]),
        )
        .unwrap();
        npz.insert(
            "decode_context_length",
            NpyArray::from_f64(vec![1.0, 3.0, 5.0]),
        )
        .unwrap();
        let itl = servebench_profiler_fit::npz::NpyData::F64(vec![1.0, 2.0, 3.0, 11.0, 12.0, 13.0]);
        npz.insert("decode_itl", NpyArray::new(vec![2, 3], itl).unwrap())
            .unwrap();
        std::fs::write(&path, npz.to_bytes().unwrap()).unwrap();
        let p = PerfData::load(&path).unwrap();
        assert!((p.prefill_ms(500.0) - 15.0).abs() < 1e-12);
        // Row kv=100, between ctx 3 (12) and 5 (13).
        assert!((p.decode_ms(100.0, 4.0) - 12.5).abs() < 1e-12);
    }

    #[test]
    fn incomplete_profile_data_is_an_error_naming_what_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(PREFILL_JSON), PREFILL_JSON_TEXT).unwrap();
        let msg = PerfData::load(dir.path()).unwrap_err().to_string();
        assert!(
            msg.contains("no decode data") && msg.contains(DECODE_NPZ),
            "{msg}"
        );
        let bad = dir.path().join("x.npz");
        std::fs::write(&bad, b"not a zip").unwrap();
        let msg = PerfData::load(&bad).unwrap_err().to_string();
        assert!(msg.contains("x.npz"), "{msg}");
        let only_prefill = dir.path().join("raw.npz");
        let mut npz = Npz::default();
        npz.insert("prefill_isl", NpyArray::from_f64(vec![1.0, 2.0]))
            .unwrap();
        std::fs::write(&only_prefill, npz.to_bytes().unwrap()).unwrap();
        let msg = PerfData::load(&only_prefill).unwrap_err().to_string();
        assert!(
            msg.contains("prefill_ttft_ms") && msg.contains("missing"),
            "{msg}"
        );
    }
}
