//! Trace preparation: as-is, expected OSL, synthesis, and the agent delay override.

use std::path::Path;

use serde_json::Value;
use servebench_router_bench::trace::{
    EXPECTED_OSL_TRACE, MODIFIED_TRACE, SYNTHETIC_TRACE, SynthesisOptions, override_delays,
    prepare_trace_dataset,
};

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write_trace(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("trace.jsonl");
    let mut text = String::new();
    for i in 0..40u64 {
        // Two shared roots, a unique tail each.
        let root = i % 2;
        text.push_str(&format!(
            "{{\"timestamp\": {}, \"input_length\": 1500, \"output_length\": {}, \"hash_ids\": [{root}, {}, {}]}}\n",
            i * 100,
            10 + i,
            10 + root,
            100 + i
        ));
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn default_options_use_the_trace_as_is_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write_trace(dir.path());
    let out = dir.path().join("out");
    let got = prepare_trace_dataset(&SynthesisOptions::new(trace.clone()), 0, false, &out).unwrap();
    assert_eq!(got, trace);
    assert!(!out.exists());
}

#[test]
fn expected_osl_adds_each_rows_output_length_as_the_hint() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write_trace(dir.path());
    let out = dir.path().join("out");
    let got = prepare_trace_dataset(&SynthesisOptions::new(trace), 0, true, &out).unwrap();
    assert_eq!(got, out.join(EXPECTED_OSL_TRACE));
    let rows = lines(&got);
    assert_eq!(rows.len(), 40);
    assert_eq!(rows[3]["output_length"], 13);
    assert_eq!(rows[3]["extra"]["nvext"]["agent_hints"]["osl"], 13);
    assert_eq!(rows[3]["hash_ids"], serde_json::json!([1, 11, 103]));
}

#[test]
fn any_synthesis_option_synthesizes_the_line_count_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write_trace(dir.path());
    let out = dir.path().join("out");
    let mut options = SynthesisOptions::new(trace);
    options.speedup_ratio = 2.0;
    let got = prepare_trace_dataset(&options, 3, false, &out).unwrap();
    assert_eq!(got, out.join(SYNTHETIC_TRACE));
    let rows = lines(&got);
    assert_eq!(
        rows.len(),
        40,
        "--num-requests defaults to the input's lines"
    );
    for r in &rows {
        assert!(r["hash_ids"].as_array().is_some_and(|h| !h.is_empty()));
        assert!(r.get("timestamp").is_some());
    }
    options.num_requests = Some(7);
    let rows = lines(&prepare_trace_dataset(&options, 3, false, &out).unwrap());
    assert_eq!(rows.len(), 7);
}

#[test]
fn delay_override_drops_first_turn_delays_and_sets_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("agent.jsonl");
    std::fs::write(
        &input,
        "{\"session_id\": \"a\", \"input_length\": 10, \"output_length\": 2, \"hash_ids\": [1], \"delay\": 300}\n\
         {\"session_id\": \"a\", \"input_length\": 20, \"output_length\": 2, \"hash_ids\": [1, 2], \"delay\": 300}\n\
         \n\
         {\"session_id\": \"b\", \"input_length\": 10, \"output_length\": 2, \"hash_ids\": [3]}\n\
         {\"input_length\": 10, \"output_length\": 2, \"hash_ids\": [4], \"delay\": 5}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let got = override_delays(&input, 50.0, &out).unwrap();
    assert_eq!(got, out.join(MODIFIED_TRACE));
    let rows = lines(&got);
    assert_eq!(rows.len(), 4);
    assert!(rows[0].get("delay").is_none(), "first turn of a");
    assert_eq!(rows[1]["delay"], 50);
    assert!(rows[2].get("delay").is_none(), "first turn of b");
    assert_eq!(rows[3]["delay"], 50, "no session_id: a later turn");
    let zero = lines(&override_delays(&input, 0.0, &out).unwrap());
    assert!(zero.iter().all(|r| r.get("delay").is_none()));
    std::fs::write(&input, "[1]\n").unwrap();
    let err = override_delays(&input, 1.0, &out).unwrap_err().to_string();
    assert!(err.contains("agent.jsonl:1"), "{err}");
}
