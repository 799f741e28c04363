//! A token source with constant timing, independent of load: for calibrating clients.
//!
//! Every request gets its first token `ttft` after submission and each further token `itl` after
//! the previous one, no matter how many requests run at once. Deadlines are absolute
//! (`submit + ttft + k·itl` for token `k`), so lateness never accumulates along a stream.
//!
//! Tokio's timer has a 1 ms granularity, too coarse for calibrating inter-token latencies of a few
//! milliseconds, so a dedicated OS thread keeps a binary heap of (deadline, stream) events and
//! blocks on a channel with a timeout equal to the time left until the earliest deadline. On Linux
//! that wakes the thread tens of microseconds after the deadline (see `docs/performance.md` for the
//! measured figures and the command that reproduces them). A zero TTFT and zero gap skip the timer
//! thread altogether: all tokens are queued at submission, as fast as possible.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::protocol::{FinishReason, GenerateEvent, GenerateRequest, ServerTimings, TokenSource};

/// Number of distinct token ids the source emits (`0..8192`, the engine's output range); the
/// server renders each as one word of its tokenizer.
const WORD_IDS: u64 = 8192;

/// Timing of a [`FixedTiming`] source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FixedTimingConfig {
    /// From submission to the first token.
    pub ttft: Duration,
    /// Between consecutive tokens of one request.
    pub itl: Duration,
}

/// A [`TokenSource`] with constant time to first token and constant inter-token gap.
///
/// Tokens are output ids below 8192 (rendered by the server as words of its tokenizer), chosen
/// deterministically from the request's submission index. The reported [`ServerTimings`] have no
/// queue wait, a prefill equal to the configured TTFT, no cached tokens and worker 0.
///
/// Dropping a receiver cancels its request: the timer thread discards it at its next deadline.
/// The timer thread exits when the source is dropped and every pending stream has finished.
#[derive(Debug)]
pub struct FixedTiming {
    config: FixedTimingConfig,
    submitted: AtomicU64,
    /// Present unless both durations are zero. A `Mutex` makes the source `Sync` on every
    /// toolchain; submissions hold it only for one channel send.
    timer: Option<Mutex<mpsc::Sender<Stream>>>,
}

impl FixedTiming {
    /// A source with the given timing; starts the timer thread unless TTFT and gap are both zero.
    ///
    /// # Errors
    /// The operating system refused to start the timer thread.
    pub fn new(config: FixedTimingConfig) -> std::io::Result<Self> {
        let timer = if config.ttft > Duration::ZERO || config.itl > Duration::ZERO {
            let (tx, rx) = mpsc::channel();
            thread::Builder::new()
                .name("fixed-timing".into())
                .spawn(move || run_timer(&rx))?;
            Some(Mutex::new(tx))
        } else {
            None
        };
        Ok(Self {
            config,
            submitted: AtomicU64::new(0),
            timer,
        })
    }

    /// The configured timing.
    pub fn config(&self) -> FixedTimingConfig {
        self.config
    }
}

/// One request in flight on the timer thread.
#[derive(Debug)]
struct Stream {
    tx: UnboundedSender<GenerateEvent>,
    first_deadline: Instant,
    itl: Duration,
    next: u32,
    total: u32,
    token_base: u64,
    timings: ServerTimings,
}

impl Stream {
    fn deadline(&self) -> Instant {
        self.first_deadline + self.itl * self.next
    }

    /// Sends every token due at `now` (at least one); returns false when the stream is over
    /// (finished or cancelled).
    fn fire(&mut self, now: Instant) -> bool {
        loop {
            if self.next >= self.total {
                let _ = self.tx.send(finished(self.timings));
                return false;
            }
            if self.tx.send(token(self.token_base, self.next)).is_err() {
                return false;
            }
            self.next += 1;
            if self.next < self.total && self.deadline() > now {
                return true;
            }
        }
    }
}

fn token(base: u64, k: u32) -> GenerateEvent {
    let id = base.wrapping_add(u64::from(k).wrapping_mul(31)) % WORD_IDS;
    GenerateEvent::Token {
        token_id: id as u32,
    }
}

fn finished(timings: ServerTimings) -> GenerateEvent {
    GenerateEvent::Finished {
        reason: FinishReason::Length,
        timings,
    }
}

/// Heap entry: earliest deadline first; `seq` keeps equal deadlines in submission order.
struct Pending {
    deadline: Instant,
    seq: u64,
    stream: Stream,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.deadline, self.seq).cmp(&(other.deadline, other.seq))
    }
}

fn run_timer(rx: &mpsc::Receiver<Stream>) {
    let mut heap: BinaryHeap<Reverse<Pending>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut senders_alive = true;
    loop {
        // Wait for a submission or the earliest deadline, whichever comes first.
        let incoming = match heap.peek() {
            None if !senders_alive => return,
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            Some(Reverse(p)) => {
                let wait = p.deadline.saturating_duration_since(Instant::now());
                if wait.is_zero() || !senders_alive {
                    if !wait.is_zero() {
                        thread::sleep(wait);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout)
                } else {
                    rx.recv_timeout(wait)
                }
            }
        };
        match incoming {
            Ok(stream) => {
                push(&mut heap, &mut seq, stream);
                // Take every other queued submission without blocking.
                while let Ok(stream) = rx.try_recv() {
                    push(&mut heap, &mut seq, stream);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => senders_alive = false,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        while heap.peek().is_some_and(|Reverse(p)| p.deadline <= now) {
            let Some(Reverse(mut p)) = heap.pop() else {
                break;
            };
            if p.stream.fire(now) {
                p.deadline = p.stream.deadline();
                heap.push(Reverse(p));
            }
        }
    }
}

fn push(heap: &mut BinaryHeap<Reverse<Pending>>, seq: &mut u64, stream: Stream) {
    if stream.tx.is_closed() {
        return;
    }
    *seq += 1;
    heap.push(Reverse(Pending {
        deadline: stream.deadline(),
        seq: *seq,
        stream,
    }));
}

impl TokenSource for FixedTiming {
    fn submit(&self, request: GenerateRequest) -> UnboundedReceiver<GenerateEvent> {
        let submitted_at = Instant::now();
        let index = self.submitted.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = unbounded_channel();
        let timings = ServerTimings {
            worker_id: 0,
            queue_wait: Duration::ZERO,
            prefill: self.config.ttft,
            cached_tokens: 0,
            prompt_tokens: u32::try_from(request.prompt_tokens.len()).unwrap_or(u32::MAX),
        };
        let mut stream = Stream {
            tx,
            first_deadline: submitted_at + self.config.ttft,
            itl: self.config.itl,
            next: 0,
            total: request.output_tokens,
            token_base: index.wrapping_mul(7919),
            timings,
        };
        match &self.timer {
            None => {
                // No delay at all: queue every token now.
                while stream.fire(submitted_at) {}
            }
            Some(timer) => {
                let sent = timer.lock().is_ok_and(|tx| tx.send(stream).is_ok());
                // The timer thread only stops after the source is gone, so a failed send means it
                // died; the receiver then closes without a Finished event, which the server
                // reports as an aborted generation.
                if !sent {
                    tracing::error!("fixed-timing thread is gone; request dropped");
                }
            }
        }
        rx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(rx: &mut UnboundedReceiver<GenerateEvent>) -> Vec<GenerateEvent> {
        let mut out = Vec::new();
        while let Some(ev) = rx.blocking_recv() {
            out.push(ev);
        }
        out
    }

    fn request(n: u32) -> GenerateRequest {
        GenerateRequest {
            prompt_tokens: vec![1, 2, 3],
            output_tokens: n,
        }
    }

    #[test]
    fn zero_delay_emits_exactly_the_requested_tokens_then_finished() {
        let source = FixedTiming::new(FixedTimingConfig::default()).unwrap();
        let events = collect(&mut source.submit(request(5)));
        assert_eq!(events.len(), 6);
        assert!(
            events[..5]
                .iter()
                .all(|e| matches!(e, GenerateEvent::Token { token_id } if *token_id < 8192))
        );
        match &events[5] {
            GenerateEvent::Finished { timings, .. } => assert_eq!(timings.prompt_tokens, 3),
            other => panic!("expected Finished, got {other:?}"),
        }
    }

    #[test]
    fn zero_output_tokens_finishes_immediately() {
        let source = FixedTiming::new(FixedTimingConfig {
            ttft: Duration::from_millis(1),
            itl: Duration::from_millis(1),
        })
        .unwrap();
        let events = collect(&mut source.submit(request(0)));
        assert_eq!(events.len(), 1);
        assert!(matches!(events[0], GenerateEvent::Finished { .. }));
    }

    #[test]
    fn timed_stream_is_never_early_and_keeps_its_schedule() {
        let ttft = Duration::from_millis(15);
        let itl = Duration::from_millis(4);
        let source = FixedTiming::new(FixedTimingConfig { ttft, itl }).unwrap();
        let start = Instant::now();
        let mut rx = source.submit(request(10));
        let mut stamps = Vec::new();
        while let Some(ev) = rx.blocking_recv() {
            if matches!(ev, GenerateEvent::Token { .. }) {
                stamps.push(start.elapsed());
            }
        }
        assert_eq!(stamps.len(), 10);
        for (k, at) in stamps.iter().enumerate() {
            // Never before its absolute deadline (`start` was taken before submission).
            assert!(*at >= ttft + itl * k as u32, "token {k} at {at:?}");
        }
    }

    #[test]
    fn dropping_the_receiver_cancels_and_the_thread_keeps_serving() {
        let source = FixedTiming::new(FixedTimingConfig {
            ttft: Duration::from_millis(1),
            itl: Duration::from_millis(1),
        })
        .unwrap();
        drop(source.submit(request(1000)));
        let events = collect(&mut source.submit(request(3)));
        assert_eq!(events.len(), 4);
    }
}
