//! The real Mooncake conversation trace (shared/data/traces, hash_ids → block prompts) replayed on
//! its fixed schedule compressed 10x, against the in-process scripted server that records when
//! each request arrived: every request is sent once, and the arrival times match the trace's
//! timestamps / 10.
//!
//! The first 100 s of the trace (291 requests, 10 s of replay) keep the test short; the whole
//! trace and the microsecond lag figures are measured by `benches/scripts/sched_lag.sh` in
//! release mode (docs/performance.md), not asserted here.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use servebench_loadgen_core::replay::{DatasetType, FixedSchedule, ReplayOptions, load_dataset};
use servebench_loadgen_core::{CancelHandle, LoadMode};
use servebench_tokenize::BuiltinTokenizer;

use crate::support::server::{Script, ScriptedServer};
use crate::support::{config, run_with};

const TRACE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/traces/mooncake-fast25/conversation_trace.jsonl"
);

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let rank = ((q / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// Every request arrives once; none early (0.5 ms for clock granularity); the median arrival is
/// within 10 ms of its trace time / 10, and the 99th percentile below AIPerf's 500 ms threshold
/// of a degraded replay. These bounds are for a debug build on a shared 2-core CI machine with
/// the server in the same process (measured there at load 14-16: p50 2.4-4.5 ms, p99 21-210 ms,
/// the latter with other tests running alongside); a drifting schedule would be late by seconds
/// after 291 requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_mooncake_trace_at_10x_arrives_on_schedule() {
    let data = load_dataset(
        TRACE.as_ref(),
        DatasetType::MooncakeTrace,
        &ReplayOptions::new(1),
        &BuiltinTokenizer::new(),
    )
    .expect("the shared Mooncake trace");
    let schedule = FixedSchedule {
        end_offset: Some(Duration::from_secs(100)),
        speedup: 10.0,
        ..FixedSchedule::default()
    };
    let (entries, offsets) = schedule.apply(data.entries).unwrap();
    assert_eq!(
        entries.len(),
        291,
        "requests in the first 100 s of the trace"
    );
    // The prompts the server must see, as a multiset.
    let mut expected_prompts: BTreeMap<String, usize> = BTreeMap::new();
    for e in &entries {
        *expected_prompts
            .entry(e.prompt_text().into_owned())
            .or_default() += 1;
    }

    let server = ScriptedServer::start(|_| Script::Stream {
        ttft: Duration::from_millis(1),
        gap: Duration::ZERO,
        tokens: 1,
    })
    .await;
    let mut run_config = config(vec![server.url()], entries.len() as u64);
    run_config.request_timeout = Duration::from_secs(30);
    let clock = run_config.clock;
    let load = LoadMode::OpenLoop {
        arrivals: Box::new(offsets.clone().into_iter()),
        max_in_flight: None,
    };
    let (report, records) = run_with(run_config, entries.into(), load, CancelHandle::new()).await;
    assert_eq!(report.profiling.succeeded, 291, "{:?}", report.profiling);
    assert_eq!(records.len(), 291);
    let start = clock.instant_at(report.profiling_start_ns);

    let logs = server.requests();
    assert_eq!(logs.len(), 291, "every request sent exactly once");
    let mut seen_prompts: BTreeMap<String, usize> = BTreeMap::new();
    let mut arrivals = Vec::with_capacity(logs.len());
    for log in &logs {
        let body: Value = serde_json::from_slice(&log.body).unwrap();
        let prompt = body["messages"][0]["content"].as_str().unwrap().to_owned();
        *seen_prompts.entry(prompt).or_default() += 1;
        arrivals.push(log.received.saturating_duration_since(start));
    }
    assert!(
        seen_prompts == expected_prompts,
        "the trace's prompts, each as often as in the trace"
    );

    // Arrival offsets against the schedule, both sorted (requests due together may arrive in
    // either order).
    arrivals.sort();
    let mut errors = Vec::with_capacity(arrivals.len());
    for (k, (arrived, due)) in arrivals.iter().zip(&offsets).enumerate() {
        assert!(
            *arrived + Duration::from_micros(500) >= *due,
            "arrival {k} at {arrived:?} is before its time {due:?}"
        );
        errors.push(arrived.saturating_sub(*due));
    }
    errors.sort();
    let (p50, p99, max) = (
        percentile(&errors, 50.0),
        percentile(&errors, 99.0),
        errors[errors.len() - 1],
    );
    eprintln!(
        "arrival − trace time / 10: p50 {p50:?}, p99 {p99:?}, max {max:?}; client send lag {:?}",
        report.health.send_lag.stats()
    );
    assert!(p50 < Duration::from_millis(10), "median lateness {p50:?}");
    assert!(p99 < Duration::from_millis(500), "p99 lateness {p99:?}");
}
