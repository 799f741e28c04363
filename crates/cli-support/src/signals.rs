//! The one interrupt waiter: the first Ctrl-C (SIGINT) or SIGTERM cancels the run (or, for a tool
//! with nothing to save, exits at once); the second exits with [`INTERRUPTED`] (130). Before any
//! exit the temporary files of unfinished outputs are removed ([`output::remove_pending`]), so
//! no partial file is left under a final name or beside it.
//!
//! The waiter runs on its own thread with a small runtime, so synchronous tools and async ones
//! use it alike.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::exit::INTERRUPTED;
use crate::output;

/// Set once the run is asked to stop; cheap to clone and to poll, and it can pass the request on
/// ([`on_cancel`](Self::on_cancel)) to a library's own cancel handle without a polling thread.
#[derive(Clone, Default)]
pub struct CancelToken(Arc<TokenState>);

#[derive(Default)]
struct TokenState {
    cancelled: AtomicBool,
    listeners: Mutex<Vec<Listener>>,
}

type Listener = Box<dyn Fn() + Send + Sync>;

impl std::fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CancelToken")
            .field(&self.is_cancelled())
            .finish()
    }
}

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the run to stop, and calls every [`on_cancel`](Self::on_cancel) listener once.
    pub fn cancel(&self) {
        if self.0.cancelled.swap(true, Ordering::SeqCst) {
            return;
        }
        for listener in self.listeners().iter() {
            listener();
        }
    }

    /// True once cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Calls `listener` when the token is cancelled (at once if it already is), e.g. to cancel a
    /// benchmark's own handle: `token.on_cancel(move || handle.cancel())`.
    pub fn on_cancel(&self, listener: impl Fn() + Send + Sync + 'static) {
        let mut listeners = self.listeners();
        // Checked under the lock: `cancel` sets the flag before taking it, so a listener added
        // concurrently is either called by `cancel` or here, never twice and never missed.
        if self.is_cancelled() {
            drop(listeners);
            listener();
        } else {
            listeners.push(Box::new(listener));
        }
    }

    fn listeners(&self) -> std::sync::MutexGuard<'_, Vec<Listener>> {
        // A listener that panicked leaves the list intact; keep using it.
        self.0
            .listeners
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What the first interrupt does.
#[derive(Debug, Clone)]
pub enum FirstInterrupt {
    /// Cancel this token and print `message`; the second interrupt exits.
    Cancel {
        /// Set on the first interrupt.
        token: CancelToken,
        /// Printed on stderr after `tool: interrupted: `.
        message: &'static str,
    },
    /// Remove unfinished outputs and exit with [`INTERRUPTED`] at once.
    Exit,
}

/// What to do on the `count`-th interrupt (1-based).
#[derive(Debug, PartialEq, Eq)]
enum Action {
    Cancel,
    Exit,
}

fn action(first: &FirstInterrupt, count: u32) -> Action {
    match first {
        FirstInterrupt::Cancel { .. } if count == 1 => Action::Cancel,
        _ => Action::Exit,
    }
}

/// Starts the waiter thread for `tool` (once per process: each call adds a waiter).
pub fn watch(tool: &'static str, first: FirstInterrupt) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Register the handlers before returning, so no interrupt after this call is missed.
    let mut streams = runtime.block_on(async { Streams::new() })?;
    std::thread::Builder::new()
        .name("signal-waiter".into())
        .spawn(move || {
            runtime.block_on(async move {
                let mut count = 0;
                loop {
                    streams.next().await;
                    count += 1;
                    on_interrupt(tool, &first, count);
                }
            });
        })?;
    Ok(())
}

fn on_interrupt(tool: &str, first: &FirstInterrupt, count: u32) {
    match (action(first, count), first) {
        (Action::Cancel, FirstInterrupt::Cancel { token, message }) => {
            eprintln!("\n{tool}: interrupted: {message} (interrupt again to exit at once)");
            token.cancel();
        }
        _ => {
            // Hold the registry until exit so no rename can follow the cleanup.
            let _pending = output::remove_pending();
            if count > 1 {
                eprintln!("{tool}: interrupted twice: exiting");
            } else {
                eprintln!("\n{tool}: interrupted: unfinished outputs removed");
            }
            std::process::exit(i32::from(INTERRUPTED));
        }
    }
}

/// SIGINT and SIGTERM as one stream.
struct Streams {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Streams {
    #[cfg(unix)]
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(not(unix))]
    fn new() -> std::io::Result<Self> {
        Ok(Self {})
    }

    #[cfg(unix)]
    async fn next(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }

    #[cfg(not(unix))]
    async fn next(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_interrupt_cancels_second_exits() {
        let first = FirstInterrupt::Cancel {
            token: CancelToken::new(),
            message: "stopping",
        };
        assert_eq!(action(&first, 1), Action::Cancel);
        assert_eq!(action(&first, 2), Action::Exit);
        assert_eq!(action(&FirstInterrupt::Exit, 1), Action::Exit);
    }

    #[test]
    fn token_is_shared_by_clones() {
        let token = CancelToken::new();
        let clone = token.clone();
        assert!(!clone.is_cancelled());
        token.cancel();
        assert!(clone.is_cancelled());
    }

    #[test]
    fn listeners_run_once_whether_added_before_or_after_the_cancel() {
        use std::sync::atomic::AtomicUsize;
        let token = CancelToken::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let before = Arc::clone(&calls);
        token.on_cancel(move || {
            before.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(calls.load(Ordering::SeqCst), 0, "not before the cancel");
        token.cancel();
        token.cancel();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "once, however often cancelled"
        );
        let after = Arc::clone(&calls);
        token.on_cancel(move || {
            after.fetch_add(10, Ordering::SeqCst);
        });
        assert_eq!(
            calls.load(Ordering::SeqCst),
            11,
            "a late listener runs at once"
        );
    }
}
