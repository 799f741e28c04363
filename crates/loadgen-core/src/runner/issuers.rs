//! The two ways of issuing requests: closed loop (virtual users) and open loop (a timer thread
//! releasing requests at their due times).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::cancel::Signal;
use super::context::{RequestSpec, RunContext, TurnSpec};
use super::phase::PhaseRun;
use super::sessions::{FirstTurn, SessionPace, Sessions, run_session};
use super::timer::{Timer, ZeroWakeLatency};
use crate::error::RunConfigError;

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
                    send_at: None,
                    turn: None,
                };
                let record = context.execute(&phase, spec, None).await;
                context.deliver(record);
            }
        });
    }
}

/// What an open-loop phase issues.
pub(crate) struct OpenLoop {
    /// Due offsets from the phase start.
    pub(crate) arrivals: Box<dyn Iterator<Item = Duration> + Send>,
    /// Cap on requests in flight (a session holds its slot for all its turns).
    pub(crate) max_in_flight: Option<usize>,
    /// A multi-turn dataset: each arrival starts a session, whose first turn is due at the
    /// arrival and whose later turns follow the previous one's completion plus their delay
    /// (AIPerf's request-rate and fixed-schedule handling of conversations).
    pub(crate) sessions: Option<Arc<Sessions>>,
    /// Bodies rendered ahead for sequence numbers 0, 1, ... (see [`start_renderer`]).
    pub(crate) rendered: Option<Receiver<Option<TurnSpec>>>,
}

/// Starts the timer thread of an open-loop phase: request (or session) `k` is due at phase
/// start + `arrivals[k]`; it is released (spawned onto `runtime`) then, or under a real-time
/// policy a little earlier and held by its task until due (see [`Timer`]).
pub(crate) fn start_open_loop(
    context: &Arc<RunContext>,
    phase: &Arc<PhaseRun>,
    open: OpenLoop,
    runtime: Handle,
) -> Result<(), RunConfigError> {
    let guard = phase.tracker.enter();
    let context = Arc::clone(context);
    let phase = Arc::clone(phase);
    let OpenLoop {
        arrivals,
        max_in_flight,
        sessions,
        rendered,
    } = open;
    let slots = max_in_flight.map(|n| Arc::new(Semaphore::new(n)));
    std::thread::Builder::new()
        .name("servebench-arrivals".into())
        .spawn(move || {
            let _guard = guard;
            let timer = Timer::for_this_thread();
            let _wake_latency = ZeroWakeLatency::for_real_time_thread();
            // Without sessions the timer thread is the phase's only issuer, so the sequence
            // numbers are known in advance and bodies rendered at send time (block prompts) are
            // rendered ahead by another thread.
            let mut next_seq = 0;
            for offset in arrivals {
                let due = phase.start + offset;
                let release = timer.release_of(due);
                let mut prepared = rendered.as_ref().and_then(|r| r.recv().ok().flatten());
                if !timer.sleep_until(release.at, &phase.stop) {
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
                let credit_issued_ns = context.clock.now_ns();
                let intended_send_ns = context.clock.ns_at(due);
                if let Some(sessions) = &sessions {
                    let Some(s) = sessions.claim(&context, &phase) else {
                        break;
                    };
                    let guard = phase.tracker.enter();
                    let context = Arc::clone(&context);
                    let phase = Arc::clone(&phase);
                    let sessions = Arc::clone(sessions);
                    runtime.spawn(async move {
                        let _guard = guard;
                        let first = FirstTurn {
                            credit_issued_ns,
                            intended_send_ns,
                            send_at: release.hold_until,
                        };
                        run_session(
                            &context,
                            &phase,
                            &sessions,
                            s,
                            SessionPace::Scheduled(first),
                        )
                        .await;
                        drop(permit);
                    });
                    continue;
                }
                let Some(phase_seq) = phase.try_issue() else {
                    break;
                };
                if phase_seq != next_seq {
                    prepared = None;
                }
                next_seq = phase_seq + 1;
                let spec = RequestSpec {
                    phase_seq,
                    credit_issued_ns,
                    intended_send_ns: Some(intended_send_ns),
                    send_at: release.hold_until,
                    turn: prepared,
                };
                let guard = phase.tracker.enter();
                let context = Arc::clone(&context);
                let phase = Arc::clone(&phase);
                runtime.spawn(async move {
                    let _guard = guard;
                    let record = context.execute(&phase, spec, None).await;
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

/// Bodies rendered ahead of the timer thread, in sequence order from 0.
const RENDER_AHEAD: usize = 64;

/// Longest wait for the first [`RENDER_AHEAD`] bodies before an open loop starts.
const PREFILL_LIMIT: Duration = Duration::from_secs(2);

/// For an open loop without sessions whose bodies render at send time (block prompts): starts a
/// thread rendering the body of every request in sequence order, up to [`RENDER_AHEAD`] ahead of
/// the timer thread (a 12k-token block prompt takes about 50 µs, which would otherwise delay the
/// requests due right after it), and waits (at most [`PREFILL_LIMIT`]) until the first ones are
/// ready, so that a burst at the start of a trace is not late either. Call it before the phase
/// starts. The thread ends when the receiver is dropped; `None` when there is nothing to render or
/// the thread cannot be started (bodies are then rendered when sent).
pub(crate) async fn start_renderer(
    context: &Arc<RunContext>,
) -> Option<Receiver<Option<TurnSpec>>> {
    if !context.renders_at_send_time() {
        return None;
    }
    let (tx, rx) = sync_channel(RENDER_AHEAD);
    let ready = Arc::new(AtomicUsize::new(0));
    let context = Arc::clone(context);
    let counted = Arc::clone(&ready);
    let started = std::thread::Builder::new()
        .name("servebench-render".into())
        .spawn(move || {
            for seq in 0.. {
                if tx.send(context.prepare_turn(seq)).is_err() {
                    break;
                }
                counted.fetch_add(1, Ordering::Relaxed);
                // Under a real-time policy (chrt) threads of equal priority do not pre-empt each
                // other: let a due timer thread waiting for this CPU run between two bodies.
                std::thread::yield_now();
            }
        });
    if let Err(e) = started {
        tracing::warn!("could not start the body renderer thread: {e}");
        return None;
    }
    let waiting_since = Instant::now();
    while ready.load(Ordering::Relaxed) < RENDER_AHEAD && waiting_since.elapsed() < PREFILL_LIMIT {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    Some(rx)
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
