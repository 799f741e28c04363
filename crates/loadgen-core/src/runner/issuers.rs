//! The two ways of issuing requests: closed loop (virtual users) and open loop (a timer thread
//! releasing requests at their due times).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::cancel::Signal;
use super::context::{RequestSpec, RunContext};
use super::phase::PhaseRun;
use crate::error::RunConfigError;

/// Longest single sleep of the timer thread, so that a stop is noticed promptly.
const MAX_SLEEP_SLICE: Duration = Duration::from_millis(5);

/// Spawns `users` virtual users; each issues its next request the moment the previous one
/// completes (woken by completion, never polling).
/// With `ramp`, user `i` starts at [`crate::ramp::user_start`] instead of at once.
pub(crate) fn start_closed_loop(
    context: &Arc<RunContext>,
    phase: &Arc<PhaseRun>,
    users: usize,
    ramp: Option<Duration>,
) {
    for user in 0..users {
        let guard = phase.tracker.enter();
        let context = Arc::clone(context);
        let phase = Arc::clone(phase);
        let delay = ramp.map(|r| crate::ramp::user_start(user, users, r));
        tokio::spawn(async move {
            let _guard = guard;
            if let Some(delay) = delay.filter(|d| !d.is_zero()) {
                let at = tokio::time::Instant::from_std(phase.start + delay);
                tokio::select! {
                    () = tokio::time::sleep_until(at) => {}
                    () = phase.stop.raised() => return,
                }
            }
            while let Some(phase_seq) = phase.try_issue() {
                let spec = RequestSpec {
                    phase_seq,
                    credit_issued_ns: context.clock.now_ns(),
                    intended_send_ns: None,
                    turn: None,
                };
                let record = context.execute(&phase, spec).await;
                context.deliver(record);
            }
        });
    }
}

/// Starts the timer thread of an open-loop phase: request `k` is released at phase start +
/// `arrivals[k]` (sleeping on the OS timer, about 0.1 ms precision instead of tokio's 1 ms) and
/// spawned onto `runtime`.
pub(crate) fn start_open_loop(
    context: &Arc<RunContext>,
    phase: &Arc<PhaseRun>,
    arrivals: Box<dyn Iterator<Item = Duration> + Send>,
    max_in_flight: Option<usize>,
    runtime: Handle,
) -> Result<(), RunConfigError> {
    let guard = phase.tracker.enter();
    let context = Arc::clone(context);
    let phase = Arc::clone(phase);
    let slots = max_in_flight.map(|n| Arc::new(Semaphore::new(n)));
    std::thread::Builder::new()
        .name("servebench-arrivals".into())
        .spawn(move || {
            let _guard = guard;
            for offset in arrivals {
                let due = phase.start + offset;
                if !sleep_until(due, &phase.stop) {
                    break;
                }
                // The slot first: issuing the last request raises `stop`, which must not cancel
                // the wait for its own slot.
                let permit = match &slots {
                    None => None,
                    Some(slots) => match acquire(slots, &phase.stop, &runtime) {
                        Some(permit) => Some(permit),
                        None => break,
                    },
                };
                let Some(phase_seq) = phase.try_issue() else {
                    break;
                };
                let spec = RequestSpec {
                    phase_seq,
                    credit_issued_ns: context.clock.now_ns(),
                    intended_send_ns: Some(context.clock.ns_at(due)),
                    turn: None,
                };
                let guard = phase.tracker.enter();
                let context = Arc::clone(&context);
                let phase = Arc::clone(&phase);
                runtime.spawn(async move {
                    let _guard = guard;
                    let record = context.execute(&phase, spec).await;
                    drop(permit);
                    context.deliver(record);
                });
            }
        })
        .map_err(|source| RunConfigError::Thread {
            name: "open-loop timer",
            source,
        })?;
    Ok(())
}

/// Sleeps until `due`; false if `stop` was raised first.
fn sleep_until(due: Instant, stop: &Signal) -> bool {
    loop {
        if stop.is_raised() {
            return false;
        }
        let now = Instant::now();
        if now >= due {
            return true;
        }
        std::thread::sleep((due - now).min(MAX_SLEEP_SLICE));
    }
}

/// A free in-flight slot, waiting for one if needed; `None` if `stop` was raised first.
fn acquire(
    slots: &Arc<Semaphore>,
    stop: &Signal,
    runtime: &Handle,
) -> Option<OwnedSemaphorePermit> {
    if let Ok(permit) = Arc::clone(slots).try_acquire_owned() {
        return Some(permit);
    }
    runtime.block_on(async {
        tokio::select! {
            permit = Arc::clone(slots).acquire_owned() => permit.ok(),
            () = stop.raised() => None,
        }
    })
}
