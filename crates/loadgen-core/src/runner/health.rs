//! Client-health measurements: is the load generator itself keeping up?
//!
//! Raw numbers only (the verdict is the caller's): send lag (how late requests left versus when
//! they were due), event-loop lag (how late a task spawned on the client runtime starts running),
//! and read coalescing (content events per socket read; many events per read means the client
//! reads slower than the server writes, and inter-chunk gaps collapse).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use servebench_metrics::{Phase, RequestRecord};

use crate::error::RunConfigError;

/// Sub-buckets per power of two (relative bucket width 1/32, about 3%).
const SUB_BUCKETS: u64 = 32;
const SUB_BITS: u32 = 5;
const BUCKETS: usize = (SUB_BUCKETS as usize) * 60;

/// A log-linear histogram of nanosecond values: exact count, sum, min and max; percentiles
/// within 3.2% (the bucket width) of the true sample value.
#[derive(Debug, Clone)]
pub struct LagHistogram {
    counts: Vec<u64>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl Default for LagHistogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

impl LagHistogram {
    /// Adds one value.
    pub fn record(&mut self, value_ns: u64) {
        self.counts[bucket_of(value_ns)] += 1;
        self.count += 1;
        self.sum += u128::from(value_ns);
        self.min = self.min.min(value_ns);
        self.max = self.max.max(value_ns);
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &LagHistogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Nearest-rank percentile (`q` in 0..=100): the midpoint of the bucket holding the sample of
    /// rank ceil(q/100 * count), clamped to [min, max]. `None` when empty.
    pub fn percentile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q / 100.0) * self.count as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (index, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let (low, high) = bucket_bounds(index);
                return Some((low + (high - low) / 2).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// Summary statistics.
    pub fn stats(&self) -> LagStats {
        if self.count == 0 {
            return LagStats::default();
        }
        LagStats {
            count: self.count,
            mean_ns: u64::try_from(self.sum / u128::from(self.count)).unwrap_or(u64::MAX),
            min_ns: self.min,
            p50_ns: self.percentile(50.0).unwrap_or(0),
            p90_ns: self.percentile(90.0).unwrap_or(0),
            p99_ns: self.percentile(99.0).unwrap_or(0),
            p999_ns: self.percentile(99.9).unwrap_or(0),
            max_ns: self.max,
        }
    }
}

fn bucket_of(value: u64) -> usize {
    if value < SUB_BUCKETS {
        return value as usize;
    }
    let exponent = 63 - value.leading_zeros(); // >= SUB_BITS
    let shift = exponent - SUB_BITS;
    let sub = (value >> shift) - SUB_BUCKETS;
    ((shift as u64 + 1) * SUB_BUCKETS + sub) as usize
}

/// Inclusive `(low, high)` values of a bucket.
fn bucket_bounds(index: usize) -> (u64, u64) {
    let index = index as u64;
    if index < SUB_BUCKETS {
        return (index, index);
    }
    let shift = index / SUB_BUCKETS - 1;
    let low = (SUB_BUCKETS + index % SUB_BUCKETS) << shift;
    (low, low + ((1u64 << shift) - 1))
}

/// Summary of a [`LagHistogram`] (all zero when empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LagStats {
    /// Number of samples.
    pub count: u64,
    /// Mean, ns.
    pub mean_ns: u64,
    /// Minimum, ns.
    pub min_ns: u64,
    /// Median, ns.
    pub p50_ns: u64,
    /// 90th percentile, ns.
    pub p90_ns: u64,
    /// 99th percentile, ns.
    pub p99_ns: u64,
    /// 99.9th percentile, ns.
    pub p999_ns: u64,
    /// Maximum, ns.
    pub max_ns: u64,
}

/// Client-health measurements of a run (profiling phase, except the event-loop probe which runs
/// for the whole run).
#[derive(Debug, Clone, Default)]
pub struct ClientHealth {
    /// `start_ns − due_ns` per request: how late requests were written versus when they were due
    /// (intended send time in open loop, credit time in closed loop). Includes connection set-up
    /// for requests that had to dial.
    pub send_lag: LagHistogram,
    /// The part of an open-loop request's send lag spent before the timer thread released it:
    /// `credit_issued_ns − intended_send_ns`, zero when it was released ahead of its due time
    /// (under a real-time policy); includes waits for the in-flight cap. Empty in closed loop.
    /// The three parts add up to the send lag whatever the order of release, task start and due
    /// time.
    pub schedule_lag: LagHistogram,
    /// The part spent in the hand-off to the client runtime after the due time: task start −
    /// the later of release and due time (the task waiting for the runtime thread). Empty in
    /// closed loop.
    pub dispatch_lag: LagHistogram,
    /// The part spent after the task started and the due time passed, until the write:
    /// connection checkout (and dialing, when no idle connection was ready), request preparation,
    /// and for a request released early, how late its hold ended. Empty in closed loop.
    pub connect_lag: LagHistogram,
    /// How long a task spawned on the client runtime every probe period waited before running.
    pub event_loop_lag: LagHistogram,
    /// Socket reads of response bodies (frames for HTTP/2).
    pub body_reads: u64,
    /// Content chunks received.
    pub content_chunks: u64,
    /// `content_events_per_read[k]` = number of reads that delivered exactly `k` content events
    /// (the last slot also counts reads with more).
    pub content_events_per_read: Vec<u64>,
}

/// The stamps of one open-loop request, in ns on the run's clock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SendStamps {
    /// When it was due.
    pub(crate) due_ns: u64,
    /// When the timer thread released it (before `due_ns` when released ahead).
    pub(crate) released_ns: u64,
    /// When its task started running on the client runtime.
    pub(crate) task_start_ns: u64,
    /// When its bytes were written.
    pub(crate) written_ns: u64,
}

/// An open-loop request's send lag (`written − due`, zero when not late) split by where it was
/// spent after the due time; the parts add up to the send lag whatever the order of release,
/// task start and due time. Released at or after the due time (time sharing): timer = release −
/// due, dispatch = task start − release, connect = write − task start. Released ahead of it,
/// only what happened after the due time counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SendLagParts {
    pub(crate) timer_ns: u64,
    pub(crate) dispatch_ns: u64,
    pub(crate) connect_ns: u64,
}

impl SendLagParts {
    pub(crate) fn of(s: SendStamps) -> Self {
        let released_or_due = s.released_ns.max(s.due_ns);
        let started_or_due = s.task_start_ns.max(s.due_ns);
        Self {
            timer_ns: s.released_ns.saturating_sub(s.due_ns),
            dispatch_ns: s.task_start_ns.saturating_sub(released_or_due),
            connect_ns: s.written_ns.saturating_sub(started_or_due),
        }
    }
}

/// Largest per-read event count tracked separately in [`ClientHealth::content_events_per_read`].
const MAX_EVENTS_PER_READ_SLOT: usize = 64;

impl ClientHealth {
    /// Adds the hand-off and connection parts of an open-loop request's send lag, given when its
    /// task started running (`task_start_ns`).
    pub(crate) fn observe_dispatch(&mut self, record: &RequestRecord, task_start_ns: u64) {
        let Some(due_ns) = record.intended_send_ns else {
            return;
        };
        if record.phase != Phase::Profiling {
            return;
        }
        let parts = SendLagParts::of(SendStamps {
            due_ns,
            released_ns: record.credit_issued_ns,
            task_start_ns,
            written_ns: record.start_ns,
        });
        self.dispatch_lag.record(parts.dispatch_ns);
        self.connect_lag.record(parts.connect_ns);
    }

    /// Adds the measurements of one finished record.
    pub(crate) fn observe(&mut self, record: &RequestRecord) {
        if record.phase != Phase::Profiling {
            return;
        }
        self.send_lag
            .record(record.start_ns.saturating_sub(record.due_ns()));
        if let Some(intended) = record.intended_send_ns {
            self.schedule_lag
                .record(record.credit_issued_ns.saturating_sub(intended));
        }
        self.body_reads += u64::from(record.reads);
        self.content_chunks += record.chunks.len() as u64;
        if record.reads > 0 {
            if self.content_events_per_read.is_empty() {
                self.content_events_per_read = vec![0; MAX_EVENTS_PER_READ_SLOT + 1];
            }
            let mut with_content = 0u64;
            let mut i = 0;
            while i < record.chunks.len() {
                let read = record.chunks[i].read_index;
                let mut n = 0;
                while i < record.chunks.len() && record.chunks[i].read_index == read {
                    n += 1;
                    i += 1;
                }
                self.content_events_per_read[n.min(MAX_EVENTS_PER_READ_SLOT)] += 1;
                with_content += 1;
            }
            self.content_events_per_read[0] += u64::from(record.reads).saturating_sub(with_content);
        }
    }
}

/// Measures event-loop lag: a plain thread spawns a tiny task on the client runtime every
/// `period` and the task records how long it waited to start.
pub(crate) struct EventLoopProbe {
    stop: Arc<AtomicBool>,
    histogram: Arc<Mutex<LagHistogram>>,
    thread: Option<JoinHandle<()>>,
}

impl EventLoopProbe {
    /// Starts the probe; with `stall`, every probe period also blocks the runtime that long (a
    /// test hook that makes the client genuinely late).
    pub(crate) fn start(
        runtime: tokio::runtime::Handle,
        period: Duration,
        stall: Option<Duration>,
    ) -> Result<Self, RunConfigError> {
        let stop = Arc::new(AtomicBool::new(false));
        let histogram = Arc::new(Mutex::new(LagHistogram::default()));
        let thread = {
            let stop = Arc::clone(&stop);
            let histogram = Arc::clone(&histogram);
            std::thread::Builder::new()
                .name("servebench-loop-probe".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(period);
                        let spawned = Instant::now();
                        let histogram = Arc::clone(&histogram);
                        runtime.spawn(async move {
                            let waited = spawned.elapsed();
                            histogram
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .record(u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX));
                        });
                        if let Some(stall) = stall {
                            runtime.spawn(async move { std::thread::sleep(stall) });
                        }
                    }
                })
                .map_err(|source| RunConfigError::Thread {
                    name: "event-loop probe",
                    source,
                })?
        };
        Ok(Self {
            stop,
            histogram,
            thread: Some(thread),
        })
    }

    /// Stops the probe and returns what it measured.
    pub(crate) fn finish(mut self) -> LagHistogram {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!("the event-loop probe thread panicked");
        }
        self.histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for EventLoopProbe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_contain_their_values() {
        let mut previous_high = None;
        for index in 0..BUCKETS {
            let (low, high) = bucket_bounds(index);
            if let Some(p) = previous_high {
                assert_eq!(low, p + 1, "bucket {index}");
            }
            assert_eq!(bucket_of(low), index);
            assert_eq!(bucket_of(high), index);
            previous_high = Some(high);
            if high == u64::MAX {
                break;
            }
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn percentiles_within_bucket_width() {
        let mut h = LagHistogram::default();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let s = h.stats();
        assert_eq!(
            (s.count, s.min_ns, s.max_ns, s.mean_ns),
            (1000, 1000, 1_000_000, 500_500)
        );
        for (q, truth) in [(50.0, 500_000.0), (90.0, 900_000.0), (99.0, 990_000.0)] {
            let got = h.percentile(q).unwrap() as f64;
            assert!(
                (got - truth).abs() / truth < 0.033,
                "p{q}: {got} vs {truth}"
            );
        }
    }

    fn parts(due_ns: u64, released_ns: u64, task_start_ns: u64, written_ns: u64) -> [u64; 3] {
        let p = SendLagParts::of(SendStamps {
            due_ns,
            released_ns,
            task_start_ns,
            written_ns,
        });
        [p.timer_ns, p.dispatch_ns, p.connect_ns]
    }

    #[test]
    fn released_late_the_parts_are_the_three_gaps() {
        // Due 100, released 130, task 190, written 200: 30 + 60 + 10 = 100 late.
        assert_eq!(parts(100, 130, 190, 200), [30, 60, 10]);
    }

    #[test]
    fn released_early_only_the_time_after_the_due_time_counts() {
        // Released 150 ahead, the task starts 70 after due, written 5 later: all of the 75 late
        // is the hand-off and the connection, none the timer.
        assert_eq!(parts(1000, 850, 1070, 1075), [0, 70, 5]);
        // The task started before due and held the request: a hold that ended 3 late is the
        // connect part.
        assert_eq!(parts(1000, 850, 900, 1003), [0, 0, 3]);
        // Written exactly on time.
        assert_eq!(parts(1000, 850, 900, 1000), [0, 0, 0]);
    }

    #[test]
    fn the_parts_add_up_to_the_send_lag() {
        for (due, rel, start, write) in [
            (100, 130, 190, 200),
            (1000, 850, 1070, 1075),
            (1000, 850, 900, 1003),
            (1000, 999, 1000, 1000),
            (500, 500, 800, 900),
        ] {
            let sum: u64 = parts(due, rel, start, write).iter().sum();
            assert_eq!(sum, write - due, "{due} {rel} {start} {write}");
        }
    }

    #[test]
    fn events_per_read_counts_coalesced_reads() {
        use servebench_metrics::ContentChunk;
        let chunk = |read_index| ContentChunk {
            read_index,
            ..ContentChunk::default()
        };
        let record = servebench_metrics::RecordBuilder::new(0)
            .span(15, 30)
            .credit(10)
            .ack(20)
            .chunks(vec![chunk(0), chunk(1), chunk(1), chunk(1), chunk(3)])
            .reads(5, 1)
            .build();
        let mut health = ClientHealth::default();
        health.observe(&record);
        assert_eq!(&health.content_events_per_read[..4], &[2, 2, 0, 1]);
        assert_eq!(health.send_lag.stats().max_ns, 5);
        assert_eq!(health.content_chunks, 5);
    }
}
