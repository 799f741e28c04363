//! Issue 7 "Must show": prompts longer than the server's KV capacity are errors, and the run
//! exits with the error-rate status after writing every export.

use servebench_mocker::{
    BlockSize, EmbeddedServer, EngineConfig, PoolConfig, ServerConfig, TokenizerSpec,
};

use crate::cli::{jsonl_lines, run, summary};

#[test]
fn prompts_beyond_the_kv_capacity_fail_and_exit_with_the_error_rate_status() {
    // 16 blocks of 64 tokens: 1024 tokens of KV capacity, far below a 3000-token prompt.
    let pool = PoolConfig {
        engine: EngineConfig {
            block_size: BlockSize::new(64).unwrap(),
            num_gpu_blocks: 16,
            speedup_ratio: 0.0,
            ..EngineConfig::default()
        },
        num_workers: 1,
        ..PoolConfig::default()
    };
    let server = ServerConfig {
        port: 0,
        model_name: "servebench-mock".to_owned(),
        tokenizer: TokenizerSpec::Builtin,
        ..ServerConfig::default()
    };
    let mocker = EmbeddedServer::start_simulated(&pool, server).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = run(&[
        "--url",
        mocker.url(),
        "--streaming",
        "--isl",
        "3000",
        "--osl",
        "8",
        "--request-count",
        "4",
        "--concurrency",
        "2",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--artifact-dir",
        dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("--max-error-rate"), "{stderr}");

    // Every request is an error: the server's HTTP 400 about the context length.
    let lines = jsonl_lines(&dir);
    let profiling: Vec<_> = lines
        .iter()
        .filter(|l| l["metadata"]["benchmark_phase"] == "profiling")
        .collect();
    assert_eq!(profiling.len(), 4);
    for line in &profiling {
        assert_eq!(line["error"]["code"], 400, "{line}");
        let message = line["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("maximum context length"), "{line}");
    }
    // The exports were written before the exit.
    let s = summary(&dir);
    assert_eq!(s["was_cancelled"], false);
    assert!(dir.join("inputs.json").is_file());
    assert!(dir.join("profile_export_aiperf.csv").is_file());
}
