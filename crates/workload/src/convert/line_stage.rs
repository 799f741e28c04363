//! Formatting converted rows into Mooncake JSONL lines on a thread of its own, so that the
//! thread hashing the blocks (which must run in order) does not also format every number.
//! Chunks come back in the order they were pushed (one formatting thread, FIFO channels).

use std::io::Write;
use std::sync::mpsc;
use std::thread;

use servebench_trace_formats::Error;
use servebench_trace_formats::{JsonStyle, MooncakeRecord, format_mooncake_line};

/// Converted rows of one chunk: `(timestamp ms, input length, output length)`, the number of
/// hash ids of each row, and all their hash ids, row after row.
struct Chunk {
    rows: Vec<(u64, u64, u64)>,
    counts: Vec<u64>,
    ids: Vec<u64>,
}

/// Chunks in flight before [`LineStage::push`] waits for the formatter.
const QUEUE: usize = 4;

/// A formatting thread fed with chunks of rows, returning their JSONL text in order.
pub(crate) struct LineStage {
    jobs: Option<mpsc::SyncSender<Chunk>>,
    done: mpsc::Receiver<String>,
    pending: usize,
}

impl LineStage {
    /// Starts the formatting thread inside `scope`.
    pub(crate) fn start<'scope>(scope: &'scope thread::Scope<'scope, '_>) -> Self {
        let (job_tx, job_rx) = mpsc::sync_channel::<Chunk>(QUEUE);
        let (done_tx, done_rx) = mpsc::channel::<String>();
        scope.spawn(move || {
            let mut record = MooncakeRecord::new(Some(0), 0, 0, Vec::new());
            for chunk in job_rx {
                let mut text = String::with_capacity(chunk.ids.len() * 9 + chunk.rows.len() * 64);
                let mut offset = 0usize;
                for (&(ts_ms, isl, osl), &n) in chunk.rows.iter().zip(&chunk.counts) {
                    let end = offset + n as usize;
                    record.timestamp = Some(ts_ms);
                    record.input_length = isl;
                    record.output_length = osl;
                    record.hash_ids.clear();
                    record
                        .hash_ids
                        .extend_from_slice(chunk.ids.get(offset..end).unwrap_or_default());
                    offset = end;
                    format_mooncake_line(&mut text, &record, JsonStyle::Compact);
                }
                if done_tx.send(text).is_err() {
                    return;
                }
            }
        });
        Self {
            jobs: Some(job_tx),
            done: done_rx,
            pending: 0,
        }
    }

    /// Queues a chunk (waits while [`QUEUE`] chunks are queued).
    pub(crate) fn push(&mut self, rows: Vec<(u64, u64, u64)>, counts: Vec<u64>, ids: Vec<u64>) {
        if let Some(jobs) = &self.jobs {
            if jobs.send(Chunk { rows, counts, ids }).is_ok() {
                self.pending += 1;
            } else {
                self.jobs = None;
            }
        }
    }

    /// Writes the formatted chunks that are ready (all of them, waiting, when `all`).
    pub(crate) fn drain<W: Write>(
        &mut self,
        out: &mut W,
        out_name: &str,
        all: bool,
    ) -> Result<(), Error> {
        if all {
            self.jobs = None;
        }
        while self.pending > 0 {
            let text = if all {
                self.done.recv().ok()
            } else {
                self.done.try_recv().ok()
            };
            let Some(text) = text else {
                break;
            };
            self.pending -= 1;
            out.write_all(text.as_bytes())
                .map_err(|e| Error::write(out_name, e))?;
        }
        Ok(())
    }
}
