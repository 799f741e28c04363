//! Reading a Mooncake trace with the shared streaming reader of `servebench-trace-formats`,
//! keeping each record's line number for later messages.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result};
use indicatif::ProgressBar;
use servebench_cli_support::exit::{self, Failure};
use servebench_trace_formats::{ErrorPolicy, MooncakeReader, MooncakeRecord, ReadOptions};

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

/// Advances a progress bar by the bytes read through it.
struct Counted<R> {
    inner: R,
    progress: ProgressBar,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        Ok(n)
    }
}

/// Reads every record of `path`; the first malformed line is an error naming the file, the line
/// and the field. Timestamps need not be monotonic and rows may lack `hash_ids` (the analyses
/// judge such rows themselves). `progress` advances by bytes read.
pub(crate) fn read_mooncake_jsonl(path: &Path, progress: &ProgressBar) -> Result<Trace> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let counted = Counted {
        inner: file,
        progress: progress.clone(),
    };
    let options = ReadOptions::with_policy(ErrorPolicy::Stop)
        .monotonic_timestamps(false)
        .require_hash_ids(false);
    let mut reader = MooncakeReader::new(
        BufReader::with_capacity(1 << 20, counted),
        path.display().to_string(),
        options,
    );
    let mut trace = Trace {
        records: Vec::new(),
        lines: Vec::new(),
    };
    // A malformed record is the user's to fix: the usage status, like a bad flag.
    while let Some(record) = reader.read_record().map_err(|e| match e {
        servebench_trace_formats::Error::Record(_) => Failure::new(exit::USAGE, e).into(),
        other => anyhow::Error::from(other),
    })? {
        trace.records.push(record);
        trace.lines.push(reader.last_line());
    }
    Ok(trace)
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
            "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1, \"hash_ids\": [0]}\n\n{\"timestamp\": 3, \"input_length\": 9, \"output_length\": 2, \"hash_ids\": [0, 1]}\n",
        )
        .expect("valid");
        assert_eq!(t.records.len(), 2);
        assert_eq!(t.lines, vec![1, 3]);
        assert_eq!(t.records[1].hash_ids, vec![0, 1]);
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let cases = [
            ("{\"input_length\": 5}\n", "output_length"),
            (
                "{\"input_length\": -5, \"output_length\": 1}\n",
                "input_length",
            ),
            (
                "{\"input_length\": 5, \"output_length\": 1, \"hash_ids\": [1, \"x\"]}\n",
                "hash_ids",
            ),
            ("{\"input_length\": 5,", "truncated"),
            ("[1, 2]\n", "object"),
        ];
        for (text, want) in cases {
            let err = read(text)
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default();
            assert!(
                err.contains("t.jsonl:1") && err.contains(want),
                "{text}: {err}"
            );
        }
    }
}
