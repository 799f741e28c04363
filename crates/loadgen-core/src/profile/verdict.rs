//! The client-saturation verdict: was the load generator itself too late to measure accurately?

use std::time::Duration;

use serde_json::{Value, json};

use crate::{ClientHealth, LagHistogram};

/// When the client's own lateness counts as distorting the results.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SaturationThresholds {
    /// Largest acceptable p99 of the runtime's wake-up lag. A socket that became readable waits
    /// about this long before its read is stamped, so TTFT and ITL can be high by as much.
    pub max_event_loop_lag_p99: Duration,
    /// Largest acceptable p99 of how late open-loop requests were released against their
    /// schedule (only without an in-flight cap, where waiting is the server's doing).
    pub max_schedule_lag_p99: Duration,
}

impl Default for SaturationThresholds {
    fn default() -> Self {
        Self {
            max_event_loop_lag_p99: Duration::from_millis(1),
            max_schedule_lag_p99: Duration::from_millis(1),
        }
    }
}

/// The verdict and the numbers behind it (exported as the `client_health` section).
#[derive(Debug, Clone, PartialEq)]
pub struct ClientVerdict {
    /// True when a threshold was exceeded: the measured latencies may be inflated by the client.
    pub saturated: bool,
    /// One sentence per exceeded threshold.
    pub reasons: Vec<String>,
    /// Everything measured, for `profile_export_aiperf.json`'s `client_health` key.
    pub details: Value,
}

/// What the verdict is computed from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VerdictInput<'a> {
    pub(crate) health: &'a ClientHealth,
    /// Open loop with no in-flight cap: schedule lag is purely the client's.
    pub(crate) uncapped_open_loop: bool,
    pub(crate) process_cpu: Option<Duration>,
    pub(crate) wall: Duration,
    pub(crate) thresholds: SaturationThresholds,
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

fn lag_json(h: &LagHistogram) -> Value {
    let s = h.stats();
    if s.count == 0 {
        return Value::Null;
    }
    json!({
        "unit": "ms", "count": s.count, "avg": ms(s.mean_ns), "min": ms(s.min_ns),
        "p50": ms(s.p50_ns), "p90": ms(s.p90_ns), "p99": ms(s.p99_ns), "p999": ms(s.p999_ns),
        "max": ms(s.max_ns),
    })
}

/// Judges a run.
pub(crate) fn assess(input: VerdictInput<'_>) -> ClientVerdict {
    let h = input.health;
    let t = input.thresholds;
    let mut reasons = Vec::new();
    let loop_lag = h.event_loop_lag.stats();
    if loop_lag.count > 0 && u128::from(loop_lag.p99_ns) > t.max_event_loop_lag_p99.as_nanos() {
        reasons.push(format!(
            "the client runtime woke up to {:.2} ms late (p99 event-loop lag, threshold {:.2} ms): \
             response reads may have been stamped that late, inflating TTFT and ITL",
            ms(loop_lag.p99_ns),
            t.max_event_loop_lag_p99.as_secs_f64() * 1e3
        ));
    }
    let sched = h.schedule_lag.stats();
    if input.uncapped_open_loop
        && sched.count > 0
        && u128::from(sched.p99_ns) > t.max_schedule_lag_p99.as_nanos()
    {
        reasons.push(format!(
            "requests were released up to {:.2} ms behind schedule (p99 schedule lag, threshold \
             {:.2} ms): the offered load was lower than asked",
            ms(sched.p99_ns),
            t.max_schedule_lag_p99.as_secs_f64() * 1e3
        ));
    }
    let coalesced: u64 = h.content_events_per_read.iter().skip(2).sum();
    let reads_with_content: u64 = h.content_events_per_read.iter().skip(1).sum();
    let cpu_s = input.process_cpu.map(|d| d.as_secs_f64());
    let details = json!({
        "saturated": !reasons.is_empty(),
        "reasons": reasons,
        "thresholds": {
            "max_event_loop_lag_p99_ms": t.max_event_loop_lag_p99.as_secs_f64() * 1e3,
            "max_schedule_lag_p99_ms": t.max_schedule_lag_p99.as_secs_f64() * 1e3,
        },
        "event_loop_lag": lag_json(&h.event_loop_lag),
        "send_lag": lag_json(&h.send_lag),
        "schedule_lag": lag_json(&h.schedule_lag),
        "body_reads": h.body_reads,
        "content_chunks": h.content_chunks,
        "reads_with_content": reads_with_content,
        "reads_with_several_content_events": coalesced,
        "coalesced_read_fraction": if reads_with_content > 0 {
            coalesced as f64 / reads_with_content as f64
        } else {
            0.0
        },
        "process_cpu_seconds": cpu_s,
        "wall_seconds": input.wall.as_secs_f64(),
        "process_cpu_us_per_content_chunk": cpu_s
            .filter(|_| h.content_chunks > 0)
            .map(|c| c * 1e6 / h.content_chunks as f64),
    });
    ClientVerdict {
        saturated: !reasons.is_empty(),
        reasons,
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health_with_loop_lag(ns: u64) -> ClientHealth {
        let mut h = ClientHealth::default();
        for _ in 0..100 {
            h.event_loop_lag.record(ns);
        }
        h
    }

    fn input(h: &ClientHealth, uncapped: bool) -> VerdictInput<'_> {
        VerdictInput {
            health: h,
            uncapped_open_loop: uncapped,
            process_cpu: Some(Duration::from_millis(500)),
            wall: Duration::from_secs(1),
            thresholds: SaturationThresholds::default(),
        }
    }

    #[test]
    fn a_prompt_client_is_healthy() {
        let h = health_with_loop_lag(50_000);
        let v = assess(input(&h, true));
        assert!(!v.saturated, "{:?}", v.reasons);
        assert_eq!(v.details["saturated"], false);
        assert_eq!(v.details["process_cpu_seconds"], 0.5);
    }

    #[test]
    fn a_late_runtime_is_saturated() {
        let h = health_with_loop_lag(5_000_000);
        let v = assess(input(&h, false));
        assert!(v.saturated);
        assert!(v.reasons[0].contains("event-loop lag"), "{}", v.reasons[0]);
    }

    #[test]
    fn schedule_lag_counts_only_without_a_cap() {
        let mut h = health_with_loop_lag(10_000);
        for _ in 0..100 {
            h.schedule_lag.record(20_000_000);
        }
        assert!(assess(input(&h, true)).saturated);
        assert!(!assess(input(&h, false)).saturated);
    }

    #[test]
    fn coalescing_is_reported() {
        // 6 reads with one content event, 2 with three, 2 with none.
        let h = ClientHealth {
            content_events_per_read: vec![2, 6, 0, 2],
            ..ClientHealth::default()
        };
        let v = assess(input(&h, false));
        assert_eq!(v.details["reads_with_content"], 8);
        assert_eq!(v.details["reads_with_several_content_events"], 2);
        assert_eq!(v.details["coalesced_read_fraction"], 0.25);
    }
}
