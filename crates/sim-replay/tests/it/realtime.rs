//! The same small trace replayed offline and against the real-time server (the mocker's engine
//! pool behind HTTP, speed-up 1, driven by loadgen-core's `bench::run_benchmark`): per-request
//! TTFT agrees.
//!
//! The offline side is exact. The real-time server's own TTFT (arrival at the server to the first
//! token handed to HTTP, reported in each response) differs from it by the worker threads' sleep
//! overshoot and by the time the OS keeps them off a core. The bound is therefore
//! `SIM_REPLAY_TTFT_TOLERANCE_MS` (default 2) plus the worst oversleep a probe thread measured
//! while the real-time run went on (near 0 on an idle machine; on a 2-core machine shared by
//! many builds it reaches tens of ms, and the run's own timing is then off by as much). The
//! median difference must stay within the base tolerance plus the probe's median oversleep (the
//! typical scheduling delay during the run). The client's TTFT also holds the
//! HTTP round trip, JSON parsing and tokenizing a prompt of up to 1500 tokens (about 0.5 ms
//! here): `SIM_REPLAY_CLIENT_TTFT_TOLERANCE_MS` (default 3) plus the same oversleep.

use std::sync::Arc;

use servebench_loadgen_core::bench::{Benchmark, run_benchmark};
use servebench_loadgen_core::replay::{DatasetSpec, DatasetType};
use servebench_loadgen_core::{CancelHandle, EndpointConfig, EndpointKind};
use servebench_mocker::{ClusterLayout, DisaggConfig, ServerConfig, spawn_simulated_with_layout};
use servebench_sim_replay::{Replay, SimConfig, run_replay};
use servebench_tokenize::BuiltinTokenizer;

use crate::support::{TRACE, kv_pool, lines, write_trace};

fn tolerance_ms(variable: &str, default: f64) -> f64 {
    std::env::var(variable)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn dataset(trace: std::path::PathBuf) -> DatasetSpec {
    let mut spec = DatasetSpec {
        input_file: Some(trace),
        dataset_type: Some(DatasetType::MooncakeTrace),
        ..DatasetSpec::default()
    };
    spec.synthetic.seed = Some(7);
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_ttft_matches_the_real_time_server_request_by_request() {
    compare_offline_and_real_time(ClusterLayout::default()).await;
}

/// Disaggregated: two prefill workers and the two (decode) workers of `kv_pool`, KV routing on
/// both sides, the default transfer model (128 KiB per token at 25 GB/s: 5.2 ms for 1000
/// tokens). TTFT holds queue, prefill and transfer on both sides. (With a single prefill
/// worker the first two requests, 13 ms apart, must keep their order, and the real-time run's
/// first request can reach the server late, after the second.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disaggregated_offline_ttft_matches_the_real_time_server_request_by_request() {
    compare_offline_and_real_time(ClusterLayout {
        data_parallel_size: 1,
        disagg: Some(DisaggConfig {
            prefill_workers: 2,
            ..DisaggConfig::default()
        }),
    })
    .await;
}

async fn compare_offline_and_real_time(layout: ClusterLayout) {
    let dir = tempfile::tempdir().expect("tempdir");
    let trace = write_trace(dir.path());
    let tokenizer = Arc::new(BuiltinTokenizer::new());

    let mut sim = SimConfig::new(kv_pool());
    sim.layout = layout.clone();
    let replay = Replay {
        sim,
        dataset: dataset(trace.clone()),
        concurrency: 1,
        tokenizer: tokenizer.clone(),
        artifact_dir: dir.path().join("offline"),
        model: "m".into(),
        cli_command: String::new(),
    };
    let offline = tokio::task::spawn_blocking(move || run_replay(&replay))
        .await
        .expect("joined")
        .expect("offline replay");
    assert!(offline.fixed_schedule);

    let server = spawn_simulated_with_layout(
        &kv_pool(),
        &layout,
        ServerConfig {
            port: 0,
            ..ServerConfig::default()
        },
    )
    .await
    .expect("server");
    let mut endpoint = EndpointConfig::new(EndpointKind::Completions, "m");
    endpoint.streaming = true;
    endpoint.pin_output_length = true;
    let mut bench = Benchmark::new(
        vec![server.base_url()],
        endpoint,
        tokenizer,
        dir.path().join("realtime"),
    );
    bench.dataset = dataset(trace);
    bench.server_metrics_every = None;
    bench.measure_process_cpu = false;
    let probe = OversleepProbe::start();
    run_benchmark(bench, CancelHandle::new())
        .await
        .expect("real-time run");
    let (oversleep, typical_oversleep) = probe.finish();

    let sim = lines(&dir.path().join("offline/profile_export.jsonl"));
    let real = lines(&dir.path().join("realtime/profile_export.jsonl"));
    assert_eq!(sim.len(), TRACE.len());
    assert_eq!(real.len(), TRACE.len());
    let base = tolerance_ms("SIM_REPLAY_TTFT_TOLERANCE_MS", 2.0);
    let server_tolerance = base + oversleep;
    let client_tolerance = tolerance_ms("SIM_REPLAY_CLIENT_TTFT_TOLERANCE_MS", 3.0) + oversleep;
    eprintln!(
        "oversleep of the probe during the run: worst {oversleep:.3} ms, median \
         {typical_oversleep:.3} ms"
    );
    let (mut worst_server, mut worst_client) = (0.0f64, 0.0f64);
    let mut server_diffs = Vec::new();
    for (s, r) in sim.iter().zip(&real) {
        assert_eq!(s.session, r.session);
        assert_eq!(s.osl, r.osl, "request {}: output lengths", s.session);
        let server = r.server_ttft - s.ttft;
        let client = r.ttft - s.ttft;
        eprintln!(
            "request {}: offline {:.3} ms, real-time server {:.3} ms ({server:+.3}), client {:.3} ms \
             ({client:+.3})",
            s.session, s.ttft, r.server_ttft, r.ttft
        );
        worst_server = worst_server.max(server.abs());
        server_diffs.push(server.abs());
        worst_client = worst_client.max(client.abs());
        assert!(
            client > -0.5,
            "the client saw a token before the offline engine made it"
        );
    }
    server_diffs.sort_by(f64::total_cmp);
    let median = server_diffs[server_diffs.len() / 2];
    assert!(
        median <= base + typical_oversleep,
        "median server-side TTFT difference {median:.3} ms > {base} + {typical_oversleep:.3} ms"
    );
    assert!(
        worst_server <= server_tolerance,
        "largest server-side TTFT difference {worst_server:.3} ms > {server_tolerance} ms \
         (SIM_REPLAY_TTFT_TOLERANCE_MS widens it on a loaded machine)"
    );
    assert!(
        worst_client <= client_tolerance,
        "largest client-side TTFT difference {worst_client:.3} ms > {client_tolerance} ms \
         (SIM_REPLAY_CLIENT_TTFT_TOLERANCE_MS widens it on a loaded machine)"
    );
}

/// A thread sleeping 1 ms at a time and recording how late it wakes: what the worker threads of
/// the real-time engine suffer at the same moment.
struct OversleepProbe {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<f64>>,
}

impl OversleepProbe {
    fn start() -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut late = Vec::new();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let before = std::time::Instant::now();
                std::thread::sleep(std::time::Duration::from_millis(1));
                late.push(before.elapsed().as_secs_f64() * 1000.0 - 1.0);
            }
            late
        });
        Self { stop, thread }
    }

    /// The worst and the median oversleep seen, ms.
    fn finish(self) -> (f64, f64) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut late = self.thread.join().expect("the probe thread");
        late.sort_by(f64::total_cmp);
        let worst = late.last().copied().unwrap_or(0.0);
        let median = late.get(late.len() / 2).copied().unwrap_or(0.0);
        (worst, median)
    }
}
