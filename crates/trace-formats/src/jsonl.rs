//! Generic streaming JSONL reader and writer, with field-level diagnosis of malformed lines.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::marker::PhantomData;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, FieldProblem, ReadOptions, ReadReport, RecordErrorKind};
use crate::lines::LineSource;
use crate::sink::NamedSink;

/// State carried from record to record while checking a stream (e.g. the previous timestamp).
#[derive(Debug, Clone, Default)]
pub struct CheckState {
    last_timestamp: Option<u64>,
}

impl CheckState {
    /// Checks that `timestamp` is not before the previous timestamp seen (when `enabled`), and
    /// remembers it. `field` names the field in the error.
    pub fn check_timestamp(
        &mut self,
        field: &str,
        timestamp: u64,
        enabled: bool,
    ) -> Result<(), FieldProblem> {
        if enabled
            && let Some(prev) = self.last_timestamp
            && timestamp < prev
        {
            return Err(FieldProblem::new(
                field,
                RecordErrorKind::NonMonotonicTimestamp,
                format!("timestamp {timestamp} is before the previous record's {prev}"),
            ));
        }
        self.last_timestamp = Some(timestamp);
        Ok(())
    }
}

/// A record type of a JSONL trace format: how to parse, check and diagnose one line.
pub trait JsonlRecord: DeserializeOwned {
    /// The format's name, e.g. `mooncake`.
    const FORMAT: &'static str;

    /// Semantic checks on a parsed record. `state` is shared across the stream. Must not change
    /// `state` when it returns an error.
    fn check(&self, state: &mut CheckState, options: &ReadOptions) -> Result<(), FieldProblem>;

    /// Names the field to blame for a line that parsed as JSON but not as this record type.
    fn diagnose(value: &Value) -> Option<FieldProblem>;
}

/// Streaming reader of a JSONL trace: one record per line, constant memory, malformed lines
/// reported with file, line and field and handled per [`ReadOptions::policy`].
///
/// Blank lines are ignored. A last line without a final newline is accepted when it parses;
/// when it does not, it is reported as [`RecordErrorKind::TruncatedLine`]. Unknown keys are ignored.
///
/// ```
/// use servebench_trace_formats::{ErrorPolicy, JsonStyle, MooncakeReader, MooncakeWriter, ReadOptions};
///
/// let input = "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, 1]}\n\
///              not json\n";
/// let options = ReadOptions::with_policy(ErrorPolicy::Skip);
/// let mut reader = MooncakeReader::new(input.as_bytes(), "trace.jsonl", options);
/// let mut out = MooncakeWriter::new(Vec::new(), "out", JsonStyle::Compact);
/// for record in &mut reader {
///     out.write(&record?)?;
/// }
/// assert_eq!(reader.report().malformed, 1);
/// assert!(reader.report().first_errors[0].to_string().starts_with("trace.jsonl:2: invalid JSON"));
/// let bytes = out.finish()?;
/// assert_eq!(bytes, b"{\"timestamp\":0,\"input_length\":600,\"output_length\":5,\"hash_ids\":[0,1]}\n");
/// # Ok::<(), servebench_trace_formats::Error>(())
/// ```
pub struct JsonlReader<R, T> {
    lines: LineSource<R>,
    source_name: String,
    options: ReadOptions,
    report: ReadReport,
    state: CheckState,
    done: bool,
    last_line: u64,
    _record: PhantomData<fn() -> T>,
}

impl<T: JsonlRecord> JsonlReader<BufReader<File>, T> {
    /// Opens `path` for reading.
    pub fn open(path: impl AsRef<Path>, options: ReadOptions) -> Result<Self, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::read(&name, e))?;
        Ok(Self::new(
            BufReader::with_capacity(1 << 16, file),
            name,
            options,
        ))
    }
}

impl<R: BufRead, T: JsonlRecord> JsonlReader<R, T> {
    /// Reads from `reader`; `source_name` names it in error messages.
    pub fn new(reader: R, source_name: impl Into<String>, options: ReadOptions) -> Self {
        Self {
            lines: LineSource::new(reader),
            source_name: source_name.into(),
            options,
            report: ReadReport::default(),
            state: CheckState::default(),
            done: false,
            last_line: 0,
            _record: PhantomData,
        }
    }

    /// Counts so far, and the first malformed-record errors.
    pub fn report(&self) -> &ReadReport {
        &self.report
    }

    /// 1-based line number of the record most recently returned (0 before the first).
    pub fn last_line(&self) -> u64 {
        self.last_line
    }

    /// The underlying reader (e.g. to ask a progress-counting reader how far it got).
    pub fn get_ref(&self) -> &R {
        self.lines.get_ref()
    }

    /// The next record: `Ok(None)` at end of input, `Err` on an I/O error or (under
    /// [`crate::ErrorPolicy::Stop`]) a malformed record, after which the reader is finished.
    pub fn read_record(&mut self) -> Result<Option<T>, Error> {
        if self.done {
            return Ok(None);
        }
        loop {
            let line = match self.lines.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => {
                    self.done = true;
                    return Ok(None);
                }
                Err(e) => {
                    self.done = true;
                    return Err(Error::read(&self.source_name, e));
                }
            };
            if line.bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let number = line.number;
            let problem = match serde_json::from_slice::<T>(line.bytes) {
                Ok(record) => match record.check(&mut self.state, &self.options) {
                    Ok(()) => {
                        self.report.records += 1;
                        self.last_line = number;
                        return Ok(Some(record));
                    }
                    Err(problem) => problem,
                },
                Err(e) => diagnose_parse_failure::<T>(line.bytes, line.terminated, &e),
            };
            let error = problem.at(&self.source_name, number);
            self.report.note_error(&error, self.options.max_kept_errors);
            if self.options.policy == crate::ErrorPolicy::Stop {
                self.done = true;
                return Err(error.into());
            }
        }
    }
}

impl<R: BufRead, T: JsonlRecord> Iterator for JsonlReader<R, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read_record().transpose()
    }
}

fn diagnose_parse_failure<T: JsonlRecord>(
    bytes: &[u8],
    terminated: bool,
    error: &serde_json::Error,
) -> FieldProblem {
    if error.is_eof() && !terminated {
        return FieldProblem::whole_record(
            RecordErrorKind::TruncatedLine,
            format!("truncated last line (no final newline, JSON incomplete: {error})"),
        );
    }
    match serde_json::from_slice::<Value>(bytes) {
        Err(e) => {
            FieldProblem::whole_record(RecordErrorKind::InvalidJson, format!("invalid JSON: {e}"))
        }
        Ok(value) if !value.is_object() => FieldProblem::whole_record(
            RecordErrorKind::InvalidJson,
            format!("expected a JSON object, found {}", describe(&value)),
        ),
        Ok(value) => T::diagnose(&value).unwrap_or_else(|| {
            FieldProblem::whole_record(
                RecordErrorKind::InvalidValue,
                format!("not a valid {} record: {error}", T::FORMAT),
            )
        }),
    }
}

/// The type a field must have, for diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    /// A non-negative integer.
    UInt,
    /// A finite non-negative number.
    NonNegNumber,
    /// A string.
    Str,
    /// An array of non-negative integers.
    UIntArray,
    /// An array whose items are strings or `{name, contents: [str]}` objects.
    ContentList,
    /// A JSON object.
    Object,
    /// An array of strings.
    ContentStrings,
}

/// One field of a record type, for diagnosis.
pub(crate) struct FieldSpec {
    pub(crate) name: &'static str,
    pub(crate) kind: FieldKind,
    pub(crate) required: bool,
    /// `null` is accepted (the field is an `Option`).
    pub(crate) nullable: bool,
}

impl FieldSpec {
    pub(crate) const fn required(name: &'static str, kind: FieldKind) -> Self {
        Self {
            name,
            kind,
            required: true,
            nullable: false,
        }
    }

    pub(crate) const fn optional(name: &'static str, kind: FieldKind) -> Self {
        Self {
            name,
            kind,
            required: false,
            nullable: true,
        }
    }

    /// Optional, but `null` is not accepted (a defaulted non-`Option` field).
    pub(crate) const fn defaulted(name: &'static str, kind: FieldKind) -> Self {
        Self {
            name,
            kind,
            required: false,
            nullable: false,
        }
    }
}

/// Finds the first field of `object` that violates `specs`; `prefix` is prepended to field names.
pub(crate) fn diagnose_fields(
    value: &Value,
    specs: &[FieldSpec],
    prefix: &str,
) -> Option<FieldProblem> {
    let Some(object) = value.as_object() else {
        return Some(FieldProblem::new(
            prefix.trim_end_matches('.'),
            RecordErrorKind::InvalidValue,
            format!("expected a JSON object, found {}", describe(value)),
        ));
    };
    for spec in specs {
        let name = format!("{prefix}{}", spec.name);
        match object.get(spec.name) {
            None if spec.required => {
                return Some(FieldProblem::new(
                    name,
                    RecordErrorKind::MissingField,
                    "missing required field",
                ));
            }
            None => {}
            Some(Value::Null) if spec.nullable && !spec.required => {}
            Some(v) => {
                if let Some(p) = check_kind(&name, v, spec.kind) {
                    return Some(p);
                }
            }
        }
    }
    None
}

fn check_kind(name: &str, v: &Value, kind: FieldKind) -> Option<FieldProblem> {
    let invalid = |what: &str| {
        Some(FieldProblem::new(
            name,
            RecordErrorKind::InvalidValue,
            format!("expected {what}, found {}", describe(v)),
        ))
    };
    match kind {
        FieldKind::UInt => check_uint(name, v),
        FieldKind::NonNegNumber => match v.as_f64() {
            Some(x) if x < 0.0 => Some(FieldProblem::new(
                name,
                RecordErrorKind::NegativeValue,
                format!("must not be negative, found {v}"),
            )),
            Some(_) => None,
            None => invalid("a non-negative number"),
        },
        FieldKind::Str => (!v.is_string()).then(|| invalid("a string")).flatten(),
        FieldKind::Object => (!v.is_object()).then(|| invalid("an object")).flatten(),
        FieldKind::UIntArray => match v.as_array() {
            None => invalid("an array of non-negative integers"),
            Some(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| check_uint(&format!("{name}[{i}]"), item)),
        },
        FieldKind::ContentList => match v.as_array() {
            None => invalid("an array of strings or {name, contents} objects"),
            Some(items) => items.iter().enumerate().find_map(|(i, item)| {
                let item_name = format!("{name}[{i}]");
                match item {
                    Value::String(_) => None,
                    Value::Object(_) => diagnose_fields(
                        item,
                        &[
                            FieldSpec::defaulted("name", FieldKind::Str),
                            FieldSpec::defaulted("contents", FieldKind::ContentStrings),
                        ],
                        &format!("{item_name}."),
                    ),
                    other => Some(FieldProblem::new(
                        item_name,
                        RecordErrorKind::InvalidValue,
                        format!(
                            "expected a string or a {{name, contents}} object, found {}",
                            describe(other)
                        ),
                    )),
                }
            }),
        },
        FieldKind::ContentStrings => match v.as_array() {
            Some(items) if items.iter().all(Value::is_string) => None,
            _ => invalid("an array of strings"),
        },
    }
}

fn check_uint(name: &str, v: &Value) -> Option<FieldProblem> {
    if v.is_u64() {
        return None;
    }
    let negative = v.as_i64().is_some() || v.as_f64().is_some_and(|x| x < 0.0);
    if negative {
        Some(FieldProblem::new(
            name,
            RecordErrorKind::NegativeValue,
            format!("must not be negative, found {v}"),
        ))
    } else {
        Some(FieldProblem::new(
            name,
            RecordErrorKind::InvalidValue,
            format!("expected a non-negative integer, found {}", describe(v)),
        ))
    }
}

/// A short description of a JSON value for messages.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) if s.len() <= 40 => format!("string {s:?}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Streaming JSONL writer using serde_json's compact form, one record per line, each line ending
/// in `\n`.
pub struct JsonlWriter<W, T> {
    sink: NamedSink<W>,
    _record: PhantomData<fn(&T)>,
}

impl<W: Write, T: Serialize> JsonlWriter<W, T> {
    /// Writes to `out` (wrap files in a `BufWriter`); `sink_name` names it in errors.
    pub fn new(out: W, sink_name: impl Into<String>) -> Self {
        Self {
            sink: NamedSink::new(out, sink_name),
            _record: PhantomData,
        }
    }

    /// Writes one record as one line.
    pub fn write(&mut self, record: &T) -> Result<(), Error> {
        self.sink.with(|out| {
            serde_json::to_writer(&mut *out, record)?;
            out.write_all(b"\n")
        })
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, Error> {
        self.sink.finish()
    }
}
