//! The Mooncake trace format: one JSON object per line.
//!
//! Read with [`MooncakeReader`] (a [`JsonlReader`] of [`MooncakeRecord`]); write with
//! [`MooncakeWriter`] in the key spacing of the original tool that made the file.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, FieldProblem, ReadOptions, RecordErrorKind};
use crate::jsonl::{CheckState, FieldKind, FieldSpec, JsonlReader, JsonlRecord, diagnose_fields};
use crate::pytext::{push_python_json_string, python_float_repr};
use crate::sink::NamedSink;

/// One request of a Mooncake trace.
///
/// `hash_ids[i]` names the i-th block of the prompt (block size fixed per trace, 512 tokens for the
/// original Mooncake traces): equal ids mean equal blocks, so shared leading ids are shared prefixes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MooncakeRecord {
    /// Arrival time in milliseconds from the start of the trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<u64>,
    /// Prompt length in tokens.
    pub input_length: u64,
    /// Output length in tokens.
    pub output_length: u64,
    /// Block ids of the prompt.
    #[serde(default)]
    pub hash_ids: Vec<u64>,
    /// Session the request belongs to (multi-turn traces).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Delay in milliseconds after the previous turn of the session completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<f64>,
    /// Literal prompt text, used instead of synthesis when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_input: Option<String>,
}

impl MooncakeRecord {
    /// A record with the four core fields.
    pub fn new(
        timestamp: Option<u64>,
        input_length: u64,
        output_length: u64,
        hash_ids: Vec<u64>,
    ) -> Self {
        Self {
            timestamp,
            input_length,
            output_length,
            hash_ids,
            session_id: None,
            delay: None,
            text_input: None,
        }
    }
}

/// Streaming reader of Mooncake JSONL.
pub type MooncakeReader<R> = JsonlReader<R, MooncakeRecord>;

/// Opens a Mooncake JSONL file for streaming reading.
pub fn open_mooncake(
    path: impl AsRef<Path>,
    options: ReadOptions,
) -> Result<MooncakeReader<BufReader<File>>, Error> {
    MooncakeReader::open(path, options)
}

const MOONCAKE_FIELDS: &[FieldSpec] = &[
    FieldSpec::optional("timestamp", FieldKind::UInt),
    FieldSpec::required("input_length", FieldKind::UInt),
    FieldSpec::required("output_length", FieldKind::UInt),
    FieldSpec::defaulted("hash_ids", FieldKind::UIntArray),
    FieldSpec::optional("session_id", FieldKind::Str),
    FieldSpec::optional("delay", FieldKind::NonNegNumber),
    FieldSpec::optional("text_input", FieldKind::Str),
];

impl JsonlRecord for MooncakeRecord {
    const FORMAT: &'static str = "mooncake";

    fn check(&self, state: &mut CheckState, options: &ReadOptions) -> Result<(), FieldProblem> {
        if options.require_hash_ids
            && self.input_length > 0
            && self.hash_ids.is_empty()
            && self.text_input.is_none()
        {
            return Err(FieldProblem::new(
                "hash_ids",
                RecordErrorKind::EmptyHashIds,
                format!(
                    "empty or missing while input_length is {} (every block needs an id)",
                    self.input_length
                ),
            ));
        }
        if let Some(delay) = self.delay
            && !(delay >= 0.0 && delay.is_finite())
        {
            return Err(FieldProblem::new(
                "delay",
                RecordErrorKind::NegativeValue,
                format!("must be a finite non-negative number of milliseconds, found {delay}"),
            ));
        }
        if let Some(ts) = self.timestamp {
            state.check_timestamp("timestamp", ts, options.monotonic_timestamps)?;
        }
        Ok(())
    }

    fn diagnose(value: &Value) -> Option<FieldProblem> {
        diagnose_fields(value, MOONCAKE_FIELDS, "")
    }
}

/// Key spacing of written Mooncake lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonStyle {
    /// Python `json.dumps` default: `{"timestamp": 0, "input_length": 8, ...}` (the Mooncake
    /// release files, `sin_synth.py`, `datagen synthesize`).
    #[default]
    Python,
    /// Compact, as pandas `to_json(orient="records", lines=True)` writes it:
    /// `{"timestamp":0,"input_length":8,...}` (`burstgpt_loadgen/convert.py`).
    Compact,
}

/// Streaming writer of Mooncake JSONL: one record per line, every line ending in `\n`.
///
/// Keys come in the order `timestamp, input_length, output_length, hash_ids, session_id, delay,
/// text_input`; absent optional keys are left out. Strings are escaped like Python's
/// `json.dumps` (non-ASCII as `\uXXXX`), `delay` is written as Python's `repr(float)`.
pub struct MooncakeWriter<W> {
    sink: NamedSink<W>,
    style: JsonStyle,
    line: String,
}

impl MooncakeWriter<BufWriter<File>> {
    /// Creates (truncates) `path` for writing.
    pub fn create(path: impl AsRef<Path>, style: JsonStyle) -> Result<Self, Error> {
        Ok(Self::with_sink(NamedSink::create(path.as_ref())?, style))
    }
}

impl<W: Write> MooncakeWriter<W> {
    /// Writes to `out` (wrap files in a `BufWriter`); `sink_name` names it in errors.
    pub fn new(out: W, sink_name: impl Into<String>, style: JsonStyle) -> Self {
        Self::with_sink(NamedSink::new(out, sink_name), style)
    }

    fn with_sink(sink: NamedSink<W>, style: JsonStyle) -> Self {
        Self {
            sink,
            style,
            line: String::with_capacity(256),
        }
    }

    /// Writes one record as one line.
    pub fn write(&mut self, record: &MooncakeRecord) -> Result<(), Error> {
        self.line.clear();
        format_mooncake_line(&mut self.line, record, self.style);
        self.sink.put(self.line.as_bytes())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, Error> {
        self.sink.finish()
    }
}

/// Appends `record` as one JSONL line (with its `\n`) in `style`.
pub fn format_mooncake_line(out: &mut String, record: &MooncakeRecord, style: JsonStyle) {
    let python = style == JsonStyle::Python;
    // `"key":` or `"key": `, each pushed in one go; separators are single-char pushes.
    let key = |out: &mut String, first: bool, compact: &str, spaced: &str| {
        if !first {
            out.push(',');
            if python {
                out.push(' ');
            }
        }
        out.push_str(if python { spaced } else { compact });
    };
    out.push('{');
    if let Some(ts) = record.timestamp {
        key(out, true, "\"timestamp\":", "\"timestamp\": ");
        push_u64(out, ts);
    }
    key(
        out,
        record.timestamp.is_none(),
        "\"input_length\":",
        "\"input_length\": ",
    );
    push_u64(out, record.input_length);
    key(out, false, "\"output_length\":", "\"output_length\": ");
    push_u64(out, record.output_length);
    key(out, false, "\"hash_ids\":[", "\"hash_ids\": [");
    for (i, id) in record.hash_ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
            if python {
                out.push(' ');
            }
        }
        push_u64(out, *id);
    }
    out.push(']');
    if let Some(session) = &record.session_id {
        key(out, false, "\"session_id\":", "\"session_id\": ");
        push_python_json_string(out, session);
    }
    if let Some(delay) = record.delay {
        key(out, false, "\"delay\":", "\"delay\": ");
        out.push_str(&python_float_repr(delay));
    }
    if let Some(text) = &record.text_input {
        key(out, false, "\"text_input\":", "\"text_input\": ");
        push_python_json_string(out, text);
    }
    out.push_str("}\n");
}

/// `"00" "01" ... "99"`: the two digits of every value below 100.
const DIGIT_PAIRS: [u8; 200] = {
    let mut table = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        table[2 * i] = b'0' + (i / 10) as u8;
        table[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    table
};

/// Appends the decimal digits of `value` (what `Display` prints), two digits per division: the
/// writer's hot loop formats every hash id this way, about twice as fast as `fmt`.
fn push_u64(out: &mut String, mut value: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    while value >= 100 {
        let pair = (value % 100) as usize * 2;
        value /= 100;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if value >= 10 {
        let pair = value as usize * 2;
        at -= 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        buf[at] = b'0' + value as u8;
    }
    // ASCII digits: each byte is one char (no UTF-8 validation pass over the digits).
    out.extend(buf[at..].iter().map(|&digit| char::from(digit)));
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn push_u64_prints_what_display_prints(v in proptest::prelude::any::<u64>()) {
            let mut out = String::from("x");
            push_u64(&mut out, v);
            proptest::prop_assert_eq!(out, format!("x{v}"));
        }
    }

    #[test]
    fn push_u64_edges() {
        for (v, text) in [
            (0, "0"),
            (9, "9"),
            (10, "10"),
            (99, "99"),
            (100, "100"),
            (u64::MAX, "18446744073709551615"),
        ] {
            let mut out = String::new();
            push_u64(&mut out, v);
            assert_eq!(out, text);
        }
    }

    #[test]
    fn python_style_matches_the_mooncake_release_files() {
        let r = MooncakeRecord::new(Some(0), 6758, 500, vec![0, 1, 2]);
        let mut s = String::new();
        format_mooncake_line(&mut s, &r, JsonStyle::Python);
        assert_eq!(
            s,
            "{\"timestamp\": 0, \"input_length\": 6758, \"output_length\": 500, \"hash_ids\": [0, 1, 2]}\n"
        );
        s.clear();
        format_mooncake_line(&mut s, &r, JsonStyle::Compact);
        assert_eq!(
            s,
            "{\"timestamp\":0,\"input_length\":6758,\"output_length\":500,\"hash_ids\":[0,1,2]}\n"
        );
    }

    #[test]
    fn optional_fields_follow_the_core_fields() {
        let mut r = MooncakeRecord::new(None, 3, 4, vec![]);
        r.session_id = Some("s1".into());
        r.delay = Some(1500.0);
        let mut s = String::new();
        format_mooncake_line(&mut s, &r, JsonStyle::Compact);
        assert_eq!(
            s,
            "{\"input_length\":3,\"output_length\":4,\"hash_ids\":[],\"session_id\":\"s1\",\"delay\":1500.0}\n"
        );
    }
}
