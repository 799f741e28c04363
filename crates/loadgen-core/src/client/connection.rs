//! Connections: dialing, HTTP/1.1 keep-alive connections owned by the request that uses them,
//! and one shared multiplexed connection per base URL for HTTP/2.
//!
//! HTTP/1.1 connections are not spawned as background tasks: a request drives its connection in
//! its own task ([`H1Driver::drive`]), so the read stamp a body frame sees is the stamp of the
//! read that delivered its bytes (no read-ahead by another thread can overwrite it). Idle
//! connections wait in a per-URL LIFO pool; there are never more than the peak number of requests
//! in flight to that URL, i.e. one connection per virtual user in closed loop, like oha.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use servebench_metrics::{ErrorKind, RunClock};
use tokio::net::TcpStream;

use super::stamped_io::{ReadStamps, StampedStream};
use super::target::Target;

/// Request body type of every request.
pub(crate) type ReqBody = Full<Bytes>;

/// Drives an HTTP/1.1 connection from the task of the request that uses it.
pub(crate) struct H1Driver {
    conn: http1::Connection<TokioIo<StampedStream>, ReqBody>,
    finished: bool,
}

impl H1Driver {
    /// Polls `fut` to completion, polling the connection whenever `fut` is pending.
    ///
    /// After the connection has been polled, `fut` is polled again at once: the connection hands
    /// a decoded body frame to `fut` through a channel, and picking it up in the same task poll
    /// saves a round trip through the scheduler per frame (one frame per streamed event).
    pub(crate) async fn drive<F: Future>(&mut self, fut: F) -> F::Output {
        let mut fut = std::pin::pin!(fut);
        let conn = &mut self.conn;
        let finished = &mut self.finished;
        std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
            if *finished {
                return Poll::Pending;
            }
            if Pin::new(&mut *conn).poll(cx).is_ready() {
                *finished = true;
            }
            fut.as_mut().poll(cx)
        })
        .await
    }

    /// Polls the connection once, noticing a close by the server while it was idle.
    async fn poll_once(&mut self) {
        if !self.finished {
            tokio::select! {
                biased;
                _ = &mut self.conn => self.finished = true,
                () = std::future::ready(()) => {}
            }
        }
    }
}

/// An HTTP/1.1 connection with its read stamps.
pub(crate) struct H1Conn {
    pub(crate) sender: http1::SendRequest<ReqBody>,
    pub(crate) driver: H1Driver,
    pub(crate) stamps: Arc<ReadStamps>,
    /// Whether the connection served a request before.
    pub(crate) reused: bool,
}

impl H1Conn {
    pub(crate) fn usable(&self) -> bool {
        !self.driver.finished && !self.sender.is_closed()
    }
}

/// The connection a session keeps between its turns
/// ([`crate::ConnectionReuse::StickyUserSessions`]); dropping it closes the connection.
#[derive(Default)]
pub(crate) struct SessionConn {
    /// The base URL index the connection goes to, and the connection.
    pub(crate) held: Option<(usize, H1Conn)>,
}

/// Dials and pools connections to every base URL.
pub(crate) struct Connector {
    clock: RunClock,
    idle_h1: Vec<Mutex<Vec<H1Conn>>>,
    shared_h2: Vec<tokio::sync::Mutex<Option<http2::SendRequest<ReqBody>>>>,
}

impl Connector {
    pub(crate) fn new(clock: RunClock, targets: usize) -> Self {
        Self {
            clock,
            idle_h1: (0..targets).map(|_| Mutex::new(Vec::new())).collect(),
            shared_h2: (0..targets)
                .map(|_| tokio::sync::Mutex::new(None))
                .collect(),
        }
    }

    /// An idle pooled connection that is still open, or a new one.
    pub(crate) async fn checkout_h1(
        &self,
        index: usize,
        target: &Target,
    ) -> Result<H1Conn, DialError> {
        loop {
            let pooled = self.idle_h1[index]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let Some(mut conn) = pooled else { break };
            conn.driver.poll_once().await;
            if !conn.usable() {
                continue;
            }
            if conn.driver.drive(conn.sender.ready()).await.is_ok() {
                conn.reused = true;
                return Ok(conn);
            }
        }
        self.dial_h1(target).await
    }

    /// A new connection, never taken from the pool.
    pub(crate) async fn dial_h1(&self, target: &Target) -> Result<H1Conn, DialError> {
        let tcp = dial(target).await?;
        let stamps = Arc::new(ReadStamps::default());
        let io = TokioIo::new(StampedStream::new(tcp, self.clock, Arc::clone(&stamps)));
        let (sender, conn) = http1::handshake(io).await.map_err(|e| {
            DialError::connect(format!(
                "HTTP/1.1 handshake with {} failed: {e}",
                target.url
            ))
        })?;
        Ok(H1Conn {
            sender,
            driver: H1Driver {
                conn,
                finished: false,
            },
            stamps,
            reused: false,
        })
    }

    /// Returns a connection whose response was read to the end.
    pub(crate) fn checkin_h1(&self, index: usize, conn: H1Conn) {
        if conn.usable() {
            self.idle_h1[index]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
    }

    /// The shared HTTP/2 connection to a URL, dialed on first use or after it closed.
    pub(crate) async fn h2_sender(
        &self,
        index: usize,
        target: &Target,
    ) -> Result<http2::SendRequest<ReqBody>, DialError> {
        let mut slot = self.shared_h2[index].lock().await;
        if let Some(sender) = slot.as_ref()
            && !sender.is_closed()
        {
            return Ok(sender.clone());
        }
        let tcp = dial(target).await?;
        let (sender, conn) = http2::Builder::new(TokioExecutor::new())
            .handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| {
                DialError::connect(format!("HTTP/2 handshake with {} failed: {e}", target.url))
            })?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("HTTP/2 connection ended: {e}");
            }
        });
        *slot = Some(sender.clone());
        Ok(sender)
    }
}

/// Why a connection could not be made: the error kind of the record and its message.
#[derive(Debug)]
pub(crate) struct DialError {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
}

impl DialError {
    fn connect(message: String) -> Self {
        Self {
            kind: ErrorKind::Connect,
            message,
        }
    }

    /// Classifies an OS error of connecting: the client's own resource limits or the server.
    fn from_io(error: &std::io::Error, message: String) -> Self {
        let kind = classify_io_error(error);
        let message = if kind == ErrorKind::ClientResource {
            format!("{message} (a limit of this client, not a server failure)")
        } else {
            message
        };
        Self { kind, message }
    }
}

/// [`ErrorKind::ClientResource`] for errors that mean the client ran out of something of its own
/// (open files, local ports, socket buffers, memory); [`ErrorKind::Connect`] for the rest.
pub(crate) fn classify_io_error(error: &std::io::Error) -> ErrorKind {
    if error.kind() == std::io::ErrorKind::AddrNotAvailable
        || error.kind() == std::io::ErrorKind::OutOfMemory
    {
        return ErrorKind::ClientResource;
    }
    // EMFILE, ENFILE and ENOBUFS have no stable `io::ErrorKind`; their numbers are the same on
    // every Linux architecture (23, 24, 105).
    #[cfg(target_os = "linux")]
    if let Some(23 | 24 | 105) = error.raw_os_error() {
        return ErrorKind::ClientResource;
    }
    ErrorKind::Connect
}

/// Resolves the target and connects to the first address that accepts.
async fn dial(target: &Target) -> Result<TcpStream, DialError> {
    let addrs = tokio::net::lookup_host(target.authority.as_str())
        .await
        .map_err(|e| DialError::from_io(&e, format!("failed to resolve {}: {e}", target.url)))?;
    let mut last_error = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!("could not set TCP_NODELAY on {addr}: {e}");
                }
                return Ok(stream);
            }
            Err(e) => last_error = Some((addr, e)),
        }
    }
    Err(match last_error {
        Some((addr, e)) => DialError::from_io(
            &e,
            format!("failed to connect to {} ({addr}): {e}", target.url),
        ),
        None => DialError::connect(format!("failed to resolve {}: no addresses", target.url)),
    })
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    #[test]
    fn the_clients_own_limits_are_client_errors() {
        assert_eq!(
            classify_io_error(&io::Error::from(io::ErrorKind::AddrNotAvailable)),
            ErrorKind::ClientResource
        );
        #[cfg(target_os = "linux")]
        for errno in [23, 24, 105] {
            assert_eq!(
                classify_io_error(&io::Error::from_raw_os_error(errno)),
                ErrorKind::ClientResource,
                "errno {errno}"
            );
        }
        assert_eq!(
            classify_io_error(&io::Error::from(io::ErrorKind::ConnectionRefused)),
            ErrorKind::Connect
        );
    }
}
