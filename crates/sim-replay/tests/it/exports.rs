//! A whole replay's exports: the files and keys `loadgen` writes, with the simulation's exact
//! values; closed-loop sessions carry their history.

use std::sync::Arc;
use std::time::Duration;

use servebench_loadgen_core::replay::{DatasetSpec, DatasetType};
use servebench_loadgen_core::{DatasetEntry, EntryExtras, SessionTurn};
use servebench_mocker::{EngineConfig, PoolConfig};
use servebench_sim_replay::{PromptTokens, Replay, SimConfig, SimLoad, run_replay, simulate};
use servebench_tokenize::BuiltinTokenizer;

use crate::support::{TRACE, kv_pool, lines, write_trace};

fn prefill_ms(n: f64) -> f64 {
    4.209989e-7 * n * n + 1.518344e-2 * n + 16.50142
}

#[test]
fn a_replay_writes_loadgens_exports_with_per_engine_reuse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let trace = write_trace(dir.path());
    let mut dataset = DatasetSpec {
        input_file: Some(trace),
        dataset_type: Some(DatasetType::MooncakeTrace),
        ..DatasetSpec::default()
    };
    dataset.synthetic.seed = Some(7);
    let out = dir.path().join("run");
    let replay = Replay {
        sim: SimConfig::new(kv_pool()),
        dataset,
        concurrency: 1,
        tokenizer: Arc::new(BuiltinTokenizer::new()),
        artifact_dir: out.clone(),
        model: "m".into(),
        cli_command: "sim-replay --test".into(),
    };
    let outcome = run_replay(&replay).expect("replay");
    assert_eq!(outcome.report.requests, TRACE.len() as u64);
    for file in [
        "profile_export.jsonl",
        "profile_export_aiperf.json",
        "profile_export_aiperf.csv",
        "server_metrics_export.json",
        "server_metrics_export.csv",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    // The first request meets an empty cluster: its TTFT is one prefill of 1000 tokens.
    let records = lines(&out.join("profile_export.jsonl"));
    assert!(
        (records[0].ttft - prefill_ms(1000.0)).abs() < 1e-6,
        "{:?}",
        records[0]
    );
    assert!((records[0].server_ttft - records[0].ttft).abs() < 1e-9);
    assert_eq!(records[0].osl, 8.0);

    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("profile_export_aiperf.json")).unwrap())
            .unwrap();
    assert_eq!(summary["request_count"]["avg"], 8.0);
    assert!(summary["time_to_first_token"]["p50"].is_number());
    assert_eq!(
        summary["input_config"]["phases"][1]["type"], "fixed_schedule",
        "{}",
        summary["input_config"]
    );
    assert_eq!(
        summary["input_config"]["datasets"][0]["type"],
        "mooncake_trace"
    );
    assert_eq!(
        summary["simulation"]["engines"].as_array().unwrap().len(),
        2
    );

    // Reuse, with KV routing sending each follow-up where its prefix lives: request 2
    // ([1, 2, 4]) finds the 15 full 64-token blocks request 0 (1000 tokens of [1, 2]) cached
    // (960 tokens); request 4 (1000 tokens of [1, 2]) has only 15 full blocks to look up (960);
    // request 6 ([5, 6, 10]) finds request 3's 14 full blocks (900 tokens: 896).
    let server: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("server_metrics_export.json")).unwrap())
            .unwrap();
    assert_eq!(server["prefix_cache"]["hit_tokens"], 960.0 + 960.0 + 896.0);
    let queries: u64 = TRACE.iter().map(|t| t.1).sum();
    assert_eq!(server["prefix_cache"]["query_tokens"], queries as f64);
    let series = server["metrics"]["vllm:prefix_cache_hits_total"]["series"]
        .as_array()
        .unwrap();
    assert_eq!(series.len(), 2, "one series per engine");
}

fn turn(session: u64, turn: u32, prompt: &str, delay_ms: u64) -> DatasetEntry {
    let mut e = DatasetEntry::new(prompt.into(), 0, Some(3));
    e.extras = Some(Arc::new(EntryExtras {
        delay: Some(Duration::from_millis(delay_ms)),
        session: Some(SessionTurn {
            session,
            session_id: format!("s{session}"),
            turn,
        }),
        ..EntryExtras::default()
    }));
    e
}

/// One user, one session of two turns: the second turn is sent its delay after the first ends,
/// and its prompt is the first turn's prompt and reply followed by its own text.
#[test]
fn closed_loop_sessions_wait_their_delay_and_carry_their_history() {
    let entries = vec![
        turn(0, 0, "alpha beta gamma delta", 0),
        turn(0, 1, "epsilon zeta", 50),
    ];
    let config = SimConfig::new(PoolConfig {
        engine: EngineConfig::default(),
        ..PoolConfig::default()
    });
    let mut records = Vec::new();
    let report = simulate(
        &config,
        &entries,
        &SimLoad::Concurrency(1),
        &mut PromptTokens::new(Arc::new(BuiltinTokenizer::new())),
        &mut |r| records.push(r),
    )
    .expect("simulate");
    assert_eq!(report.requests, 2);
    let (first, second) = (&records[0], &records[1]);
    assert_eq!(first.input_tokens, Some(4));
    // History: 4 prompt tokens and 3 reply tokens, then 2 of its own.
    assert_eq!(second.input_tokens, Some(4 + 3 + 2));
    assert_eq!(second.start_ns, first.end_ns + 50_000_000);
    assert_eq!((second.session_index, second.turn_index), (0, 1));
    // Its first 64-token block is never full: no cache hit, a 9-token prefill.
    let ttft = (second.chunks[0].stamp_ns - second.start_ns) as f64 / 1e6;
    assert!((ttft - prefill_ms(9.0)).abs() < 1e-6, "{ttft}");
}
