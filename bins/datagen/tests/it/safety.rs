//! `datagen synthesize`: the input is never destroyed, flags are checked before the input is
//! read and named as flags, and suspicious input rows are reported by line.

use std::path::Path;

use crate::cli::TINY;
use crate::trace::datagen_status;

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Writes TINY to `t.jsonl` in a new directory and runs `synthesize` on it with `extra` flags.
fn synthesize(extra: &[&str]) -> (tempfile::TempDir, Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("t.jsonl");
    std::fs::write(&input, TINY).expect("write input");
    let input = input.to_str().expect("utf-8").to_owned();
    let mut args = vec![
        "synthesize",
        "--input-file",
        &input,
        "--num-requests",
        "20",
        "--block-size",
        "4",
    ];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = datagen_status(&args);
    (dir, code, stdout, stderr)
}

#[test]
fn output_equal_to_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("t.jsonl");
    std::fs::write(&input, TINY).expect("write input");
    let path = input.to_str().expect("utf-8");
    let (code, _, stderr) = datagen_status(&[
        "synthesize",
        "--input-file",
        path,
        "--output-file",
        path,
        "--block-size",
        "4",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--output-file") && stderr.contains("same file as the input"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&input).expect("input"), TINY.as_bytes());
    assert_eq!(files(dir.path()), ["t.jsonl"]);
}

#[test]
fn crossed_isl_filters_are_refused_up_front_by_flag_name() {
    let (dir, code, stdout, stderr) = synthesize(&["--min-isl", "50", "--max-isl", "10"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid --min-isl: must not exceed --max-isl (50 > 10)"),
        "{stderr}"
    );
    // Refused before the input was read, and not blamed on it.
    assert!(!stdout.contains("learning from dataset"), "{stdout}");
    assert!(
        !stderr.contains("t.jsonl") && !stderr.contains("min_isl"),
        "{stderr}"
    );
    assert_eq!(files(dir.path()), ["t.jsonl"]);
}

#[test]
fn bad_values_name_the_flag_not_the_input_file() {
    for (flag, value) in [
        ("--speedup-ratio", "0"),
        ("--osl-multiplier", "-1"),
        ("--prompt-len-multiplier", "0"),
    ] {
        let (_dir, code, _, stderr) = synthesize(&[flag, value]);
        assert_eq!(code, Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains(&format!("invalid {flag}")),
            "{flag}: {stderr}"
        );
        assert!(!stderr.contains("t.jsonl"), "{flag}: {stderr}");
        assert!(!stderr.contains('_'), "{flag}: internal name in {stderr}");
    }
}

#[test]
fn more_requests_than_max_rows_are_refused() {
    let (dir, code, _, stderr) = synthesize(&["--max-rows", "10"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("about 20 rows (estimated from --num-requests)")
            && stderr.contains("--max-rows 10"),
        "{stderr}"
    );
    assert_eq!(files(dir.path()), ["t.jsonl"]);
}

#[test]
fn an_out_of_order_timestamp_is_warned_about_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("t.jsonl");
    // Line 2 is an outlier far in the future; line 3 then goes back in time.
    let text = TINY.replacen(
        "\"timestamp\": 0, \"input_length\": 16",
        "\"timestamp\": 900000000, \"input_length\": 16",
        1,
    );
    assert_ne!(text, TINY);
    std::fs::write(&input, text).expect("write input");
    let path = input.to_str().expect("utf-8");
    let out = dir.path().join("out.jsonl");
    let (code, _, stderr) = datagen_status(&[
        "synthesize",
        "--input-file",
        path,
        "--output-file",
        out.to_str().expect("utf-8"),
        "--num-requests",
        "5",
        "--block-size",
        "4",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("t.jsonl:3: timestamp is earlier than the row before it"),
        "{stderr}"
    );
}

#[test]
fn non_utf8_input_is_an_error_with_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("t.jsonl");
    let mut bytes = TINY.as_bytes().to_vec();
    bytes.extend_from_slice(b"{\"timestamp\": 300, \"input_length\": 4, \"output_length\": 1, \"hash_ids\": [7], \"text_input\": \"\xff\"}\n");
    std::fs::write(&input, bytes).expect("write input");
    for command in ["synthesize", "analyze"] {
        let (code, _, stderr) = datagen_status(&[
            command,
            "--input-file",
            input.to_str().expect("utf-8"),
            "--block-size",
            "4",
        ]);
        assert_eq!(code, Some(2), "{command}: {stderr}");
        assert!(stderr.contains("t.jsonl:5:"), "{command}: {stderr}");
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
    }
    assert_eq!(files(dir.path()), ["t.jsonl"]);
}
