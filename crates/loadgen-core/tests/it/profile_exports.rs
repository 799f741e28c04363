//! A whole `profile` run against a server that fails in every way: the run finishes, every
//! failure is counted by kind in the exports, and every export file is written.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use servebench_loadgen_core::profile::{ProfileConfig, profile};
use servebench_loadgen_core::{CancelHandle, LoadMode};
use servebench_tokenize::BuiltinTokenizer;

use crate::support::server::{Script, ScriptedServer};
use crate::support::{config, dataset};

/// Request `seq` (0-based, in arrival order) gets one fault each for seq 1..=7, the rest succeed.
fn script(seq: u64) -> Script {
    match seq {
        1 => Script::Status(500, "engine exploded"),
        2 => Script::Status(429, "slow down"),
        3 => Script::ResetAfter { tokens: 2 },
        4 => Script::Stall,
        5 => Script::RawSse("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}\n\n"),
        6 => Script::Json(r#"{"choices":[{"message":{"content":"not a stream"}}]}"#),
        7 => Script::RawSse("event: error\ndata: {\"message\":\"boom\"}\n\n"),
        _ => Script::Stream {
            ttft: Duration::from_millis(1),
            gap: Duration::from_millis(1),
            tokens: 3,
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_counted_and_every_export_is_written() {
    let server = ScriptedServer::start(script).await;
    let mut run = config(vec![server.url()], 10);
    run.request_timeout = Duration::from_millis(400);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("exports");
    let config = ProfileConfig::new(
        run,
        dataset(4),
        Arc::new(BuiltinTokenizer::new()),
        dir.clone(),
    );
    let live = Arc::clone(&config.progress);
    let outcome = profile(config, LoadMode::Concurrency(1), CancelHandle::new())
        .await
        .unwrap();

    assert_eq!(outcome.report.profiling.records, 10);
    assert_eq!(outcome.report.profiling.failed(), 7);
    assert_eq!(outcome.jsonl_lines, 10);
    let snapshot = live.snapshot();
    assert_eq!((snapshot.finished, snapshot.errors), (10, 7));

    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("profile_export_aiperf.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(summary["request_count"]["avg"], 3.0);
    assert_eq!(summary["error_request_count"]["avg"], 7.0);
    assert_eq!(summary["was_cancelled"], false);
    let mut kinds: Vec<(String, u64)> = summary["error_summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["error_details"]["type"].as_str().unwrap().to_owned(),
                g["count"].as_u64().unwrap(),
            )
        })
        .collect();
    kinds.sort();
    let expected: Vec<(String, u64)> = [
        ("http_status", 1), // 429
        ("http_status", 1), // 500
        ("invalid_response", 1),
        ("not_sse", 1),
        ("server_error", 1),
        ("stream_reset", 1),
        ("timeout", 1),
    ]
    .iter()
    .map(|(k, n)| ((*k).to_owned(), *n))
    .collect();
    assert_eq!(kinds, expected);
    // Who caused the failures: all seven are the server's, except the timeout when the (busy)
    // client was saturated.
    let attribution = &summary["error_attribution"];
    assert_eq!(attribution["completed"], 10);
    assert_eq!(attribution["cancelled"], 0);
    let (server, client) = (
        attribution["server_errors"].as_u64().unwrap(),
        attribution["client_errors"].as_u64().unwrap(),
    );
    assert_eq!(server + client, 7);
    assert!(client <= 1, "{attribution}");
    assert_eq!(attribution["server_error_kinds"]["http_status"], 2);
    for file in [
        "profile_export_aiperf.csv",
        "profile_export.jsonl",
        "inputs.json",
    ] {
        assert!(dir.join(file).exists(), "{file} missing");
    }
}
