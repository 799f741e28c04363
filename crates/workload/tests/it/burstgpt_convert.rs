//! The BurstGPT → Mooncake pipeline: filters, skip, head, speed ratio, zero offset, hash ids,
//! and byte identity with a stdlib-Python re-statement of the original script.

use std::path::Path;

use servebench_trace_formats::{MooncakeReader, MooncakeRecord, ReadOptions, RollingHasher};
use servebench_workload::pycompat::PyRandom;
use servebench_workload::{BurstGptConvertOptions, convert_burstgpt};

use crate::python::run_python_file;

const CSV: &str = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type
10,ChatGPT,100,1,101,Conversation log
12,GPT-4,200,2,202,API log
15,ChatGPT,300,3,303,API log
20,ChatGPT,129,4,133,Conversation log
30,GPT-4,0,5,5,Conversation log
40,ChatGPT,256,6,262,API log
";

fn convert(csv: &str, options: &BurstGptConvertOptions) -> (Vec<u8>, Vec<MooncakeRecord>) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, csv).unwrap();
    let mut out = Vec::new();
    convert_burstgpt(&input, &mut out, "mem", options, &mut |_| {}).unwrap();
    let records = MooncakeReader::new(
        &out[..],
        "out",
        ReadOptions::default().require_hash_ids(false),
    )
    .collect::<Result<_, _>>()
    .unwrap();
    (out, records)
}

fn summary(records: &[MooncakeRecord]) -> Vec<(u64, u64, usize)> {
    records
        .iter()
        .map(|r| (r.timestamp.unwrap(), r.input_length, r.hash_ids.len()))
        .collect()
}

#[test]
fn no_options_keeps_everything_and_shifts_to_zero() {
    let (bytes, records) = convert(CSV, &BurstGptConvertOptions::default());
    assert_eq!(
        summary(&records),
        vec![
            (0, 100, 1),
            (2000, 200, 2),
            (5000, 300, 3),
            (10_000, 129, 2),
            (20_000, 0, 0),
            (30_000, 256, 2)
        ]
    );
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap();
    assert_eq!(
        first_line,
        b"{\"timestamp\":0,\"input_length\":100,\"output_length\":1,\"hash_ids\":[0]}"
    );
}

#[test]
fn model_and_log_type_filters() {
    let mut o = BurstGptConvertOptions::default();
    o.model = Some("GPT-4".into());
    let (_, r) = convert(CSV, &o);
    assert_eq!(summary(&r), vec![(0, 200, 2), (18_000, 0, 0)]);
    let mut o = BurstGptConvertOptions::default();
    o.log_type = Some("API log".into());
    let (_, r) = convert(CSV, &o);
    assert_eq!(
        summary(&r).iter().map(|s| s.1).collect::<Vec<_>>(),
        vec![200, 300, 256]
    );
    o.model = Some("ChatGPT".into());
    let (_, r) = convert(CSV, &o);
    assert_eq!(summary(&r), vec![(0, 300, 3), (25_000, 256, 2)]);
}

#[test]
fn skip_head_speed_ratio_and_offset() {
    let mut o = BurstGptConvertOptions::default();
    o.model = Some("ChatGPT".into()); // 10, 15, 20, 40
    o.skip = 1; // 15, 20, 40
    o.num_prompt = Some(2); // 15, 20
    o.speed_ratio = 2.0; // 7.5, 10
    let (_, r) = convert(CSV, &o);
    assert_eq!(summary(&r), vec![(0, 300, 3), (2500, 129, 2)]);
    o.num_prompt = Some(100);
    o.skip = 10;
    assert!(convert(CSV, &o).1.is_empty());
}

#[test]
fn row_i_hash_blocks_come_from_python_seed_i() {
    let mut o = BurstGptConvertOptions::default();
    o.block_size = 16;
    o.num_hash_blocks = 3; // tiny range: many shared prefixes, so chaining matters
    let csv: String = std::iter::once(
        "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n".to_owned(),
    )
    .chain((0..40).map(|i| format!("{i},ChatGPT,{},1,1,API log\n", 16 * (i % 5 + 1))))
    .collect();
    let (a, records) = convert(&csv, &o);
    let (b, _) = convert(&csv, &o);
    assert!(a == b, "reproducible");
    // independent expectation: draw each row's blocks from random.seed(i), chain with a fresh hasher
    let mut hasher = RollingHasher::new();
    for (i, r) in records.iter().enumerate() {
        let mut rng = PyRandom::seed(i as u64);
        let blocks: Vec<u64> = (0..r.input_length / 16)
            .map(|_| rng.randint_from_zero(3))
            .collect();
        assert_eq!(r.hash_ids, hasher.hash_sequence(blocks), "row {i}");
    }
    assert!(
        hasher.len() < 200,
        "prefixes are shared ({} ids)",
        hasher.len()
    );
}

/// A BurstGPT-format CSV with varied models, log types, float and int timestamps and zero tokens.
fn generated_csv(rows: usize, float_timestamps: bool) -> String {
    let mut s =
        String::from("Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n");
    let mut x: u64 = 12345;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut t = 37.0;
    for _ in 0..rows {
        t += (next() % 4) as f64
            + if float_timestamps {
                (next() % 1000) as f64 / 1000.0
            } else {
                0.0
            };
        let model = if next() % 3 == 0 { "GPT-4" } else { "ChatGPT" };
        let log = if next() % 2 == 0 {
            "API log"
        } else {
            "Conversation log"
        };
        let isl = if next() % 20 == 0 { 0 } else { next() % 3000 };
        let osl = next() % 700;
        s.push_str(&format!("{t},{model},{isl},{osl},{},{log}\n", isl + osl));
    }
    s
}

fn compare_with_python(csv: &str, options: &BurstGptConvertOptions, args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/reference_convert.py");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let expected = dir.path().join("expected.jsonl");
    std::fs::write(&input, csv).unwrap();
    let mut all = vec![input.to_str().unwrap(), expected.to_str().unwrap()];
    all.extend_from_slice(args);
    run_python_file(script, &all);
    let mut ours = Vec::new();
    convert_burstgpt(Path::new(&input), &mut ours, "mem", options, &mut |_| {}).unwrap();
    let theirs = std::fs::read(&expected).unwrap();
    assert!(!theirs.is_empty());
    assert!(
        ours == theirs,
        "output differs from the Python re-statement for {args:?}"
    );
}

#[test]
#[cfg_attr(skip_python, ignore = "SERVEBENCH_SKIP_PYTHON=1")]
fn byte_identical_to_the_python_pipeline_with_defaults() {
    compare_with_python(
        &generated_csv(3000, false),
        &BurstGptConvertOptions::default(),
        &[],
    );
}

#[test]
#[cfg_attr(skip_python, ignore = "SERVEBENCH_SKIP_PYTHON=1")]
fn byte_identical_to_the_python_pipeline_with_every_option() {
    let csv = generated_csv(3000, true);
    let mut o = BurstGptConvertOptions::default();
    o.model = Some("ChatGPT".into());
    o.log_type = Some("Conversation log".into());
    o.skip = 13;
    o.num_prompt = Some(700);
    o.speed_ratio = 3.3;
    o.block_size = 64;
    o.num_hash_blocks = 20; // forces shared prefixes through the hasher
    compare_with_python(
        &csv,
        &o,
        &[
            "--model",
            "ChatGPT",
            "--log-type",
            "Conversation log",
            "--skip-num-prompt",
            "13",
            "--num-prompt",
            "700",
            "--speed-ratio",
            "3.3",
            "--block-size",
            "64",
            "--num-hash-blocks",
            "20",
        ],
    );
}

#[test]
#[cfg_attr(skip_python, ignore = "SERVEBENCH_SKIP_PYTHON=1")]
fn byte_identical_to_the_python_pipeline_when_rows_are_read_twice() {
    // More kept rows than may be buffered: the conversion pass reads the file again.
    let csv = generated_csv(3000, true);
    let mut o = BurstGptConvertOptions::default();
    o.max_buffered_rows = 100;
    compare_with_python(&csv, &o, &[]);
    o.max_buffered_rows = 0;
    o.skip = 13;
    o.num_prompt = Some(700);
    o.model = Some("ChatGPT".into());
    compare_with_python(
        &csv,
        &o,
        &[
            "--model",
            "ChatGPT",
            "--skip-num-prompt",
            "13",
            "--num-prompt",
            "700",
        ],
    );
}

#[test]
fn buffered_and_re_read_conversions_write_the_same_bytes() {
    let csv = generated_csv(2500, true);
    let mut o = BurstGptConvertOptions::default();
    o.log_type = Some("API log".into());
    o.skip = 7;
    let (buffered, _) = convert(&csv, &o);
    o.max_buffered_rows = 10;
    let (re_read, _) = convert(&csv, &o);
    assert!(!buffered.is_empty());
    assert!(buffered == re_read);
}
