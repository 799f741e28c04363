//! A scripted OpenAI-like server on 127.0.0.1:0 (hyper, HTTP/1.1 and HTTP/2) that records the
//! truth: when each request arrived, how many were in flight, and the `Instant` each byte range
//! was handed to the socket (its own write stamps, one write per streamed chunk).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::channel::{Channel, Sender};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// What the server does for one request.
#[derive(Debug, Clone)]
pub(crate) enum Script {
    /// A streamed chat completion: a role-only chunk, then (after `ttft`) `tokens` content chunks
    /// `gap` apart with text `r{seq}t{i} `, a finish-only chunk, a usage-only chunk, `[DONE]`.
    Stream {
        ttft: Duration,
        gap: Duration,
        tokens: usize,
    },
    /// Raw SSE text sent as one chunk after `delay`.
    RawSse(&'static str),
    /// A status with a body.
    Status(u16, &'static str),
    /// `tokens` content chunks, then the connection is aborted mid-body.
    ResetAfter { tokens: usize },
    /// One content chunk, then nothing for a long time.
    Stall,
    /// 200 with a JSON body and content-type application/json.
    Json(&'static str),
    /// 200 with a body and no content-type.
    Untyped(&'static str),
}

/// What the server saw of one request.
#[derive(Debug, Clone)]
pub(crate) struct RequestLog {
    pub(crate) seq: u64,
    pub(crate) received: Instant,
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) connection: usize,
    /// The client's port of the connection that carried the request.
    pub(crate) peer_port: u16,
}

type ScriptFn = dyn Fn(u64) -> Script + Send + Sync;

/// Bytes written to one connection and when each write returned.
#[derive(Default)]
pub(crate) struct WriteLog {
    bytes: Vec<u8>,
    /// `(instant the write was called, instant it returned, end offset in bytes)`.
    writes: Vec<(Instant, Instant, usize)>,
}

pub(crate) struct ServerState {
    script: Box<ScriptFn>,
    next_seq: AtomicU64,
    active: AtomicUsize,
    max_active: AtomicUsize,
    requests: Mutex<Vec<RequestLog>>,
    connections: Mutex<Vec<Arc<Mutex<WriteLog>>>>,
}

/// A running scripted server.
pub(crate) struct ScriptedServer {
    pub(crate) addr: SocketAddr,
    pub(crate) state: Arc<ServerState>,
}

impl ScriptedServer {
    /// Starts a server; `script(seq)` decides what request `seq` (0-based, arrival order) gets.
    pub(crate) async fn start(script: impl Fn(u64) -> Script + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(ServerState {
            script: Box::new(script),
            next_seq: AtomicU64::new(0),
            active: AtomicUsize::new(0),
            max_active: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            connections: Mutex::new(Vec::new()),
        });
        let accept_state = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    break;
                };
                stream.set_nodelay(true).expect("nodelay");
                let log = Arc::new(Mutex::new(WriteLog::default()));
                let connection = {
                    let mut conns = accept_state.connections.lock().unwrap();
                    conns.push(Arc::clone(&log));
                    conns.len() - 1
                };
                let state = Arc::clone(&accept_state);
                tokio::spawn(async move {
                    let io = TokioIo::new(LoggedStream { inner: stream, log });
                    let service = service_fn(move |request| {
                        let state = Arc::clone(&state);
                        async move {
                            Ok::<_, Infallible>(
                                state.handle(request, connection, peer.port()).await,
                            )
                        }
                    });
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
        Self { addr, state }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn requests(&self) -> Vec<RequestLog> {
        self.state.requests.lock().unwrap().clone()
    }

    pub(crate) fn max_active(&self) -> usize {
        self.state.max_active.load(Ordering::SeqCst)
    }

    pub(crate) fn connections(&self) -> usize {
        self.state.connections.lock().unwrap().len()
    }

    /// When the write that completed `marker` was called and when it returned (searched in every
    /// connection's bytes).
    pub(crate) fn write_instants_of(&self, marker: &str) -> Option<(Instant, Instant)> {
        let conns = self.state.connections.lock().unwrap();
        for log in conns.iter() {
            let log = log.lock().unwrap();
            let needle = marker.as_bytes();
            if let Some(pos) = log.bytes.windows(needle.len()).position(|w| w == needle) {
                let end = pos + needle.len();
                return log
                    .writes
                    .iter()
                    .find(|(_, _, e)| *e >= end)
                    .map(|(called, returned, _)| (*called, *returned));
            }
        }
        None
    }
}

type Body = BoxBody<Bytes, io::Error>;

struct ActiveGuard(Arc<ServerState>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

impl ServerState {
    async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
        connection: usize,
        peer_port: u16,
    ) -> Response<Body> {
        let received = Instant::now();
        let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
        let now_active = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_active.fetch_max(now_active, Ordering::SeqCst);
        let guard = ActiveGuard(Arc::clone(&self));
        let path = request.uri().path().to_owned();
        let headers = request.headers().clone();
        let body = request
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        self.requests.lock().unwrap().push(RequestLog {
            seq,
            received,
            path,
            headers,
            body,
            connection,
            peer_port,
        });
        let script = (self.script)(seq);
        let full =
            |guard: ActiveGuard, status: u16, content_type: Option<&str>, text: &'static str| {
                let mut builder = Response::builder().status(StatusCode::from_u16(status).unwrap());
                if let Some(ct) = content_type {
                    builder = builder.header("content-type", ct);
                }
                drop(guard);
                builder
                    .body(
                        Full::new(Bytes::from_static(text.as_bytes()))
                            .map_err(|e| match e {})
                            .boxed(),
                    )
                    .unwrap()
            };
        match script {
            Script::Status(code, text) => full(guard, code, Some("application/json"), text),
            Script::Json(text) => full(guard, 200, Some("application/json"), text),
            Script::Untyped(text) => full(guard, 200, None, text),
            Script::RawSse(text) => sse(move |mut tx| async move {
                let _guard = guard;
                let _ = tx.send_data(Bytes::from_static(text.as_bytes())).await;
            }),
            Script::Stream { ttft, gap, tokens } => sse(move |mut tx| async move {
                let _guard = guard;
                let _ = tx
                    .send_data(chunk(r#"{"role":"assistant","content":""}"#, "null"))
                    .await;
                tokio::time::sleep(ttft).await;
                for i in 0..tokens {
                    if i > 0 {
                        tokio::time::sleep(gap).await;
                    }
                    let _ = tx.send_data(content(seq, i)).await;
                }
                let _ = tx.send_data(chunk("{}", "\"length\"")).await;
                let usage = format!(
                    "data: {{\"choices\":[],\"usage\":{{\"prompt_tokens\":3,\"completion_tokens\":{tokens},\"total_tokens\":{},\"prompt_tokens_details\":{{\"cached_tokens\":1}}}}}}\n\n",
                    tokens + 3
                );
                let _ = tx.send_data(Bytes::from(usage)).await;
                // Not in flight any more before the client can possibly see the end.
                drop(_guard);
                let _ = tx.send_data(Bytes::from_static(b"data: [DONE]\n\n")).await;
            }),
            Script::ResetAfter { tokens } => sse(move |mut tx| async move {
                let _guard = guard;
                for i in 0..tokens {
                    let _ = tx.send_data(content(seq, i)).await;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
                tx.abort(io::Error::other("scripted reset"));
            }),
            Script::Stall => sse(move |mut tx| async move {
                let _guard = guard;
                let _ = tx.send_data(content(seq, 0)).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            }),
        }
    }
}

/// The content chunk of request `seq`, token `i`: text `r{seq}t{i} `.
pub(crate) fn content(seq: u64, i: usize) -> Bytes {
    chunk(&format!(r#"{{"content":"r{seq}t{i} "}}"#), "null")
}

/// The marker of request `seq`, token `i` in the server's byte log.
pub(crate) fn marker(seq: u64, i: usize) -> String {
    format!("r{seq}t{i} ")
}

fn chunk(delta: &str, finish: &str) -> Bytes {
    Bytes::from(format!(
        "data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
    ))
}

fn sse<F, Fut>(produce: F) -> Response<Body>
where
    F: FnOnce(Sender<Bytes, io::Error>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, body) = Channel::<Bytes, io::Error>::new(1);
    tokio::spawn(produce(tx));
    Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .body(body.boxed())
        .unwrap()
}

/// The server's socket, logging every write and when it returned.
struct LoggedStream {
    inner: TcpStream,
    log: Arc<Mutex<WriteLog>>,
}

impl AsyncRead for LoggedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for LoggedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let called = Instant::now();
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            let returned = Instant::now();
            let mut log = self.log.lock().unwrap();
            log.bytes.extend_from_slice(&buf[..n]);
            let end = log.bytes.len();
            log.writes.push((called, returned, end));
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
