//! The `datagen` command line on small hand-written traces.

use crate::trace::datagen;

pub(crate) const TINY: &str = "\
{\"timestamp\": 0, \"input_length\": 18, \"output_length\": 5, \"hash_ids\": [10, 11, 12, 13, 14]}
{\"timestamp\": 0, \"input_length\": 16, \"output_length\": 7, \"hash_ids\": [10, 11, 12, 15]}
{\"timestamp\": 100, \"input_length\": 9, \"output_length\": 5, \"hash_ids\": [10, 11, 12]}
{\"timestamp\": 250, \"input_length\": 7, \"output_length\": 9, \"hash_ids\": [20, 21]}
";

#[test]
fn synthesize_writes_dynamo_named_jsonl() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("tiny.jsonl");
    std::fs::write(&input, TINY).expect("write input");
    let (ok, stdout, stderr) = datagen(&[
        "synthesize",
        "--input-file",
        input.to_str().expect("utf-8"),
        "--num-requests",
        "50",
        "--block-size",
        "4",
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("synthesized 50 requests"), "{stdout}");
    assert!(stdout.contains("###### Synthesized Statistics ######"));
    let output = dir.path().join("tiny_synth_1x1+1.0_speedup1.jsonl");
    let text = std::fs::read_to_string(&output).expect("default-named output exists");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 50);
    for line in lines {
        assert!(line.starts_with("{\"timestamp\": "), "{line}");
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = vec![
            "context_len",
            "hash_ids",
            "input_length",
            "output_length",
            "timestamp",
            "unique_user_prompt_len",
        ];
        want.sort_unstable();
        assert_eq!(keys, want);
    }
}

#[test]
fn same_seed_same_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("tiny.jsonl");
    std::fs::write(&input, TINY).expect("write input");
    let run = |name: &str, seed: &str| {
        let out = dir.path().join(name);
        let (ok, _, stderr) = datagen(&[
            "synthesize",
            "--input-file",
            input.to_str().expect("utf-8"),
            "--num-requests",
            "200",
            "--block-size",
            "4",
            "--seed",
            seed,
            "--output-file",
            out.to_str().expect("utf-8"),
        ]);
        assert!(ok, "{stderr}");
        std::fs::read(out).expect("output")
    };
    assert_eq!(run("a.jsonl", "3"), run("b.jsonl", "3"));
    assert_ne!(run("a.jsonl", "3"), run("c.jsonl", "4"));
}

#[test]
fn malformed_input_names_file_line_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("bad.jsonl");
    let text =
        format!("{TINY}{{\"timestamp\": 5, \"input_length\": \"many\", \"output_length\": 1}}\n");
    std::fs::write(&input, text).expect("write input");
    for cmd in ["analyze", "synthesize"] {
        let (ok, _, stderr) = datagen(&[cmd, "--input-file", input.to_str().expect("utf-8")]);
        assert!(!ok, "{cmd} accepted a malformed line");
        assert!(
            stderr.contains("bad.jsonl:5: field `input_length`"),
            "{cmd}: {stderr}"
        );
    }
}

#[test]
fn synthesize_rejects_rows_that_do_not_fit_their_blocks_unless_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("misfit.jsonl");
    // Line 3: 40 tokens cannot fit 3 blocks of 4.
    let text = TINY.replace("\"input_length\": 9,", "\"input_length\": 40,");
    std::fs::write(&input, text).expect("write input");
    let path = input.to_str().expect("utf-8");
    let args = [
        "synthesize",
        "--input-file",
        path,
        "--block-size",
        "4",
        "--num-requests",
        "5",
    ];
    let (ok, _, stderr) = datagen(&args);
    assert!(!ok);
    assert!(stderr.contains("row 2 is line 3"), "{stderr}");
    let mut lenient = args.to_vec();
    lenient.push("--skip-invalid-rows");
    let (ok, _, stderr) = datagen(&lenient);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("misfit.jsonl:3: skipped"), "{stderr}");
}
