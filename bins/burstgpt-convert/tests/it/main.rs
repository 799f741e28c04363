//! Integration tests of the burstgpt-convert binary: run it as a user would.

use std::path::Path;
use std::process::{Command, Output};

mod safety;

pub(crate) const CSV: &str = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type
5,ChatGPT,472,18,490,Conversation log
45,ChatGPT,1087,230,1317,Conversation log
118,GPT-4,417,276,693,Conversation log
130,GPT-4,10,0,10,API log
";

pub(crate) fn convert(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_burstgpt-convert"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("burstgpt-convert runs")
}

#[test]
fn default_output_path_and_the_original_statistics() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("BurstGPT_1.csv"), CSV).expect("write");
    let out = convert(
        dir.path(),
        &["--input-file", "BurstGPT_1.csv", "--model", "ChatGPT"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let jsonl =
        std::fs::read_to_string(dir.path().join("BurstGPT_1.jsonl")).expect("default output path");
    assert_eq!(jsonl.lines().count(), 2);
    assert!(jsonl.starts_with(
        "{\"timestamp\":0,\"input_length\":472,\"output_length\":18,\"hash_ids\":[0,1,2,3]}\n"
    ));
    assert!(
        jsonl
            .lines()
            .nth(1)
            .expect("second line")
            .starts_with("{\"timestamp\":40000,\"input_length\":1087,")
    );
    // ISL 472 and 1087: mean 779.50, sample std = 615/sqrt(2) = 434.87. The chart: 40 s span →
    // 2 s bins, labels of 2 digits, bars 60 − 6 − 3 = 51 wide (checked against python3).
    for needle in [
        "After model filter (ChatGPT): 2 rows",
        "Offset timestamps so first request starts at t=0 (subtracted 5.000000s)",
        "Input Length (ISL):\n  Min: 472\n  Max: 1087\n  Avg: 779.50\n  Std: 434.87",
        "Sequence Length (ISL + OSL):\n  Max: 1317",
        "Duration: 40.00 seconds",
        "Average RPS: 0.05",
        "Bin: 2.00s, Peak RPS: 0.50",
        " 0- 2s | ###################################################\n 2- 4s | \n",
        "Saved 2 rows to BurstGPT_1.jsonl",
    ] {
        assert!(
            stdout.contains(needle),
            "stdout lacks {needle:?}:\n{stdout}"
        );
    }
}

#[test]
#[cfg_attr(skip_python, ignore = "SERVEBENCH_SKIP_PYTHON=1")]
fn output_is_byte_identical_to_the_python_restatement() {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../crates/workload/tests/it/reference_convert.py"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let mut csv =
        String::from("Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n");
    for i in 0..500u64 {
        let model = if i % 3 == 0 { "GPT-4" } else { "ChatGPT" };
        csv.push_str(&format!(
            "{}.{},{model},{},{},0,API log\n",
            100 + i * 7 / 3,
            i % 10,
            (i * 7919) % 2500,
            i % 300
        ));
    }
    std::fs::write(dir.path().join("in.csv"), csv).expect("write");
    let args = [
        "--num-prompt",
        "300",
        "--skip-num-prompt",
        "5",
        "--speed-ratio",
        "0.5",
        "--block-size",
        "32",
        "--num-hash-blocks",
        "50",
    ];
    let status = Command::new("python3")
        .current_dir(dir.path())
        .arg(script)
        .args(["in.csv", "expected.jsonl"])
        .args(args)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "python3 is required for this comparison: install it, or set \
                 SERVEBENCH_SKIP_PYTHON=1 to skip it (starting python3 failed: {e})"
            )
        });
    assert!(status.success());
    let out = convert(
        dir.path(),
        &[
            &["--input-file", "in.csv", "--output-file", "ours.jsonl"][..],
            &args,
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = std::fs::read(dir.path().join("ours.jsonl")).expect("ours");
    let theirs = std::fs::read(dir.path().join("expected.jsonl")).expect("theirs");
    assert_eq!(ours.iter().filter(|b| **b == b'\n').count(), 300);
    assert!(
        ours == theirs,
        "binary output differs from the Python re-statement"
    );
}

#[test]
fn malformed_rows_stop_with_file_line_field_or_are_skipped_and_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = format!("{CSV}140,GPT-4,-3,1,1,API log\n150,GPT-4,3,1,4,API log\n");
    std::fs::write(dir.path().join("bad.csv"), bad).expect("write");
    let out = convert(dir.path(), &["--input-file", "bad.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.csv:6: field `Request tokens`: must not be negative, found -3"),
        "{stderr}"
    );

    let out = convert(
        dir.path(),
        &[
            "--input-file",
            "bad.csv",
            "--skip-malformed",
            "--report-json",
            "report.json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Malformed rows skipped: 1"));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).expect("report"))
            .expect("json");
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["malformed_rows"], 1);
    assert_eq!(report["counts"]["converted"], 5);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("bad.jsonl"))
            .expect("output")
            .lines()
            .count(),
        5
    );
}

#[test]
fn help_shows_defaults_and_the_exactness_claim() {
    let dir = tempfile::tempdir().expect("tempdir");
    let help = String::from_utf8(convert(dir.path(), &["--help"]).stdout).expect("utf-8");
    for needle in [
        "[default: 128]",
        "[default: 10000]",
        "[default: 1]",
        "byte-identical",
        "[possible values: ChatGPT, GPT-4]",
    ] {
        assert!(help.contains(needle), "help lacks {needle}:\n{help}");
    }
}
