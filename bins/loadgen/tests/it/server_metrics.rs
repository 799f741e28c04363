//! Server metrics against simulated engines in this process: the prefix-cache hit rate loadgen
//! reports equals the change of the server's own counters, read here with a plain HTTP GET;
//! several `--url`s share the requests round-robin.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Output;

use servebench_mocker::{EngineConfig, PoolConfig, ServerConfig, spawn_simulated};

use super::cli::{loadgen, summary};

/// A simulated engine on an ephemeral 127.0.0.1 port, on its own runtime thread.
pub(crate) struct Engine {
    pub(crate) url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Engine {
    pub(crate) fn start() -> Self {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let pool = PoolConfig {
                    engine: EngineConfig {
                        speedup_ratio: 0.0,
                        ..EngineConfig::default()
                    },
                    num_workers: 1,
                    ..PoolConfig::default()
                };
                let server = ServerConfig {
                    port: 0,
                    ..ServerConfig::default()
                };
                let running = spawn_simulated(&pool, server).await.expect("engine starts");
                ready_tx.send(running.base_url()).expect("send url");
                let _ = stop_rx.await;
                running.shutdown().await;
            });
        });
        let url = ready_rx.recv().expect("engine ready");
        Self {
            url,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// The value of an unlabelled-or-labelled counter line starting with `name`, read with a
    /// raw HTTP/1.0 GET (independent of loadgen's scraper and parser).
    pub(crate) fn counter(&self, name: &str) -> f64 {
        let addr = self.url.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).expect("connect");
        write!(s, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("send");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("read");
        text.lines()
            .filter(|l| l.starts_with(name) && !l.starts_with('#'))
            .map(|l| {
                l.rsplit(' ')
                    .next()
                    .and_then(|v| v.parse::<f64>().ok())
                    .expect("a number")
            })
            .sum()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(args: &[&str]) -> Output {
    loadgen().args(args).output().expect("run loadgen")
}

#[test]
fn reported_prefix_cache_hit_rate_is_the_delta_of_the_servers_counters() {
    let engine = Engine::start();
    // Traffic before the run must not count.
    let warm = tempfile::tempdir().unwrap();
    let out = run(&[
        "--url",
        &engine.url,
        "--request-count",
        "3",
        "--isl",
        "50",
        "--osl",
        "2",
        "--no-server-metrics",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--artifact-dir",
        warm.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let hits_before = engine.counter("vllm:prefix_cache_hits_total");
    let queries_before = engine.counter("vllm:prefix_cache_queries_total");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let out = run(&[
        "--url",
        &engine.url,
        "--request-count",
        "16",
        "--concurrency",
        "2",
        "--num-prefix-prompts",
        "2",
        "--prefix-prompt-length",
        "256",
        "--isl",
        "64",
        "--osl",
        "2",
        "--streaming",
        "--server-metrics-interval",
        "0.05",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--artifact-dir",
        dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hits = engine.counter("vllm:prefix_cache_hits_total") - hits_before;
    let queries = engine.counter("vllm:prefix_cache_queries_total") - queries_before;
    assert!(
        hits > 0.0 && queries > hits,
        "hits {hits} queries {queries}"
    );

    let export: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("server_metrics_export.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(export["prefix_cache"]["hit_tokens"], hits);
    assert_eq!(export["prefix_cache"]["query_tokens"], queries);
    let series = &export["metrics"]["vllm:prefix_cache_hits_total"]["series"][0];
    assert_eq!(
        export["metrics"]["vllm:prefix_cache_hits_total"]["type"],
        "counter"
    );
    assert_eq!(series["stats"]["total"], hits);
    let gauge = &export["metrics"]["vllm:num_requests_running"]["series"][0];
    assert!(
        gauge["timeseries"].as_array().unwrap().len() >= 2,
        "start and end scrapes at least: {gauge}"
    );
    let line = format!(
        "Server prefix cache hit rate: {:.2}% ({hits} of {queries} prompt tokens",
        hits / queries * 100.0
    );
    assert!(stdout.contains(&line), "{line}\n{stdout}");
    let csv = std::fs::read_to_string(dir.join("server_metrics_export.csv")).unwrap();
    assert!(
        csv.starts_with("endpoint,metric,type,labels,stat,value\n"),
        "{csv}"
    );
    assert!(
        csv.contains(",vllm:prefix_cache_hits_total,counter,model_name="),
        "{csv}"
    );
    assert!(summary(&dir)["request_count"]["avg"] == 16.0);
}

#[test]
fn no_server_metrics_writes_no_export() {
    let engine = Engine::start();
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&[
        "--url",
        &engine.url,
        "--request-count",
        "2",
        "--isl",
        "20",
        "--osl",
        "2",
        "--no-server-metrics",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--artifact-dir",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!tmp.path().join("server_metrics_export.json").exists());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("prefix cache hit rate"));
}

#[test]
fn several_urls_share_the_requests_round_robin_and_are_all_scraped() {
    let (a, b) = (Engine::start(), Engine::start());
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&[
        "--url",
        &a.url,
        "--url",
        &b.url,
        "--request-count",
        "10",
        "--concurrency",
        "2",
        "--isl",
        "20",
        "--osl",
        "2",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--artifact-dir",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(a.counter("vllm:request_success_total"), 5.0);
    assert_eq!(b.counter("vllm:request_success_total"), 5.0);
    let export: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("server_metrics_export.json")).unwrap(),
    )
    .unwrap();
    let urls: Vec<&str> = export["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        [format!("{}/metrics", a.url), format!("{}/metrics", b.url)]
    );
}
