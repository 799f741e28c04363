//! docs/guide.md runs as written: every `sh` block is marked `runnable` (optionally `exit=N`, or
//! `exit=N,M` for a block the guide says may end either way),
//! and the blocks run in order in one scratch directory with the workspace's binaries on PATH,
//! each ending with the status it declares.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The binaries the guide uses besides perf-sweep.
const OTHER_BINARIES: [(&str, &str); 12] = [
    ("loadgen", "servebench-loadgen"),
    ("mocker", "servebench-mocker-bin"),
    ("sin-synth", "servebench-sin-synth"),
    ("burstgpt-convert", "servebench-burstgpt-convert"),
    ("datagen", "servebench-datagen"),
    ("plot-sweep", "servebench-plot-sweep"),
    ("plot-pareto", "servebench-plot-pareto"),
    ("prefix-ratio-bench", "servebench-router-bench-bins"),
    ("real-data-bench", "servebench-router-bench-bins"),
    ("sim-replay", "servebench-sim-replay-bin"),
    ("profile-endpoint", "servebench-profile-endpoint"),
    ("profile-sla", "servebench-profile-sla"),
];

/// Longest a block may run.
const BLOCK_TIMEOUT: Duration = Duration::from_secs(180);

/// One fenced block: its first line number, its declared exit statuses and its text.
struct Block {
    line: usize,
    /// Empty for a block that is not run.
    exit: Vec<i32>,
    text: String,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in markdown.lines().enumerate() {
        if let Some(block) = current.as_mut() {
            if line.trim_start().starts_with("```") {
                out.push(current.take().unwrap());
            } else {
                block.text.push_str(line);
                block.text.push('\n');
            }
            continue;
        }
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let mut words = info.split_whitespace();
        let language = words.next().unwrap_or("");
        let attrs: Vec<&str> = words.collect();
        if language == "sh" {
            assert!(
                attrs.contains(&"runnable"),
                "docs/guide.md:{}: every sh block must be marked runnable (use text for \
                 anything that is not run)",
                i + 1
            );
            let exit = attrs
                .iter()
                .find_map(|a| a.strip_prefix("exit="))
                .map_or(vec![0], |n| {
                    n.split(',').map(|c| c.parse().unwrap()).collect()
                });
            current = Some(Block {
                line: i + 1,
                exit,
                text: String::new(),
            });
        } else {
            // Other fences (text, ...) are skipped whole.
            current = Some(Block {
                line: i + 1,
                exit: Vec::new(),
                text: String::new(),
            });
        }
    }
    assert!(current.is_none(), "docs/guide.md: unclosed code fence");
    out.retain(|b| !b.exit.is_empty());
    out
}

/// The directory holding perf-sweep, with the guide's other binaries built into it if missing.
fn binaries() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_perf-sweep"))
        .parent()
        .unwrap()
        .to_owned();
    let missing: Vec<_> = OTHER_BINARIES
        .iter()
        .filter(|(bin, _)| !dir.join(bin).exists())
        .collect();
    if !missing.is_empty() {
        // A `-p servebench-perf-sweep` test run builds only perf-sweep.
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.arg("build");
        if dir.ends_with("release") {
            build.arg("--release");
        }
        for (bin, package) in &missing {
            build.args(["-p", package, "--bin", bin]);
        }
        let status = build
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "building {missing:?} failed");
    }
    dir
}

fn run_block(block: &Block, cwd: &Path, path: &str) -> (Option<i32>, String) {
    let mut child = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &block.text])
        .current_dir(cwd)
        .env("PATH", path)
        .env_remove("CONCURRENCIES")
        .env_remove("REQUEST_COUNT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout kills every process the block started.
        .process_group(0)
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > BLOCK_TIMEOUT {
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let shown = format!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), shown)
}

#[test]
fn every_command_in_the_guide_runs_as_written() {
    let guide = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/guide.md");
    let text = std::fs::read_to_string(&guide).unwrap();
    let blocks = blocks(&text);
    assert!(blocks.len() >= 10, "only {} runnable blocks", blocks.len());
    let dir = binaries();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let tmp = tempfile::tempdir().unwrap();
    for block in &blocks {
        let (code, shown) = run_block(block, tmp.path(), &path);
        assert!(
            code.is_some_and(|c| block.exit.contains(&c)),
            "docs/guide.md:{}: block ended with {code:?}, expected {:?}\n{}\n{shown}",
            block.line,
            block.exit,
            block.text
        );
    }
}
