//! How the open-loop timer thread waits for a due time.
//!
//! Measured on the 2-core machine under load (docs/performance.md, `benches/src/bin/timer_wakeup.rs`):
//! under the normal time-sharing scheduler a sleeping thread that wakes gets the CPU quickly
//! (the scheduler favours sleepers), while a thread that waits actively uses up its share and is
//! pre-empted, so active waiting makes the tail worse (p99 4 ms sleeping against 10 ms spinning at
//! load 14). Under a real-time policy (`chrt -f`) active waiting is what makes the due time exact
//! (p99 1 µs against 79 µs sleeping). So the thread sleeps plainly under time sharing (with the
//! timer slack cut to 1 ns where Linux allows it, 50 µs by default), and under a real-time policy
//! sleeps until [`ACTIVE_WINDOW`] (80 µs) before the due time and then yields the CPU until it is due
//! (yielding, not spinning: a real-time spinner starves the other threads of a small machine).

use std::time::{Duration, Instant};

use super::cancel::Signal;

/// Longest single sleep, so that a stop is noticed promptly.
const MAX_SLEEP_SLICE: Duration = Duration::from_millis(5);

/// Under a real-time policy: stop sleeping this long before the due time and wait actively. A
/// real-time sleep overshoots by 37 µs at the median and 79 µs at p99 (measured at load 13-15),
/// so this covers it while keeping the active waiting to 40 % of a core at 5,000 requests/s
/// (a 200 µs window kept the timer thread waiting all the time at that rate and starved the
/// time-shared processes, the server among them, on 2 cores).
const ACTIVE_WINDOW: Duration = Duration::from_micros(80);

/// How the calling thread waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timer {
    active_window: Duration,
}

impl Timer {
    /// The waiting strategy for the calling thread's scheduling policy; also cuts its timer slack
    /// (best effort: nothing changes where the system does not allow it).
    pub(crate) fn for_this_thread() -> Self {
        cut_timer_slack();
        Self {
            active_window: if runs_real_time() {
                ACTIVE_WINDOW
            } else {
                Duration::ZERO
            },
        }
    }

    /// Waits until `due`; false if `stop` was raised first.
    pub(crate) fn sleep_until(self, due: Instant, stop: &Signal) -> bool {
        loop {
            if stop.is_raised() {
                return false;
            }
            let now = Instant::now();
            if now >= due {
                return true;
            }
            let left = due - now;
            if left > self.active_window {
                std::thread::sleep((left - self.active_window).min(MAX_SLEEP_SLICE));
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// Whether the calling thread runs under `SCHED_FIFO` or `SCHED_RR` (field 41 of
/// `/proc/thread-self/stat`); false where that cannot be read.
fn runs_real_time() -> bool {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return false;
    };
    policy_of_stat(&stat).is_some_and(|policy| policy == 1 || policy == 2)
}

/// The scheduling policy in a `/proc/<pid>/stat` line (the command name, field 2, may hold spaces
/// and parentheses, so fields are counted after its last `)`).
fn policy_of_stat(stat: &str) -> Option<u32> {
    let after_name = stat.rsplit_once(')')?.1;
    // Fields 3.. follow the name; the policy is field 41.
    after_name.split_whitespace().nth(41 - 3)?.parse().ok()
}

/// Sets the calling thread's timer slack to 1 ns through `/proc/<tid>/timerslack_ns`.
fn cut_timer_slack() {
    let Ok(link) = std::fs::read_link("/proc/thread-self") else {
        return;
    };
    let Some(tid) = link.file_name() else {
        return;
    };
    let path = std::path::Path::new("/proc")
        .join(tid)
        .join("timerslack_ns");
    if let Err(e) = std::fs::write(&path, "1") {
        tracing::debug!("could not cut the timer slack of the open-loop timer thread: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_is_field_41_after_the_command_name() {
        // Shaped like the line of a SCHED_FIFO process (`chrt -f 10`), its name holding ") (".
        let line = "4242 (a) (b) S 1 4242 4242 0 -1 4194304 93 0 0 0 0 0 0 0 -11 0 1 0 \
                    1000 2500000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 10 1 \
                    0 0 0 0 0 0 0 0 0 0 0";
        assert_eq!(policy_of_stat(line), Some(1));
        assert_eq!(policy_of_stat("no name"), None);
        assert_eq!(policy_of_stat("1 (x) S 1"), None);
    }

    #[test]
    fn this_thread_reports_a_policy() {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
        if !stat.is_empty() {
            assert!(policy_of_stat(&stat).is_some(), "{stat}");
        }
    }

    #[test]
    fn waiting_ends_at_the_due_time_or_on_stop() {
        let timer = Timer {
            active_window: ACTIVE_WINDOW,
        };
        let stop = Signal::default();
        let due = Instant::now() + Duration::from_millis(2);
        assert!(timer.sleep_until(due, &stop));
        assert!(Instant::now() >= due);
        stop.raise();
        assert!(!timer.sleep_until(Instant::now() + Duration::from_secs(60), &stop));
    }
}
