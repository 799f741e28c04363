//! AIPerf's fixed-schedule replay lag family: `replay_sched_lag_p50/p90/p99` (ms) and
//! `replay_sched_degraded`.
//!
//! As in AIPerf, the lag of a request is its send offset (actual send time minus its scheduled
//! time) minus the smallest send offset of the run (anchored at the least-late request, so a
//! constant offset between the clocks does not count), and the run is degraded when the p99 lag
//! exceeds 500 ms.

use serde_json::{Value, json};

use crate::LagStats;

/// p99 lag above which a replay is flagged degraded (AIPerf's threshold).
pub(crate) const DEGRADED_P99_MS: f64 = 500.0;

/// The summary keys, in AIPerf's metric shape (`{"unit", "avg"}`), from the send-lag stats of
/// the profiling phase.
pub(crate) fn sections(send_lag: &LagStats) -> Vec<(String, Value)> {
    if send_lag.count == 0 {
        return Vec::new();
    }
    let anchored = |ns: u64| ns.saturating_sub(send_lag.min_ns) as f64 / 1e6;
    let p99 = anchored(send_lag.p99_ns);
    vec![
        (
            "replay_sched_lag_p50".into(),
            json!({"unit": "ms", "avg": anchored(send_lag.p50_ns)}),
        ),
        (
            "replay_sched_lag_p90".into(),
            json!({"unit": "ms", "avg": anchored(send_lag.p90_ns)}),
        ),
        (
            "replay_sched_lag_p99".into(),
            json!({"unit": "ms", "avg": p99}),
        ),
        (
            "replay_sched_degraded".into(),
            json!({"unit": "", "avg": u8::from(p99 > DEGRADED_P99_MS)}),
        ),
    ]
}
