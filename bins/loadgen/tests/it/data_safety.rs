//! Issue 7's data-safety rule for loadgen's exports: no export overwrites an input, exports are
//! renamed into place when complete, and an export that cannot be written after the run exits 5.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{jsonl_lines, loadgen, run, summary};

/// A short embedded-engine run writing into `dir`, with `extra` flags.
fn short_run(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--request-count",
        "2",
        "--concurrency",
        "1",
        "--osl",
        "4",
        "--mocker-speedup-ratio",
        "50",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--artifact-dir",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The `.partial` / `.tmp` sidecars left in `dir`.
fn sidecars(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial") || n.ends_with(".tmp"))
        .collect()
}

#[test]
fn an_artifact_dir_that_holds_the_input_file_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    // A real inputs.json to replay: the one a first run writes.
    let first = short_run(&dir, &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let input = dir.join("inputs.json");
    let before = std::fs::read(&input).unwrap();
    let listing = |d: &Path| {
        let mut names: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    let files_before = listing(&dir);

    let out = short_run(
        &dir,
        &[
            "--input-file",
            input.to_str().unwrap(),
            "--custom-dataset-type",
            "inputs_json",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--artifact-dir") && err.contains("same file as the input"),
        "{err}"
    );
    assert_eq!(std::fs::read(&input).unwrap(), before, "the input changed");
    assert_eq!(listing(&dir), files_before, "a file was written or removed");
}

#[test]
fn a_prefixed_export_name_that_is_the_input_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let first = short_run(&dir, &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    // The input is named as the prefixed summary export would be.
    let input = dir.join("mine.json");
    std::fs::rename(dir.join("inputs.json"), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let out = short_run(
        &dir,
        &[
            "--input-file",
            input.to_str().unwrap(),
            "--custom-dataset-type",
            "inputs_json",
            "--profile-export-prefix",
            "mine",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("mine.json"), "{err}");
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

#[test]
fn an_artifact_dir_that_cannot_be_created_exits_2_before_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let out = short_run(&file.join("out"), &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("artifact directory"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");
}

#[test]
fn a_summary_that_cannot_be_written_after_the_run_exits_5() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    // A directory where the summary goes: the run happens, the final rename fails.
    std::fs::create_dir_all(dir.join("profile_export_aiperf.json")).unwrap();
    let out = short_run(&dir, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("profile_export_aiperf.json"), "{err}");
    // The records of the run were kept, and no sidecar is left behind.
    assert_eq!(jsonl_lines(&dir).len(), 2);
    assert!(dir.join("inputs.json").is_file());
    assert_eq!(sidecars(&dir), Vec::<String>::new());
}

#[test]
fn a_timeslice_export_that_cannot_be_written_exits_5_after_the_other_exports() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    std::fs::create_dir_all(dir.join("profile_export_aiperf_timeslices.csv")).unwrap();
    let out = short_run(&dir, &["--slice-duration", "1"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("time-sliced export"), "{err}");
    assert_eq!(summary(&dir)["was_cancelled"], false);
    assert_eq!(sidecars(&dir), Vec::<String>::new());
}

#[test]
fn an_inputs_json_that_cannot_be_written_leaves_no_partial_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    std::fs::create_dir_all(dir.join("inputs.json")).unwrap();
    let out = short_run(&dir, &[]);
    let err = stderr(&out);
    // Before the run: nothing was sent.
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("inputs.json"), "{err}");
    assert_eq!(sidecars(&dir), Vec::<String>::new());
    assert!(!dir.join("profile_export.jsonl").exists());
}

#[test]
fn exports_are_complete_under_their_final_names_with_no_sidecars() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = short_run(&dir, &["--slice-duration", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for name in [
        "inputs.json",
        "profile_export.jsonl",
        "profile_export_aiperf.json",
        "profile_export_aiperf.csv",
        "profile_export_aiperf_timeslices.json",
        "profile_export_aiperf_timeslices.csv",
    ] {
        assert!(dir.join(name).is_file(), "{name} missing");
    }
    assert_eq!(sidecars(&dir), Vec::<String>::new());
}

/// A hard-killed run (SIGKILL: nothing can run) keeps its finished records in
/// `profile_export.jsonl.partial`, and never a partial file under the final name.
#[cfg(unix)]
#[test]
fn a_hard_killed_run_keeps_its_records_in_the_partial_jsonl() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let mut child = loadgen()
        .args([
            "--benchmark-duration",
            "60",
            "--concurrency",
            "2",
            "--osl",
            "400",
            "--ignore-eos",
            "--ui",
            "none",
            "--allow-client-saturation",
            "--artifact-dir",
            dir.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let partial = dir.join("profile_export.jsonl.partial");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = 0;
    while Instant::now() < deadline && lines == 0 {
        std::thread::sleep(Duration::from_millis(50));
        lines = std::fs::read_to_string(&partial)
            .map(|t| t.lines().count())
            .unwrap_or(0);
    }
    let killed = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap();
    assert!(lines >= 1, "no record reached the partial JSONL");
    let text = std::fs::read_to_string(&partial).unwrap();
    assert!(text.lines().count() >= lines);
    assert!(!dir.join("profile_export.jsonl").exists());
    assert!(!dir.join("profile_export_aiperf.json").exists());
}

/// Runs `extra` into `dir` and checks the refusal: status 2, the message, `input` unchanged.
fn assert_refused(dir: &Path, input: &Path, extra: &[&str]) {
    let before = std::fs::read(input).unwrap();
    let out = short_run(dir, extra);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("same file as the input") && err.contains(&input.display().to_string()),
        "{err}"
    );
    assert_eq!(std::fs::read(input).unwrap(), before, "the input changed");
}

#[test]
fn every_file_of_a_random_pool_directory_is_an_input() {
    let tmp = tempfile::tempdir().unwrap();
    let pool = tmp.path().join("pool");
    std::fs::create_dir(&pool).unwrap();
    // A pool file that happens to carry an export's name.
    let input = pool.join("inputs.json");
    std::fs::write(
        &input,
        "{\"text\": \"hello world one\"}\n{\"text\": \"a second prompt\"}\n",
    )
    .unwrap();
    assert_refused(
        &pool,
        &input,
        &[
            "--input-file",
            pool.to_str().unwrap(),
            "--custom-dataset-type",
            "random_pool",
        ],
    );
}

#[test]
fn a_system_prompt_file_is_an_input() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("profile_export_aiperf.csv");
    std::fs::write(&input, "You are terse.\n").unwrap();
    assert_refused(
        tmp.path(),
        &input,
        &["--system-prompt-file", input.to_str().unwrap()],
    );
}

#[test]
fn a_tokenizer_directory_is_an_input() {
    let tmp = tempfile::tempdir().unwrap();
    let shared = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/tokenizers/qwen3/tokenizer.json"
    ));
    let input = tmp.path().join("tokenizer.json");
    std::fs::copy(shared, &input).unwrap();
    // With this prefix the summary export would be named tokenizer.json.
    assert_refused(
        tmp.path(),
        &input,
        &[
            "--tokenizer",
            tmp.path().to_str().unwrap(),
            "--profile-export-prefix",
            "tokenizer",
        ],
    );
}
