//! The BurstGPT CSV trace (HPMLL/BurstGPT release v1.1):
//! `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type`.
//!
//! Columns are found by name, so files with extra columns (BurstGPT_3 adds `Session ID` and
//! `Elapsed time`) read too; `Total tokens` is optional on input (the converter never uses it).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use crate::csvrows::CsvRows;
use crate::error::{Error, ReadOptions, ReadReport};
use crate::sink::NamedSink;

/// One BurstGPT row.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BurstGptRecord {
    /// Seconds since 00:00:00 of the trace's first day.
    pub timestamp: f64,
    /// `ChatGPT` or `GPT-4` (other values are kept as they are).
    pub model: String,
    /// Prompt tokens.
    pub request_tokens: u64,
    /// Response tokens (0 for failed requests).
    pub response_tokens: u64,
    /// `Total tokens`, when the file has that column.
    pub total_tokens: Option<u64>,
    /// `Conversation log` or `API log` (other values are kept as they are).
    pub log_type: String,
}

impl BurstGptRecord {
    /// A row; `total_tokens` is set to the sum.
    pub fn new(
        timestamp: f64,
        model: impl Into<String>,
        request_tokens: u64,
        response_tokens: u64,
        log_type: impl Into<String>,
    ) -> Self {
        Self {
            timestamp,
            model: model.into(),
            request_tokens,
            response_tokens,
            total_tokens: Some(request_tokens + response_tokens),
            log_type: log_type.into(),
        }
    }
}

/// The header BurstGPT writes.
pub const BURSTGPT_HEADER: &str =
    "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type";

const REQUIRED: [&str; 5] = [
    "Timestamp",
    "Model",
    "Request tokens",
    "Response tokens",
    "Log Type",
];
const TOTAL: [&str; 1] = ["Total tokens"];

/// Streaming BurstGPT CSV reader.
pub struct BurstGptReader<R> {
    rows: CsvRows<R>,
    total_column: Option<usize>,
}

impl BurstGptReader<File> {
    /// Opens `path`.
    pub fn open(path: impl AsRef<Path>, options: ReadOptions) -> Result<Self, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::read(&name, e))?;
        Self::new(file, name, options)
    }
}

impl<R: Read> BurstGptReader<R> {
    /// Reads the header of `reader` (named `source_name` in errors).
    pub fn new(
        reader: R,
        source_name: impl Into<String>,
        options: ReadOptions,
    ) -> Result<Self, Error> {
        let rows = CsvRows::new(reader, source_name.into(), options, &REQUIRED)?;
        let total_column = None::<usize>;
        let mut this = Self { rows, total_column };
        this.total_column = this.rows.optional_column(TOTAL[0]);
        Ok(this)
    }

    /// Counts so far and the first malformed-row errors.
    pub fn report(&self) -> &ReadReport {
        &self.rows.report
    }

    /// Bytes of input consumed so far.
    pub fn byte_position(&self) -> u64 {
        self.rows.byte_position()
    }

    /// The next row: `Ok(None)` at end, `Err` on I/O error or (policy `Stop`) a malformed row.
    pub fn read_record(&mut self) -> Result<Option<BurstGptRecord>, Error> {
        let total_column = self.total_column;
        self.rows.next_with(&REQUIRED, |row| {
            let timestamp = row.non_negative_f64(0)?;
            let model = row.text(1)?.to_owned();
            let request_tokens = row.uint(2)?;
            let response_tokens = row.uint(3)?;
            let log_type = row.text(4)?.to_owned();
            let total_tokens = match total_column {
                Some(c) => row.extra_uint(c, TOTAL[0])?,
                None => None,
            };
            Ok(BurstGptRecord {
                timestamp,
                model,
                request_tokens,
                response_tokens,
                total_tokens,
                log_type,
            })
        })
    }

    /// Like [`Self::read_record`] but only the fields the converter's first pass needs, without
    /// allocating: `(timestamp, request tokens, response tokens, model, log type)` passed to
    /// `visit`.
    pub fn read_light<T>(
        &mut self,
        mut visit: impl FnMut(f64, u64, u64, &str, &str) -> T,
    ) -> Result<Option<T>, Error> {
        self.rows.next_with(&REQUIRED, |row| {
            let timestamp = row.non_negative_f64(0)?;
            let request = row.uint(2)?;
            let response = row.uint(3)?;
            Ok(visit(
                timestamp,
                request,
                response,
                row.text(1)?,
                row.text(4)?,
            ))
        })
    }

    /// Like [`Self::read_record`] but borrowing the strings: `visit(record fields)`.
    pub fn read_borrowed<T>(
        &mut self,
        mut visit: impl FnMut(f64, &str, u64, u64, &str) -> T,
    ) -> Result<Option<T>, Error> {
        self.rows.next_with(&REQUIRED, |row| {
            let timestamp = row.non_negative_f64(0)?;
            let request = row.uint(2)?;
            let response = row.uint(3)?;
            Ok(visit(
                timestamp,
                row.text(1)?,
                request,
                response,
                row.text(4)?,
            ))
        })
    }
}

impl<R: Read> Iterator for BurstGptReader<R> {
    type Item = Result<BurstGptRecord, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read_record().transpose()
    }
}

/// Streaming BurstGPT CSV writer: the standard header, `\n` line ends, timestamps in Rust's
/// shortest round-trip form (`5`, `5.25`); a missing `total_tokens` is written as the sum.
pub struct BurstGptWriter<W> {
    sink: NamedSink<W>,
    line: String,
}

impl BurstGptWriter<BufWriter<File>> {
    /// Creates (truncates) `path` and writes the header.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::with_sink(NamedSink::create(path.as_ref())?)
    }
}

impl<W: Write> BurstGptWriter<W> {
    /// Writes the header to `out`.
    pub fn new(out: W, sink_name: impl Into<String>) -> Result<Self, Error> {
        Self::with_sink(NamedSink::new(out, sink_name))
    }

    fn with_sink(mut sink: NamedSink<W>) -> Result<Self, Error> {
        sink.with(|out| writeln!(out, "{BURSTGPT_HEADER}"))?;
        Ok(Self {
            sink,
            line: String::with_capacity(128),
        })
    }

    /// Writes one row. Strings containing `,`, `"` or line breaks are quoted.
    pub fn write(&mut self, r: &BurstGptRecord) -> Result<(), Error> {
        use std::fmt::Write as _;
        self.line.clear();
        let total = r
            .total_tokens
            .unwrap_or(r.request_tokens + r.response_tokens);
        let _ = write!(self.line, "{},", r.timestamp);
        push_csv_field(&mut self.line, &r.model);
        let _ = write!(
            self.line,
            ",{},{},{},",
            r.request_tokens, r.response_tokens, total
        );
        push_csv_field(&mut self.line, &r.log_type);
        self.line.push('\n');
        self.sink.put(self.line.as_bytes())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, Error> {
        self.sink.finish()
    }
}

/// Appends a CSV field, quoting it when needed.
pub(crate) fn push_csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}
