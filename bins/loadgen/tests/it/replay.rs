//! `loadgen --input-file`: trace replay on a fixed schedule, multi-turn files and synthetic
//! sessions against the embedded engine, with the exports AIPerf writes.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::{jsonl_lines, run, summary};

fn trace_slice(dir: &Path, n: usize) -> PathBuf {
    let trace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/traces/mooncake-fast25/conversation_trace.jsonl");
    let text = std::fs::read_to_string(trace).unwrap();
    let path = dir.join("slice.jsonl");
    let mut out = std::fs::File::create(&path).unwrap();
    for line in text.lines().take(n) {
        writeln!(out, "{line}").unwrap();
    }
    path
}

fn common<'a>(dir: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--mocker-speedup-ratio",
        "100",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--random-seed",
        "5",
        "--artifact-dir",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn mooncake_trace_replays_on_its_fixed_schedule() {
    let tmp = tempfile::tempdir().unwrap();
    let trace = trace_slice(tmp.path(), 30);
    let dir = tmp.path().join("out");
    let out = run(&common(
        &dir,
        &[
            "--input-file",
            trace.to_str().unwrap(),
            "--custom-dataset-type",
            "mooncake-trace",
            "--fixed-schedule-auto-offset",
            "--fixed-schedule-speedup",
            "30",
        ],
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("fixed schedule (speed-up 30)"), "{stderr}");
    let s = summary(&dir);
    assert_eq!(
        s["request_count"]["avg"], 30.0,
        "every trace line sent once"
    );
    assert_eq!(s["input_config"]["phases"][1]["type"], "fixed_schedule");
    assert_eq!(s["input_config"]["datasets"][0]["type"], "mooncake_trace");
    for key in [
        "replay_sched_lag_p50",
        "replay_sched_lag_p90",
        "replay_sched_lag_p99",
    ] {
        assert_eq!(s[key]["unit"], "ms", "{key}");
        assert!(s[key]["avg"].as_f64().unwrap() >= 0.0, "{key}");
    }
    assert!(s["replay_sched_degraded"]["avg"].is_number());
    // The engine counted each prompt at exactly the trace's input_length.
    let lengths: Vec<u64> = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["input_length"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let mut seen: Vec<u64> = jsonl_lines(&dir)
        .iter()
        .map(|l| {
            l["metrics"]["usage_prompt_tokens"]["value"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let mut want = lengths;
    seen.sort_unstable();
    want.sort_unstable();
    assert_eq!(seen, want);
}

#[test]
fn multi_turn_file_exports_sessions_and_turns() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("mt.jsonl");
    std::fs::write(
        &file,
        concat!(
            "{\"session_id\": \"a\", \"turns\": [{\"text\": \"hello there\", \"output_length\": 3}, {\"text\": \"and then\", \"delay\": 20, \"output_length\": 3}]}\n",
            "{\"session_id\": \"b\", \"turns\": [{\"text\": \"good day\", \"output_length\": 3}, {\"text\": \"go on\", \"delay\": 20, \"output_length\": 3}, {\"text\": \"more\", \"output_length\": 3}]}\n",
        ),
    )
    .unwrap();
    let dir = tmp.path().join("out");
    let out = run(&common(
        &dir,
        &["--input-file", file.to_str().unwrap(), "--concurrency", "2"],
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&dir);
    assert_eq!(s["request_count"]["avg"], 5.0, "every turn once by default");
    let mut turns: Vec<(String, u64)> = jsonl_lines(&dir)
        .iter()
        .map(|l| {
            let m = &l["metadata"];
            (
                m["conversation_id"].as_str().unwrap().to_owned(),
                m["turn_index"].as_u64().unwrap(),
            )
        })
        .collect();
    turns.sort();
    let expected: Vec<(String, u64)> = [
        ("session_000000", 0),
        ("session_000000", 1),
        ("session_000001", 0),
        ("session_000001", 1),
        ("session_000001", 2),
    ]
    .iter()
    .map(|(s, t)| ((*s).to_owned(), *t))
    .collect();
    assert_eq!(turns, expected);
    // inputs.json: one entry per session, one payload per turn.
    let inputs: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("inputs.json")).unwrap()).unwrap();
    let data = inputs["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["session_id"], "session_000000");
    assert_eq!(data[1]["payloads"].as_array().unwrap().len(), 3);
    assert_eq!(data[1]["payloads"][2]["messages"][0]["content"], "more");
}

#[test]
fn synthetic_conversations_run_every_turn() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = run(&common(
        &dir,
        &[
            "--conversation-num",
            "3",
            "--conversation-turn-mean",
            "2",
            "--conversation-turn-delay-mean",
            "10",
            "--isl",
            "20",
            "--osl",
            "4",
            "--concurrency",
            "3",
        ],
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = jsonl_lines(&dir);
    assert_eq!(lines.len(), 6);
    let second_turns = lines
        .iter()
        .filter(|l| l["metadata"]["turn_index"] == 1)
        .count();
    assert_eq!(second_turns, 3);
    // A second turn carries the first turn and its reply: more input tokens than its own 20.
    for l in lines.iter().filter(|l| l["metadata"]["turn_index"] == 1) {
        let isl = l["metrics"]["usage_prompt_tokens"]["value"]
            .as_u64()
            .unwrap();
        assert!(isl > 40, "second turn prompt holds the history: {isl}");
    }
}

#[test]
fn bad_dataset_flags_and_lines_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.jsonl");
    std::fs::write(&file, "{\"text\": \"ok\"}\n{\"text\": 5}\n").unwrap();
    let out = run(&[
        "--input-file",
        file.to_str().unwrap(),
        "--custom-dataset-type",
        "sharegpt",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--custom-dataset-type"));
    let out = run(&["--custom-dataset-type", "single_turn"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --input-file"));
    let out = run(&["--dataset-sampling-strategy", "sorted", "--ui", "none"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dataset-sampling-strategy"));
    let out = run(&["--input-file", file.to_str().unwrap(), "--ui", "none"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:2: field `text`", file.display())),
        "{stderr}"
    );
}

#[test]
fn user_centric_rate_runs_with_its_users() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = run(&common(
        &dir,
        &[
            "--user-centric-rate",
            "40",
            "--num-users",
            "2",
            "--request-count",
            "6",
            "--isl",
            "16",
            "--osl",
            "2",
        ],
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = jsonl_lines(&dir);
    assert_eq!(lines.len(), 6);
    let out = run(&["--user-centric-rate", "4", "--ui", "none"]);
    assert_eq!(out.status.code(), Some(2), "--num-users is required");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--num-users"));
}

/// Synthetic prompts are shuffled by default (AIPerf), in order with `sequential`.
#[test]
fn synthetic_prompts_are_shuffled_unless_asked_otherwise() {
    let tmp = tempfile::tempdir().unwrap();
    let order = |name: &str, extra: &[&str]| {
        let dir = tmp.path().join(name);
        let mut args = vec![
            "--num-dataset-entries",
            "6",
            "--request-count",
            "12",
            "--isl",
            "8",
            "--osl",
            "2",
        ];
        args.extend_from_slice(extra);
        let out = run(&common(&dir, &args));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines = jsonl_lines(&dir);
        let mut by_start: Vec<(u64, u64)> = lines
            .iter()
            .map(|l| {
                let m = &l["metadata"];
                (
                    m["request_start_ns"].as_u64().unwrap(),
                    m["session_num"].as_u64().unwrap(),
                )
            })
            .collect();
        by_start.sort_unstable();
        by_start.into_iter().map(|(_, s)| s).collect::<Vec<u64>>()
    };
    let sequential = order("seq", &["--dataset-sampling-strategy", "sequential"]);
    assert_eq!(sequential, [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
    let shuffled = order("shuf", &[]);
    for pass in shuffled.chunks(6) {
        let mut sorted = pass.to_vec();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            [0, 1, 2, 3, 4, 5],
            "each prompt once per pass: {shuffled:?}"
        );
    }
    assert_ne!(shuffled, sequential);
}

/// single_turn, random_pool (a directory), burst_gpt_trace and inputs_json (of the first run)
/// replayed end to end against the embedded engine, each detected without
/// --custom-dataset-type as well as named.
#[test]
fn every_other_dataset_type_replays_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single.jsonl");
    std::fs::write(
        &single,
        "{\"text\": \"first prompt\", \"output_length\": 3}\n{\"text\": \"second prompt\", \"output_length\": 3}\n{\"text\": \"third\", \"output_length\": 3}\n",
    )
    .unwrap();
    let pools = tmp.path().join("pools");
    std::fs::create_dir(&pools).unwrap();
    std::fs::write(
        pools.join("q.jsonl"),
        "{\"text\": \"query one\"}\n{\"text\": \"query two\"}\n",
    )
    .unwrap();
    std::fs::write(pools.join("p.jsonl"), "{\"text\": \"passage\"}\n").unwrap();
    let burst = tmp.path().join("burst.csv");
    std::fs::write(
        &burst,
        "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n\
         0,ChatGPT,50,4,54,Conversation log\n0.05,ChatGPT,70,3,73,Conversation log\n",
    )
    .unwrap();
    let cases: [(&str, &Path, &str, u64); 3] = [
        ("single", &single, "single_turn", 3),
        ("pool", &pools, "random-pool", 4),
        ("burst", &burst, "burst_gpt_trace", 2),
    ];
    for (name, path, kind, requests) in cases {
        for named in [false, true] {
            let dir = tmp.path().join(format!("{name}-{named}"));
            let mut extra = vec!["--input-file", path.to_str().unwrap(), "--osl", "3"];
            if named {
                extra.extend(["--custom-dataset-type", kind]);
            }
            if name == "pool" {
                extra.extend(["--conversation-num", "4"]);
            }
            let out = run(&common(&dir, &extra));
            assert!(
                out.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let s = summary(&dir);
            assert_eq!(s["request_count"]["avg"], requests as f64, "{name}");
            assert_eq!(
                s["input_config"]["datasets"][0]["type"],
                kind.replace('-', "_"),
                "{name}"
            );
        }
    }
    // The single_turn run's inputs.json, replayed: the same bodies in the new inputs.json.
    let first = tmp.path().join("single-true");
    let dir = tmp.path().join("again");
    let inputs = first.join("inputs.json");
    let out = run(&common(&dir, &["--input-file", inputs.to_str().unwrap()]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        summary(&dir)["input_config"]["datasets"][0]["type"],
        "inputs_json"
    );
    let read = |p: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(p.join("inputs.json")).unwrap()).unwrap()
    };
    let (a, b) = (read(&first), read(&dir));
    let payloads = |v: &Value| -> Vec<Value> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["payloads"].as_array().unwrap().clone())
            .collect()
    };
    assert_eq!(payloads(&a), payloads(&b));
    assert_eq!(payloads(&a).len(), 3);
}
