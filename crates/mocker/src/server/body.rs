//! Response bodies: a complete buffer, or an SSE stream driven straight from the token source's
//! channel (no task or channel hop per request: hyper polls the body, the body polls the source).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Sleep;

use super::api_error::ApiError;
use super::faults::FaultPlan;
use super::render::{DONE, Renderer, Usage};
use super::tracker::{Outcome, Tracker};
use crate::protocol::GenerateEvent;

/// Stop adding ready tokens to one frame past this size, so a burst is sent in bounded pieces.
const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Every response body the server sends.
#[derive(Debug)]
pub(crate) enum ResponseBody {
    /// A complete body, sent in one frame.
    Full(Option<Bytes>),
    /// A server-sent-events stream.
    Sse(Box<SseStream>),
    /// An injected disconnect: the headers go out, then the connection is closed.
    Broken {
        /// Whether hyper has had its chance to flush the headers.
        flushed: bool,
    },
}

impl ResponseBody {
    pub(crate) fn full(bytes: impl Into<Bytes>) -> Self {
        Self::Full(Some(bytes.into()))
    }
}

fn injected_disconnect() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "injected disconnect")
}

/// hyper aborts a connection on a body error without flushing what it buffered, so an injected
/// disconnect first answers `Pending` once (hyper flushes while the body is pending) and wakes
/// itself, then fails.
fn flush_then_fail(
    flushed: &mut bool,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
    if *flushed {
        Poll::Ready(Some(Err(injected_disconnect())))
    } else {
        *flushed = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            Self::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Self::Sse(s) => s.poll_next(cx),
            Self::Broken { flushed } => flush_then_fail(flushed, cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Self::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Self::Full(None) => SizeHint::with_exact(0),
            _ => SizeHint::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Streaming,
    /// Sent what was ready; closes the connection once hyper has flushed it (injected fault).
    Disconnecting {
        flushed: bool,
    },
    Done,
}

/// An SSE response: role chunk with the first token (chat), one chunk per token, the final chunk
/// with `finish_reason`, the usage chunk if asked, then `data: [DONE]`.
#[derive(Debug)]
pub(crate) struct SseStream {
    rx: UnboundedReceiver<GenerateEvent>,
    render: Renderer,
    tracker: Tracker,
    include_usage: bool,
    faults: FaultPlan,
    stall: Option<Pin<Box<Sleep>>>,
    stall_length: std::time::Duration,
    /// An event taken from the channel but held back by a stall.
    held: Option<GenerateEvent>,
    role_sent: bool,
    phase: Phase,
}

impl SseStream {
    pub(crate) fn new(
        rx: UnboundedReceiver<GenerateEvent>,
        render: Renderer,
        tracker: Tracker,
        include_usage: bool,
        faults: FaultPlan,
        stall_length: std::time::Duration,
    ) -> Self {
        Self {
            rx,
            render,
            tracker,
            include_usage,
            faults,
            stall: None,
            stall_length,
            held: None,
            role_sent: false,
            phase: Phase::Streaming,
        }
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        loop {
            match self.phase {
                Phase::Done => return Poll::Ready(None),
                Phase::Disconnecting { ref mut flushed } => return flush_then_fail(flushed, cx),
                Phase::Streaming => {}
            }
            if let Some(stall) = &mut self.stall {
                if stall.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.stall = None;
            }
            let mut buf = Vec::new();
            let pending = self.drain(cx, &mut buf);
            if !buf.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(Bytes::from(buf)))));
            }
            if pending {
                return Poll::Pending;
            }
            // A phase change or a new stall with nothing to flush: act on it now.
        }
    }

    /// Renders every ready event into `buf`. Returns true when it stopped because the channel
    /// had nothing more (the waker is registered), false when a fault or the end stopped it.
    fn drain(&mut self, cx: &mut Context<'_>, buf: &mut Vec<u8>) -> bool {
        let now = Instant::now();
        let mut batch = 0u32;
        while buf.len() < MAX_FRAME_BYTES {
            let event = match self.held.take() {
                Some(e) => Some(e),
                None => match self.rx.poll_recv(cx) {
                    Poll::Pending => {
                        self.tracker.tokens(now, batch);
                        return true;
                    }
                    Poll::Ready(e) => e,
                },
            };
            let position = self.tracker.sent() + batch;
            if self.faults.disconnect_at == Some(position) {
                self.phase = Phase::Disconnecting { flushed: false };
                break;
            }
            if self.faults.stall_at == Some(position) {
                self.faults.stall_at = None;
                self.held = event;
                self.stall = Some(Box::pin(tokio::time::sleep(self.stall_length)));
                break;
            }
            let malformed = self.faults.malformed_at == Some(position);
            match event {
                Some(GenerateEvent::Token { token_id }) => {
                    if !self.role_sent {
                        self.render.role_chunk(buf);
                        self.role_sent = true;
                    }
                    if malformed {
                        self.render.malformed_chunk(buf, token_id);
                    } else {
                        self.render.output_chunk(buf, token_id, position);
                    }
                    batch += 1;
                }
                Some(GenerateEvent::Finished { reason, timings }) => {
                    self.end(
                        now,
                        batch,
                        Outcome::Finished(reason, timings),
                        malformed,
                        buf,
                    );
                    return false;
                }
                None => {
                    if let Some(cause) = self.tracker.source_failure() {
                        self.fail(now, batch, &cause, buf);
                    } else {
                        self.end(now, batch, Outcome::Aborted, malformed, buf);
                    }
                    return false;
                }
            }
        }
        self.tracker.tokens(now, batch);
        false
    }

    /// The source died under this stream: an OpenAI error event, then `[DONE]`.
    fn fail(&mut self, now: Instant, batch: u32, cause: &str, buf: &mut Vec<u8>) {
        self.tracker.tokens(now, batch);
        let _ = self.tracker.finish(now, Outcome::Aborted);
        let error = ApiError::new(
            http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            format!("generation failed: {cause}"),
        );
        buf.extend_from_slice(b"data: ");
        buf.extend_from_slice(&error.body());
        buf.extend_from_slice(b"\n\n");
        buf.extend_from_slice(DONE);
        self.phase = Phase::Done;
    }

    fn end(
        &mut self,
        now: Instant,
        batch: u32,
        outcome: Outcome,
        malformed: bool,
        buf: &mut Vec<u8>,
    ) {
        self.tracker.tokens(now, batch);
        if !self.role_sent {
            self.render.role_chunk(buf);
            self.role_sent = true;
        }
        let (finish, mut usage, timings) = self.tracker.finish(now, outcome);
        usage.reasoning_tokens = self.render.reasoning_count(usage.completion_tokens);
        let start = buf.len();
        self.render.final_chunk(buf, finish, &timings);
        if malformed {
            // Cut the final chunk's JSON in half, keeping the event terminator.
            let cut = start + (buf.len() - start) / 2;
            buf.truncate(cut);
            buf.extend_from_slice(b"\n\n");
        }
        if self.include_usage {
            self.render.usage_chunk(buf, &usage);
        }
        buf.extend_from_slice(DONE);
        self.phase = Phase::Done;
    }
}

/// A whole generation collected for a non-streaming response.
#[derive(Debug)]
pub(crate) struct Collected {
    /// JSON-escaped content text.
    pub(crate) text: Vec<u8>,
    /// JSON-escaped reasoning text (empty unless reasoning output is on).
    pub(crate) reasoning: Vec<u8>,
    pub(crate) finish: &'static str,
    pub(crate) usage: Usage,
    pub(crate) timings: super::render::Timings,
}

/// Collects a whole generation for a non-streaming response: the JSON-escaped content and
/// reasoning texts, then the finish reason, usage and timings.
pub(crate) async fn collect(
    mut rx: UnboundedReceiver<GenerateEvent>,
    tracker: &mut Tracker,
    render: &Renderer,
) -> Collected {
    let mut text = Vec::new();
    let mut reasoning = Vec::new();
    loop {
        let event = rx.recv().await;
        let now = Instant::now();
        let outcome = match event {
            Some(GenerateEvent::Token { token_id }) => {
                let into = if render.is_reasoning(tracker.sent()) {
                    &mut reasoning
                } else {
                    &mut text
                };
                into.extend_from_slice(render.token_text(token_id));
                tracker.tokens(now, 1);
                continue;
            }
            Some(GenerateEvent::Finished { reason, timings }) => Outcome::Finished(reason, timings),
            None => Outcome::Aborted,
        };
        let (finish, mut usage, timings) = tracker.finish(now, outcome);
        usage.reasoning_tokens = render.reasoning_count(usage.completion_tokens);
        return Collected {
            text,
            reasoning,
            finish,
            usage,
            timings,
        };
    }
}
