//! Minimal private Mooncake JSONL reader (one `serde_json` parse per line).
//!
//! Stand-in until the shared streaming reader of `servebench-trace-formats` is merged; it is
//! kept to this one file so the swap is local.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result, bail};
use indicatif::ProgressBar;
use servebench_trace_formats::MooncakeRecord;

/// Records of a trace with the 1-based line number each came from.
pub(crate) struct Trace {
    pub(crate) records: Vec<MooncakeRecord>,
    pub(crate) lines: Vec<u64>,
}

impl Trace {
    /// Line number of the 0-based row `row`.
    pub(crate) fn line_of(&self, row: usize) -> u64 {
        self.lines.get(row).copied().unwrap_or(0)
    }
}

/// Reads every non-blank line of `path` as a Mooncake record; the first malformed line is an
/// error naming the file, the line and the field. `progress` advances by bytes read.
pub(crate) fn read_mooncake_jsonl(path: &Path, progress: &ProgressBar) -> Result<Trace> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut trace = Trace {
        records: Vec::new(),
        lines: Vec::new(),
    };
    let mut buf = String::new();
    let mut line_no = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_line(&mut buf)
            .with_context(|| format!("{}:{}: cannot read", path.display(), line_no + 1))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        progress.inc(n as u64);
        let text = buf.trim();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<MooncakeRecord>(text) {
            Ok(record) => {
                trace.records.push(record);
                trace.lines.push(line_no);
            }
            Err(err) => bail!("{}:{line_no}: {}", path.display(), describe(text, &err)),
        }
    }
    Ok(trace)
}

/// Names the offending field of a line that did not parse as a record.
fn describe(text: &str, err: &serde_json::Error) -> String {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => return format!("invalid JSON: {err}"),
    };
    let Some(object) = value.as_object() else {
        return "expected a JSON object".to_owned();
    };
    for field in ["input_length", "output_length"] {
        match object.get(field) {
            None => return format!("missing field `{field}`"),
            Some(v) if v.as_u64().is_none() => {
                return format!("field `{field}`: expected a non-negative integer, got {v}");
            }
            Some(_) => {}
        }
    }
    if let Some(v) = object.get("timestamp")
        && !v.is_null()
        && v.as_u64().is_none()
    {
        return format!("field `timestamp`: expected a non-negative integer (ms), got {v}");
    }
    if let Some(v) = object.get("hash_ids") {
        match v.as_array() {
            None => return format!("field `hash_ids`: expected a list of integers, got {v}"),
            Some(ids) => {
                if let Some((i, bad)) = ids.iter().enumerate().find(|(_, id)| id.as_u64().is_none())
                {
                    return format!(
                        "field `hash_ids`[{i}]: expected a non-negative integer, got {bad}"
                    );
                }
            }
        }
    }
    err.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Trace> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.jsonl");
        std::fs::write(&path, text)?;
        read_mooncake_jsonl(&path, &ProgressBar::hidden())
    }

    #[test]
    fn reads_records_with_line_numbers_and_skips_blank_lines() {
        let t = read(
            "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1, \"hash_ids\": [0]}\n\n{\"timestamp\": 3, \"input_length\": 9, \"output_length\": 2, \"hash_ids\": [0, 1]}",
        )
        .expect("valid");
        assert_eq!(t.records.len(), 2);
        assert_eq!(t.lines, vec![1, 3]);
        assert_eq!(t.records[1].hash_ids, vec![0, 1]);
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let cases = [
            (
                "{\"input_length\": 5}",
                "line 1 missing",
                ":1: missing field `output_length`",
            ),
            (
                "{\"input_length\": -5, \"output_length\": 1}",
                "negative",
                ":1: field `input_length`: expected a non-negative integer, got -5",
            ),
            (
                "{\"input_length\": 5, \"output_length\": 1, \"hash_ids\": [1, \"x\"]}",
                "bad id",
                ":1: field `hash_ids`[1]: expected a non-negative integer, got \"x\"",
            ),
            (
                "{\"input_length\": 5, \"output_length\": 1, \"timestamp\": 1.5}",
                "float ts",
                ":1: field `timestamp`: expected a non-negative integer (ms), got 1.5",
            ),
            ("{\"input_length\": 5,", "truncated", ":1: invalid JSON"),
            ("[1, 2]", "array", ":1: expected a JSON object"),
        ];
        for (text, what, want) in cases {
            let err = read(text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                err.contains("t.jsonl") && err.contains(want),
                "{what}: {err}"
            );
        }
    }
}
