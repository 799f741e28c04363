//! Hand-written artifacts in the shape AIPerf 0.13 writes them (spec-aiperf.md §A5) and in
//! perf.sh's `deployment_config.json` shape, plus a real sweep through `loadgen-core`.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The numbers of one hand-written AIPerf run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run {
    pub(crate) concurrency: u64,
    pub(crate) ttft_avg: f64,
    pub(crate) ttft_p50: f64,
    pub(crate) itl_avg: f64,
    pub(crate) itl_p50: f64,
    pub(crate) request_throughput: f64,
    pub(crate) output_token_throughput: f64,
    pub(crate) per_user: f64,
}

/// Three runs with OSL 150 (not the 200 `plot.py` assumed).
pub(crate) const RUNS: [Run; 3] = [
    Run {
        concurrency: 1,
        ttft_avg: 21.5,
        ttft_p50: 21.0,
        itl_avg: 4.0,
        itl_p50: 3.9,
        request_throughput: 1.5,
        output_token_throughput: 225.0,
        per_user: 250.0,
    },
    Run {
        concurrency: 2,
        ttft_avg: 24.0,
        ttft_p50: 23.5,
        itl_avg: 4.5,
        itl_p50: 4.4,
        request_throughput: 2.8,
        output_token_throughput: 420.0,
        per_user: 222.0,
    },
    Run {
        concurrency: 4,
        ttft_avg: 30.0,
        ttft_p50: 29.0,
        itl_avg: 5.5,
        itl_p50: 5.2,
        request_throughput: 5.0,
        output_token_throughput: 750.0,
        per_user: 181.0,
    },
];

/// A `profile_export_aiperf.json` as AIPerf 0.13.0 writes it for a streaming chat run
/// (schema 1.4: one object per metric tag at the top level, `input_config`, `run_info`, ...).
pub(crate) fn aiperf_json(model: &str, r: &Run) -> String {
    let c = r.concurrency;
    let requests = 10 * c;
    format!(
        r#"{{
  "schema_version": "1.4",
  "aiperf_version": "0.13.0",
  "benchmark_id": "b3c1d2e4-0000-4000-8000-00000000000{c}",
  "request_latency": {{"unit": "ms", "avg": {lat}, "p1": 600.1, "p5": 610.2, "p10": 620.3, "p25": 640.0, "p50": 650.5, "p75": 700.0, "p90": 720.0, "p95": 730.0, "p99": 745.0, "min": 598.0, "max": 750.0, "std": 30.1, "count": {requests}, "sum": 6600.0}},
  "time_to_first_token": {{"unit": "ms", "avg": {ttft}, "p1": 18.0, "p5": 18.5, "p10": 19.0, "p25": 20.0, "p50": {ttft50}, "p75": 23.0, "p90": 25.0, "p95": 26.0, "p99": 28.0, "min": 17.9, "max": 28.3, "std": 2.1, "count": {requests}, "sum": 215.0}},
  "time_to_second_token": {{"unit": "ms", "avg": 4.1, "p1": 3.5, "p5": 3.6, "p10": 3.7, "p25": 3.9, "p50": 4.0, "p75": 4.2, "p90": 4.5, "p95": 4.7, "p99": 5.0, "min": 3.4, "max": 5.1, "std": 0.3, "count": {requests}, "sum": 41.0}},
  "inter_token_latency": {{"unit": "ms", "avg": {itl}, "p1": 3.1, "p5": 3.2, "p10": 3.3, "p25": 3.6, "p50": {itl50}, "p75": 4.8, "p90": 5.9, "p95": 6.1, "p99": 6.5, "min": 3.0, "max": 6.6, "std": 0.8, "count": {requests}, "sum": 40.0}},
  "output_token_throughput_per_user": {{"unit": "tokens/sec/user", "avg": {pu}, "p1": 150.0, "p5": 160.0, "p10": 170.0, "p25": 200.0, "p50": 240.0, "p75": 260.0, "p90": 280.0, "p95": 300.0, "p99": 320.0, "min": 149.0, "max": 322.0, "std": 30.0, "count": {requests}, "sum": 2500.0}},
  "output_sequence_length": {{"unit": "tokens", "avg": 150.0, "p1": 150.0, "p5": 150.0, "p10": 150.0, "p25": 150.0, "p50": 150.0, "p75": 150.0, "p90": 150.0, "p95": 150.0, "p99": 150.0, "min": 150.0, "max": 150.0, "std": 0.0, "count": {requests}, "sum": 1500.0}},
  "input_sequence_length": {{"unit": "tokens", "avg": 3000.0, "p1": 3000.0, "p5": 3000.0, "p10": 3000.0, "p25": 3000.0, "p50": 3000.0, "p75": 3000.0, "p90": 3000.0, "p95": 3000.0, "p99": 3000.0, "min": 3000.0, "max": 3000.0, "std": 0.0, "count": {requests}, "sum": 30000.0}},
  "request_throughput": {{"unit": "requests/sec", "avg": {rps}}},
  "request_count": {{"unit": "requests", "avg": {requests}}},
  "output_token_throughput": {{"unit": "tokens/sec", "avg": {otps}}},
  "benchmark_duration": {{"unit": "sec", "avg": 6.67}},
  "total_output_tokens": {{"unit": "tokens", "avg": 1500}},
  "total_isl": {{"unit": "tokens", "avg": 30000}},
  "total_osl": {{"unit": "tokens", "avg": 1500}},
  "min_request_timestamp": {{"unit": "ns", "avg": 1764650000000000000}},
  "max_response_timestamp": {{"unit": "ns", "avg": 1764650006670000000}},
  "error_isl": null,
  "input_config": {{
    "models": {{"items": [{{"name": "{model}"}}]}},
    "endpoint": {{"urls": ["http://localhost:8000"], "type": "chat", "streaming": true}},
    "datasets": [{{"name": "synthetic", "type": "synthetic", "entries": {entries}, "random_seed": 100, "prompts": {{"isl": {{"mean": 3000}}, "osl": {{"mean": 150}}}}}}],
    "phases": [
      {{"name": "warmup", "kind": "warmup", "type": "concurrency", "requests": {warm}, "concurrency": {c}, "exclude_from_results": true}},
      {{"name": "profiling", "kind": "profiling", "type": "concurrency", "requests": {requests}, "concurrency": {c}, "exclude_from_results": false}}
    ],
    "artifacts": {{"dir": "artifacts_root/artifacts_0"}},
    "tokenizer": {{"name": "{model}"}},
    "runtime": {{"ui": "simple"}}
  }},
  "run_info": {{"benchmark_id": "b3c1d2e4-0000-4000-8000-00000000000{c}", "random_seed": 100, "trial": 0, "cli_command": "aiperf profile --model {model} --concurrency {c} --request-count {requests}"}},
  "was_cancelled": false,
  "is_complete": true,
  "error_summary": [],
  "start_time": "2025-12-02T04:00:00.000000",
  "end_time": "2025-12-02T04:00:06.670000"
}}
"#,
        lat = 660.0,
        ttft = r.ttft_avg,
        ttft50 = r.ttft_p50,
        itl = r.itl_avg,
        itl50 = r.itl_p50,
        pu = r.per_user,
        rps = r.request_throughput,
        otps = r.output_token_throughput,
        entries = 12 * c,
        warm = 2 * c,
    )
}

/// perf.sh's `deployment_config.json` (keys in its order).
pub(crate) fn deployment_json(kind: &str, mode: &str, tp_dp: [u64; 6]) -> String {
    let [tp, dp, ptp, pdp, dtp, ddp] = tp_dp;
    format!(
        r#"{{"kind": "{kind}", "model": "Qwen/Qwen3-0.6B", "input_sequence_length": 3000, "output_sequence_length": 150, "tensor_parallelism": {tp}, "data_parallelism": {dp}, "prefill_tensor_parallelism": {ptp}, "prefill_data_parallelism": {pdp}, "decode_tensor_parallelism": {dtp}, "decode_data_parallelism": {ddp}, "mode": "{mode}"}}"#
    )
}

pub(crate) fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create fixture dir");
    }
    fs::write(path, text).expect("write fixture");
}

/// AIPerf's default run directories (`<model>-openai-chat-concurrency<C>/`) below `dir`, one
/// per run of [`RUNS`].
pub(crate) fn aiperf_sweep(dir: &Path, model: &str) {
    for r in &RUNS {
        let name = format!(
            "{}-openai-chat-concurrency{}",
            model.replace('/', "_"),
            r.concurrency
        );
        write(
            &dir.join(name).join("profile_export_aiperf.json"),
            &aiperf_json(model, r),
        );
    }
}

/// `plot.py`'s layout: `<data>/<name>/c<C>/profile_export_aiperf.json`.
pub(crate) fn utils_layout(data: &Path, name: &str, runs: &[Run]) {
    for r in runs {
        write(
            &data
                .join(name)
                .join(format!("c{}", r.concurrency))
                .join("profile_export_aiperf.json"),
            &aiperf_json("Qwen/Qwen3-0.6B", r),
        );
    }
}

/// Runs a real sweep over `concurrencies` against the simulated engine (mocker timing at 2x) through
/// `loadgen-core`'s in-process benchmark, writing AIPerf-named run directories into `dir`, as
/// `perf-sweep` does. Returns the run directories.
pub(crate) fn our_sweep(dir: &Path, model: &str, concurrencies: &[usize]) -> Vec<PathBuf> {
    use servebench_loadgen_core::bench::{BenchLoad, Benchmark, run_benchmark};
    use servebench_loadgen_core::{CancelHandle, EndpointConfig, EndpointKind};
    use servebench_mocker::{EmbeddedServer, TokenizerSpec};
    use servebench_tokenize::BuiltinTokenizer;

    let server =
        EmbeddedServer::simulated(2.0, model, TokenizerSpec::Builtin).expect("start engine");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut dirs = Vec::new();
    for &c in concurrencies {
        let run_dir = dir.join(format!(
            "{}-openai-chat-concurrency{c}",
            model.replace('/', "_")
        ));
        let mut endpoint = EndpointConfig::new(EndpointKind::Chat, model);
        endpoint.streaming = true;
        let mut bench = Benchmark::new(
            vec![server.url().to_owned()],
            endpoint,
            Arc::new(BuiltinTokenizer::new()),
            run_dir.clone(),
        );
        bench.dataset.synthetic.isl_mean = 64;
        bench.dataset.synthetic.osl_mean = Some(12);
        bench.load = BenchLoad::Concurrency(c);
        bench.request_count = Some(4 * c as u64);
        bench.server_metrics_every = None;
        bench.measure_process_cpu = false;
        bench.cli_command = format!("perf-sweep --model {model} --concurrency {c}");
        rt.block_on(run_benchmark(bench, CancelHandle::new()))
            .expect("benchmark run");
        dirs.push(run_dir);
    }
    server.shutdown();
    dirs
}
