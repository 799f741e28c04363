//! The modelled frontend overhead: a per-request wait that lasts what it says.
//!
//! tokio's timer rounds every deadline up to its next 1 ms tick and parks with millisecond
//! timeouts, so `tokio::time::sleep(3 ms)` took 3.7-3.9 ms on this path (server TTFT of a cached
//! prompt: 17.1-17.5 ms without the overhead, 21.05-21.12 ms with 3 ms; docs/performance.md). A
//! modelled cost that is 25 % longer than configured is a wrong model, so the wait runs on the
//! blocking pool with the OS's high-resolution sleep (~0.05 ms late). At most `rate × overhead`
//! of those threads sleep at once (10 at 5,000 requests/s with 2 ms), and tokio reuses them.

use std::time::Duration;

/// Waits `overhead` with sub-millisecond precision; returns at once for zero.
pub(crate) async fn wait(overhead: Duration) {
    if overhead.is_zero() {
        return;
    }
    // A failed join means the blocking pool is shutting down with the runtime; the request is
    // being dropped with it, so how long this waited no longer matters.
    let _ = tokio::task::spawn_blocking(move || std::thread::sleep(overhead)).await;
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::time::Instant;

    use super::*;

    #[tokio::test]
    async fn waits_at_least_the_overhead_and_nothing_for_zero() {
        let start = Instant::now();
        wait(Duration::from_micros(2_500)).await;
        assert!(start.elapsed() >= Duration::from_micros(2_500));
        // Zero never touches the blocking pool: it completes on its first poll.
        let mut zero = std::pin::pin!(wait(Duration::ZERO));
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(zero.as_mut().poll(&mut cx).is_ready());
    }
}
