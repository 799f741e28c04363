//! `bench::run_benchmark`: the in-process benchmark the sweep, router and profiler tools call,
//! against the simulated engine on 127.0.0.1.

use std::sync::Arc;

use servebench_loadgen_core::bench::{BenchLoad, Benchmark, run_benchmark};
use servebench_loadgen_core::{CancelHandle, EndpointConfig, EndpointKind};
use servebench_metrics::Metric;
use servebench_mocker::{EngineConfig, PoolConfig, ServerConfig, spawn_simulated};
use servebench_tokenize::BuiltinTokenizer;

fn instant_engine() -> PoolConfig {
    PoolConfig {
        engine: EngineConfig {
            speedup_ratio: 0.0,
            ..EngineConfig::default()
        },
        ..PoolConfig::default()
    }
}

#[tokio::test]
async fn runs_warmup_then_profiling_and_writes_every_export() {
    let server = spawn_simulated(
        &instant_engine(),
        ServerConfig {
            port: 0,
            ..ServerConfig::default()
        },
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut endpoint = EndpointConfig::new(EndpointKind::Chat, "m");
    endpoint.streaming = true;
    let mut bench = Benchmark::new(
        vec![server.base_url()],
        endpoint,
        Arc::new(BuiltinTokenizer::new()),
        dir.path().join("run"),
    );
    bench.dataset.synthetic.isl_mean = 64;
    bench.dataset.synthetic.osl_mean = Some(5);
    bench.dataset.synthetic.seed = Some(100);
    bench.load = BenchLoad::Concurrency(2);
    bench.request_count = Some(6);
    bench.warmup_requests = 3;
    bench.server_metrics_every = Some(std::time::Duration::from_millis(50));
    let done = run_benchmark(bench, CancelHandle::new()).await.unwrap();

    let p = &done.outcome.summary.profiling;
    assert_eq!(p.scalar(Metric::RequestCount), Some(6.0));
    assert_eq!(
        done.outcome.jsonl_lines, 9,
        "warm-up records are written too"
    );
    assert_eq!(done.seed, 100);
    assert!(!done.fixed_schedule);
    for file in [
        "inputs.json",
        "profile_export.jsonl",
        "profile_export_aiperf.json",
        "profile_export_aiperf.csv",
        "server_metrics_export.json",
        "server_metrics_export.csv",
    ] {
        assert!(dir.path().join("run").join(file).exists(), "{file} missing");
    }
    // The server saw every request, warm-up included, with the prompt lengths asked for.
    let scraped = done
        .server_metrics
        .expect("the engine's /metrics was scraped");
    let prompt_tokens = scraped.counter_delta("vllm:prompt_tokens_total").unwrap();
    assert!(prompt_tokens >= 9.0 * 64.0, "prompt tokens {prompt_tokens}");
    let echo: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("run/profile_export_aiperf.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        echo["input_config"]["datasets"][0]["prompts"]["isl"]["mean"],
        64
    );
}

#[tokio::test]
async fn refuses_no_url_and_zero_concurrency_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = EndpointConfig::new(EndpointKind::Chat, "m");
    let tokenizer = Arc::new(BuiltinTokenizer::new());
    let none = Benchmark::new(
        vec![],
        endpoint.clone(),
        tokenizer.clone(),
        dir.path().join("a"),
    );
    let e = run_benchmark(none, CancelHandle::new()).await.unwrap_err();
    assert!(e.to_string().contains("no server URL"), "{e}");
    let mut zero = Benchmark::new(
        vec!["http://127.0.0.1:9".into()],
        endpoint,
        tokenizer,
        dir.path().join("b"),
    );
    zero.load = BenchLoad::Concurrency(0);
    let e = run_benchmark(zero, CancelHandle::new()).await.unwrap_err();
    assert!(e.to_string().contains("concurrency"), "{e}");
    assert!(!dir.path().join("a").exists() && !dir.path().join("b").exists());
}

/// A reasoning model's stream: the simulated engine at speed-up 1 sends half of each response's 8
/// tokens as `reasoning_content`, then content. The load generator counts 4 reasoning and 4
/// output tokens (OSL 8) and measures TTFO at the first content token, four decode steps (each at
/// least Dynamo's 1 ms decode floor) after the first reasoning token that TTFT stops at.
#[tokio::test]
async fn reasoning_tokens_and_ttfo_are_read_from_a_reasoning_stream() {
    let server = spawn_simulated(
        &PoolConfig::default(),
        ServerConfig {
            port: 0,
            reasoning_share: Some(0.5),
            ..ServerConfig::default()
        },
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut endpoint = EndpointConfig::new(EndpointKind::Chat, "m");
    endpoint.streaming = true;
    endpoint
        .extra_inputs
        .insert("ignore_eos".into(), serde_json::Value::Bool(true));
    let mut bench = Benchmark::new(
        vec![server.base_url()],
        endpoint,
        Arc::new(BuiltinTokenizer::new()),
        dir.path().join("run"),
    );
    bench.dataset.synthetic.isl_mean = 32;
    bench.dataset.synthetic.osl_mean = Some(8);
    bench.dataset.synthetic.seed = Some(7);
    bench.load = BenchLoad::Concurrency(1);
    bench.request_count = Some(3);
    let done = run_benchmark(bench, CancelHandle::new()).await.unwrap();
    let p = &done.outcome.summary.profiling;
    let range = |m: Metric| p.stats(m).map(|s| (s.min, s.max));
    assert_eq!(range(Metric::ReasoningTokenCount), Some((4.0, 4.0)));
    assert_eq!(range(Metric::OutputTokenCount), Some((4.0, 4.0)));
    assert_eq!(range(Metric::OutputSequenceLength), Some((8.0, 8.0)));
    assert_eq!(range(Metric::UsageReasoningTokens), Some((4.0, 4.0)));
    let ttft = p.stats(Metric::TimeToFirstToken).unwrap();
    let ttfo = p.stats(Metric::TimeToFirstOutputToken).unwrap();
    assert!(
        ttfo.min >= ttft.min + 4.0 && ttfo.avg >= ttft.avg + 4.0,
        "TTFT {ttft:?} TTFO {ttfo:?}"
    );
    let export: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("run/profile_export_aiperf.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(export["time_to_first_output_token"]["unit"], "ms");
    assert_eq!(export["reasoning_token_count"]["avg"], 4.0);
}
