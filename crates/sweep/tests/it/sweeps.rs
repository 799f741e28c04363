//! Whole sweeps against the simulated engine in-process: what the server saw per point, the
//! files each point left, and the early stop at a saturated client.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use servebench_loadgen_core::CancelHandle;
use servebench_loadgen_core::profile::SaturationThresholds;
use servebench_mocker::{EmbeddedServer, TokenizerSpec};
use servebench_sweep::layout::create_next;
use servebench_sweep::{
    DeploymentConfig, Flavour, Mode, Parallelism, Progress, SweepPlan, SweepRun, SweepStop,
    run_sweep,
};
use servebench_tokenize::BuiltinTokenizer;

use crate::support::finished_requests;

const MODEL: &str = "Qwen/Qwen3-0.6B";

fn plan(flavour: Flavour, concurrencies: Vec<u64>) -> SweepPlan {
    let parallelism = Parallelism {
        tp: 1,
        dp: 1,
        ..Parallelism::default()
    };
    SweepPlan {
        model: MODEL.into(),
        isl: 32,
        isl_stddev: 0.0,
        osl: 4,
        concurrencies,
        deployment: (flavour == Flavour::PerfSh)
            .then(|| DeploymentConfig::new("dynamo", MODEL, 32, 4, parallelism, Mode::Aggregated)),
        flavour,
    }
}

fn sweep_run(url: &str, thresholds: SaturationThresholds) -> SweepRun {
    SweepRun {
        urls: vec![url.to_owned()],
        tokenizer: Arc::new(BuiltinTokenizer::new()),
        measure_process_cpu: false,
        thresholds,
        max_error_rate_pct: 5.0,
        stop_on_saturation: true,
        server_metrics_every: None,
        cli_command: "test".into(),
    }
}

/// Thresholds no run on a busy test machine reaches (these tests are not about saturation).
fn lenient() -> SaturationThresholds {
    SaturationThresholds {
        max_event_loop_lag_p99: Duration::from_secs(60),
        max_event_loop_lag_fraction: 1e9,
        max_schedule_lag_p99: Duration::from_secs(60),
    }
}

fn engine() -> EmbeddedServer {
    EmbeddedServer::simulated(0.0, MODEL, TokenizerSpec::Builtin).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Requests the server finished during each point, from `/metrics` before and after it.
fn run_counting(
    plan: &SweepPlan,
    base: &Path,
    run: &SweepRun,
    url: &str,
) -> (servebench_sweep::SweepOutcome, Vec<u64>) {
    let mut deltas = Vec::new();
    let mut before = finished_requests(url);
    let outcome = runtime()
        .block_on(run_sweep(plan, base, run, CancelHandle::new(), |p| {
            if let Progress::Finished { .. } = p {
                let now = finished_requests(url);
                deltas.push(now - before);
                before = now;
            }
        }))
        .unwrap();
    (outcome, deltas)
}

#[test]
fn perf_sh_points_send_12c_requests_from_12c_entries_and_record_10c() {
    let server = engine();
    let tmp = tempfile::tempdir().unwrap();
    let dir = create_next(&tmp.path().join("root")).unwrap();
    let plan = plan(Flavour::PerfSh, vec![1, 3]);
    let (outcome, deltas) = run_counting(
        &plan,
        &dir.path,
        &sweep_run(server.url(), lenient()),
        server.url(),
    );
    assert_eq!(outcome.stop, SweepStop::Completed);
    // Per point: 2C warm-up + 10C profiling requests reached the server.
    assert_eq!(deltas, [12, 36]);
    for c in [1u64, 3] {
        let run_dir = dir
            .path
            .join(format!("Qwen_Qwen3-0.6B-openai-chat-concurrency{c}"));
        // 10C profiling and 2C warm-up records; 12C dataset entries in inputs.json.
        let records = std::fs::read_to_string(run_dir.join("profile_export.jsonl")).unwrap();
        let phase_count = |phase: &str| {
            records
                .lines()
                .filter(|l| {
                    let r: serde_json::Value = serde_json::from_str(l).unwrap();
                    r["metadata"]["benchmark_phase"] == phase
                })
                .count() as u64
        };
        assert_eq!(phase_count("profiling"), 10 * c, "c={c}");
        assert_eq!(phase_count("warmup"), 2 * c, "c={c}");
        let inputs = json(&run_dir.join("inputs.json"));
        assert_eq!(
            inputs["data"].as_array().unwrap().len() as u64,
            12 * c,
            "c={c}"
        );
        let body = &inputs["data"][0]["payloads"][0];
        assert_eq!(body["max_tokens"], 4);
        assert_eq!(body["min_tokens"], 4);
        assert_eq!(body["ignore_eos"], true);
        assert_eq!(body["nvext"]["ignore_eos"], true);
        assert_eq!(body["stream"], true);
        let summary = json(&run_dir.join("profile_export_aiperf.json"));
        assert_eq!(summary["request_count"]["avg"], (10 * c) as f64);
        assert_eq!(summary["input_config"]["phases"][1]["concurrency"], c);
    }
    let config = DeploymentConfig::read(&dir.path).unwrap();
    assert_eq!(config.gpus(), 1);
    assert_eq!(config.kind, "dynamo");
}

#[test]
fn the_utils_wrapper_sends_max_3c_10_requests_without_warm_up() {
    let server = engine();
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan(
        Flavour::Utils {
            benchmark_name: "agg".into(),
            request_count: None,
        },
        vec![1, 5],
    );
    let (outcome, deltas) = run_counting(
        &plan,
        tmp.path(),
        &sweep_run(server.url(), lenient()),
        server.url(),
    );
    assert_eq!(outcome.stop, SweepStop::Completed);
    assert_eq!(deltas, [10, 15]);
    let records = std::fs::read_to_string(tmp.path().join("agg/c5/profile_export.jsonl")).unwrap();
    assert_eq!(records.lines().count(), 15);
    let body = &json(&tmp.path().join("agg/c5/inputs.json"))["data"][0]["payloads"][0];
    assert_eq!(body["ignore_eos"], true);
    assert!(body.get("nvext").is_none());
    // No deployment_config.json in the wrapper's layout.
    assert!(!tmp.path().join("deployment_config.json").exists());
}

#[test]
fn a_saturated_client_stops_the_sweep_and_sets_its_summary_aside() {
    // Real mocker timing, so each point lasts long enough for the lag sampler to tick.
    let server = EmbeddedServer::simulated(1.0, MODEL, TokenizerSpec::Builtin).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = create_next(&tmp.path().join("root")).unwrap();
    let plan = plan(Flavour::PerfSh, vec![1, 2, 4]);
    // Zero tolerance: any measured event-loop lag counts as saturation.
    let strict = SaturationThresholds {
        max_event_loop_lag_p99: Duration::ZERO,
        max_event_loop_lag_fraction: 0.0,
        max_schedule_lag_p99: Duration::ZERO,
    };
    let (outcome, deltas) = run_counting(
        &plan,
        &dir.path,
        &sweep_run(server.url(), strict),
        server.url(),
    );
    let SweepStop::Saturated {
        concurrency,
        reasons,
        set_aside,
    } = &outcome.stop
    else {
        panic!("expected a saturated stop, got {:?}", outcome.stop);
    };
    assert!(!reasons.is_empty());
    // The sweep stopped at the saturated point: it is the last that ran.
    let ran = outcome.points.len();
    assert!(ran < 3, "{ran}");
    assert_eq!(outcome.points[ran - 1].plan.concurrency, *concurrency);
    assert_eq!(deltas.len(), ran);
    let run_dir = |c: u64| {
        dir.path
            .join(format!("Qwen_Qwen3-0.6B-openai-chat-concurrency{c}"))
    };
    let stopped = run_dir(*concurrency);
    assert!(!stopped.join("profile_export_aiperf.json").exists());
    assert_eq!(
        set_aside.as_deref(),
        Some(
            stopped
                .join("profile_export_aiperf.saturated.json")
                .as_path()
        )
    );
    assert!(!run_dir(4).exists());
    // deployment_config.json is still written for the points that did run.
    assert!(dir.path.join("deployment_config.json").exists());
}

#[test]
fn an_unreachable_server_stops_at_the_error_rate() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan(Flavour::PerfSh, vec![1, 2]);
    let outcome = runtime()
        .block_on(run_sweep(
            &plan,
            tmp.path(),
            &sweep_run(&url, lenient()),
            CancelHandle::new(),
            |_| {},
        ))
        .unwrap();
    let SweepStop::ErrorRate {
        concurrency,
        pct,
        top,
    } = &outcome.stop
    else {
        panic!("expected an error-rate stop, got {:?}", outcome.stop);
    };
    assert_eq!((*concurrency, *pct), (1, 100.0));
    assert!(top[0].contains("connect"), "{top:?}");
    assert_eq!(outcome.points.len(), 1);
}
