//! One phase (warm-up or profiling) in progress: who may issue, stopping, aborting, and waiting
//! for the requests still in flight.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use servebench_metrics::{MonoNs, Phase, RunClock};
use tokio::sync::Notify;

use super::cancel::Signal;

/// Shared state of a phase.
pub(crate) struct PhaseRun {
    pub(crate) phase: Phase,
    /// When the phase started (the origin of open-loop offsets and of the duration).
    pub(crate) start: Instant,
    pub(crate) start_ns: MonoNs,
    limit: Option<u64>,
    issued: AtomicU64,
    /// Raised: issue nothing more.
    pub(crate) stop: Signal,
    /// Raised: cancel everything in flight now.
    pub(crate) abort: Signal,
    abort_reason: OnceLock<&'static str>,
    /// Counts issuers and requests in flight.
    pub(crate) tracker: Tracker,
}

impl PhaseRun {
    pub(crate) fn new(phase: Phase, limit: Option<u64>, clock: &RunClock) -> Self {
        let start = Instant::now();
        Self {
            phase,
            start,
            start_ns: clock.ns_at(start),
            limit,
            issued: AtomicU64::new(0),
            stop: Signal::default(),
            abort: Signal::default(),
            abort_reason: OnceLock::new(),
            tracker: Tracker::default(),
        }
    }

    /// The phase-local sequence number of the next request, or `None` when the phase stopped or
    /// reached its request count (which stops it).
    pub(crate) fn try_issue(&self) -> Option<u64> {
        if self.stop.is_raised() {
            return None;
        }
        let seq = self.issued.fetch_add(1, Ordering::Relaxed);
        if let Some(limit) = self.limit
            && seq >= limit
        {
            self.stop.raise();
            return None;
        }
        if self.limit == Some(seq + 1) {
            self.stop.raise();
        }
        Some(seq)
    }

    /// The phase's request count, if it has one.
    pub(crate) fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Stops issuing and cancels everything in flight.
    pub(crate) fn abort(&self, reason: &'static str) {
        let _ = self.abort_reason.set(reason);
        self.stop.raise();
        self.abort.raise();
    }

    /// Why in-flight requests were cancelled.
    pub(crate) fn abort_reason(&self) -> &'static str {
        self.abort_reason.get().copied().unwrap_or("run cancelled")
    }
}

/// Counts live work (issuer tasks or threads, requests in flight) and wakes waiters at zero.
#[derive(Clone, Default)]
pub(crate) struct Tracker {
    inner: Arc<TrackerInner>,
}

#[derive(Default)]
struct TrackerInner {
    live: AtomicUsize,
    idle: Notify,
}

/// Keeps a [`Tracker`] non-idle while alive.
pub(crate) struct TrackerGuard {
    inner: Arc<TrackerInner>,
}

impl Tracker {
    pub(crate) fn enter(&self) -> TrackerGuard {
        self.inner.live.fetch_add(1, Ordering::SeqCst);
        TrackerGuard {
            inner: Arc::clone(&self.inner),
        }
    }

    /// Completes when nothing is live.
    pub(crate) async fn idle(&self) {
        loop {
            let notified = self.inner.idle.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if self.inner.live.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for TrackerGuard {
    fn drop(&mut self) {
        if self.inner.live.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.inner.idle.notify_waiters();
        }
    }
}
