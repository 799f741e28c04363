//! Every dataset type replayed end to end by the real `loadgen` binary against the `mocker` binary
//! running in its own process, with the exports checked for the keys AIPerf's loaders read
//! (profile_export_aiperf.json's metric blocks and `input_config`, each profile_export.jsonl
//! line's `metadata` and `metrics`, inputs.json's sessions and payloads).
//!
//! The mocker is the one built next to this test executable (`target/<profile>/mocker`); when it
//! is missing the test fails and says how to build it.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::cli::{jsonl_lines, run, summary};

/// The mocker binary in its own process on an ephemeral 127.0.0.1 port.
struct MockerProcess {
    child: Child,
    url: String,
}

impl MockerProcess {
    fn start() -> Self {
        let exe = std::env::current_exe().unwrap();
        // target/<profile>/deps/it-<hash> → target/<profile>/mocker
        let path = exe
            .parent()
            .and_then(Path::parent)
            .map(|dir| dir.join("mocker"))
            .unwrap();
        assert!(
            path.exists(),
            "{} is missing: this test runs the mocker in its own process; build it first with \
             `cargo build -p servebench-mocker-bin` (same profile as the tests)",
            path.display()
        );
        let mut child = Command::new(&path)
            .args([
                "--port",
                "0",
                "--timing-model",
                "fixed",
                "--log-level",
                "info",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut url = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(at) = line.find(" on http://") {
                url = Some(line[at + 4..].trim().to_owned());
                break;
            }
        }
        // Keep draining the log so the mocker never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let url = url.expect("the mocker logs the URL it serves on");
        Self { child, url }
    }
}

impl Drop for MockerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs loadgen against `url` with `extra`, into `dir`; panics with its stderr on failure.
fn replay(url: &str, dir: &Path, extra: &[&str]) {
    let mut args = vec![
        "--url",
        url,
        "--model",
        "servebench-mocker",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--random-seed",
        "7",
        "--artifact-dir",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The keys AIPerf's loaders read, present in all three exports; returns the jsonl lines.
fn check_exports(dir: &Path, requests: u64, kind: &str) -> Vec<Value> {
    let s = summary(dir);
    assert_eq!(s["request_count"]["avg"], requests as f64, "{kind}");
    for metric in ["request_latency", "request_throughput"] {
        assert!(s[metric]["unit"].is_string(), "{kind}: {metric}.unit");
        assert!(s[metric]["avg"].is_number(), "{kind}: {metric}.avg");
    }
    for stat in ["p50", "p99", "min", "max", "count"] {
        assert!(
            s["request_latency"][stat].is_number(),
            "{kind}: request_latency.{stat}"
        );
    }
    assert_eq!(s["input_config"]["datasets"][0]["type"], kind);
    assert!(s["input_config"]["endpoint"]["urls"].is_array(), "{kind}");
    assert!(s["was_cancelled"].is_boolean(), "{kind}");
    assert!(s["schema_version"].is_string(), "{kind}");
    let lines = jsonl_lines(dir);
    assert_eq!(lines.len() as u64, requests, "{kind}: one jsonl line each");
    for line in &lines {
        let m = &line["metadata"];
        for key in [
            "session_num",
            "x_request_id",
            "conversation_id",
            "turn_index",
            "credit_issued_ns",
            "request_start_ns",
            "request_end_ns",
            "benchmark_phase",
            "was_cancelled",
        ] {
            assert!(!m[key].is_null(), "{kind}: metadata.{key} in {line}");
        }
        assert!(
            line.get("error").is_none_or(Value::is_null),
            "{kind}: {line}"
        );
        let latency = &line["metrics"]["request_latency"];
        assert!(latency["value"].is_number(), "{kind}: {line}");
        assert_eq!(latency["unit"], "ms", "{kind}");
    }
    let inputs: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("inputs.json")).unwrap()).unwrap();
    let sessions = inputs["data"].as_array().unwrap();
    assert!(!sessions.is_empty(), "{kind}");
    for session in sessions {
        assert!(session["session_id"].is_string(), "{kind}");
        assert!(
            !session["payloads"].as_array().unwrap().is_empty(),
            "{kind}"
        );
    }
    lines
}

fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).unwrap();
    path.to_owned()
}

/// single_turn, multi_turn (with sticky connections per session), random_pool (a file and a
/// directory), mooncake_trace (the first 20 lines of the real trace on its fixed schedule, sped
/// up), burst_gpt_trace and inputs_json (of the single_turn run) against the mocker process.
#[test]
fn every_dataset_type_replays_against_the_mocker_process() {
    let mocker = MockerProcess::start();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let single = write(
        &t.join("single.jsonl"),
        "{\"text\": \"first prompt\", \"output_length\": 3}\n\
         {\"text\": \"second prompt\", \"output_length\": 3}\n\
         {\"text\": \"third\", \"output_length\": 3}\n",
    );
    let multi = write(
        &t.join("multi.jsonl"),
        "{\"session_id\": \"a\", \"turns\": [{\"text\": \"hello there\", \"output_length\": 2}, {\"text\": \"and then\", \"delay\": 5, \"output_length\": 2}]}\n\
         {\"session_id\": \"b\", \"turns\": [{\"text\": \"good day\", \"output_length\": 2}, {\"text\": \"go on\", \"output_length\": 2}, {\"text\": \"more\", \"output_length\": 2}]}\n",
    );
    let pool_file = write(
        &t.join("pool.jsonl"),
        "{\"text\": \"query one\"}\n{\"text\": \"query two\"}\n",
    );
    let pools = t.join("pools");
    std::fs::create_dir(&pools).unwrap();
    write(
        &pools.join("q.jsonl"),
        "{\"text\": \"query one\"}\n{\"text\": \"query two\"}\n",
    );
    write(&pools.join("p.jsonl"), "{\"text\": \"passage\"}\n");
    let trace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/traces/mooncake-fast25/conversation_trace.jsonl");
    let trace_text = std::fs::read_to_string(trace).unwrap();
    let mooncake = t.join("mooncake.jsonl");
    let mut out = std::fs::File::create(&mooncake).unwrap();
    for line in trace_text.lines().take(20) {
        writeln!(out, "{line}").unwrap();
    }
    let burst = write(
        &t.join("burst.csv"),
        "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n\
         0,ChatGPT,50,4,54,Conversation log\n0.05,ChatGPT,70,3,73,Conversation log\n",
    );
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let cases: Vec<(&str, Vec<String>, u64)> = vec![
        ("single_turn", vec![path(&single)], 3),
        (
            "multi_turn",
            vec![
                path(&multi),
                "--concurrency".into(),
                "2".into(),
                "--connection-reuse-strategy".into(),
                "sticky-user-sessions".into(),
            ],
            5,
        ),
        (
            "random_pool",
            vec![path(&pool_file), "--request-count".into(), "4".into()],
            4,
        ),
        (
            "random_pool",
            vec![path(&pools), "--conversation-num".into(), "4".into()],
            4,
        ),
        (
            "mooncake_trace",
            vec![
                path(&mooncake),
                "--fixed-schedule-speedup".into(),
                "1000".into(),
                "--osl".into(),
                "2".into(),
            ],
            20,
        ),
        ("burst_gpt_trace", vec![path(&burst)], 2),
    ];
    for (n, (kind, args, requests)) in cases.iter().enumerate() {
        let dir = t.join(format!("run{n}-{kind}"));
        let mut extra: Vec<&str> = vec!["--input-file"];
        extra.extend(args.iter().map(String::as_str));
        extra.extend(["--custom-dataset-type", kind]);
        replay(&mocker.url, &dir, &extra);
        let lines = check_exports(&dir, *requests, kind);
        if *kind == "multi_turn" {
            let mut turns: Vec<u64> = lines
                .iter()
                .map(|l| l["metadata"]["turn_index"].as_u64().unwrap())
                .collect();
            turns.sort_unstable();
            assert_eq!(turns, [0, 0, 1, 1, 2]);
        }
    }
    // inputs_json: the single_turn run's inputs.json, replayed to the same bodies.
    let first = t.join("run0-single_turn");
    let dir = t.join("inputs_json");
    replay(
        &mocker.url,
        &dir,
        &[
            "--input-file",
            first.join("inputs.json").to_str().unwrap(),
            "--custom-dataset-type",
            "inputs_json",
        ],
    );
    check_exports(&dir, 3, "inputs_json");
    let payloads = |d: &Path| -> Vec<Value> {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("inputs.json")).unwrap()).unwrap();
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["payloads"].as_array().unwrap().clone())
            .collect()
    };
    assert_eq!(payloads(&first), payloads(&dir));
}
