use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::RunProgress;

/// Weight of the newest request in the "current" TTFT and ITL shown on the progress line.
const SMOOTHING: f64 = 0.2;

/// Live state of a run for a progress display, updated by the runner (requests sent) and the
/// record-processing thread (requests finished, recent latencies). Read it from any thread.
#[derive(Debug)]
pub struct LiveProgress {
    run: Arc<RunProgress>,
    finished: AtomicU64,
    errors: AtomicU64,
    /// Exponentially smoothed TTFT and ITL in ms, as f64 bits; NaN until the first value.
    ttft_ms: AtomicU64,
    itl_ms: AtomicU64,
}

/// One reading of [`LiveProgress`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProgressSnapshot {
    /// Requests sent (warm-up and profiling).
    pub started: u64,
    /// Requests finished (success or error).
    pub finished: u64,
    /// Requests that failed.
    pub errors: u64,
    /// Recent TTFT (smoothed), ms.
    pub ttft_ms: Option<f64>,
    /// Recent ITL (smoothed), ms.
    pub itl_ms: Option<f64>,
}

impl ProgressSnapshot {
    /// Requests sent and not yet finished.
    pub fn in_flight(&self) -> u64 {
        self.started.saturating_sub(self.finished)
    }
}

impl LiveProgress {
    /// Progress of the run whose sends are counted by `run` (`RunConfig::progress`).
    pub fn new(run: Arc<RunProgress>) -> Self {
        Self {
            run,
            finished: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            ttft_ms: AtomicU64::new(f64::NAN.to_bits()),
            itl_ms: AtomicU64::new(f64::NAN.to_bits()),
        }
    }

    /// The current values.
    pub fn snapshot(&self) -> ProgressSnapshot {
        let read = |a: &AtomicU64| {
            let v = f64::from_bits(a.load(Ordering::Relaxed));
            (!v.is_nan()).then_some(v)
        };
        ProgressSnapshot {
            started: self.run.started(),
            finished: self.finished.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            ttft_ms: read(&self.ttft_ms),
            itl_ms: read(&self.itl_ms),
        }
    }

    /// Counts one finished request and folds its latencies into the smoothed values.
    pub(crate) fn observe(&self, failed: bool, ttft_ms: Option<f64>, itl_ms: Option<f64>) {
        self.finished.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        for (slot, value) in [(&self.ttft_ms, ttft_ms), (&self.itl_ms, itl_ms)] {
            if let Some(v) = value {
                let old = f64::from_bits(slot.load(Ordering::Relaxed));
                let new = if old.is_nan() {
                    v
                } else {
                    old + SMOOTHING * (v - old)
                };
                slot.store(new.to_bits(), Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_smooths() {
        let p = LiveProgress::new(Arc::new(RunProgress::default()));
        assert_eq!(p.snapshot().ttft_ms, None);
        p.observe(false, Some(10.0), None);
        p.observe(true, None, None);
        p.observe(false, Some(20.0), Some(5.0));
        let s = p.snapshot();
        assert_eq!((s.finished, s.errors), (3, 1));
        // 10 + 0.2 * (20 - 10) = 12
        assert_eq!(s.ttft_ms, Some(12.0));
        assert_eq!(s.itl_ms, Some(5.0));
        assert_eq!(s.in_flight(), 0);
    }
}
