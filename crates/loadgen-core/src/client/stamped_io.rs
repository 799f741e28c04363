//! A TCP stream that stamps every socket read with the run clock the moment it returns.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use servebench_metrics::{MonoNs, RunClock};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The latest read of a connection: its sequence number and stamp.
///
/// Written by the connection's I/O, read by the request that drives the connection in the same
/// task, so a body frame always sees the stamp of the read that delivered its bytes.
#[derive(Debug, Default)]
pub(crate) struct ReadStamps {
    count: AtomicU64,
    last_ns: AtomicU64,
}

impl ReadStamps {
    /// `(reads so far, stamp of the latest read)`.
    pub(crate) fn latest(&self) -> (u64, MonoNs) {
        (
            self.count.load(Ordering::Relaxed),
            self.last_ns.load(Ordering::Relaxed),
        )
    }
}

/// [`TcpStream`] with read stamping.
#[derive(Debug)]
pub(crate) struct StampedStream {
    inner: TcpStream,
    clock: RunClock,
    stamps: Arc<ReadStamps>,
}

impl StampedStream {
    pub(crate) fn new(inner: TcpStream, clock: RunClock, stamps: Arc<ReadStamps>) -> Self {
        Self {
            inner,
            clock,
            stamps,
        }
    }
}

impl AsyncRead for StampedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled
            && buf.filled().len() > before
        {
            let now = self.clock.now_ns();
            self.stamps.last_ns.store(now, Ordering::Relaxed);
            self.stamps.count.fetch_add(1, Ordering::Relaxed);
        }
        polled
    }
}

impl AsyncWrite for StampedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
