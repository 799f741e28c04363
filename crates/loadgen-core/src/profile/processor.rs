//! The record-processing thread: metrics, JSONL and aggregation, off the I/O runtime.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::thread::JoinHandle;

use servebench_metrics::{
    Aggregator, Metric, MetricOptions, RecordJsonlWriter, RecordMetrics, RequestRecord, RunClock,
};
use servebench_tokenize::Tokenizer;

use super::error::ProfileError;
use super::progress::LiveProgress;

/// What the processing thread hands back when the record channel closes.
pub(crate) struct Processed {
    pub(crate) aggregator: Aggregator,
    pub(crate) jsonl_lines: u64,
    /// The first JSONL write failure, if any (processing continued: metrics are not lost).
    pub(crate) jsonl_error: Option<String>,
}

/// Starts the thread. It ends when every sender of `records` is dropped.
pub(crate) fn spawn(
    records: Receiver<RequestRecord>,
    aggregator: Aggregator,
    tokenizer: Arc<dyn Tokenizer>,
    options: MetricOptions,
    jsonl_path: &Path,
    clock: RunClock,
    progress: Arc<LiveProgress>,
) -> Result<JoinHandle<Processed>, ProfileError> {
    let jsonl = RecordJsonlWriter::create(jsonl_path, clock)?;
    let mut state = State {
        aggregator,
        tokenizer,
        options,
        jsonl,
        jsonl_error: None,
        progress,
    };
    std::thread::Builder::new()
        .name("servebench-records".into())
        .spawn(move || {
            'outer: while let Ok(record) = records.recv() {
                state.handle(&record);
                // Drain what is queued, then flush so a killed run keeps every finished request.
                loop {
                    match records.try_recv() {
                        Ok(record) => state.handle(&record),
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => break 'outer,
                    }
                }
                state.flush();
            }
            state.flush();
            Processed {
                jsonl_lines: state.jsonl.lines(),
                aggregator: state.aggregator,
                jsonl_error: state.jsonl_error,
            }
        })
        .map_err(|e| ProfileError::Processor(e.to_string()))
}

struct State {
    aggregator: Aggregator,
    tokenizer: Arc<dyn Tokenizer>,
    options: MetricOptions,
    jsonl: RecordJsonlWriter<File>,
    jsonl_error: Option<String>,
    progress: Arc<LiveProgress>,
}

impl State {
    fn handle(&mut self, record: &RequestRecord) {
        let metrics = RecordMetrics::compute(record, &*self.tokenizer, &self.options);
        if let Err(e) = self.jsonl.write(record, &metrics) {
            self.jsonl_error.get_or_insert_with(|| e.to_string());
        }
        self.progress.observe(
            !record.is_success(),
            metrics.get(Metric::TimeToFirstToken),
            metrics.get(Metric::InterTokenLatency),
        );
        self.aggregator.push(record, &metrics);
    }

    fn flush(&mut self) {
        if let Err(e) = self.jsonl.flush() {
            self.jsonl_error.get_or_insert_with(|| e.to_string());
        }
    }
}
