//! `profile_export.jsonl`: one line per request, written as each request completes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{Map, Value};

use crate::catalog::{Metric, Unit};
use crate::compute::RecordMetrics;
use crate::error::{Error, Result};
use crate::export::inputs::session_id;
use crate::export::json::{error_type, number};
use crate::record::{ErrorKind, Phase, RequestRecord, RunClock};

/// File name of the per-request export.
pub const JSONL_FILE: &str = "profile_export.jsonl";

/// The `X-Request-ID` servebench uses for request `index`: UUID-shaped and deterministic, so the
/// load generator can send it as a header and the JSONL line carries the same value.
pub fn x_request_id(index: u64) -> String {
    format!("00000000-0000-4000-8000-{:012x}", index & 0xffff_ffff_ffff)
}

/// A per-record value: integers for token counts (as AIPerf writes them), floats otherwise.
fn metric_value(metric: Metric, v: f64) -> Value {
    if metric.spec().unit == Unit::Tokens && v.fract() == 0.0 && (0.0..9.0e15).contains(&v) {
        Value::from(v as u64)
    } else {
        number(v)
    }
}

/// The JSON object of one request's line: `metadata`, `metrics` (`{tag: {value, unit}}`, the
/// inter-chunk latencies as a list) and, for a failed request, `error`.
pub fn record_line(record: &RequestRecord, metrics: &RecordMetrics, clock: &RunClock) -> Value {
    let cancelled = record
        .error
        .as_ref()
        .is_some_and(|e| e.kind == ErrorKind::Cancelled);
    let mut meta = Map::new();
    meta.insert("session_num".into(), Value::from(record.session_index));
    meta.insert(
        "x_request_id".into(),
        Value::from(x_request_id(record.index)),
    );
    meta.insert(
        "conversation_id".into(),
        Value::from(session_id(record.session_index)),
    );
    meta.insert("turn_index".into(), Value::from(record.turn_index));
    meta.insert(
        "credit_issued_ns".into(),
        Value::from(clock.epoch_ns(record.credit_issued_ns)),
    );
    meta.insert(
        "request_start_ns".into(),
        Value::from(clock.epoch_ns(record.start_ns)),
    );
    if let Some(ack) = record.ack_ns {
        meta.insert("request_ack_ns".into(), Value::from(clock.epoch_ns(ack)));
    }
    meta.insert(
        "request_end_ns".into(),
        Value::from(clock.epoch_ns(record.end_ns)),
    );
    meta.insert("worker_id".into(), Value::from("worker_0"));
    meta.insert(
        "record_processor_id".into(),
        Value::from("record_processor_0"),
    );
    let phase = match record.phase {
        Phase::Profiling => "profiling",
        Phase::Warmup => "warmup",
    };
    meta.insert("benchmark_phase".into(), Value::from(phase));
    meta.insert("was_cancelled".into(), Value::from(cancelled));
    if cancelled {
        meta.insert(
            "cancellation_time_ns".into(),
            Value::from(clock.epoch_ns(record.end_ns)),
        );
    }

    let mut block = Map::new();
    for &(metric, v) in metrics.values() {
        let mut m = Map::new();
        m.insert("value".into(), metric_value(metric, v));
        m.insert("unit".into(), Value::from(metric.spec().unit.as_str()));
        block.insert(metric.tag().into(), Value::Object(m));
    }
    let icl = metrics.inter_chunk_latency_ms();
    if !icl.is_empty() {
        let mut m = Map::new();
        m.insert(
            "value".into(),
            Value::Array(icl.iter().map(|&v| number(v)).collect()),
        );
        m.insert("unit".into(), Value::from(Unit::Ms.as_str()));
        block.insert(Metric::InterChunkLatency.tag().into(), Value::Object(m));
    }

    let mut line = Map::new();
    line.insert("metadata".into(), Value::Object(meta));
    line.insert("metrics".into(), Value::Object(block));
    if let Some(err) = &record.error {
        let mut e = Map::new();
        if let Some(code) = err.code {
            e.insert("code".into(), Value::from(code));
        }
        e.insert("type".into(), Value::from(error_type(err.kind)));
        e.insert("message".into(), Value::from(err.message.clone()));
        line.insert("error".into(), Value::Object(e));
    }
    Value::Object(line)
}

/// Writes `profile_export.jsonl` one line per request as requests complete.
///
/// Lines go through a `BufWriter`; call [`RecordJsonlWriter::flush`] at the end (and whenever the
/// file should be readable mid-run).
#[derive(Debug)]
pub struct RecordJsonlWriter<W: Write> {
    out: BufWriter<W>,
    clock: RunClock,
    lines: u64,
}

impl RecordJsonlWriter<File> {
    /// Creates (truncates) `path`.
    pub fn create(path: &Path, clock: RunClock) -> Result<Self> {
        let file = File::create(path).map_err(|source| Error::Write {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self::new(file, clock))
    }
}

impl<W: Write> RecordJsonlWriter<W> {
    /// A writer over `inner`, converting stamps to epoch ns with `clock`.
    pub fn new(inner: W, clock: RunClock) -> Self {
        Self {
            out: BufWriter::new(inner),
            clock,
            lines: 0,
        }
    }

    /// Appends the line of one completed request.
    pub fn write(&mut self, record: &RequestRecord, metrics: &RecordMetrics) -> Result<()> {
        let line = record_line(record, metrics, &self.clock);
        serde_json::to_writer(&mut self.out, &line)
            .map_err(std::io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|source| Error::Io {
                what: JSONL_FILE,
                source,
            })?;
        self.lines += 1;
        Ok(())
    }

    /// Number of lines written.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Flushes buffered lines to the underlying writer.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(|source| Error::Io {
            what: JSONL_FILE,
            source,
        })
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> Result<W> {
        self.out.into_inner().map_err(|e| Error::Io {
            what: JSONL_FILE,
            source: e.into_error(),
        })
    }
}
