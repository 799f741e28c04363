//! [`RecordBuilder`]: records for tests, benchmarks and synthetic data without spelling out
//! every field.

use crate::record::{ContentChunk, ErrorKind, MonoNs, Phase, RequestError, RequestRecord, Usage};

/// Builds a [`RequestRecord`]. Starts as a successful, empty profiling record with every stamp
/// at 0, not streamed, no status; each method sets one aspect.
///
/// ```
/// use servebench_metrics::{ErrorKind, RecordBuilder};
///
/// let record = RecordBuilder::new(3)
///     .span(10, 500)
///     .streamed_chunks([(100, " hello"), (120, " world")])
///     .input_tokens(8)
///     .build();
/// assert_eq!((record.index, record.start_ns, record.chunks.len()), (3, 10, 2));
/// assert!(record.is_success());
/// let failed = RecordBuilder::new(4).error(ErrorKind::HttpStatus, Some(500), "boom").build();
/// assert_eq!(failed.status, Some(500));
/// ```
#[derive(Debug, Clone)]
pub struct RecordBuilder {
    record: RequestRecord,
}

impl RecordBuilder {
    /// A successful, empty profiling record of request `index`.
    pub fn new(index: u64) -> Self {
        Self {
            record: RequestRecord {
                index,
                phase: Phase::Profiling,
                session_index: 0,
                turn_index: 0,
                url_index: 0,
                credit_issued_ns: 0,
                intended_send_ns: None,
                start_ns: 0,
                ack_ns: None,
                end_ns: 0,
                status: None,
                streaming: false,
                chunks: Vec::new(),
                reads: 0,
                non_content_events: 0,
                usage: None,
                input_tokens: None,
                requested_output_tokens: None,
                server_timing: None,
                error: None,
            },
        }
    }

    /// Continues from an existing record.
    pub fn from_record(record: RequestRecord) -> Self {
        Self { record }
    }

    /// The phase.
    pub fn phase(mut self, phase: Phase) -> Self {
        self.record.phase = phase;
        self
    }

    /// Credit at `start_ns`, request written at `start_ns`, response ended at `end_ns`.
    pub fn span(mut self, start_ns: MonoNs, end_ns: MonoNs) -> Self {
        self.record.credit_issued_ns = start_ns;
        self.record.start_ns = start_ns;
        self.record.end_ns = end_ns;
        self
    }

    /// When the scheduler released the request (`credit_issued_ns`).
    pub fn credit(mut self, credit_issued_ns: MonoNs) -> Self {
        self.record.credit_issued_ns = credit_issued_ns;
        self
    }

    /// When the response head arrived (`ack_ns`).
    pub fn ack(mut self, ack_ns: MonoNs) -> Self {
        self.record.ack_ns = Some(ack_ns);
        self
    }

    /// The HTTP status.
    pub fn status(mut self, status: u16) -> Self {
        self.record.status = Some(status);
        self
    }

    /// A streamed 200 response with these content chunks, one socket read each.
    pub fn chunks(mut self, chunks: Vec<ContentChunk>) -> Self {
        self.record.streaming = true;
        self.record.status = Some(200);
        self.record.reads = u32::try_from(chunks.len()).unwrap_or(u32::MAX);
        self.record.chunks = chunks;
        self
    }

    /// [`RecordBuilder::chunks`] from `(stamp_ns, text)` pairs, read `i` for chunk `i`.
    pub fn streamed_chunks<'a>(self, chunks: impl IntoIterator<Item = (MonoNs, &'a str)>) -> Self {
        let chunks = chunks
            .into_iter()
            .enumerate()
            .map(|(i, (stamp_ns, text))| ContentChunk {
                read_index: u32::try_from(i).unwrap_or(u32::MAX),
                stamp_ns,
                text: text.to_owned(),
                reasoning: String::new(),
                usage_tokens: None,
            })
            .collect();
        self.chunks(chunks)
    }

    /// Socket reads of the body and SSE events without content.
    pub fn reads(mut self, reads: u32, non_content_events: u32) -> Self {
        self.record.reads = reads;
        self.record.non_content_events = non_content_events;
        self
    }

    /// The prompt length (ISL).
    pub fn input_tokens(mut self, tokens: u64) -> Self {
        self.record.input_tokens = Some(tokens);
        self
    }

    /// The output length the request asked for.
    pub fn requested_output_tokens(mut self, tokens: u64) -> Self {
        self.record.requested_output_tokens = Some(tokens);
        self
    }

    /// The server's usage.
    pub fn usage(mut self, usage: Usage) -> Self {
        self.record.usage = Some(usage);
        self
    }

    /// A failure (and its HTTP status, when `code` is one).
    pub fn error(mut self, kind: ErrorKind, code: Option<u16>, message: &str) -> Self {
        self.record.status = code;
        self.record.error = Some(RequestError {
            kind,
            code,
            message: message.to_owned(),
        });
        self
    }

    /// The record.
    pub fn build(self) -> RequestRecord {
        self.record
    }
}
