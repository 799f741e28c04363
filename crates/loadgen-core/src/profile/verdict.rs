//! The client-saturation verdict: was the load generator itself too late to measure accurately?

use std::time::Duration;

use serde_json::{Value, json};

use crate::{ClientHealth, LagHistogram};

/// When the client's own lateness counts as distorting the results.
///
/// Event-loop lag is material only when its p99 exceeds BOTH an absolute floor and a fraction
/// of the typical latency being measured (TTFT p50 when streaming, request latency p50
/// otherwise). A read that became ready waits at most about the lag before it is stamped, so a
/// p99 lag below 10 % of the median TTFT moves the reported TTFT by less than that even for the
/// unluckiest 1 % of reads; a sub-millisecond lag is below what a benchmark over a network can
/// resolve at all. Smaller lag is reported as a note, not a verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SaturationThresholds {
    /// Event-loop lag p99 at or below this never counts as saturation.
    pub max_event_loop_lag_p99: Duration,
    /// Event-loop lag p99 at or below this fraction of the reference latency p50 (TTFT when
    /// streaming, request latency otherwise) never counts as saturation.
    pub max_event_loop_lag_fraction: f64,
    /// Largest acceptable p99 of how late open-loop requests were released against their
    /// schedule (only without an in-flight cap, where waiting is the server's doing).
    pub max_schedule_lag_p99: Duration,
}

impl Default for SaturationThresholds {
    fn default() -> Self {
        Self {
            max_event_loop_lag_p99: Duration::from_millis(1),
            max_event_loop_lag_fraction: 0.10,
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
    /// Client lateness that was measured but is too small to matter (one sentence each).
    pub notes: Vec<String>,
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
    /// The typical latency the lag is compared with: (name, p50 in ms), when measured.
    pub(crate) reference_latency: Option<(&'static str, f64)>,
    /// Profiling requests that failed in the client itself (out of files, ports, buffers).
    pub(crate) client_errors: u64,
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
    let mut notes = Vec::new();
    let loop_lag = h.event_loop_lag.stats();
    let lag_ms = ms(loop_lag.p99_ns);
    let floor_ms = t.max_event_loop_lag_p99.as_secs_f64() * 1e3;
    if loop_lag.count > 0 && lag_ms > floor_ms {
        match input.reference_latency {
            Some((name, p50)) if lag_ms <= t.max_event_loop_lag_fraction * p50 => {
                notes.push(format!(
                    "the client runtime woke up to {lag_ms:.2} ms late (p99 event-loop lag), \
                     {:.1} % of the {name} p50 of {p50:.2} ms: below the {:.0} % that would \
                     distort it",
                    100.0 * lag_ms / p50,
                    100.0 * t.max_event_loop_lag_fraction
                ));
            }
            reference => {
                let relative = reference.map_or_else(String::new, |(name, p50)| {
                    format!(
                        ", {:.1} % of the {name} p50 of {p50:.2} ms (limit {:.0} %)",
                        100.0 * lag_ms / p50,
                        100.0 * t.max_event_loop_lag_fraction
                    )
                });
                reasons.push(format!(
                    "the client runtime woke up to {lag_ms:.2} ms late (p99 event-loop lag, \
                     floor {floor_ms:.2} ms{relative}): response reads may have been stamped \
                     that late, inflating TTFT and ITL"
                ));
            }
        }
    }
    if input.client_errors > 0 {
        reasons.push(format!(
            "{} requests failed in the client itself (it ran out of open files, local ports or \
             socket buffers): lower the concurrency or raise the limits",
            input.client_errors
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
        "notes": notes,
        "client_errors": input.client_errors,
        "reference_latency": input.reference_latency.map(|(name, p50)| json!({"metric": name, "p50_ms": p50})),
        "thresholds": {
            "max_event_loop_lag_p99_ms": t.max_event_loop_lag_p99.as_secs_f64() * 1e3,
            "max_event_loop_lag_fraction_of_reference_p50": t.max_event_loop_lag_fraction,
            "max_schedule_lag_p99_ms": t.max_schedule_lag_p99.as_secs_f64() * 1e3,
        },
        "event_loop_lag": lag_json(&h.event_loop_lag),
        "send_lag": lag_json(&h.send_lag),
        "schedule_lag": lag_json(&h.schedule_lag),
        "dispatch_lag": lag_json(&h.dispatch_lag),
        "connect_lag": lag_json(&h.connect_lag),
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
        notes,
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
            reference_latency: None,
            client_errors: 0,
        }
    }

    #[test]
    fn small_lag_next_to_the_measured_latency_is_a_note() {
        // The reported case: lag p99 just over 1 ms on a TTFT of 25 ms (4.4 %).
        let h = health_with_loop_lag(1_100_000);
        let mut i = input(&h, false);
        i.reference_latency = Some(("TTFT", 25.0));
        let v = assess(i);
        assert!(!v.saturated, "{:?}", v.reasons);
        assert_eq!(v.notes.len(), 1);
        assert!(v.notes[0].contains("4.4 %"), "{}", v.notes[0]);
    }

    #[test]
    fn lag_above_both_the_floor_and_the_fraction_is_saturation() {
        // 3 ms on 25 ms = 12 % > 10 %.
        let h = health_with_loop_lag(3_000_000);
        let mut i = input(&h, false);
        i.reference_latency = Some(("TTFT", 25.0));
        let v = assess(i);
        assert!(v.saturated);
        assert!(v.reasons[0].contains("12.0 %"), "{}", v.reasons[0]);
        // A large fraction of a tiny latency is not material below the absolute floor.
        let h = health_with_loop_lag(900_000);
        let mut i = input(&h, false);
        i.reference_latency = Some(("TTFT", 2.0));
        assert!(!assess(i).saturated);
    }

    #[test]
    fn client_errors_are_saturation() {
        let h = health_with_loop_lag(10_000);
        let mut i = input(&h, false);
        i.client_errors = 3;
        let v = assess(i);
        assert!(v.saturated);
        assert!(
            v.reasons[0].contains("3 requests failed in the client"),
            "{}",
            v.reasons[0]
        );
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
