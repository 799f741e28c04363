//! Synthesized requests, their JSONL form (Python `json.dumps` spacing) and Dynamo's output name.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use servebench_trace_formats::python_float_repr as format_python_float;

/// One synthesized request; serialized with Dynamo's keys in Dynamo's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyntheticRequest {
    /// Arrival time in milliseconds.
    pub timestamp: u64,
    /// Prompt tokens.
    pub input_length: u64,
    /// Output tokens.
    pub output_length: u64,
    /// Block ids: the core-tree path, then the fresh leaf ids if a leaf was appended.
    pub hash_ids: Vec<u64>,
    /// Tokens of the core (shareable) part of the path: core blocks × block size.
    pub context_len: u64,
    /// `input_length − context_len`.
    pub unique_user_prompt_len: i64,
}

/// Writes `requests` as JSON lines with Python's `json.dumps` separators (`", "`, `": "`), so
/// the file is byte-compatible with Dynamo's.
pub fn write_synthetic_jsonl<W: Write>(
    mut out: W,
    requests: &[SyntheticRequest],
) -> io::Result<()> {
    for request in requests {
        let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonJsonFormatter);
        request.serialize(&mut ser).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// `serde_json` formatter emitting Python's default `json.dumps` spacing.
#[derive(Debug, Clone, Copy, Default)]
pub struct PythonJsonFormatter;

impl serde_json::ser::Formatter for PythonJsonFormatter {
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }
}

/// The knobs that name Dynamo's default output file.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputNameParts {
    /// `--prefix-len-multiplier` (printed truncated to an integer).
    pub prefix_len_multiplier: f64,
    /// `--prefix-root-multiplier`.
    pub prefix_root_multiplier: u32,
    /// `--prompt-len-multiplier` (printed as a Python float, e.g. `1.0`).
    pub prompt_len_multiplier: f64,
    /// `--speedup-ratio`; `None` when the flag was not given (Dynamo then prints the integer
    /// default `1`, otherwise a Python float such as `2.0`).
    pub speedup_ratio: Option<f64>,
    /// `--max-isl`.
    pub max_isl: Option<u64>,
    /// `--min-isl`.
    pub min_isl: Option<u64>,
    /// `--min-osl`.
    pub min_osl: Option<u64>,
    /// `--max-osl`.
    pub max_osl: Option<u64>,
    /// `--osl-multiplier` (appended as `_oslx{:.1f}` when not 1).
    pub osl_multiplier: f64,
}

/// Dynamo's default output path: beside the input, stem
/// `<stem>_synth_{int(plm)}x{prm}+{pplm}_speedup{s}[_maxisl…][_minisl…][_minosl…][_maxosl…][_oslx…]`,
/// keeping the input's extension.
pub fn default_output_path(input: &Path, parts: &OutputNameParts) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let speedup = match parts.speedup_ratio {
        None => "1".to_owned(),
        Some(s) => format_python_float(s),
    };
    let mut pieces = vec![
        format!("{stem}_synth"),
        format!(
            "{}x{}+{}",
            parts.prefix_len_multiplier.trunc() as i64,
            parts.prefix_root_multiplier,
            format_python_float(parts.prompt_len_multiplier)
        ),
        format!("speedup{speedup}"),
    ];
    let optional = [
        ("maxisl", parts.max_isl),
        ("minisl", parts.min_isl),
        ("minosl", parts.min_osl),
        ("maxosl", parts.max_osl),
    ];
    for (label, value) in optional {
        if let Some(v) = value {
            pieces.push(format!("{label}{v}"));
        }
    }
    if parts.osl_multiplier != 1.0 {
        pieces.push(format!("oslx{:.1}", parts.osl_multiplier));
    }
    let mut name = pieces.join("_");
    if let Some(ext) = input.extension() {
        name.push('.');
        name.push_str(&ext.to_string_lossy());
    }
    input.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> OutputNameParts {
        OutputNameParts {
            prefix_len_multiplier: 1.0,
            prefix_root_multiplier: 1,
            prompt_len_multiplier: 1.0,
            speedup_ratio: None,
            max_isl: None,
            min_isl: None,
            min_osl: None,
            max_osl: None,
            osl_multiplier: 1.0,
        }
    }

    #[test]
    fn default_name_with_defaults() {
        // Dynamo: f"{stem}_synth", f"{int(1.0)}x{1}+{1.0}", f"speedup{1}" joined by "_".
        let p = default_output_path(Path::new("/data/mooncake_trace.jsonl"), &parts());
        assert_eq!(
            p,
            Path::new("/data/mooncake_trace_synth_1x1+1.0_speedup1.jsonl")
        );
    }

    #[test]
    fn default_name_with_every_knob() {
        let p = default_output_path(
            Path::new("t/trace.jsonl"),
            &OutputNameParts {
                prefix_len_multiplier: 2.7,
                prefix_root_multiplier: 4,
                prompt_len_multiplier: 0.5,
                speedup_ratio: Some(2.0),
                max_isl: Some(8000),
                min_isl: Some(100),
                min_osl: Some(10),
                max_osl: Some(500),
                osl_multiplier: 1.25,
            },
        );
        // int(2.7) = 2; 1.25 -> ".1f" -> "1.2" (exact binary tie, rounded to even).
        assert_eq!(
            p,
            Path::new(
                "t/trace_synth_2x4+0.5_speedup2.0_maxisl8000_minisl100_minosl10_maxosl500_oslx1.2.jsonl"
            )
        );
    }

    #[test]
    fn jsonl_uses_python_spacing() {
        let r = SyntheticRequest {
            timestamp: 3,
            input_length: 700,
            output_length: 9,
            hash_ids: vec![0, 1],
            context_len: 512,
            unique_user_prompt_len: 188,
        };
        let mut buf = Vec::new();
        write_synthetic_jsonl(&mut buf, &[r.clone(), r]).expect("write to memory");
        let line = r#"{"timestamp": 3, "input_length": 700, "output_length": 9, "hash_ids": [0, 1], "context_len": 512, "unique_user_prompt_len": 188}"#;
        assert_eq!(
            String::from_utf8(buf).expect("utf-8"),
            format!("{line}\n{line}\n")
        );
    }
}
