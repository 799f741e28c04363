//! The Azure LLM inference trace CSV (Azure/AzurePublicDataset, 2023 and 2024 releases):
//! `TIMESTAMP,ContextTokens,GeneratedTokens`.
//!
//! The published files use CRLF line ends, have no newline after the last row, and write
//! timestamps as `YYYY-MM-DD HH:MM:SS.fffffff` (7 fractional digits, no time zone). The reader
//! takes LF or CRLF, with or without a final newline, and 0 to 9 fractional digits; the writer
//! reproduces the published layout byte for byte.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use crate::csvrows::CsvRows;
use crate::error::{Error, FieldProblem, ReadOptions, ReadReport, RecordErrorKind};
use crate::sink::NamedSink;

/// A wall-clock timestamp without time zone, in nanoseconds since 1970-01-01 00:00:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AzureTimestamp(i64);

const NANOS_PER_SEC: i64 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

impl AzureTimestamp {
    /// From nanoseconds since 1970-01-01 00:00:00 (naive wall clock).
    pub fn from_unix_nanos(nanos: i64) -> Self {
        Self(nanos)
    }

    /// Nanoseconds since 1970-01-01 00:00:00 (naive wall clock).
    pub fn unix_nanos(self) -> i64 {
        self.0
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.f…]` with 0 to 9 fractional digits (a `T` separator is also
    /// accepted); `None` for anything else, including dates outside 1677–2262 (the range of
    /// nanoseconds in an `i64`).
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() < 19
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b' ' | b'T')
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let s = &b[r];
            s.iter()
                .all(u8::is_ascii_digit)
                .then(|| s.iter().fold(0i64, |a, d| a * 10 + i64::from(d - b'0')))
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut nanos = 0i64;
        if b.len() > 19 {
            let frac = &b[19..];
            if frac[0] != b'.'
                || frac.len() < 2
                || frac.len() > 10
                || !frac[1..].iter().all(u8::is_ascii_digit)
            {
                return None;
            }
            let digits = &frac[1..];
            nanos = digits
                .iter()
                .fold(0i64, |a, d| a * 10 + i64::from(d - b'0'));
            nanos *= 10i64.pow(9 - digits.len() as u32);
        }
        let days = days_from_civil(year, month, day);
        let secs = days * SECS_PER_DAY + hour * 3600 + minute * 60 + second;
        // Nanoseconds in an i64 reach only the years 1677 to 2262; later or earlier is refused.
        secs.checked_mul(NANOS_PER_SEC)
            .and_then(|n| n.checked_add(nanos))
            .map(Self)
    }
}

impl fmt::Display for AzureTimestamp {
    /// `YYYY-MM-DD HH:MM:SS.fffffff` (7 digits, as published), or 9 digits when the value has
    /// sub-100-ns precision.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(NANOS_PER_SEC);
        let nanos = self.0.rem_euclid(NANOS_PER_SEC);
        let days = secs.div_euclid(SECS_PER_DAY);
        let sod = secs.rem_euclid(SECS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            sod / 3600,
            sod / 60 % 60,
            sod % 60
        )?;
        if nanos % 100 == 0 {
            write!(f, ".{:07}", nanos / 100)
        } else {
            write!(f, ".{nanos:09}")
        }
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// One Azure LLM inference request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AzureRecord {
    /// Arrival time.
    pub timestamp: AzureTimestamp,
    /// Prompt tokens.
    pub context_tokens: u64,
    /// Generated tokens.
    pub generated_tokens: u64,
}

impl AzureRecord {
    /// A record.
    pub fn new(timestamp: AzureTimestamp, context_tokens: u64, generated_tokens: u64) -> Self {
        Self {
            timestamp,
            context_tokens,
            generated_tokens,
        }
    }
}

/// The header of the Azure files.
pub const AZURE_HEADER: &str = "TIMESTAMP,ContextTokens,GeneratedTokens";
const COLUMNS: [&str; 3] = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"];

/// Streaming Azure CSV reader. With [`ReadOptions::monotonic_timestamps`] (the default), a row
/// earlier than the previous one is malformed.
pub struct AzureReader<R> {
    rows: CsvRows<R>,
    last: Option<AzureTimestamp>,
}

impl AzureReader<File> {
    /// Opens `path`.
    pub fn open(path: impl AsRef<Path>, options: ReadOptions) -> Result<Self, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::read(&name, e))?;
        Self::new(file, name, options)
    }
}

impl<R: Read> AzureReader<R> {
    /// Reads the header of `reader` (named `source_name` in errors).
    pub fn new(
        reader: R,
        source_name: impl Into<String>,
        options: ReadOptions,
    ) -> Result<Self, Error> {
        Ok(Self {
            rows: CsvRows::new(reader, source_name.into(), options, &COLUMNS)?,
            last: None,
        })
    }

    /// Counts so far and the first malformed-row errors.
    pub fn report(&self) -> &ReadReport {
        &self.rows.report
    }

    /// Turns the time-order check on whatever the options said.
    pub fn force_monotonic(&mut self) {
        self.rows.options.monotonic_timestamps = true;
    }

    /// The next row: `Ok(None)` at end, `Err` on I/O error or (policy `Stop`) a malformed row.
    pub fn read_record(&mut self) -> Result<Option<AzureRecord>, Error> {
        let last = &mut self.last;
        let monotonic = self.rows.options.monotonic_timestamps;
        self.rows.next_with(&COLUMNS, |row| {
            let text = row.text(0)?.trim();
            if text.is_empty() {
                return Err(FieldProblem::new(
                    COLUMNS[0],
                    RecordErrorKind::MissingField,
                    "empty value",
                ));
            }
            let timestamp = AzureTimestamp::parse(text).ok_or_else(|| {
                FieldProblem::new(
                    COLUMNS[0],
                    RecordErrorKind::InvalidValue,
                    format!("expected YYYY-MM-DD HH:MM:SS.fffffff, found {text:?}"),
                )
            })?;
            let context_tokens = row.uint(1)?;
            let generated_tokens = row.uint(2)?;
            if monotonic
                && let Some(prev) = *last
                && timestamp < prev
            {
                return Err(FieldProblem::new(
                    COLUMNS[0],
                    RecordErrorKind::NonMonotonicTimestamp,
                    format!("{timestamp} is before the previous row's {prev}"),
                ));
            }
            *last = Some(timestamp);
            Ok(AzureRecord::new(
                timestamp,
                context_tokens,
                generated_tokens,
            ))
        })
    }
}

impl<R: Read> Iterator for AzureReader<R> {
    type Item = Result<AzureRecord, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read_record().transpose()
    }
}

/// Streaming Azure CSV writer in the published layout: CRLF between lines, no final newline.
pub struct AzureWriter<W> {
    sink: NamedSink<W>,
}

impl AzureWriter<BufWriter<File>> {
    /// Creates (truncates) `path` and writes the header.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::with_sink(NamedSink::create(path.as_ref())?)
    }
}

impl<W: Write> AzureWriter<W> {
    /// Writes the header to `out`.
    pub fn new(out: W, sink_name: impl Into<String>) -> Result<Self, Error> {
        Self::with_sink(NamedSink::new(out, sink_name))
    }

    fn with_sink(mut sink: NamedSink<W>) -> Result<Self, Error> {
        sink.put(AZURE_HEADER.as_bytes())?;
        Ok(Self { sink })
    }

    /// Writes one row (preceded by the CRLF that ends the previous line).
    pub fn write(&mut self, r: &AzureRecord) -> Result<(), Error> {
        self.sink.with(|out| {
            write!(
                out,
                "\r\n{},{},{}",
                r.timestamp, r.context_tokens, r.generated_tokens
            )
        })
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, Error> {
        self.sink.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_beyond_the_nanosecond_range_are_refused_not_overflowed() {
        // Found by the fuzz target: year 9999 overflowed an i64 of nanoseconds (a panic in debug).
        assert_eq!(AzureTimestamp::parse("9999-12-31 23:59:59.9999999"), None);
        assert_eq!(AzureTimestamp::parse("0001-01-01 00:00:00"), None);
        assert!(AzureTimestamp::parse("2262-04-11 23:47:16").is_some());
        assert!(AzureTimestamp::parse("1677-09-21 00:12:44").is_some());
    }

    #[test]
    fn parses_seven_digit_fractions_and_prints_them_back() {
        let t = AzureTimestamp::parse("2023-11-16 18:15:46.6805900").unwrap();
        assert_eq!(t.to_string(), "2023-11-16 18:15:46.6805900");
        // 2023-11-16T18:15:46Z is 1700158546 s after the epoch (date -u -d ... +%s).
        assert_eq!(t.unix_nanos(), 1_700_158_546_680_590_000);
        assert_eq!(
            AzureTimestamp::parse("2024-02-29 00:00:00")
                .unwrap()
                .to_string(),
            "2024-02-29 00:00:00.0000000"
        );
    }

    #[test]
    fn rejects_impossible_dates_and_bad_fractions() {
        for bad in [
            "2023-02-29 00:00:00",
            "2023-11-16 24:00:00",
            "2023-11-16 18:15:46.",
            "2023-11-16 18:15:46.1234567890",
            "2023/11/16 18:15:46",
        ] {
            assert!(AzureTimestamp::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn civil_conversion_round_trips_over_centuries() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
