//! `loadgen` with synthetic images and context prompts against the embedded engine, and the
//! errors for settings that cannot work.

use std::process::{Command, Output};

use serde_json::Value;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .output()
        .expect("run loadgen")
}

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read export")).expect("json")
}

#[test]
fn images_and_context_prompts_are_sent_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = run(&[
        "--image-width-mean",
        "64",
        "--image-height-mean",
        "48",
        "--image-format",
        "jpeg",
        "--image-batch-size",
        "2",
        "--shared-system-prompt-length",
        "50",
        "--user-context-prompt-length",
        "20",
        "--isl",
        "30",
        "--osl",
        "2",
        "--request-count",
        "4",
        "--num-dataset-entries",
        "4",
        "--random-seed",
        "3",
        "--mocker-speedup-ratio",
        "50",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--artifact-dir",
        dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "status {:?}\n{stderr}", out.status);

    let inputs = read_json(&dir.join("inputs.json"));
    let sessions = inputs["data"].as_array().unwrap();
    assert_eq!(sessions.len(), 4);
    let mut systems = Vec::new();
    let mut contexts = Vec::new();
    for session in sessions {
        let messages = session["payloads"][0]["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert_eq!(messages[0]["role"], "system");
        assert_eq!(messages[1]["role"], "user");
        systems.push(messages[0]["content"].as_str().unwrap().to_owned());
        contexts.push(messages[1]["content"].as_str().unwrap().to_owned());
        let parts = messages[2]["content"].as_array().unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0]["type"], "text");
        for part in &parts[1..] {
            assert_eq!(part["type"], "image_url");
            // Base64 of a JPEG's start-of-image marker FF D8 FF.
            let url = part["image_url"]["url"].as_str().unwrap();
            assert!(
                url.starts_with("data:image/jpeg;base64,/9j/"),
                "{}",
                &url[..40]
            );
        }
    }
    // One shared system prompt; a context per entry.
    assert!(systems.iter().all(|s| *s == systems[0]));
    contexts.sort();
    contexts.dedup();
    assert_eq!(contexts.len(), 4);

    let summary = read_json(&dir.join("profile_export_aiperf.json"));
    // ISL = 50 + 20 + 30 text tokens under the builtin tokenizer (images are not text).
    assert_eq!(summary["input_sequence_length"]["min"], 100.0);
    assert_eq!(summary["input_sequence_length"]["max"], 100.0);
    // The embedded engine counted the two images per request as image tokens.
    let per_image = f64::from(servebench_mocker::ServerConfig::default().tokens_per_image);
    assert_eq!(
        summary["usage_prompt_tokens"]["min"],
        100.0 + 2.0 * per_image
    );
    assert_eq!(
        summary["usage_prompt_tokens"]["max"],
        100.0 + 2.0 * per_image
    );
    let dataset = &summary["input_config"]["datasets"][0];
    assert_eq!(dataset["images"]["batch_size"], 2);
    assert_eq!(dataset["images"]["format"], "jpeg");
    assert_eq!(
        dataset["prompts"]["prefix_prompt"]["shared_system_length"],
        50
    );
    assert_eq!(
        dataset["prompts"]["prefix_prompt"]["user_context_length"],
        20
    );
}

#[test]
fn a_system_prompt_file_is_sent_verbatim() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("system.txt");
    std::fs::write(&file, "You are a terse assistant.\nAnswer in one line.").unwrap();
    let dir = tmp.path().join("out");
    let out = run(&[
        "--system-prompt-file",
        file.to_str().unwrap(),
        "--isl",
        "10",
        "--osl",
        "1",
        "--request-count",
        "2",
        "--num-dataset-entries",
        "2",
        "--mocker-speedup-ratio",
        "50",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--artifact-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inputs = read_json(&dir.join("inputs.json"));
    let messages = &inputs["data"][0]["payloads"][0]["messages"];
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(
        messages[0]["content"],
        "You are a terse assistant.\nAnswer in one line."
    );
    assert_eq!(messages[1]["role"], "user");
    assert!(messages[1]["content"].is_string());
}

#[test]
fn settings_that_cannot_work_are_usage_errors_naming_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.txt");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--image-width-mean", "64"], "--image-width-mean"),
        (
            vec![
                "--endpoint-type",
                "completions",
                "--image-width-mean",
                "8",
                "--image-height-mean",
                "8",
            ],
            "--image-width-mean",
        ),
        (
            vec![
                "--endpoint-type",
                "embeddings",
                "--shared-system-prompt-length",
                "8",
            ],
            "--shared-system-prompt-length",
        ),
        (
            vec![
                "--user-context-prompt-length",
                "8",
                "--num-prefix-prompts",
                "2",
                "--prefix-prompt-length",
                "4",
            ],
            "--user-context-prompt-length",
        ),
        (
            vec![
                "--system-prompt",
                "be brief",
                "--shared-system-prompt-length",
                "8",
            ],
            "--system-prompt",
        ),
        (
            vec!["--system-prompt-file", missing.to_str().unwrap()],
            "--system-prompt-file",
        ),
        (
            vec![
                "--system-prompt-file",
                missing.to_str().unwrap(),
                "--shared-system-prompt-length",
                "8",
            ],
            "--system-prompt-file cannot be combined",
        ),
        (vec!["--image-format", "gif"], "--image-format"),
    ];
    for (args, flag) in cases {
        let mut all = args.clone();
        all.extend([
            "--request-count",
            "1",
            "--ui",
            "none",
            "--num-dataset-entries",
            "1",
            "--isl",
            "4",
        ]);
        let out = run(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        assert!(!stderr.contains("Some("), "{stderr}");
    }
}
