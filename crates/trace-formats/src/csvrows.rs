//! Shared CSV plumbing: header-to-column mapping, per-field parsing with named errors, truncated
//! last-line detection, and the stop/skip policy loop.

use std::io::Read;

use crate::error::{Error, FieldProblem, ReadOptions, ReadReport, RecordErrorKind};

/// Remembers the last byte read, to tell whether the input ended with a newline.
pub(crate) struct TrackLastByte<R> {
    inner: R,
    last: Option<u8>,
}

impl<R: Read> Read for TrackLastByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

/// A CSV reader positioned after its header, with the column index of each required column.
///
/// Records end at `\n` only (a `\r` before it is stripped from the last field), so line numbers
/// stay right for CRLF files (csv-core's CRLF mode counts the `\n` into the next record).
pub(crate) struct CsvRows<R> {
    reader: csv::Reader<TrackLastByte<R>>,
    record: csv::ByteRecord,
    /// A record read ahead while checking whether a short record was the last one.
    pending: Option<csv::ByteRecord>,
    pub(crate) columns: Vec<usize>,
    header_len: usize,
    header_names: Vec<String>,
    pub(crate) source_name: String,
    pub(crate) options: ReadOptions,
    pub(crate) report: ReadReport,
    done: bool,
}

/// A row handed to a format's parser.
pub(crate) struct Row<'a> {
    record: &'a csv::ByteRecord,
    columns: &'a [usize],
    names: &'a [&'static str],
}

impl Row<'_> {
    /// The bytes of column `column`, without the `\r` of a CRLF line end.
    fn field(&self, column: usize) -> &[u8] {
        let bytes = self.record.get(column).unwrap_or_default();
        if column + 1 == self.record.len() {
            bytes.strip_suffix(b"\r").unwrap_or(bytes)
        } else {
            bytes
        }
    }

    /// The raw text of required column `i` (in the order given to [`CsvRows::new`]).
    pub(crate) fn text(&self, i: usize) -> Result<&str, FieldProblem> {
        let name = self.names[i];
        let bytes = self.field(self.columns[i]);
        std::str::from_utf8(bytes)
            .map_err(|_| FieldProblem::new(name, RecordErrorKind::InvalidValue, "not valid UTF-8"))
    }

    /// Column `i` as a non-negative integer.
    pub(crate) fn uint(&self, i: usize) -> Result<u64, FieldProblem> {
        parse_uint(self.names[i], self.text(i)?)
    }

    /// Optional column at absolute index `column` (named `name`) as a non-negative integer; an
    /// empty value is `None`.
    pub(crate) fn extra_uint(
        &self,
        column: usize,
        name: &str,
    ) -> Result<Option<u64>, FieldProblem> {
        let text = std::str::from_utf8(self.field(column)).map_err(|_| {
            FieldProblem::new(name, RecordErrorKind::InvalidValue, "not valid UTF-8")
        })?;
        if text.trim().is_empty() {
            return Ok(None);
        }
        parse_uint(name, text).map(Some)
    }

    /// Column `i` as a finite non-negative number.
    pub(crate) fn non_negative_f64(&self, i: usize) -> Result<f64, FieldProblem> {
        let name = self.names[i];
        let text = self.text(i)?.trim();
        if text.is_empty() {
            return Err(FieldProblem::new(
                name,
                RecordErrorKind::MissingField,
                "empty value",
            ));
        }
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
            Ok(x) if x < 0.0 => Err(FieldProblem::new(
                name,
                RecordErrorKind::NegativeValue,
                format!("must not be negative, found {text}"),
            )),
            _ => Err(FieldProblem::new(
                name,
                RecordErrorKind::InvalidValue,
                format!("expected a finite non-negative number, found {text:?}"),
            )),
        }
    }
}

fn parse_uint(name: &str, text: &str) -> Result<u64, FieldProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldProblem::new(
            name,
            RecordErrorKind::MissingField,
            "empty value",
        ));
    }
    text.parse::<u64>().map_err(|_| {
        let digits = text.strip_prefix('-').unwrap_or("x");
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            FieldProblem::new(
                name,
                RecordErrorKind::NegativeValue,
                format!("must not be negative, found {text}"),
            )
        } else {
            FieldProblem::new(
                name,
                RecordErrorKind::InvalidValue,
                format!("expected a non-negative integer, found {text:?}"),
            )
        }
    })
}

impl<R: Read> CsvRows<R> {
    /// Reads the header of `reader` and finds the `required` columns by name (extra columns are
    /// allowed). A missing column is a [`RecordErrorKind::BadHeader`] error on line 1.
    pub(crate) fn new(
        reader: R,
        source_name: String,
        options: ReadOptions,
        required: &[&'static str],
    ) -> Result<Self, Error> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .buffer_capacity(1 << 16)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(TrackLastByte {
                inner: reader,
                last: None,
            });
        let headers = match reader.byte_headers() {
            Ok(h) => h.clone(),
            Err(e) => return Err(csv_error(&source_name, e)),
        };
        let found: Vec<String> = headers
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim_start_matches('\u{feff}')
                    .trim_end_matches('\r')
                    .to_owned()
            })
            .collect();
        let mut columns = Vec::with_capacity(required.len());
        for name in required {
            match found.iter().position(|h| h == name) {
                Some(i) => columns.push(i),
                None => {
                    let problem = FieldProblem::new(
                        *name,
                        RecordErrorKind::BadHeader,
                        format!(
                            "wrong CSV header: missing column {name:?} (expected columns {}; found {})",
                            required.join(","),
                            found.join(",")
                        ),
                    );
                    return Err(problem.at(&source_name, 1).into());
                }
            }
        }
        Ok(Self {
            reader,
            record: csv::ByteRecord::new(),
            pending: None,
            columns,
            header_len: found.len(),
            header_names: found,
            source_name,
            options,
            report: ReadReport::default(),
            done: false,
        })
    }

    /// Index of an optional column.
    pub(crate) fn optional_column(&self, name: &str) -> Option<usize> {
        self.header_names.iter().position(|h| h == name)
    }

    /// Bytes consumed so far (for progress).
    pub(crate) fn byte_position(&self) -> u64 {
        self.reader.position().byte()
    }

    /// The next row parsed by `parse`, applying the error policy. `names` are the required column
    /// names in the order given to [`CsvRows::new`].
    pub(crate) fn next_with<T>(
        &mut self,
        names: &[&'static str],
        mut parse: impl FnMut(&Row<'_>) -> Result<T, FieldProblem>,
    ) -> Result<Option<T>, Error> {
        if self.done {
            return Ok(None);
        }
        loop {
            if let Some(pending) = self.pending.take() {
                self.record = pending;
            } else {
                match self.reader.read_byte_record(&mut self.record) {
                    Ok(true) => {}
                    Ok(false) => {
                        self.done = true;
                        return Ok(None);
                    }
                    Err(e) => {
                        self.done = true;
                        return Err(csv_error(&self.source_name, e));
                    }
                }
            }
            let line = self.record.position().map_or(0, |p| p.line());
            if self.record.len() == 1
                && self
                    .record
                    .get(0)
                    .is_some_and(|f| f.is_empty() || f == b"\r")
            {
                continue; // blank line
            }
            let problem = if self.record.len() != self.header_len {
                if self.record.len() < self.header_len && self.is_unterminated_last()? {
                    FieldProblem::new(
                        names[self
                            .columns
                            .iter()
                            .position(|c| *c >= self.record.len())
                            .unwrap_or(0)],
                        RecordErrorKind::TruncatedLine,
                        format!(
                            "truncated last line: {} of {} fields and no final newline",
                            self.record.len(),
                            self.header_len
                        ),
                    )
                } else {
                    FieldProblem::whole_record(
                        RecordErrorKind::WrongFieldCount,
                        format!(
                            "expected {} fields, found {}",
                            self.header_len,
                            self.record.len()
                        ),
                    )
                }
            } else {
                let row = Row {
                    record: &self.record,
                    columns: &self.columns,
                    names,
                };
                match parse(&row) {
                    Ok(value) => {
                        self.report.records += 1;
                        return Ok(Some(value));
                    }
                    Err(problem) => problem,
                }
            };
            let error = problem.at(&self.source_name, line);
            self.report.note_error(&error, self.options.max_kept_errors);
            if self.options.policy == crate::ErrorPolicy::Stop {
                self.done = true;
                return Err(error.into());
            }
        }
    }
}

impl<R: Read> CsvRows<R> {
    /// Whether the current record is the input's last and has no final newline (reads ahead one
    /// record, kept for the next call).
    fn is_unterminated_last(&mut self) -> Result<bool, Error> {
        let mut next = csv::ByteRecord::new();
        match self.reader.read_byte_record(&mut next) {
            Ok(true) => {
                self.pending = Some(next);
                Ok(false)
            }
            Ok(false) => Ok(self.reader.get_ref().last != Some(b'\n')),
            Err(e) => Err(csv_error(&self.source_name, e)),
        }
    }
}

fn csv_error(source_name: &str, e: csv::Error) -> Error {
    let line = e.position().map_or(0, csv::Position::line);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::read(source_name, io),
        other => FieldProblem::whole_record(
            RecordErrorKind::InvalidValue,
            format!("invalid CSV: {other:?}"),
        )
        .at(source_name, line)
        .into(),
    }
}
