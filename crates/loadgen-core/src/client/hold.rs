//! Holding a request that was released ahead of its due instant until that instant.
//!
//! Under a real-time policy the open-loop timer thread hands a request to the client runtime a
//! little before it is due (see `runner::timer`), so that the hand-off and the connection
//! checkout happen before the due time instead of after it. The request's task then waits here
//! for the due instant itself. tokio's timer wheel has a 1 ms granularity, far coarser than the
//! lag being removed, so the task waits actively: it yields to the runtime until the instant has
//! passed. Each yield lets every other ready task run and polls the I/O driver without blocking,
//! so responses keep being read while a request is held. The wait is short (a fraction of the
//! release lead) and only ever happens under a real-time policy.

use std::time::Instant;

/// Waits (yielding to the runtime between checks) until `due` has passed; returns at once if
/// it already has.
pub(crate) async fn until(due: Instant) {
    while Instant::now() < due {
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_held_task_ends_after_its_due_instant_and_lets_others_run_meanwhile() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime");
        runtime.block_on(async {
            let other_ran = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&other_ran);
            // Spawned before the hold starts, on the same single thread: it can only run if the
            // hold gives the thread up.
            tokio::spawn(async move { flag.store(true, Ordering::SeqCst) });
            let due = Instant::now() + Duration::from_millis(3);
            until(due).await;
            assert!(Instant::now() >= due);
            assert!(other_ran.load(Ordering::SeqCst));
        });
    }

    #[test]
    fn a_past_due_instant_does_not_wait() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime");
        let before = Instant::now();
        runtime.block_on(until(before));
        // Not a timing bound: a past instant is returned from without yielding even once, which
        // a never-polled spawned task shows.
        runtime.block_on(async {
            let ran = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&ran);
            tokio::spawn(async move { flag.store(true, Ordering::SeqCst) });
            until(before).await;
            assert!(!ran.load(Ordering::SeqCst));
        });
    }
}
