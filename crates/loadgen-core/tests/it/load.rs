//! Load modes: closed loop holds N in flight, open loop follows its offsets, stop conditions,
//! warm-up, cancellation, round-robin.

use std::time::Duration;

use servebench_loadgen_core::{CancelHandle, LoadMode, StopCondition};
use servebench_metrics::{ErrorKind, Phase};

use crate::support::server::{Script, ScriptedServer};
use crate::support::{config, dataset, run_collect, run_with};

fn stream(ttft_ms: u64, gap_ms: u64, tokens: usize) -> Script {
    Script::Stream {
        ttft: Duration::from_millis(ttft_ms),
        gap: Duration::from_millis(gap_ms),
        tokens,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_holds_exactly_n_in_flight_on_n_connections() {
    let server = ScriptedServer::start(|_| stream(5, 2, 5)).await;
    let (report, records) =
        run_collect(config(vec![server.url()], 24), LoadMode::Concurrency(4)).await;
    assert_eq!(report.profiling.succeeded, 24);
    assert_eq!(records.len(), 24);
    assert_eq!(server.max_active(), 4);
    assert!(
        server.connections() <= 4,
        "{} connections",
        server.connections()
    );
    // Closed loop: due at credit, no schedule.
    assert!(records.iter().all(|r| r.intended_send_ns.is_none()));
    // Indexes are 0..24 and sessions round-robin over the 4 entries.
    assert!(records.iter().enumerate().all(|(i, r)| r.index == i as u64));
    for session in 0..4 {
        assert_eq!(
            records
                .iter()
                .filter(|r| r.session_index == session)
                .count(),
            6
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_sends_follow_the_offsets() {
    let server = ScriptedServer::start(|_| stream(1, 1, 2)).await;
    let gap = Duration::from_millis(25);
    let offsets: Vec<Duration> = (0..10).map(|k| gap * k).collect();
    let load = LoadMode::OpenLoop {
        arrivals: Box::new(offsets.clone().into_iter()),
        max_in_flight: None,
    };
    let config = config(vec![server.url()], 10);
    let clock = config.clock;
    let (report, records) = run_collect(config, load).await;
    assert_eq!(report.profiling.succeeded, 10);
    let gap_ns = gap.as_nanos() as u64;
    let mut lags = Vec::new();
    for (record, offset) in records.iter().zip(&offsets) {
        let intended = record.intended_send_ns.unwrap();
        assert_eq!(
            intended - report.profiling_start_ns,
            offset.as_nanos() as u64
        );
        assert!(record.credit_issued_ns >= intended && record.start_ns >= record.credit_issued_ns);
        let lag = record.start_ns - intended;
        assert!(
            lag < gap_ns / 2,
            "send lag {lag} ns against a {gap_ns} ns gap"
        );
        lags.push(lag);
    }
    lags.sort_unstable();
    assert!(
        lags[lags.len() / 2] < gap_ns / 10,
        "median send lag {} ns",
        lags[lags.len() / 2]
    );
    // The server saw the requests arrive on the schedule too.
    let arrivals: Vec<u64> = server
        .requests()
        .iter()
        .map(|r| clock.ns_at(r.received))
        .collect();
    for (k, at) in arrivals.iter().enumerate() {
        let due = report.profiling_start_ns + gap_ns * k as u64;
        assert!(
            *at >= due && at - due < gap_ns / 2,
            "request {k} arrived {} ns late",
            at - due
        );
    }
    assert_eq!(report.health.send_lag.stats().count, 10);
    assert_eq!(report.health.schedule_lag.stats().count, 10);
    eprintln!("open-loop send lag: {:?}", report.health.send_lag.stats());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_in_flight_cap_holds() {
    let server = ScriptedServer::start(|_| stream(20, 1, 1)).await;
    let load = LoadMode::OpenLoop {
        arrivals: Box::new(std::iter::repeat_n(Duration::ZERO, 8)),
        max_in_flight: Some(2),
    };
    let (report, records) = run_collect(config(vec![server.url()], 8), load).await;
    assert_eq!(report.profiling.succeeded, 8);
    assert_eq!(server.max_active(), 2);
    // Requests that waited for a slot were released late: the schedule lag shows it.
    let waited = records
        .iter()
        .filter(|r| r.credit_issued_ns - r.intended_send_ns.unwrap() > 10_000_000)
        .count();
    assert!(waited >= 4, "{waited} requests waited for a slot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_stops_when_arrivals_end() {
    let server = ScriptedServer::start(|_| stream(1, 1, 1)).await;
    let load = LoadMode::OpenLoop {
        arrivals: Box::new([0u64, 1, 2].into_iter().map(Duration::from_millis)),
        max_in_flight: None,
    };
    let (report, _) = run_collect(config(vec![server.url()], 100), load).await;
    assert_eq!(report.profiling.records, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warmup_runs_first_and_is_marked() {
    let server = ScriptedServer::start(|_| stream(1, 1, 2)).await;
    let mut config = config(vec![server.url()], 3);
    config.warmup_requests = 2;
    let (report, records) = run_collect(config, LoadMode::Concurrency(2)).await;
    assert_eq!((report.warmup.records, report.profiling.records), (2, 3));
    let phases: Vec<Phase> = records.iter().map(|r| r.phase).collect();
    assert_eq!(
        phases,
        [
            Phase::Warmup,
            Phase::Warmup,
            Phase::Profiling,
            Phase::Profiling,
            Phase::Profiling
        ]
    );
    let last_warmup_end = records[..2].iter().map(|r| r.end_ns).max().unwrap();
    assert!(records[2..].iter().all(|r| r.start_ns >= last_warmup_end));
    assert!(report.profiling_start_ns >= last_warmup_end);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duration_stop_then_grace_cancels_the_stragglers() {
    // Responses take ~2 s; issue for 100 ms, then 100 ms of grace.
    let server = ScriptedServer::start(|_| stream(5, 20, 100)).await;
    let mut config = config(vec![server.url()], 0);
    config.stop = StopCondition {
        request_count: None,
        duration: Some(Duration::from_millis(100)),
        grace_period: Duration::from_millis(100),
    };
    let (report, records) = run_collect(config, LoadMode::Concurrency(2)).await;
    assert_eq!(records.len(), 2);
    assert_eq!(report.profiling.errors.get(&ErrorKind::Cancelled), Some(&2));
    assert!(!report.was_cancelled);
    for record in &records {
        let error = record.error.as_ref().unwrap();
        assert!(error.message.contains("grace period"), "{}", error.message);
        assert!(
            !record.chunks.is_empty(),
            "chunks received before the cancel are kept"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duration_stop_lets_fast_requests_finish() {
    let server = ScriptedServer::start(|_| stream(1, 1, 2)).await;
    let mut config = config(vec![server.url()], 0);
    config.stop = StopCondition::duration(Duration::from_millis(150));
    let (report, records) = run_collect(config, LoadMode::Concurrency(2)).await;
    assert!(report.profiling.records >= 2);
    assert_eq!(report.profiling.failed(), 0);
    // The stop is raised by tokio's timer (1 ms wheel): allow a few ms of lateness.
    let stop_ns = report.profiling_start_ns + 150_000_000 + 5_000_000;
    assert!(records.iter().all(|r| r.credit_issued_ns <= stop_ns));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_handle_stops_and_cancels_in_flight() {
    let server = ScriptedServer::start(|_| stream(5, 20, 100)).await;
    let cancel = CancelHandle::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        trigger.cancel();
    });
    let (report, records) = run_with(
        config(vec![server.url()], 1000),
        dataset(4),
        LoadMode::Concurrency(3),
        cancel,
    )
    .await;
    assert!(report.was_cancelled);
    assert_eq!(records.len(), 3);
    assert_eq!(report.profiling.errors.get(&ErrorKind::Cancelled), Some(&3));
    assert!(
        records[0]
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("cancelled")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_are_used_round_robin() {
    let a = ScriptedServer::start(|_| stream(1, 1, 1)).await;
    let b = ScriptedServer::start(|_| stream(1, 1, 1)).await;
    let (report, records) =
        run_collect(config(vec![a.url(), b.url()], 6), LoadMode::Concurrency(2)).await;
    assert_eq!(report.profiling.succeeded, 6);
    assert_eq!((a.requests().len(), b.requests().len()), (3, 3));
    assert!(records.iter().all(|r| r.url_index == (r.index % 2) as u32));
}
