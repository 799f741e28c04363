//! One request/response exchange: send, stamp, read the body, fill the record.

use std::time::Instant;

use bytes::Bytes;
use http::{Method, Request, Response, Version, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use servebench_metrics::{ErrorKind, MonoNs, RequestError, RequestRecord, RunClock};

use super::connection::{Connector, H1Conn, ReqBody, SessionConn};
use super::stream::{QUOTE_LIMIT, StreamState, apply_whole_body, judge_completion, quote};
use super::target::Target;
use crate::error::RunConfigError;
use crate::request_body::{EndpointConfig, EndpointKind};
use crate::runner::ConnectionReuse;
use crate::sse::SseParser;

/// The HTTP client of a run: targets, connections and how to read responses.
pub(crate) struct HttpClient {
    clock: RunClock,
    targets: Vec<Target>,
    connector: Connector,
    http2: bool,
    reuse: ConnectionReuse,
    streaming: bool,
    embeddings: bool,
}

/// Where body frames come from and how they are stamped.
enum Wire<'c> {
    /// HTTP/1.1: the connection is driven in this task; frames carry the read stamps.
    H1(&'c mut H1Conn),
    /// HTTP/2: frames are stamped when they reach this task; each frame counts as a read.
    H2 { clock: RunClock, frames: u64 },
}

/// A body frame: its bytes, the sequence number of the read that delivered it, and its stamp.
struct Frame {
    data: Bytes,
    read_seq: u64,
    stamp_ns: MonoNs,
}

impl Wire<'_> {
    async fn next(&mut self, body: &mut Incoming) -> Result<Option<Frame>, hyper::Error> {
        loop {
            let frame = match self {
                Wire::H1(conn) => conn.driver.drive(body.frame()).await,
                Wire::H2 { .. } => body.frame().await,
            };
            let Some(frame) = frame.transpose()? else {
                return Ok(None);
            };
            let Ok(data) = frame.into_data() else {
                continue; // trailers
            };
            if data.is_empty() {
                continue;
            }
            let (read_seq, stamp_ns) = match self {
                Wire::H1(conn) => conn.stamps.latest(),
                Wire::H2 { clock, frames } => {
                    *frames += 1;
                    (*frames, clock.now_ns())
                }
            };
            return Ok(Some(Frame {
                data,
                read_seq,
                stamp_ns,
            }));
        }
    }

    /// Stamp of the end of the body (the read that delivered its last bytes, for HTTP/1.1).
    fn end_stamp(&self) -> MonoNs {
        match self {
            Wire::H1(conn) => conn.stamps.latest().1,
            Wire::H2 { clock, .. } => clock.now_ns(),
        }
    }
}

/// Counts distinct reads of a body.
struct ReadCounter {
    last_seq: Option<u64>,
}

impl ReadCounter {
    /// The record's read index of a frame, counting a new read when its sequence changes.
    fn index_of(&mut self, record: &mut RequestRecord, read_seq: u64) -> u32 {
        if self.last_seq != Some(read_seq) {
            self.last_seq = Some(read_seq);
            record.reads += 1;
        }
        record.reads.saturating_sub(1)
    }
}

impl HttpClient {
    pub(crate) fn new(
        clock: RunClock,
        urls: &[String],
        endpoint: &EndpointConfig,
        http2: bool,
        reuse: ConnectionReuse,
    ) -> Result<Self, RunConfigError> {
        if urls.is_empty() {
            return Err(RunConfigError::NoUrls);
        }
        let targets = urls
            .iter()
            .map(|url| Target::parse(url, endpoint))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            clock,
            connector: Connector::new(clock, targets.len()),
            targets,
            http2,
            reuse,
            streaming: endpoint.streams(),
            embeddings: endpoint.kind == EndpointKind::Embeddings,
        })
    }

    /// Checks that the host of every base URL resolves.
    pub(crate) async fn resolve_all(&self) -> Result<(), RunConfigError> {
        for target in &self.targets {
            let unresolvable = |source| RunConfigError::UnresolvableHost {
                url: target.url.clone(),
                source,
            };
            let mut addrs = tokio::net::lookup_host(target.authority.as_str())
                .await
                .map_err(|e| unresolvable(Some(e)))?;
            if addrs.next().is_none() {
                return Err(unresolvable(None));
            }
        }
        Ok(())
    }

    /// Number of base URLs.
    pub(crate) fn url_count(&self) -> usize {
        self.targets.len()
    }

    /// Sends `body` to URL `record.url_index` and fills `record` (stamps, chunks, error).
    /// `session` is the connection kept by the request's session under
    /// [`ConnectionReuse::StickyUserSessions`] (`None`: the request is a session of its own).
    ///
    /// `send_at`: a request released ahead of its due instant is written no earlier than this
    /// (its connection is checked out before, see [`super::hold`]).
    ///
    /// Cancel-safe: dropped at any await point, the record holds what was measured so far and
    /// the connection is closed.
    pub(crate) async fn exchange(
        &self,
        record: &mut RequestRecord,
        body: Bytes,
        session: Option<&mut SessionConn>,
        send_at: Option<Instant>,
    ) {
        let index = usize::try_from(record.url_index).unwrap_or(usize::MAX) % self.targets.len();
        let target = &self.targets[index];
        record.start_ns = self.clock.now_ns();
        if self.http2 {
            self.exchange_h2(record, body, index, target, send_at).await;
        } else {
            self.exchange_h1(record, body, index, target, session, send_at)
                .await;
        }
    }

    async fn exchange_h1(
        &self,
        record: &mut RequestRecord,
        body: Bytes,
        index: usize,
        target: &Target,
        mut session: Option<&mut SessionConn>,
        send_at: Option<Instant>,
    ) {
        let mut retried = false;
        loop {
            let kept = match session.as_deref_mut().and_then(|s| s.held.take()) {
                Some((url, mut conn)) if url == index && !retried && conn.usable() => {
                    conn.reused = true;
                    Some(conn)
                }
                _ => None,
            };
            let checkout = match (kept, self.reuse) {
                (Some(conn), _) => Ok(conn),
                (None, ConnectionReuse::Pooled) => self.connector.checkout_h1(index, target).await,
                (None, ConnectionReuse::Never | ConnectionReuse::StickyUserSessions) => {
                    self.connector.dial_h1(target).await
                }
            };
            let mut conn = match checkout {
                Ok(conn) => conn,
                Err(e) => return self.fail(record, e.kind, None, e.message),
            };
            let request = build_request(target, body.clone(), false);
            if let Some(due) = send_at {
                super::hold::until(due).await;
            }
            record.start_ns = self.clock.now_ns();
            let sent = conn.driver.drive(conn.sender.send_request(request)).await;
            let response = match sent {
                Ok(response) => response,
                // An idle keep-alive connection the server closed: retry once on a new one.
                Err(_) if conn.reused && !retried => {
                    retried = true;
                    continue;
                }
                // Bytes that are not HTTP: parsed as a response, or arriving before the request
                // was sent (a service that speaks first, e.g. an SSH banner).
                Err(e) if e.is_parse() || describe(&e).contains("unexpected message") => {
                    let message = format!(
                        "{} did not answer with a valid HTTP response: {}",
                        target.url,
                        describe(&e)
                    );
                    return self.fail(record, ErrorKind::InvalidResponse, None, message);
                }
                Err(e) => {
                    let message = format!(
                        "connection to {} closed before the response arrived: {}",
                        target.url,
                        describe(&e)
                    );
                    return self.fail(record, ErrorKind::StreamReset, None, message);
                }
            };
            record.ack_ns = Some(conn.stamps.latest().1);
            let clean = self
                .read_response(record, response, &mut Wire::H1(&mut conn), target)
                .await;
            if clean {
                match (self.reuse, session) {
                    (ConnectionReuse::Pooled, _) => self.connector.checkin_h1(index, conn),
                    (ConnectionReuse::StickyUserSessions, Some(session)) if conn.usable() => {
                        session.held = Some((index, conn));
                    }
                    // Never reused: dropping it closes it.
                    _ => {}
                }
            }
            return;
        }
    }

    async fn exchange_h2(
        &self,
        record: &mut RequestRecord,
        body: Bytes,
        index: usize,
        target: &Target,
        send_at: Option<Instant>,
    ) {
        let mut sender = match self.connector.h2_sender(index, target).await {
            Ok(sender) => sender,
            Err(e) => return self.fail(record, e.kind, None, e.message),
        };
        if let Err(e) = sender.ready().await {
            let message = format!(
                "HTTP/2 connection to {} failed: {}",
                target.url,
                describe(&e)
            );
            return self.fail(record, ErrorKind::Connect, None, message);
        }
        let request = build_request(target, body, true);
        if let Some(due) = send_at {
            super::hold::until(due).await;
        }
        record.start_ns = self.clock.now_ns();
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            Err(e) => {
                let message = format!(
                    "HTTP/2 stream to {} closed before the response arrived: {}",
                    target.url,
                    describe(&e)
                );
                return self.fail(record, ErrorKind::StreamReset, None, message);
            }
        };
        record.ack_ns = Some(self.clock.now_ns());
        let mut wire = Wire::H2 {
            clock: self.clock,
            frames: 0,
        };
        self.read_response(record, response, &mut wire, target)
            .await;
    }

    /// Reads the response into the record; true when the body was read cleanly to its end.
    async fn read_response(
        &self,
        record: &mut RequestRecord,
        response: Response<Incoming>,
        wire: &mut Wire<'_>,
        target: &Target,
    ) -> bool {
        let status = response.status();
        record.status = Some(status.as_u16());
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let mut body = response.into_body();
        if !status.is_success() {
            let (text, clean) = read_prefix(&mut body, wire, record).await;
            let message = format!(
                "HTTP {} from {}: {}",
                status.as_u16(),
                target.url,
                quote(&text)
            );
            self.fail(
                record,
                ErrorKind::HttpStatus,
                Some(status.as_u16()),
                message,
            );
            return clean;
        }
        if self.streaming {
            if let Some(content_type) = content_type
                && !content_type
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("text/event-stream")
            {
                let (text, clean) = read_prefix(&mut body, wire, record).await;
                let message = format!(
                    "expected an SSE stream (text/event-stream) from {}, got content-type {content_type:?}: {}",
                    target.url,
                    quote(&text)
                );
                self.fail(record, ErrorKind::NotSse, None, message);
                return clean;
            }
            self.read_stream(record, &mut body, wire, target).await
        } else {
            self.read_whole(record, &mut body, wire, target).await
        }
    }

    async fn read_stream(
        &self,
        record: &mut RequestRecord,
        body: &mut Incoming,
        wire: &mut Wire<'_>,
        target: &Target,
    ) -> bool {
        let mut parser = SseParser::new();
        let mut reads = ReadCounter { last_seq: None };
        let mut bytes_read: u64 = 0;
        let mut first_bytes: Vec<u8> = Vec::new();
        let mut state = StreamState::new(&target.url);
        loop {
            match wire.next(body).await {
                Ok(Some(frame)) => {
                    let read_index = reads.index_of(record, frame.read_seq);
                    bytes_read += frame.data.len() as u64;
                    if first_bytes.len() < QUOTE_LIMIT {
                        let take = frame.data.len().min(QUOTE_LIMIT - first_bytes.len());
                        first_bytes.extend_from_slice(&frame.data[..take]);
                    }
                    parser.feed(&frame.data, &mut |event| {
                        state.on_event(record, event, read_index, frame.stamp_ns);
                    });
                    if let Some(error) = state.error.take() {
                        record.end_ns = frame.stamp_ns;
                        record.error = Some(error);
                        return false;
                    }
                }
                Ok(None) => {
                    let end_ns = wire.end_stamp();
                    let read_index = record.reads.saturating_sub(1);
                    parser.finish(&mut |event| state.on_event(record, event, read_index, end_ns));
                    let error = state.error.take();
                    record.end_ns = end_ns;
                    record.error = error;
                    if record.error.is_none()
                        && parser.recognised_lines() == 0
                        && !first_bytes.trim_ascii().is_empty()
                    {
                        record.error = Some(RequestError {
                            kind: ErrorKind::NotSse,
                            code: None,
                            message: format!(
                                "expected an SSE stream from {}, got a body with no SSE fields: {}",
                                target.url,
                                quote(&first_bytes)
                            ),
                        });
                    }
                    judge_completion(record, &target.url, state.finish_reason.as_deref());
                    return true;
                }
                Err(e) => {
                    let message = format!(
                        "connection to {} closed mid-stream after {bytes_read} body bytes: {}",
                        target.url,
                        describe(&e)
                    );
                    self.fail(record, ErrorKind::StreamReset, None, message);
                    return false;
                }
            }
        }
    }

    async fn read_whole(
        &self,
        record: &mut RequestRecord,
        body: &mut Incoming,
        wire: &mut Wire<'_>,
        target: &Target,
    ) -> bool {
        let mut reads = ReadCounter { last_seq: None };
        let mut buffer = Vec::new();
        loop {
            match wire.next(body).await {
                Ok(Some(frame)) => {
                    reads.index_of(record, frame.read_seq);
                    buffer.extend_from_slice(&frame.data);
                }
                Ok(None) => break,
                Err(e) => {
                    let message = format!(
                        "connection to {} closed after {} body bytes: {}",
                        target.url,
                        buffer.len(),
                        describe(&e)
                    );
                    self.fail(record, ErrorKind::StreamReset, None, message);
                    return false;
                }
            }
        }
        let end_ns = wire.end_stamp();
        record.end_ns = end_ns;
        let read_index = record.reads.saturating_sub(1);
        apply_whole_body(
            record,
            &target.url,
            &buffer,
            self.embeddings,
            read_index,
            end_ns,
        );
        true
    }

    fn fail(
        &self,
        record: &mut RequestRecord,
        kind: ErrorKind,
        code: Option<u16>,
        message: String,
    ) {
        record.end_ns = self.clock.now_ns();
        record.error = Some(RequestError {
            kind,
            code,
            message,
        });
    }
}

/// RunConfigError bodies longer than this are not drained (the connection is closed instead).
const ERROR_BODY_DRAIN_LIMIT: usize = 64 * 1024;

/// Reads up to [`QUOTE_LIMIT`] bytes of an error body; true when the body ended cleanly.
async fn read_prefix(
    body: &mut Incoming,
    wire: &mut Wire<'_>,
    record: &mut RequestRecord,
) -> (Vec<u8>, bool) {
    let mut reads = ReadCounter { last_seq: None };
    let mut text = Vec::new();
    let mut total = 0usize;
    loop {
        match wire.next(body).await {
            Ok(Some(frame)) => {
                reads.index_of(record, frame.read_seq);
                total += frame.data.len();
                if text.len() < QUOTE_LIMIT {
                    text.extend_from_slice(&frame.data);
                }
                if total > ERROR_BODY_DRAIN_LIMIT {
                    return (text, false);
                }
            }
            Ok(None) => return (text, true),
            Err(_) => return (text, false),
        }
    }
}

fn build_request(target: &Target, body: Bytes, http2: bool) -> Request<ReqBody> {
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = Method::POST;
    *request.headers_mut() = target.headers.clone();
    if http2 {
        *request.uri_mut() = target.absolute.clone();
        *request.version_mut() = Version::HTTP_2;
        request.headers_mut().remove(header::HOST);
    } else {
        *request.uri_mut() = target.path.clone();
    }
    request
}

/// An error with its chain of sources, `a: b: c`.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::request_body::EndpointConfig;

    /// A one-shot HTTP/1.1 server: notes when the request's first bytes arrived, answers a
    /// small non-streamed completion.
    async fn one_shot_server(arrived: Arc<Mutex<Option<Instant>>>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut buffer = vec![0u8; 64 * 1024];
            let n = socket.read(&mut buffer).await.expect("read");
            *arrived.lock().expect("lock") = Some(Instant::now());
            assert!(n > 0);
            let body = r#"{"choices":[{"text":"hi"}]}"#;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(response.as_bytes()).await.expect("write");
            // Keep the connection open until the client has read the response.
            let _ = socket.read(&mut buffer).await;
        });
        format!("http://{address}")
    }

    #[test]
    fn a_request_released_ahead_is_written_no_earlier_than_its_send_instant() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime");
        runtime.block_on(async {
            let arrived = Arc::new(Mutex::new(None));
            let url = one_shot_server(Arc::clone(&arrived)).await;
            let clock = RunClock::start();
            let endpoint = EndpointConfig::new(EndpointKind::Completions, "m");
            let client = HttpClient::new(clock, &[url], &endpoint, false, ConnectionReuse::Pooled)
                .expect("a client");
            let mut record = servebench_metrics::RecordBuilder::new(0).build();
            let send_at = Instant::now() + Duration::from_millis(30);
            client
                .exchange(
                    &mut record,
                    Bytes::from_static(b"{\"prompt\":\"x\"}"),
                    None,
                    Some(send_at),
                )
                .await;
            assert!(record.error.is_none(), "{:?}", record.error);
            assert!(record.start_ns >= clock.ns_at(send_at));
            let arrived = arrived
                .lock()
                .expect("lock")
                .expect("the server saw the request");
            assert!(arrived >= send_at);
        });
    }
}
