//! Cancelling a run from outside (e.g. the binary's Ctrl-C handler).

use std::sync::Arc;

use tokio::sync::watch;

/// A cloneable handle that cancels a run: no new requests are issued, in-flight requests get a
/// short grace period ([`crate::RunConfig::cancel_grace`]) and are then recorded as
/// [`servebench_metrics::ErrorKind::Cancelled`]; [`crate::run`] then returns normally.
#[derive(Debug, Clone, Default)]
pub struct CancelHandle {
    signal: Signal,
}

impl CancelHandle {
    /// A handle that has not been cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels the run (idempotent; callable from any thread, also outside the runtime).
    pub fn cancel(&self) {
        self.signal.raise();
    }

    /// Whether [`CancelHandle::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.signal.is_raised()
    }

    /// Completes once the run is cancelled.
    pub async fn cancelled(&self) {
        self.signal.raised().await;
    }
}

/// A one-way flag with an async wait (stop issuing, abort in-flight requests).
#[derive(Debug, Clone)]
pub(crate) struct Signal {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for Signal {
    fn default() -> Self {
        Self {
            sender: Arc::new(watch::Sender::new(false)),
        }
    }
}

impl Signal {
    pub(crate) fn raise(&self) {
        self.sender.send_replace(true);
    }

    pub(crate) fn is_raised(&self) -> bool {
        *self.sender.borrow()
    }

    pub(crate) async fn raised(&self) {
        let mut receiver = self.sender.subscribe();
        // The sender lives in `self`, so `wait_for` cannot fail while we hold it.
        let _ = receiver.wait_for(|raised| *raised).await;
    }
}
