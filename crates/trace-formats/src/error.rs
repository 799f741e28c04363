//! Errors of trace reading, writing and conversion, and the policy for malformed records.

use std::{fmt, io};

/// What is wrong with a malformed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordErrorKind {
    /// The line is not valid JSON (or not valid UTF-8).
    InvalidJson,
    /// A required field is absent or empty.
    MissingField,
    /// A field that must be non-negative is negative.
    NegativeValue,
    /// A field has the wrong type or an impossible value.
    InvalidValue,
    /// A timestamp is earlier than the previous record's where order matters.
    NonMonotonicTimestamp,
    /// `hash_ids` is empty although `input_length` is positive.
    EmptyHashIds,
    /// The CSV header lacks a required column.
    BadHeader,
    /// The last line of the file is cut off (no final newline and incomplete).
    TruncatedLine,
    /// A CSV row has the wrong number of fields.
    WrongFieldCount,
}

/// A malformed input record: the file, the 1-based line, the field (when one is to blame) and what
/// is wrong. Displays as `file:line: field `name`: message`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RecordError {
    /// The file (or stream name given by the caller).
    pub source_name: String,
    /// 1-based line number where the record starts.
    pub line: u64,
    /// The offending field, if a single field is to blame.
    pub field: Option<String>,
    /// The class of problem.
    pub kind: RecordErrorKind,
    /// Human-readable detail.
    pub message: String,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.source_name, self.line)?;
        if let Some(field) = &self.field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for RecordError {}

/// A problem found in one record, before the reader adds the file and line.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FieldProblem {
    /// The offending field (`turns[2].timestamp` for nested fields), if one is to blame.
    pub field: Option<String>,
    /// The class of problem.
    pub kind: RecordErrorKind,
    /// Human-readable detail.
    pub message: String,
}

impl FieldProblem {
    /// A problem blamed on `field`.
    pub fn new(
        field: impl Into<String>,
        kind: RecordErrorKind,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: Some(field.into()),
            kind,
            message: message.into(),
        }
    }

    /// A problem with the record as a whole.
    pub fn whole_record(kind: RecordErrorKind, message: impl Into<String>) -> Self {
        Self {
            field: None,
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn at(self, source_name: &str, line: u64) -> RecordError {
        RecordError {
            source_name: source_name.to_owned(),
            line,
            field: self.field,
            kind: self.kind,
            message: self.message,
        }
    }
}

/// Errors of this crate.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading an input failed.
    Read {
        /// The file or stream name.
        path: String,
        /// The underlying error.
        source: io::Error,
    },
    /// Writing an output failed.
    Write {
        /// The file or stream name.
        path: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A malformed record under [`ErrorPolicy::Stop`], or a malformed header (always fatal).
    Record(RecordError),
    /// An option has an impossible value.
    InvalidOption {
        /// The option name.
        name: &'static str,
        /// Why it is invalid.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The I/O cause is the source, printed after this by `{:#}`, not repeated here.
            Self::Read { path, .. } => write!(f, "failed to read {path}"),
            Self::Write { path, .. } => write!(f, "failed to write {path}"),
            Self::Record(e) => e.fmt(f),
            Self::InvalidOption { name, message } => {
                write!(f, "invalid option `{name}`: {message}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } | Self::Write { source, .. } => Some(source),
            // Transparent: the record error's own source (it has none).
            Self::Record(_) | Self::InvalidOption { .. } => None,
        }
    }
}

impl From<RecordError> for Error {
    fn from(e: RecordError) -> Self {
        Self::Record(e)
    }
}

impl Error {
    /// A failed read of `path`.
    pub fn read(path: &str, source: io::Error) -> Self {
        Self::Read {
            path: path.to_owned(),
            source,
        }
    }

    /// A failed write of `path`.
    pub fn write(path: &str, source: io::Error) -> Self {
        Self::Write {
            path: path.to_owned(),
            source,
        }
    }

    /// An option `name` with an impossible value.
    pub fn invalid_option(name: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidOption {
            name,
            message: message.into(),
        }
    }
}

/// What a reader does with a malformed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorPolicy {
    /// Yield the error and end the stream.
    #[default]
    Stop,
    /// Count the error, keep the first few messages, and continue with the next record.
    Skip,
}

/// Counts of what a reader has seen, and the first few malformed-record errors.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ReadReport {
    /// Records yielded.
    pub records: u64,
    /// Malformed records (skipped under [`ErrorPolicy::Skip`]; at most 1 under `Stop`).
    pub malformed: u64,
    /// The first malformed-record errors, at most [`ReadOptions::max_kept_errors`].
    pub first_errors: Vec<RecordError>,
}

impl ReadReport {
    pub(crate) fn note_error(&mut self, error: &RecordError, max_kept: usize) {
        self.malformed += 1;
        if self.first_errors.len() < max_kept {
            self.first_errors.push(error.clone());
        }
    }
}

/// How readers treat malformed input.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Stop at or skip malformed records. Default: [`ErrorPolicy::Stop`].
    pub policy: ErrorPolicy,
    /// Require timestamps to be non-decreasing (records without a timestamp are not compared).
    /// Default: true. Turn off for multi-session traces whose sessions interleave out of order.
    pub monotonic_timestamps: bool,
    /// Reject Mooncake records with a positive `input_length`, empty `hash_ids` and no
    /// `text_input`. Default: true. Turn off for agentic session traces where `hash_ids` is
    /// optional.
    pub require_hash_ids: bool,
    /// How many error messages [`ReadReport::first_errors`] keeps. Default: 10.
    pub max_kept_errors: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            policy: ErrorPolicy::Stop,
            monotonic_timestamps: true,
            require_hash_ids: true,
            max_kept_errors: 10,
        }
    }
}

impl ReadOptions {
    /// Default options with the given policy.
    pub fn with_policy(policy: ErrorPolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }

    /// Sets [`ReadOptions::monotonic_timestamps`].
    pub fn monotonic_timestamps(mut self, on: bool) -> Self {
        self.monotonic_timestamps = on;
        self
    }

    /// Sets [`ReadOptions::require_hash_ids`].
    pub fn require_hash_ids(mut self, on: bool) -> Self {
        self.require_hash_ids = on;
        self
    }

    /// Sets [`ReadOptions::max_kept_errors`].
    pub fn max_kept_errors(mut self, n: usize) -> Self {
        self.max_kept_errors = n;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_error_names_file_line_and_field() {
        let e =
            FieldProblem::new("hash_ids", RecordErrorKind::EmptyHashIds, "empty").at("t.jsonl", 7);
        assert_eq!(e.to_string(), "t.jsonl:7: field `hash_ids`: empty");
        let e = FieldProblem::whole_record(RecordErrorKind::InvalidJson, "bad").at("t.jsonl", 2);
        assert_eq!(e.to_string(), "t.jsonl:2: bad");
    }

    #[test]
    fn io_errors_name_the_path_and_carry_the_cause_once() {
        use std::error::Error as _;
        let e = Error::read("t.jsonl", io::Error::from(io::ErrorKind::NotFound));
        assert_eq!(e.to_string(), "failed to read t.jsonl");
        let cause = e.source().map(ToString::to_string).unwrap_or_default();
        assert_eq!(cause, io::Error::from(io::ErrorKind::NotFound).to_string());
        let e = Error::write("o.jsonl", io::Error::other("disk full"));
        assert_eq!(e.to_string(), "failed to write o.jsonl");
        assert_eq!(
            e.source().map(ToString::to_string).as_deref(),
            Some("disk full")
        );
    }

    #[test]
    fn report_keeps_only_the_first_errors() {
        let mut r = ReadReport::default();
        let e = FieldProblem::whole_record(RecordErrorKind::InvalidJson, "x").at("f", 1);
        for _ in 0..5 {
            r.note_error(&e, 2);
        }
        assert_eq!(r.malformed, 5);
        assert_eq!(r.first_errors.len(), 2);
    }
}
