//! Replayed datasets end to end against the in-process scripted server: fixed-schedule send
//! times, multi-turn sessions (order, delay, history with the replies received), sampling
//! strategies, and `inputs.json` replayed byte for byte.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use servebench_loadgen_core::profile::{ProfileConfig, profile};
use servebench_loadgen_core::replay::{
    DatasetType, FixedSchedule, ReplayOptions, SamplingStrategy, load_dataset,
};
use servebench_loadgen_core::{CancelHandle, DatasetEntry, LoadMode};
use servebench_tokenize::BuiltinTokenizer;

use crate::support::server::{Script, ScriptedServer};
use crate::support::{config, run_with};

fn stream(tokens: usize) -> Script {
    Script::Stream {
        ttft: Duration::from_millis(2),
        gap: Duration::from_millis(1),
        tokens,
    }
}

fn body(log: &crate::support::server::RequestLog) -> Value {
    serde_json::from_slice(&log.body).unwrap()
}

/// A Mooncake trace with timestamps 0, 37, 74, ... ms (plus jitter from the index), replayed
/// 2x faster: the server sees request k at its timestamp / 2 after the profiling start. The
/// lower bound is strict (a request is never sent early: 0.5 ms for the clocks' granularity);
/// the upper bound allows 20 ms of scheduling noise on a shared 2-core machine, far below the
/// 18.5 ms spacing accumulated over 40 requests that a drifting (relative-sleep) schedule would
/// show (it would be late by the sum of every earlier wake-up delay).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_schedule_sends_follow_the_trace_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.jsonl");
    let mut text = String::new();
    let mut stamps = Vec::new();
    for k in 0..40u64 {
        let ts = 1000 + k * 37 + (k * k) % 11;
        stamps.push(ts);
        text.push_str(&format!(
            "{{\"timestamp\": {ts}, \"input_length\": 20, \"output_length\": 2, \"hash_ids\": [{k}]}}\n"
        ));
    }
    std::fs::write(&path, text).unwrap();
    let mut options = ReplayOptions::new(1);
    options.block_size = 32;
    let data = load_dataset(
        &path,
        DatasetType::MooncakeTrace,
        &options,
        &BuiltinTokenizer::new(),
    )
    .unwrap();
    let schedule = FixedSchedule {
        auto_offset: true,
        speedup: 2.0,
        ..FixedSchedule::default()
    };
    let (entries, offsets) = schedule.apply(data.entries).unwrap();
    let expected: Vec<Duration> = stamps
        .iter()
        .map(|ts| Duration::from_millis(ts - 1000) / 2)
        .collect();
    assert_eq!(offsets, expected);

    let prompts: Vec<String> = entries
        .iter()
        .map(|e| e.prompt_text().into_owned())
        .collect();
    let server = ScriptedServer::start(|_| stream(2)).await;
    let run_config = config(vec![server.url()], entries.len() as u64);
    let clock = run_config.clock;
    let load = LoadMode::OpenLoop {
        arrivals: Box::new(offsets.clone().into_iter()),
        max_in_flight: None,
    };
    let (report, records) = run_with(run_config, entries.into(), load, CancelHandle::new()).await;
    assert_eq!(report.profiling.succeeded, 40);
    let start: Instant = clock.instant_at(report.profiling_start_ns);
    // The server's arrival stamps, matched to schedule slots by the prompt.
    let mut by_slot = BTreeMap::new();
    for log in server.requests() {
        let prompt = body(&log)["messages"][0]["content"]
            .as_str()
            .unwrap()
            .to_owned();
        let slot = prompts.iter().position(|p| *p == prompt).unwrap();
        by_slot.insert(slot, log.received);
    }
    assert_eq!(by_slot.len(), 40, "every entry sent once");
    for (&slot, &received) in &by_slot {
        let due = start + offsets[slot];
        assert!(
            received + Duration::from_micros(500) >= due,
            "request {slot} arrived early"
        );
        let late = received.saturating_duration_since(due);
        assert!(
            late < Duration::from_millis(20),
            "request {slot} arrived {late:?} late"
        );
    }
    let mut worst = Duration::ZERO;
    for record in &records {
        let slot = record.session_index as usize;
        let due = start + offsets[slot];
        let intended = clock.instant_at(record.intended_send_ns.unwrap());
        assert!(
            intended.max(due) - intended.min(due) < Duration::from_micros(2),
            "record {slot} intended at its offset"
        );
        let sent = clock.instant_at(record.start_ns);
        assert!(
            sent + Duration::from_micros(500) >= due,
            "request {slot} sent early"
        );
        worst = worst.max(sent.saturating_duration_since(due));
    }
    assert!(
        worst < Duration::from_millis(20),
        "worst lateness {worst:?}"
    );
}

/// Two sessions of three turns, turn delays 60 ms: each session's turns reach the server in
/// order, each turn after the previous one completed plus its delay, carrying the earlier user
/// turns and the assistant replies exactly as the server sent them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_turn_sessions_carry_history_in_order_after_the_delay() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mt.jsonl");
    std::fs::write(
        &path,
        concat!(
            "{\"session_id\": \"a\", \"turns\": [{\"text\": \"a zero\"}, {\"text\": \"a one\", \"delay\": 60}, {\"text\": \"a two\", \"delay\": 60}]}\n",
            "{\"session_id\": \"b\", \"turns\": [{\"text\": \"b zero\"}, {\"text\": \"b one\", \"delay\": 60}, {\"text\": \"b two\", \"delay\": 60}]}\n",
        ),
    )
    .unwrap();
    let data = load_dataset(
        &path,
        DatasetType::MultiTurn,
        &ReplayOptions::new(1),
        &BuiltinTokenizer::new(),
    )
    .unwrap();
    let server = ScriptedServer::start(|_| stream(3)).await;
    let run_config = config(vec![server.url()], 6);
    let clock = run_config.clock;
    let (report, records) = run_with(
        run_config,
        data.entries.into(),
        LoadMode::Concurrency(2),
        CancelHandle::new(),
    )
    .await;
    assert_eq!(report.profiling.succeeded, 6);
    assert_eq!(server.max_active(), 2, "the two sessions ran concurrently");

    let logs = server.requests();
    for session in ["a", "b"] {
        let turns: Vec<_> = logs
            .iter()
            .filter(|l| {
                let b = body(l);
                let msgs = b["messages"].as_array().unwrap();
                msgs.last().unwrap()["content"]
                    .as_str()
                    .unwrap()
                    .starts_with(session)
            })
            .collect();
        assert_eq!(turns.len(), 3);
        let mut expected_history: Vec<Value> = Vec::new();
        let mut previous_end: Option<Instant> = None;
        for (t, log) in turns.iter().enumerate() {
            let b = body(log);
            let msgs = b["messages"].as_array().unwrap();
            let word = ["zero", "one", "two"][t];
            assert_eq!(msgs.len(), 2 * t + 1, "turn {t} of {session}");
            assert_eq!(msgs[..2 * t], expected_history[..], "history of turn {t}");
            assert_eq!(msgs[2 * t]["content"], format!("{session} {word}"));
            // The reply the server streamed for this request: r{seq}t0 r{seq}t1 r{seq}t2.
            let reply: String = (0..3).map(|i| format!("r{}t{i} ", log.seq)).collect();
            let record = records
                .iter()
                .find(|r| {
                    r.chunks
                        .first()
                        .is_some_and(|c| c.text == format!("r{}t0 ", log.seq))
                })
                .unwrap();
            assert_eq!(record.turn_index, t as u32);
            assert_eq!(
                record.session_index,
                u64::from(session == "b"),
                "session numbers in file order"
            );
            if let Some(end) = previous_end {
                assert!(
                    log.received >= end + Duration::from_millis(60),
                    "turn {t} of {session} came {:?} after the previous reply ended",
                    log.received.saturating_duration_since(end)
                );
            }
            previous_end = Some(clock.instant_at(record.end_ns));
            expected_history.push(msgs[2 * t].clone());
            expected_history.push(serde_json::json!({"role": "assistant", "content": reply}));
        }
    }
}

/// `shuffle` sends every entry once per pass in a new order; `sequential` in file order;
/// `random` draws with replacement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampling_strategies_pick_entries_as_named() {
    let entries: Arc<[DatasetEntry]> = (0..10)
        .map(|i| DatasetEntry::new(format!("entry {i}"), 2, Some(2)))
        .collect();
    let mut orders = BTreeMap::new();
    for strategy in [
        SamplingStrategy::Sequential,
        SamplingStrategy::Shuffle,
        SamplingStrategy::Random,
    ] {
        let server = ScriptedServer::start(|_| stream(1)).await;
        let mut run_config = config(vec![server.url()], 20);
        run_config.sampling = strategy;
        run_config.sampling_seed = 9;
        let (report, _) = run_with(
            run_config,
            Arc::clone(&entries),
            LoadMode::Concurrency(1),
            CancelHandle::new(),
        )
        .await;
        assert_eq!(report.profiling.succeeded, 20);
        let sent: Vec<usize> = server
            .requests()
            .iter()
            .map(|l| {
                let b = body(l);
                let text = b["messages"][0]["content"].as_str().unwrap().to_owned();
                text["entry ".len()..].parse().unwrap()
            })
            .collect();
        orders.insert(strategy.name(), sent);
    }
    let in_order: Vec<usize> = (0..10).chain(0..10).collect();
    assert_eq!(orders["sequential"], in_order);
    let shuffle = &orders["shuffle"];
    for pass in shuffle.chunks(10) {
        let mut sorted = pass.to_vec();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (0..10).collect::<Vec<_>>(),
            "each entry once per pass"
        );
    }
    assert_ne!(shuffle, &in_order);
    // With replacement: a pass of 10 draws is a permutation with probability 10!/10^10 (0.04%).
    let random = &orders["random"];
    let permutation = |pass: &[usize]| {
        let mut sorted = pass.to_vec();
        sorted.sort_unstable();
        sorted == (0..10).collect::<Vec<_>>()
    };
    assert!(!random.chunks(10).all(permutation), "{random:?}");
}

/// A run's `inputs.json` replayed with `inputs_json`: the server receives the very same bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_json_replays_the_exact_payloads() {
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("t.jsonl");
    std::fs::write(
        &trace,
        "{\"input_length\": 40, \"output_length\": 3, \"hash_ids\": [1, 2]}\n\
         {\"input_length\": 33, \"output_length\": 5, \"hash_ids\": [1, 3]}\n",
    )
    .unwrap();
    let tok = Arc::new(BuiltinTokenizer::new());
    let mut options = ReplayOptions::new(4);
    options.block_size = 32;
    let first = load_dataset(&trace, DatasetType::MooncakeTrace, &options, &*tok).unwrap();

    let server = ScriptedServer::start(|_| stream(2)).await;
    let run = |dataset: Vec<DatasetEntry>, dir: std::path::PathBuf| {
        let run_config = config(vec![server.url()], 2);
        let config = ProfileConfig::new(run_config, dataset.into(), tok.clone(), dir);
        profile(config, LoadMode::Concurrency(1), CancelHandle::new())
    };
    run(first.entries, tmp.path().join("one")).await.unwrap();
    let replayed = load_dataset(
        &tmp.path().join("one/inputs.json"),
        DatasetType::InputsJson,
        &options,
        &*tok,
    )
    .unwrap();
    assert_eq!(replayed.entries.len(), 2);
    assert_eq!(replayed.entries[0].max_output_tokens, Some(3));
    assert_eq!(
        replayed.entries[0].input_tokens, 40,
        "counted from the payload text"
    );
    run(replayed.entries, tmp.path().join("two")).await.unwrap();
    let logs = server.requests();
    assert_eq!(logs.len(), 4);
    assert_eq!(logs[0].body, logs[2].body);
    assert_eq!(logs[1].body, logs[3].body);
    assert_ne!(logs[0].body, logs[1].body);

    // AIPerf's shape, with a two-turn session: both payloads, in order, verbatim.
    let aiperf = tmp.path().join("aiperf_inputs.json");
    std::fs::write(
        &aiperf,
        r#"{"data": [{"session_id": "s-1", "payloads": [
            {"messages": [{"role": "user", "content": "one"}], "model": "m", "stream": true},
            {"messages": [{"role": "user", "content": "one"}, {"role": "assistant", "content": "x"}, {"role": "user", "content": "two"}], "model": "m", "stream": true}
        ]}]}"#,
    )
    .unwrap();
    let data = load_dataset(&aiperf, DatasetType::InputsJson, &options, &*tok).unwrap();
    assert_eq!(data.sessions, 1);
    let before = server.requests().len();
    let run_config = config(vec![server.url()], 2);
    let (report, _) = run_with(
        run_config,
        data.entries.into(),
        LoadMode::Concurrency(1),
        CancelHandle::new(),
    )
    .await;
    assert_eq!(report.profiling.succeeded, 2);
    let logs = server.requests();
    let sent: Vec<Value> = logs[before..].iter().map(body).collect();
    assert_eq!(sent[0]["messages"].as_array().unwrap().len(), 1);
    assert_eq!(
        sent[1]["messages"].as_array().unwrap().len(),
        3,
        "no history added to a verbatim payload"
    );
    assert_eq!(sent[1]["messages"][2]["content"], "two");
}

/// User-centric load, 4 users at 40 requests/s in total: each user every 100 ms, the users 25 ms
/// apart, so the server sees a request every 25 ms on an absolute timeline (same tolerance as
/// the fixed-schedule test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_centric_rate_paces_each_user() {
    let server = ScriptedServer::start(|_| stream(2)).await;
    let entries: Arc<[DatasetEntry]> = (0..5)
        .map(|i| DatasetEntry::new(format!("entry {i}"), 2, Some(2)))
        .collect();
    let mut run_config = config(vec![server.url()], 16);
    run_config.user_pacing = Some(Duration::from_millis(100));
    let clock = run_config.clock;
    let (report, records) = run_with(
        run_config,
        entries,
        LoadMode::Concurrency(4),
        CancelHandle::new(),
    )
    .await;
    assert_eq!(report.profiling.succeeded, 16);
    assert!(records.iter().all(|r| r.intended_send_ns.is_some()));
    let start = clock.instant_at(report.profiling_start_ns);
    let mut arrivals: Vec<Instant> = server.requests().iter().map(|l| l.received).collect();
    arrivals.sort();
    for (k, received) in arrivals.iter().enumerate() {
        let due = start + Duration::from_millis(25) * k as u32;
        assert!(
            *received + Duration::from_micros(500) >= due,
            "request {k} early"
        );
        let late = received.saturating_duration_since(due);
        assert!(
            late < Duration::from_millis(20),
            "request {k} {late:?} late"
        );
    }
}

/// A multi-turn dataset warms up with whole sessions too: the warm-up records are turns 0 and 1
/// of a session, with the history in the second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_turn_warm_up_runs_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mt.jsonl");
    std::fs::write(
        &path,
        "{\"turns\": [{\"text\": \"w zero\"}, {\"text\": \"w one\"}]}\n{\"turns\": [{\"text\": \"v zero\"}]}\n",
    )
    .unwrap();
    let data = load_dataset(
        &path,
        DatasetType::MultiTurn,
        &ReplayOptions::new(1),
        &BuiltinTokenizer::new(),
    )
    .unwrap();
    let server = ScriptedServer::start(|_| stream(1)).await;
    let mut run_config = config(vec![server.url()], 3);
    run_config.warmup_requests = 2;
    let (report, records) = run_with(
        run_config,
        data.entries.into(),
        LoadMode::Concurrency(1),
        CancelHandle::new(),
    )
    .await;
    assert_eq!(report.warmup.succeeded, 2);
    let warm: Vec<(u64, u32)> = records
        .iter()
        .filter(|r| r.phase == servebench_metrics::Phase::Warmup)
        .map(|r| (r.session_index, r.turn_index))
        .collect();
    assert_eq!(warm, [(0, 0), (0, 1)]);
    let second = body(&server.requests()[1]);
    assert_eq!(second["messages"].as_array().unwrap().len(), 3);
}
