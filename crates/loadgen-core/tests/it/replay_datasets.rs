//! Datasets read from files: Mooncake block prompts (exact lengths under the built-in and the
//! Qwen3 tokenizer, shared blocks shared exactly), the AIPerf formats, errors naming
//! `file:line: field`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use servebench_loadgen_core::replay::{DatasetType, ReplayOptions, load_dataset};
use servebench_loadgen_core::{DatasetEntry, EndpointConfig, EndpointKind, build_body};
use servebench_tokenize::{BuiltinTokenizer, Tokenizer};

use crate::synthetic_support::qwen3;

/// The real Mooncake FAST'25 conversation trace (12,031 lines, 512-token blocks).
pub(crate) fn mooncake_trace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/traces/mooncake-fast25/conversation_trace.jsonl")
}

/// The first `n` lines of the real trace in a temporary file.
pub(crate) fn trace_slice(dir: &Path, n: usize) -> PathBuf {
    let text = std::fs::read_to_string(mooncake_trace()).unwrap();
    let path = dir.join("slice.jsonl");
    let mut out = std::fs::File::create(&path).unwrap();
    for line in text.lines().take(n) {
        writeln!(out, "{line}").unwrap();
    }
    path
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn raw_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every prompt of the slice re-encodes to exactly its `input_length`, and two rows sharing their
/// first `k` hash ids share exactly their first `k * block` token ids (and no more when the next
/// ids differ).
fn check_mooncake_blocks(tok: &dyn Tokenizer, rows: usize, block: u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = trace_slice(dir.path(), rows);
    check_blocks_of(tok, &path, rows, block);
}

fn check_blocks_of(tok: &dyn Tokenizer, path: &Path, rows: usize, block: u64) {
    let path = path.to_owned();
    let mut options = ReplayOptions::new(42);
    options.block_size = block;
    let data = load_dataset(&path, DatasetType::MooncakeTrace, &options, tok).unwrap();
    let raw = raw_lines(&path);
    assert_eq!(data.entries.len(), rows);
    assert!(data.has_timestamps);
    let mut encoded: Vec<(Vec<u64>, Vec<u32>)> = Vec::new();
    for (entry, line) in data.entries.iter().zip(&raw) {
        let input_length = line["input_length"].as_u64().unwrap();
        let text = entry.prompt_text();
        let ids = tok.encode(&text);
        assert_eq!(ids.len() as u64, input_length, "line {line}");
        assert_eq!(entry.input_tokens, input_length);
        assert_eq!(entry.max_output_tokens, line["output_length"].as_u64());
        let hash_ids: Vec<u64> = line["hash_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        encoded.push((hash_ids, ids));
    }
    let mut compared = 0;
    for (i, (ha, ta)) in encoded.iter().enumerate() {
        for (hb, tb) in &encoded[i + 1..] {
            let common = ha.iter().zip(hb).take_while(|(a, b)| a == b).count();
            let shared = (common as u64 * block) as usize;
            let limit = shared.min(ta.len()).min(tb.len());
            assert_eq!(ta[..limit], tb[..limit], "{common} shared ids");
            if common < ha.len().min(hb.len()) && ta.len() > shared && tb.len() > shared {
                let next = (shared + 8).min(ta.len()).min(tb.len());
                assert_ne!(
                    ta[shared..next],
                    tb[shared..next],
                    "blocks after the shared ids differ"
                );
                compared += 1;
            }
        }
    }
    assert!(
        compared > 0,
        "the slice has rows that share a prefix then differ"
    );
}

#[test]
fn mooncake_block_prompts_are_exact_and_shared_under_builtin() {
    check_mooncake_blocks(&BuiltinTokenizer::new(), 120, 512);
}

#[test]
fn mooncake_block_prompts_are_exact_and_shared_under_qwen3() {
    check_mooncake_blocks(qwen3().as_ref(), 24, 512);
    // Small blocks: many block boundaries inside each prompt.
    let dir = tempfile::tempdir().unwrap();
    let small = write(
        dir.path(),
        "small.jsonl",
        concat!(
            "{\"timestamp\": 0, \"input_length\": 20, \"output_length\": 1, \"hash_ids\": [1, 2, 3]}\n",
            "{\"timestamp\": 1, \"input_length\": 21, \"output_length\": 1, \"hash_ids\": [1, 2, 4]}\n",
            "{\"timestamp\": 2, \"input_length\": 9, \"output_length\": 1, \"hash_ids\": [1, 5]}\n",
            "{\"timestamp\": 3, \"input_length\": 25, \"output_length\": 1, \"hash_ids\": [1, 2, 3, 6]}\n",
        ),
    );
    check_blocks_of(qwen3().as_ref(), &small, 4, 7);
}

#[test]
fn block_prompts_depend_on_the_seed_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = trace_slice(dir.path(), 3);
    let tok = BuiltinTokenizer::new();
    let load = |seed| {
        load_dataset(
            &path,
            DatasetType::MooncakeTrace,
            &ReplayOptions::new(seed),
            &tok,
        )
        .unwrap()
        .entries
        .iter()
        .map(|e| e.prompt_text().into_owned())
        .collect::<Vec<_>>()
    };
    assert_eq!(load(5), load(5));
    assert_ne!(load(5), load(6));
}

#[test]
fn mooncake_text_messages_and_payload_are_used_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "t.jsonl",
        concat!(
            "{\"timestamp\": 5, \"input_length\": 99, \"output_length\": 3, \"text_input\": \"What is AI?\"}\n",
            "{\"input_length\": 1, \"output_length\": 2, \"messages\": [{\"role\": \"system\", \"content\": \"be brief\"}, {\"role\": \"user\", \"content\": \"hi\"}]}\n",
            "{\"input_length\": 1, \"output_length\": 2, \"payload\": {\"model\": \"x\", \"prompt\": \"raw\", \"n\": 2}}\n",
        ),
    );
    let tok = BuiltinTokenizer::new();
    let data = load_dataset(
        &path,
        DatasetType::MooncakeTrace,
        &ReplayOptions::new(1),
        &tok,
    )
    .unwrap();
    let config = EndpointConfig::new(EndpointKind::Chat, "m");
    let bodies: Vec<Value> = data
        .entries
        .iter()
        .map(|e| build_body(&config, e))
        .collect();
    assert_eq!(
        bodies[0]["messages"],
        json!([{"role": "user", "content": "What is AI?"}])
    );
    assert_eq!(bodies[0]["max_completion_tokens"], 3);
    assert_eq!(
        data.entries[0].input_tokens, 4,
        "counted, not the file's input_length"
    );
    assert_eq!(
        bodies[1]["messages"],
        json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}])
    );
    assert_eq!(bodies[2], json!({"model": "x", "prompt": "raw", "n": 2}));
}

#[test]
fn errors_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let tok = BuiltinTokenizer::new();
    let options = ReplayOptions::new(1);
    let bad_blocks = write(
        dir.path(),
        "blocks.jsonl",
        "{\"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}\n{\"input_length\": 600, \"output_length\": 1, \"hash_ids\": [1]}\n",
    );
    let e = load_dataset(&bad_blocks, DatasetType::MooncakeTrace, &options, &tok).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("{}:2: field `input_length`", bad_blocks.display())),
        "{text}"
    );

    let bad_type = write(
        dir.path(),
        "types.jsonl",
        "{\"text\": \"ok\"}\n{\"text\": \"ok\", \"output_length\": \"ten\"}\n",
    );
    let e = load_dataset(&bad_type, DatasetType::SingleTurn, &options, &tok).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("{}:2: field `output_length`", bad_type.display())),
        "{text}"
    );

    let bad_turns = write(
        dir.path(),
        "mt.jsonl",
        "{\"session_id\": \"a\", \"turns\": [{\"text\": 3}]}\n",
    );
    let e = load_dataset(&bad_turns, DatasetType::MultiTurn, &options, &tok).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}:1: field `turns", bad_turns.display())),
        "{e}"
    );
}

#[test]
fn dataset_types_parse_in_both_spellings() {
    for (name, kind) in [
        ("single_turn", DatasetType::SingleTurn),
        ("multi-turn", DatasetType::MultiTurn),
        ("random-pool", DatasetType::RandomPool),
        ("mooncake_trace", DatasetType::MooncakeTrace),
        ("burst-gpt-trace", DatasetType::BurstGptTrace),
        ("inputs_json", DatasetType::InputsJson),
    ] {
        assert_eq!(name.parse::<DatasetType>(), Ok(kind));
    }
    assert!(
        "sharegpt"
            .parse::<DatasetType>()
            .unwrap_err()
            .contains("single_turn")
    );
}

#[test]
fn single_turn_fields_shape_the_body() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "st.jsonl",
        concat!(
            "{\"text\": \"describe\", \"image\": \"https://example.invalid/cat.png\", \"output_length\": 7}\n",
            "{\"texts\": [\"a\", \"b\"], \"extra\": {\"temperature\": 0.5}, \"timestamp\": 250}\n",
        ),
    );
    let tok = BuiltinTokenizer::new();
    let mut options = ReplayOptions::new(1);
    options.default_output_tokens = Some(11);
    let data = load_dataset(&path, DatasetType::SingleTurn, &options, &tok).unwrap();
    assert!(!data.has_timestamps, "only the second line has one");
    let config = EndpointConfig::new(EndpointKind::Chat, "m");
    let first = build_body(&config, &data.entries[0]);
    assert_eq!(
        first["messages"],
        json!([{"role": "user", "content": [
            {"type": "text", "text": "describe"},
            {"type": "image_url", "image_url": {"url": "https://example.invalid/cat.png"}}
        ]}])
    );
    assert_eq!(first["max_completion_tokens"], 7);
    let second = build_body(&config, &data.entries[1]);
    assert_eq!(second["messages"][0]["content"], "a\nb");
    assert_eq!(second["temperature"], 0.5);
    assert_eq!(
        second["max_completion_tokens"], 11,
        "--osl when the line gives none"
    );
    assert_eq!(
        data.entries[1].timestamp(),
        Some(std::time::Duration::from_millis(250))
    );
}

#[test]
fn random_pool_directory_combines_one_draw_of_each_file() {
    let dir = tempfile::tempdir().unwrap();
    let pools = dir.path().join("pools");
    std::fs::create_dir(&pools).unwrap();
    write(
        &pools,
        "a_queries.jsonl",
        "{\"text\": \"Q1\"}\n{\"text\": \"Q2\"}\n",
    );
    write(
        &pools,
        "b_passages.jsonl",
        "{\"text\": \"P1\"}\n{\"text\": \"P2\"}\n{\"text\": \"P3\"}\n",
    );
    let mut options = ReplayOptions::new(3);
    options.pool_entries = 30;
    let tok = BuiltinTokenizer::new();
    let data = load_dataset(&pools, DatasetType::RandomPool, &options, &tok).unwrap();
    assert_eq!(data.entries.len(), 30);
    let mut seen = std::collections::BTreeSet::new();
    for e in &data.entries {
        let (q, p) = e.prompt.split_once('\n').unwrap();
        assert!(["Q1", "Q2"].contains(&q), "{q}");
        assert!(["P1", "P2", "P3"].contains(&p), "{p}");
        seen.insert(e.prompt.clone());
    }
    assert!(seen.len() >= 4, "draws vary: {seen:?}");
    // A single file is the pool itself.
    let one = load_dataset(
        &pools.join("a_queries.jsonl"),
        DatasetType::RandomPool,
        &options,
        &tok,
    )
    .unwrap();
    assert_eq!(
        one.entries
            .iter()
            .map(|e| e.prompt.as_str())
            .collect::<Vec<_>>(),
        ["Q1", "Q2"]
    );
}

#[test]
fn multi_turn_sessions_keep_turn_order_and_delays() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "mt.jsonl",
        concat!(
            "{\"session_id\": \"alpha\", \"turns\": [{\"text\": \"a0\"}, {\"text\": \"a1\", \"delay\": 40}]}\n",
            "{\"turns\": [{\"text\": \"b0\"}]}\n",
        ),
    );
    let data = load_dataset(
        &path,
        DatasetType::MultiTurn,
        &ReplayOptions::new(1),
        &BuiltinTokenizer::new(),
    )
    .unwrap();
    assert_eq!(data.sessions, 2);
    let turns: Vec<(u64, &str, u32, &str)> = data
        .entries
        .iter()
        .map(|e: &DatasetEntry| {
            let s = e.session().unwrap();
            (s.session, s.session_id.as_str(), s.turn, e.prompt.as_str())
        })
        .collect();
    assert_eq!(
        turns,
        [
            (0, "alpha", 0, "a0"),
            (0, "alpha", 1, "a1"),
            (1, "session_000001", 0, "b0")
        ]
    );
    assert_eq!(
        data.entries[1].delay(),
        Some(std::time::Duration::from_millis(40))
    );
}

#[test]
fn burst_gpt_rows_become_timed_block_prompts_of_exact_length() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "b.csv",
        "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n\
         5,ChatGPT,300,20,320,Conversation log\n\
         7.5,GPT-4,40,0,40,API log\n",
    );
    let tok = BuiltinTokenizer::new();
    let data = load_dataset(
        &path,
        DatasetType::BurstGptTrace,
        &ReplayOptions::new(1),
        &tok,
    )
    .unwrap();
    assert!(data.has_timestamps);
    let e = &data.entries;
    assert_eq!(tok.count_tokens(&e[0].prompt_text()), 300);
    assert_eq!(tok.count_tokens(&e[1].prompt_text()), 40);
    assert_eq!(e[0].max_output_tokens, Some(20));
    assert_eq!(
        e[1].timestamp(),
        Some(std::time::Duration::from_millis(7500))
    );
    let (a, b) = (
        tok.encode(&e[0].prompt_text()),
        tok.encode(&e[1].prompt_text()),
    );
    assert_ne!(a[..16], b[..16], "no shared blocks between rows");
}

#[test]
fn mooncake_session_ids_group_turns_with_their_delays() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "s.jsonl",
        concat!(
            "{\"session_id\": \"x\", \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}\n",
            "{\"session_id\": \"y\", \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [2]}\n",
            "{\"session_id\": \"x\", \"delay\": 250.5, \"input_length\": 20, \"output_length\": 1, \"hash_ids\": [1, 3]}\n",
        ),
    );
    let mut options = ReplayOptions::new(1);
    options.block_size = 16;
    let data = load_dataset(
        &path,
        DatasetType::MooncakeTrace,
        &options,
        &BuiltinTokenizer::new(),
    )
    .unwrap();
    assert_eq!(data.sessions, 2);
    let order: Vec<(u64, u32, u64)> = data
        .entries
        .iter()
        .map(|e| {
            let s = e.session().unwrap();
            (s.session, s.turn, e.input_tokens)
        })
        .collect();
    assert_eq!(
        order,
        [(0, 0, 10), (0, 1, 20), (1, 0, 10)],
        "session x's turns together"
    );
    assert_eq!(
        data.entries[1].delay(),
        Some(std::time::Duration::from_micros(250_500))
    );
}
