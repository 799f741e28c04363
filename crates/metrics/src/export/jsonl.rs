//! `profile_export.jsonl`: one line per request, written as each request completes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::ser::{Serialize, SerializeMap, Serializer};
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
    let parts = LineParts::new(record, metrics, clock);
    let mut block = parts.block;
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
    line.insert("metadata".into(), Value::Object(parts.meta));
    line.insert("metrics".into(), Value::Object(block));
    if let Some(e) = parts.error {
        line.insert("error".into(), Value::Object(e));
    }
    Value::Object(line)
}

/// The parts of a line built as JSON values; the inter-chunk latency list is left out (it is the
/// only per-chunk part, so [`RecordJsonlWriter::write`] streams it instead of building it).
struct LineParts {
    meta: Map<String, Value>,
    /// The scalar metrics.
    block: Map<String, Value>,
    error: Option<Map<String, Value>>,
}

impl LineParts {
    fn new(record: &RequestRecord, metrics: &RecordMetrics, clock: &RunClock) -> Self {
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
        // servebench addition: the server's own queue / prefill / cache figures, when reported.
        if let Some(timing) = &record.server_timing
            && let Ok(v) = serde_json::to_value(timing)
        {
            meta.insert("server_timing".into(), v);
        }
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

        let error = record.error.as_ref().map(|err| {
            let mut e = Map::new();
            if let Some(code) = err.code {
                e.insert("code".into(), Value::from(code));
            }
            e.insert("type".into(), Value::from(error_type(err.kind)));
            e.insert("message".into(), Value::from(err.message.clone()));
            e
        });
        Self { meta, block, error }
    }
}

/// Serializes a line exactly as `serde_json` writes [`record_line`]'s value (objects with sorted
/// keys, `f64` via the same formatter, non-finite numbers as `null`), but takes the inter-chunk
/// latencies straight from the slice instead of building a JSON array of them.
struct StreamedLine<'a> {
    parts: &'a LineParts,
    icl: &'a [f64],
}

/// `metrics` of a [`StreamedLine`]: the scalar block with the latency list merged in key order.
struct StreamedMetrics<'a> {
    block: &'a Map<String, Value>,
    icl: &'a [f64],
}

/// `{"unit":"ms","value":[...]}` (keys in sorted order, as a `Map` writes them).
struct StreamedIcl<'a>(&'a [f64]);

impl Serialize for StreamedLine<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        // Sorted keys: error < metadata < metrics.
        let mut map = serializer.serialize_map(None)?;
        if let Some(error) = &self.parts.error {
            map.serialize_entry("error", error)?;
        }
        map.serialize_entry("metadata", &self.parts.meta)?;
        map.serialize_entry(
            "metrics",
            &StreamedMetrics {
                block: &self.parts.block,
                icl: self.icl,
            },
        )?;
        map.end()
    }
}

impl Serialize for StreamedMetrics<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let icl_tag = Metric::InterChunkLatency.tag();
        let mut map = serializer.serialize_map(None)?;
        let mut icl_pending = !self.icl.is_empty();
        for (key, value) in self.block {
            if icl_pending && key.as_str() > icl_tag {
                map.serialize_entry(icl_tag, &StreamedIcl(self.icl))?;
                icl_pending = false;
            }
            map.serialize_entry(key, value)?;
        }
        if icl_pending {
            map.serialize_entry(icl_tag, &StreamedIcl(self.icl))?;
        }
        map.end()
    }
}

impl Serialize for StreamedIcl<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("unit", Unit::Ms.as_str())?;
        map.serialize_entry("value", self.0)?;
        map.end()
    }
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
        let parts = LineParts::new(record, metrics, &self.clock);
        let icl = metrics.inter_chunk_latency_ms();
        let written = if parts.block.contains_key(Metric::InterChunkLatency.tag()) {
            // Not produced by `RecordMetrics`; keep `record_line`'s overwrite semantics.
            serde_json::to_writer(&mut self.out, &record_line(record, metrics, &self.clock))
        } else {
            serde_json::to_writer(&mut self.out, &StreamedLine { parts: &parts, icl })
        };
        written
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
