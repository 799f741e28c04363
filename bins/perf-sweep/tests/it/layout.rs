//! The artifacts_N layout, deployment_config.json, and the counts a server sees.

use servebench_mocker::{EmbeddedServer, TokenizerSpec};

use crate::support::{finished_requests, json, perf_sweep, run_in, shown};

const SMALL: [&str; 4] = ["--isl", "64", "--osl", "4"];

fn profiling_and_warmup(dir: &std::path::Path) -> (u64, u64) {
    let text = std::fs::read_to_string(dir.join("profile_export.jsonl")).unwrap();
    let mut counts = (0, 0);
    for line in text.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        match r["metadata"]["benchmark_phase"].as_str().unwrap() {
            "profiling" => counts.0 += 1,
            "warmup" => counts.1 += 1,
            other => panic!("phase {other}"),
        }
    }
    counts
}

#[test]
fn two_embedded_sweeps_fill_artifacts_0_and_1_and_the_second_prints_the_first_config() {
    let tmp = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--tp",
        "4",
        "--dp",
        "2",
        "--model",
        "Qwen/Qwen3-0.6B",
        "--tokenizer",
        "builtin",
        "--concurrency",
        "2,1",
        "--deployment-kind",
        "vllm_serve",
        "--mocker-speedup-ratio",
        "0",
        "--allow-client-saturation",
    ];
    args.extend_from_slice(&SMALL);
    let first = run_in(tmp.path(), &args);
    assert_eq!(first.status.code(), Some(0), "{}", shown(&first));
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(stdout.contains("Benchmarking Successful!!!"), "{stdout}");
    let a0 = tmp.path().join("artifacts_root/artifacts_0");
    for c in [1, 2] {
        let dir = a0.join(format!("Qwen_Qwen3-0.6B-openai-chat-concurrency{c}"));
        assert!(
            dir.join("profile_export_aiperf.json").is_file(),
            "{}",
            dir.display()
        );
        assert!(dir.join("profile_export_aiperf.csv").is_file());
    }
    // Every sweep writes its self-contained HTML report, plots inline.
    let html = std::fs::read_to_string(a0.join("report.html")).unwrap();
    assert!(
        html.contains("<svg") && !html.contains("<script"),
        "{}",
        &html[..html.len().min(400)]
    );
    assert!(
        stdout.contains("HTML report: artifacts_root/artifacts_0/report.html"),
        "{stdout}"
    );
    let config = json(&a0.join("deployment_config.json"));
    assert_eq!(config["kind"], "vllm_serve");
    assert_eq!(config["tensor_parallelism"], 4);
    assert_eq!(config["data_parallelism"], 2);
    assert_eq!(config["mode"], "aggregated");
    assert_eq!(config["input_sequence_length"], 64);
    // Progress on stderr, one start and one end line per concurrency, in the given order.
    let stderr = String::from_utf8_lossy(&first.stderr);
    let starts: Vec<_> = stderr
        .lines()
        .filter(|l| l.contains("] concurrency") && !l.contains("done"))
        .collect();
    assert_eq!(starts.len(), 2, "{stderr}");
    assert!(
        starts[0].contains("[1/2] concurrency 2: 20 requests after 4 warm-up, 24 prompts"),
        "{stderr}"
    );

    let second = run_in(tmp.path(), &args);
    assert_eq!(second.status.code(), Some(0), "{}", shown(&second));
    assert!(
        tmp.path()
            .join("artifacts_root/artifacts_1/deployment_config.json")
            .is_file()
    );
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(
        stdout.contains("artifacts_0/deployment_config.json:")
            && stdout.contains("\"kind\": \"vllm_serve\""),
        "{stdout}"
    );
}

#[test]
fn a_server_sees_12c_requests_per_concurrency_and_exports_hold_10c() {
    let server = EmbeddedServer::simulated(0.0, "Qwen/Qwen3-0.6B", TokenizerSpec::Builtin).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let before = finished_requests(server.url());
    let mut args = vec![
        "--url",
        server.url(),
        "--dp",
        "1",
        "--model",
        "Qwen/Qwen3-0.6B",
        "--tokenizer",
        "builtin",
        "--concurrency",
        "1,3",
        "--allow-client-saturation",
    ];
    args.extend_from_slice(&SMALL);
    let out = run_in(tmp.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    // (10 + 2) x 1 + (10 + 2) x 3 requests reached the server.
    assert_eq!(finished_requests(server.url()) - before, 48);
    let a0 = tmp.path().join("artifacts_root/artifacts_0");
    for c in [1u64, 3] {
        let dir = a0.join(format!("Qwen_Qwen3-0.6B-openai-chat-concurrency{c}"));
        assert_eq!(profiling_and_warmup(&dir), (10 * c, 2 * c));
        let inputs = json(&dir.join("inputs.json"));
        assert_eq!(inputs["data"].as_array().unwrap().len() as u64, 12 * c);
        let summary = json(&dir.join("profile_export_aiperf.json"));
        let dataset = &summary["input_config"]["datasets"][0];
        assert_eq!(dataset["random_seed"], 100, "{dataset}");
        assert_eq!(dataset["entries"], 12 * c, "{dataset}");
    }
}

#[test]
fn the_utils_wrapper_reads_concurrencies_from_the_environment() {
    let server = EmbeddedServer::simulated(0.0, "Qwen/Qwen3-0.6B", TokenizerSpec::Builtin).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let before = finished_requests(server.url());
    let mut args = vec![
        "--url",
        server.url(),
        "--utils-wrapper",
        "--benchmark-name",
        "agg",
        "--tokenizer",
        "builtin",
        "--artifacts-root-dir",
        "results",
        "--allow-client-saturation",
    ];
    args.extend_from_slice(&SMALL);
    let out = perf_sweep()
        .current_dir(tmp.path())
        .env("CONCURRENCIES", "4,1")
        .env_remove("REQUEST_COUNT")
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    // max(3C, 10) requests, no warm-up: 10 at C=1, 12 at C=4.
    assert_eq!(finished_requests(server.url()) - before, 22);
    let results = tmp.path().join("results/agg");
    assert_eq!(profiling_and_warmup(&results.join("c1")), (10, 0));
    assert_eq!(profiling_and_warmup(&results.join("c4")), (12, 0));
    assert!(!tmp.path().join("results/deployment_config.json").exists());
    assert!(results.join("report.html").is_file());
    // Sorted ascending, as the wrapper sorts CONCURRENCIES.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.find("concurrency 1:").unwrap();
    let second = stderr.find("concurrency 4:").unwrap();
    assert!(first < second, "{stderr}");
}

#[test]
fn a_saturated_client_stops_the_sweep_with_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--dp",
        "1",
        "--tokenizer",
        "builtin",
        "--concurrency",
        "1,2,4",
    ];
    args.extend_from_slice(&SMALL);
    let out = perf_sweep()
        .current_dir(tmp.path())
        .env("SERVEBENCH_TEST_STRICT_SATURATION", "1")
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", shown(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stopping the sweep: the client itself was saturated"),
        "{stderr}"
    );
    assert!(!stderr.contains("concurrency 4:"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("Benchmarking Successful"), "{stdout}");
    assert!(
        tmp.path()
            .join("artifacts_root/artifacts_0/deployment_config.json")
            .is_file()
    );
}

#[test]
fn an_unreachable_server_exits_4_naming_the_error() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let tmp = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--url",
        url.as_str(),
        "--dp",
        "1",
        "--tokenizer",
        "builtin",
        "--concurrency",
        "1,2",
    ];
    args.extend_from_slice(&SMALL);
    let out = run_in(tmp.path(), &args);
    assert_eq!(out.status.code(), Some(4), "{}", shown(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("100.0 %") && stderr.contains("connect"),
        "{stderr}"
    );
}

#[test]
fn an_interrupt_ends_the_sweep_after_the_running_concurrency_with_130() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let tmp = tempfile::tempdir().unwrap();
    let mut child = perf_sweep()
        .current_dir(tmp.path())
        .args([
            "--dp",
            "1",
            "--tokenizer",
            "builtin",
            "--isl",
            "2000",
            "--osl",
            "64",
            "--concurrency",
            "1,2,4,8",
            "--allow-client-saturation",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    // Interrupt once the first concurrency has started.
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "ended early:\n{seen}"
        );
        seen.push_str(&line);
        if line.contains("[1/4] concurrency 1:") {
            break;
        }
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    seen.push_str(&rest);
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130), "{seen}");
    assert!(seen.contains("interrupted"), "{seen}");
    assert!(!seen.contains("concurrency 8:"), "{seen}");
    // The interrupted point wrote its exports, and the sweep its deployment_config.json.
    let a0 = tmp.path().join("artifacts_root/artifacts_0");
    assert!(a0.join("deployment_config.json").is_file());
    let summary = json(&a0.join(
        "neuralmagic_DeepSeek-R1-Distill-Llama-70B-FP8-dynamic-openai-chat-concurrency1/profile_export_aiperf.json",
    ));
    assert_eq!(summary["was_cancelled"], true);
}

#[test]
fn the_utils_wrapper_takes_request_count_from_the_environment_and_warns_below_c() {
    let server = EmbeddedServer::simulated(0.0, "Qwen/Qwen3-0.6B", TokenizerSpec::Builtin).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let before = finished_requests(server.url());
    let mut args = vec![
        "--url",
        server.url(),
        "--utils-wrapper",
        "--benchmark-name",
        "fixed",
        "--tokenizer",
        "builtin",
        "--allow-client-saturation",
    ];
    args.extend_from_slice(&SMALL);
    let out = perf_sweep()
        .current_dir(tmp.path())
        .env("CONCURRENCIES", "3")
        .env("REQUEST_COUNT", "2")
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    assert_eq!(finished_requests(server.url()) - before, 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("REQUEST_COUNT 2 is below concurrency 3"),
        "{stderr}"
    );
    // The default root of the wrapper.
    let run = tmp.path().join("benchmarks/results/fixed/c3");
    assert_eq!(profiling_and_warmup(&run), (2, 0));
}
