//! The 13 `aiperf profile` command lines of Dynamo's benchmark scripts
//! (shared/docs/spec-dynamo-benchmarks.md) run unchanged except for the URL, with the scripts'
//! variables (ISL, OSL, concurrency, ...) set small so the test stays short, against a simulated
//! engine in this process; the dataset and trace files the scripts write are written by the test. Their `--tokenizer Qwen/Qwen3-0.6B` is resolved from a Hugging Face cache
//! directory built by the test (`HF_HUB_CACHE`), never from the network. Every AIPerf flag
//! loadgen accepts is also parsed here.

use std::path::{Path, PathBuf};
use std::process::Output;

use super::cli::{loadgen, summary};
use super::server_metrics::Engine;

const MODEL: &str = "Qwen/Qwen3-0.6B";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// A Hugging Face cache holding `Qwen/Qwen3-0.6B` (symlinks to the shared Qwen3 files).
fn hf_cache(root: &Path) -> PathBuf {
    let shared = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/tokenizers/qwen3"
    ));
    let repo = root.join("models--Qwen--Qwen3-0.6B");
    let snapshot = repo.join("snapshots").join(COMMIT);
    std::fs::create_dir_all(&snapshot).expect("snapshot dir");
    std::fs::create_dir_all(repo.join("refs")).expect("refs dir");
    std::fs::write(repo.join("refs/main"), COMMIT).expect("refs/main");
    for file in ["tokenizer.json", "tokenizer_config.json"] {
        let target = std::fs::canonicalize(shared.join(file)).expect("shared Qwen3 file");
        std::os::unix::fs::symlink(target, snapshot.join(file)).expect("symlink");
    }
    root.to_path_buf()
}

/// Runs `line` (a shell-like command line after `aiperf profile`, split on spaces; `'...'`
/// groups) with `{url}` and `{dir}` filled in.
fn run_line(line: &str, url: &str, dir: &Path, cache: &Path) -> Output {
    let line = line
        .replace("{url}", url)
        .replace("{dir}", dir.to_str().expect("utf-8 dir"));
    let mut args = Vec::new();
    let mut rest = line.as_str();
    while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
        rest = &rest[start..];
        if let Some(quoted) = rest.strip_prefix('\'') {
            let end = quoted.find('\'').expect("closing quote");
            args.push(quoted[..end].to_owned());
            rest = &quoted[end + 1..];
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            args.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    loadgen()
        .args(&args)
        .env("HF_HUB_CACHE", cache)
        .env_remove("HF_HOME")
        .output()
        .expect("run loadgen")
}

fn check(line: &str, requests: f64) {
    let engine = Engine::start();
    let tmp = tempfile::tempdir().expect("temp dir");
    let cache = hf_cache(&tmp.path().join("hf"));
    check_in(
        line,
        requests,
        &engine.url,
        &tmp.path().join("artifacts"),
        tmp.path(),
        &cache,
    );
}

/// Runs `line` against `url` with `{dir}` = `dir` and `{tmp}` the temp dir holding the input
/// files; checks the run and the exported request count.
fn check_in(line: &str, requests: f64, url: &str, dir: &Path, tmp: &Path, cache: &Path) {
    let line = line.replace("{tmp}", tmp.to_str().expect("utf-8 dir"));
    let out = run_line(&line, url, dir, cache);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Saturation (exit 3) is about this shared machine, not the command line.
    assert!(
        out.status.success() || out.status.code() == Some(3),
        "{line}\nstatus {:?}\n{stderr}",
        out.status
    );
    let s = summary(dir);
    assert_eq!(s["request_count"]["avg"], requests, "{line}");
    if line.contains("--tokenizer ") {
        let name = s["input_config"]["tokenizer"]["name"]
            .as_str()
            .expect("tokenizer name");
        assert!(
            name.contains("models--Qwen--Qwen3-0.6B/snapshots"),
            "{name}"
        );
    }
}

/// The input files the scripts write before calling aiperf, in `tmp`.
fn write_script_inputs(tmp: &Path) {
    let image = "http://localhost:8233/test.jpg";
    // multimodal/image/aiperf_small_image.sh ([U] 19b623e: 12 copies of the local media URL).
    let images = |n: usize| vec![format!("\"{image}\""); n].join(", ");
    std::fs::write(
        tmp.join("data_small.jsonl"),
        format!("{{\"images\": [{}]}}\n", images(12)),
    )
    .expect("data_small.jsonl");
    // aiperf_large_image.sh: 11 copies of one image URL (the local one here: nothing is fetched).
    std::fs::write(
        tmp.join("data_large.jsonl"),
        format!("{{\"images\": [{}]}}\n", images(11)),
    )
    .expect("data_large.jsonl");
    // aiperf_small_image_50_isl_ratio.sh: a ~11-token sentence repeated 1501 times, 30 images.
    let sentence = "The quick brown fox jumps over the lazy dog near the river. ";
    std::fs::write(
        tmp.join("data_isl_ratio.jsonl"),
        format!(
            "{{\"texts\": [\"{}\"], \"images\": [{}]}}\n",
            sentence.repeat(1501).trim_end(),
            images(30)
        ),
    )
    .expect("data_isl_ratio.jsonl");
    // router/real_data_benchmark.py: the trace as-is (its first 10 lines, all at timestamp 0).
    let trace = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/traces/mooncake-fast25/conversation_trace.jsonl"
    ))
    .expect("shared Mooncake trace");
    let head: String = trace.lines().take(10).map(|l| format!("{l}\n")).collect();
    std::fs::write(tmp.join("trace.jsonl"), head).expect("trace.jsonl");
    // router/agent_benchmark.py: a Mooncake-format agent trace with sessions and delays.
    let mut agent = String::new();
    for s in 0..3 {
        for t in 0..2 {
            let delay = if t == 0 {
                String::new()
            } else {
                ", \"delay\": 10".to_owned()
            };
            agent.push_str(&format!(
                "{{\"session_id\": \"agent-{s}\", \"input_length\": 100, \"output_length\": 4, \
                 \"hash_ids\": [{}, {}]{delay}}}\n",
                s * 10,
                s * 10 + t + 1
            ));
        }
    }
    std::fs::write(tmp.join("agent.jsonl"), agent).expect("agent.jsonl");
}

/// The 13 `aiperf profile` command lines of Dynamo's benchmark scripts
/// (shared/docs/spec-dynamo-benchmarks.md), each with its script's variables set small (model
/// `Qwen/Qwen3-0.6B`, small ISL/OSL/concurrency) and only `--url`/`-u` pointed at a simulated
/// engine in this process; `{dir}` stands for the script's artifact directory path, `{tmp}` for
/// where the test wrote the input files the script writes. The third value is the expected
/// `request_count`.
fn dynamo_command_lines() -> Vec<(&'static str, String, f64)> {
    let common_router = "--endpoint-type chat --endpoint v1/chat/completions --streaming \
        --extra-inputs ignore_eos:true --no-gpu-telemetry -H 'Authorization: Bearer NOT USED' \
        -H 'Accept: text/event-stream'";
    let image = |file: &str, tail: &str| {
        format!(
            "-m {MODEL} --endpoint-type chat --synthetic-input-tokens-mean 1 \
             --synthetic-input-tokens-stddev 0 --streaming {tail} --concurrency 1 --osl 1 \
             --input-file {{tmp}}/{file} --custom-dataset-type single_turn --ui none \
             --no-server-metrics --url {{url}} --artifact-dir {{dir}}"
        )
    };
    vec![
        (
            "1. benchmarks/README.md single run (§1.1)",
            "--model M --url {url} --endpoint-type chat --streaming --concurrency 10 \
             --request-count 100 --artifact-dir {dir}"
                .to_owned(),
            100.0,
        ),
        (
            "2. benchmarks/README.md sweep step c=2: --request-count max(3c, 10), \
             --artifact-dir artifacts/my-benchmark/c$c (§1.1)",
            "--model M --url {url} --endpoint-type chat --streaming --concurrency 2 \
             --request-count 10 --artifact-dir {dir}"
                .to_owned(),
            10.0,
        ),
        (
            "3. benchmarks/llm/perf.sh, ISL 64 OSL 4 C 2 (§1.3)",
            format!(
                "--model {MODEL} --tokenizer {MODEL} --endpoint-type chat \
                 --endpoint /v1/chat/completions --streaming --url {{url}} \
                 --synthetic-input-tokens-mean 64 --synthetic-input-tokens-stddev 0 \
                 --output-tokens-mean 4 --output-tokens-stddev 0 --extra-inputs max_tokens:4 \
                 --extra-inputs min_tokens:4 --extra-inputs ignore_eos:true \
                 --extra-inputs '{{\"nvext\":{{\"ignore_eos\":true}}}}' --concurrency 2 \
                 --request-count 20 --warmup-request-count 4 --num-dataset-entries 24 \
                 --random-seed 100 --ui simple -H 'Authorization: Bearer NOT USED' \
                 -H 'Accept: text/event-stream' --artifact-dir {{dir}}"
            ),
            20.0,
        ),
        (
            "4. multimodal/image/aiperf_small_image.sh (§2)",
            image(
                "data_small.jsonl",
                "--request-count 100 --warmup-request-count 2",
            ),
            100.0,
        ),
        (
            "5. multimodal/image/aiperf_large_image.sh (§2)",
            image(
                "data_large.jsonl",
                "--request-count 20 --warmup-request-count 2",
            ),
            20.0,
        ),
        (
            "6. multimodal/image/aiperf_small_image_50_isl_ratio.sh, OSL 150 (§2)",
            format!(
                "-m {MODEL} --endpoint-type chat --streaming --request-count 100 \
                 --warmup-request-count 5 --concurrency 1 --osl 150 --extra-inputs ignore_eos:true \
                 --input-file {{tmp}}/data_isl_ratio.jsonl --custom-dataset-type single_turn \
                 --ui none --no-server-metrics --url {{url}} --artifact-dir {{dir}}"
            ),
            100.0,
        ),
        (
            "7. router/prefix_ratio_benchmark.py, ratio 0.25 of ISL 64 (§3.3)",
            format!(
                "--model {MODEL} --tokenizer {MODEL} --url {{url}} --synthetic-input-tokens-mean 48 \
                 --synthetic-input-tokens-stddev 12 --output-tokens-mean 4 \
                 --output-tokens-stddev 1 \
                 --extra-inputs '{{\"nvext\":{{\"ignore_eos\":true,\"agent_hints\":{{\"osl\":4}}}}}}' \
                 --concurrency 2 --request-count 6 --num-dataset-entries 6 --random-seed 7 \
                 --prefix-prompt-length 16 --num-prefix-prompts 2 --artifact-dir {{dir}} \
                 --dataset-sampling-strategy shuffle {common_router}"
            ),
            6.0,
        ),
        (
            "8. router/real_data_benchmark.py trace run, block size 512 (the trace's) (§3.2, §3.4)",
            format!(
                "--model {MODEL} --tokenizer {MODEL} --url {{url}} --input-file {{tmp}}/trace.jsonl \
                 --custom-dataset-type mooncake_trace --fixed-schedule --fixed-schedule-auto-offset \
                 --prompt-input-tokens-block-size 512 --random-seed 3 --artifact-dir {{dir}} \
                 {common_router}"
            ),
            10.0,
        ),
        (
            "9. router/agent_benchmark.py, 2 concurrent sessions (§3.5)",
            format!(
                "--model {MODEL} --tokenizer {MODEL} --url {{url}} --input-file {{tmp}}/agent.jsonl \
                 --custom-dataset-type mooncake_trace --concurrency 2 --request-count 6 \
                 --prompt-input-tokens-block-size 64 --random-seed 3 --artifact-dir {{dir}} \
                 {common_router}"
            ),
            6.0,
        ),
        (
            "10. benchmarks/utils/aiperf.py, C 2 (§7.2)",
            format!(
                "-m {MODEL} --endpoint-type chat --streaming -u {{url}} \
                 --synthetic-input-tokens-mean 32 --synthetic-input-tokens-stddev 4 \
                 --concurrency 2 --request-count 4 --output-tokens-mean 3 \
                 --extra-inputs max_tokens:3 --extra-inputs min_tokens:3 \
                 --extra-inputs ignore_eos:true --tokenizer {MODEL} --artifact-dir {{dir}}"
            ),
            4.0,
        ),
        (
            "11. profiler/utils/aiperf.py prefill, ISL 128 (§8.2)",
            format!(
                "{} --synthetic-input-tokens-mean 128 --synthetic-input-tokens-stddev 0 \
                 --output-tokens-mean 5 --output-tokens-stddev 0 --extra-inputs max_tokens:5 \
                 --extra-inputs min_tokens:5 --concurrency 1 --request-count 1",
                profiler_common()
            ),
            1.0,
        ),
        (
            "12. profiler/utils/aiperf.py prefill with attention DP 2: C = requests = 4a (§8.2)",
            format!(
                "{} --synthetic-input-tokens-mean 128 --synthetic-input-tokens-stddev 0 \
                 --output-tokens-mean 5 --output-tokens-stddev 0 --extra-inputs max_tokens:5 \
                 --extra-inputs min_tokens:5 --concurrency 8 --request-count 8",
                profiler_common()
            ),
            8.0,
        ),
        (
            "13. profiler/utils/aiperf.py decode, n 3 (§8.2)",
            format!(
                "{} --synthetic-input-tokens-mean 64 --synthetic-input-tokens-stddev 0 \
                 --output-tokens-mean 8 --output-tokens-stddev 0 --extra-inputs max_tokens:8 \
                 --extra-inputs min_tokens:8 --concurrency 3 --num-dataset-entries 3 \
                 --request-count 3",
                profiler_common()
            ),
            3.0,
        ),
    ]
}

/// All 13 command lines, one after the other against one simulated engine.
#[test]
fn all_13_dynamo_command_lines_run_unchanged_but_the_url() {
    let engine = Engine::start();
    let tmp = tempfile::tempdir().expect("temp dir");
    let cache = hf_cache(&tmp.path().join("hf"));
    write_script_inputs(tmp.path());
    let lines = dynamo_command_lines();
    assert_eq!(lines.len(), 13);
    for (k, (name, line, requests)) in lines.iter().enumerate() {
        eprintln!("{name}");
        let dir = tmp.path().join(format!("line{k}"));
        check_in(line, *requests, &engine.url, &dir, tmp.path(), &cache);
    }
}

/// benchmarks/profiler/utils/aiperf.py common flags.
fn profiler_common() -> String {
    format!(
        "--model {MODEL} --tokenizer {MODEL} --endpoint-type chat --endpoint /v1/chat/completions \
         --streaming --url {{url}} --extra-inputs ignore_eos:true \
         --extra-inputs {{\"nvext\":{{\"ignore_eos\":true}}}} --warmup-request-count 3 \
         --artifact-dir {{dir}} --random-seed 100 --request-timeout-seconds 1800"
    )
}

#[test]
fn every_accepted_aiperf_flag_parses() {
    check(
        "--model-names M --url {url} --request-count 2 --ui-type none --log-level DEBUG -vv \
         --output-artifact-dir {dir} --prompt-input-tokens-mean 20 --prompt-input-tokens-stddev 0 \
         --prompt-output-tokens-mean 2 --benchmark-grace-period inf --no-gpu-telemetry \
         --gpu-telemetry --record-processors 2 --zmq-host 127.0.0.1 \
         --zmq-ipc-path /tmp/x --export-level records --tokenizer-trust-remote-code \
         --max-threads 8 --service-kind openai --auto-plot --tokenizer-revision main \
         --model-selection-strategy round-robin -H '{\"X-A\": \"1\"}' \
         --server-metrics-url {url}/metrics --server-metrics {url} --server-metrics-formats json csv \
         --max-workers 2 --num-warmup-requests 1 --request-rate-ramp-duration 0.1 --request-rate 50 \
         --random-seed 1",
        2.0,
    );
}

#[test]
fn ignored_flags_each_print_one_notice() {
    let engine = Engine::start();
    let tmp = tempfile::tempdir().unwrap();
    let out = run_line(
        "--url {url} --request-count 1 --ui none --no-gpu-telemetry --workers-max 4 \
         --record-processors 2 --zmq-host h --artifact-dir {dir}",
        &engine.url,
        &tmp.path().join("a"),
        tmp.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    for flag in [
        "--no-gpu-telemetry",
        "--workers-max",
        "--record-processors",
        "--zmq-host",
    ] {
        let lines = stderr
            .lines()
            .filter(|l| l.starts_with(&format!("loadgen: note: {flag} ignored: ")))
            .count();
        assert_eq!(lines, 1, "{flag}\n{stderr}");
    }
}

#[test]
fn a_model_id_not_in_the_cache_is_an_error_naming_where_it_looked() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_line(
        "--tokenizer Org/Absent --request-count 1 --artifact-dir {dir}",
        "unused",
        &tmp.path().join("a"),
        tmp.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let looked = tmp.path().join("models--Org--Absent/refs/main");
    assert!(stderr.contains(&looked.display().to_string()), "{stderr}");
    assert!(stderr.contains("--tokenizer Org/Absent"), "{stderr}");
}

#[test]
fn apply_chat_template_counts_the_templated_prompt() {
    let engine = Engine::start();
    let tmp = tempfile::tempdir().unwrap();
    let cache = hf_cache(&tmp.path().join("hf"));
    let plain = tmp.path().join("plain");
    let templated = tmp.path().join("templated");
    for (dir, extra) in [(&plain, ""), (&templated, " --apply-chat-template")] {
        let line = format!(
            "--url {{url}} --tokenizer {MODEL} --isl 40 --request-count 2 --random-seed 3 \
             --ui none --no-server-metrics --artifact-dir {{dir}}{extra}"
        );
        let out = run_line(&line, &engine.url, dir, &cache);
        assert!(
            out.status.success() || out.status.code() == Some(3),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let isl = |dir: &Path| {
        summary(dir)["input_sequence_length"]["avg"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(isl(&plain), 40.0);
    // "<|im_start|>user\n" + prompt + "<|im_end|>\n<|im_start|>assistant\n" under Qwen3:
    // <|im_start|>, user, \n, <|im_end|>, \n, <|im_start|>, assistant, \n = 8 more tokens
    // (the prompt starts with a space-led word, so no merge across the boundary).
    assert_eq!(isl(&templated), 48.0);
}

#[test]
fn warmup_duration_issues_warmup_requests_for_that_long_then_profiles() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = loadgen()
        .args([
            "--warmup-duration",
            "0.3",
            "--request-count",
            "3",
            "--osl",
            "5",
            "--ui",
            "none",
            "--allow-client-saturation",
            "--no-server-metrics",
            "--artifact-dir",
            dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("profile_export.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let phase = |p: &str| {
        lines
            .iter()
            .filter(|l| l["metadata"]["benchmark_phase"] == p)
            .map(|l| l["metadata"]["request_start_ns"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    let (warm, prof) = (phase("warmup"), phase("profiling"));
    assert_eq!(prof.len(), 3);
    // Each simulated request takes tens of milliseconds, so 0.3 s holds several; none is sent
    // after the duration, and profiling starts after the last warm-up request.
    assert!(warm.len() >= 2, "{} warm-up requests", warm.len());
    let (first, last) = (warm.iter().min().unwrap(), warm.iter().max().unwrap());
    assert!(
        last - first <= 300_000_000,
        "warm-up sends span {} ns",
        last - first
    );
    assert!(prof.iter().min().unwrap() > last);
    assert_eq!(summary(&dir)["request_count"]["avg"], 3.0);
}
