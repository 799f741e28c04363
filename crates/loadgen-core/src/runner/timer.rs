//! When the open-loop timer thread releases a request, and how it waits for that instant.
//!
//! Measured on the 2-core machine under load (docs/performance.md, `benches/src/bin/timer_wakeup.rs`):
//! under the normal time-sharing scheduler a sleeping thread that wakes gets the CPU quickly
//! (the scheduler favours sleepers), while a thread that waits actively uses up its share and is
//! pre-empted, so active waiting makes the tail worse (p99 4 ms sleeping against 10 ms spinning at
//! load 14). So under time sharing the thread sleeps plainly until the due time (with the timer
//! slack cut to 1 ns where Linux allows it, 50 µs by default) and releases the request then.
//!
//! Under a real-time policy (`chrt -f`) what remains after a precise wake-up is the hand-off to
//! the client runtime (the request's task waits until the runtime thread is free) and the
//! connection checkout, together p99 ≈ 100 µs at 5,000 requests/s. So there the thread releases
//! each request [`RELEASE_LEAD`] ahead of its due time, sleeping plainly until then (a real-time
//! sleep overshoots by 37 µs at the median and 79 µs at p99 at load 13-15, which the lead
//! covers), and the request's task, once it runs and has its connection, waits actively for the
//! due instant itself (`client::hold`): the thread that writes is the one that keeps the time.
//!
//! What a real-time policy cannot remove is the time an idle CPU takes to wake: on the 2-core
//! VM, whose idle driver halts the virtual CPU, a quiet machine showed send-lag p99 of 65-116 µs
//! at 5,000 requests/s against 37-39 µs while a zero wake-up latency was requested (PM QoS,
//! docs/performance.md). So under a real-time policy the timer thread also holds that request
//! ([`ZeroWakeLatency`]) for the run, as latency tools such as `cyclictest` do: idle CPUs then
//! poll instead of halting. It is best effort (it needs write access to `/dev/cpu_dma_latency`).

use std::time::{Duration, Instant};

use super::cancel::Signal;

/// Longest single sleep, so that a stop is noticed promptly.
const MAX_SLEEP_SLICE: Duration = Duration::from_millis(5);

/// Under a real-time policy: how long before its due time a request is handed to the client
/// runtime. It covers the timer thread's wake-up overshoot (p99 79 µs), most hand-offs and the
/// connection checkout; the rest of it the task spends waiting actively on the runtime thread
/// (yielding to the runtime's other work), so a longer lead costs CPU: at 5,000 requests/s
/// the runtime thread waits actively for a fraction of each lead.
pub(crate) const RELEASE_LEAD: Duration = Duration::from_micros(150);

/// When the calling thread releases requests, and how it waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timer {
    lead: Duration,
}

/// When one request is released and when it may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Release {
    /// When the timer thread hands the request to the client runtime.
    pub(crate) at: Instant,
    /// The request's due time when it is released ahead of it (its task holds it until then);
    /// `None` when it is released at its due time.
    pub(crate) hold_until: Option<Instant>,
}

impl Timer {
    /// The release policy for the calling thread's scheduling policy; also cuts its timer slack
    /// (best effort: nothing changes where the system does not allow it).
    pub(crate) fn for_this_thread() -> Self {
        cut_timer_slack();
        Self::with_lead(if runs_real_time() {
            RELEASE_LEAD
        } else {
            Duration::ZERO
        })
    }

    /// Releases every request `lead` ahead of its due time (zero: at its due time).
    pub(crate) fn with_lead(lead: Duration) -> Self {
        Self { lead }
    }

    /// When a request due at `due` is released. The caller releases a request whose release
    /// instant has passed at once; its task still holds it until `due` if that is ahead.
    pub(crate) fn release_of(self, due: Instant) -> Release {
        if self.lead.is_zero() {
            return Release {
                at: due,
                hold_until: None,
            };
        }
        Release {
            at: due.checked_sub(self.lead).unwrap_or(due),
            hold_until: Some(due),
        }
    }

    /// Sleeps until `at`; false if `stop` was raised first.
    pub(crate) fn sleep_until(self, at: Instant, stop: &Signal) -> bool {
        loop {
            if stop.is_raised() {
                return false;
            }
            let now = Instant::now();
            if now >= at {
                return true;
            }
            std::thread::sleep((at - now).min(MAX_SLEEP_SLICE));
        }
    }
}

/// A PM QoS request for a zero CPU wake-up latency, held until dropped (Linux: an open
/// `/dev/cpu_dma_latency` to which 0 was written; closing it withdraws the request).
#[derive(Debug)]
pub(crate) struct ZeroWakeLatency {
    _device: std::fs::File,
}

/// Where Linux takes PM QoS CPU latency requests.
const CPU_DMA_LATENCY: &str = "/dev/cpu_dma_latency";

impl ZeroWakeLatency {
    /// Asks for a zero wake-up latency when the calling thread runs under a real-time policy;
    /// `None` under time sharing (polling idle CPUs would take cycles the client's own threads
    /// compete for) or where the request cannot be made (the reason is logged at debug level).
    pub(crate) fn for_real_time_thread() -> Option<Self> {
        if !runs_real_time() {
            return None;
        }
        match Self::request() {
            Ok(held) => {
                tracing::debug!("holding a zero CPU wake-up latency request ({CPU_DMA_LATENCY})");
                Some(held)
            }
            Err(e) => {
                tracing::debug!("could not request a zero CPU wake-up latency: {e}");
                None
            }
        }
    }

    fn request() -> std::io::Result<Self> {
        use std::io::Write;
        let mut device = std::fs::OpenOptions::new()
            .write(true)
            .open(CPU_DMA_LATENCY)?;
        // The kernel reads a binary s32 in microseconds.
        device.write_all(&0_i32.to_ne_bytes())?;
        Ok(Self { _device: device })
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
    fn no_wake_latency_request_is_made_under_time_sharing() {
        // Test threads run time-shared: polling idle CPUs would only compete with the client's
        // own threads there, so nothing is requested (under `chrt` the request is made).
        assert!(!runs_real_time());
        assert!(ZeroWakeLatency::for_real_time_thread().is_none());
    }

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
    fn waiting_ends_at_the_instant_or_on_stop() {
        let timer = Timer::with_lead(RELEASE_LEAD);
        let stop = Signal::default();
        let at = Instant::now() + Duration::from_millis(2);
        assert!(timer.sleep_until(at, &stop));
        assert!(Instant::now() >= at);
        stop.raise();
        assert!(!timer.sleep_until(Instant::now() + Duration::from_secs(60), &stop));
    }

    #[test]
    fn without_a_lead_requests_are_released_at_their_due_time_and_not_held() {
        let due = Instant::now() + Duration::from_secs(1);
        assert_eq!(
            Timer::with_lead(Duration::ZERO).release_of(due),
            Release {
                at: due,
                hold_until: None
            }
        );
    }

    #[test]
    fn with_a_lead_requests_are_released_that_much_earlier_and_held_until_due() {
        let due = Instant::now() + Duration::from_secs(1);
        let release = Timer::with_lead(Duration::from_micros(150)).release_of(due);
        assert_eq!(due - release.at, Duration::from_micros(150));
        assert_eq!(release.hold_until, Some(due));
    }
}
