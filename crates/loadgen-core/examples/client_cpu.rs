//! Client CPU per streamed token, end to end: the real runner and HTTP client against an
//! in-process streaming server on 127.0.0.1 that runs on its own threads.
//!
//! The client runs on a current-thread tokio runtime on the main thread, so that thread's CPU
//! time (`/proc/thread-self/schedstat`, Linux) is the client's cost: HTTP, SSE parsing, JSON,
//! records. Records are drained by another thread (the metrics side, not counted).
//!
//! Run: `cargo run --release -p servebench-loadgen-core --example client_cpu -- [concurrency]
//! [tokens_per_request] [gap_ms] [seconds]` (defaults 64 256 2 5).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use http_body_util::channel::Channel;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use servebench_loadgen_core::{
    CancelHandle, DatasetEntry, EndpointConfig, EndpointKind, LoadMode, RunConfig, StopCondition,
    run,
};
use servebench_metrics::RunClock;

fn arg(index: usize, default: u64) -> u64 {
    std::env::args()
        .nth(index)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

/// CPU time of the calling thread, ns (Linux).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn chunk(i: usize) -> Bytes {
    Bytes::from(format!(
        "data: {{\"id\":\"chatcmpl-9f0c2a7b1e\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,\"model\":\"Qwen/Qwen3-0.6B\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\" tok{i}\"}},\"logprobs\":null,\"finish_reason\":null}}]}}\n\n"
    ))
}

/// Starts the streaming server on its own 1-thread runtime; returns its URL.
fn start_server(tokens: usize, gap: Duration) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr"))
                .expect("send addr");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let service = service_fn(move |_request| async move {
                        let (mut sender, body) = Channel::<Bytes, Infallible>::new(4);
                        tokio::spawn(async move {
                            for i in 0..tokens {
                                if i > 0 {
                                    tokio::time::sleep(gap).await;
                                }
                                let _ = sender.send_data(chunk(i)).await;
                            }
                            let _ = sender
                                .send_data(Bytes::from_static(b"data: [DONE]\n\n"))
                                .await;
                        });
                        Ok::<_, Infallible>(
                            Response::builder()
                                .header("content-type", "text/event-stream")
                                .body(body)
                                .expect("response"),
                        )
                    });
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    format!("http://{}", rx.recv().expect("server address"))
}

fn main() {
    let concurrency = arg(1, 64) as usize;
    let tokens = arg(2, 256) as usize;
    let gap = Duration::from_millis(arg(3, 2));
    let seconds = arg(4, 5);
    let url = start_server(tokens, gap);

    let (sink, records) = std::sync::mpsc::channel();
    let drain = std::thread::spawn(move || {
        let mut chunks = 0u64;
        let mut ttft_ns = Vec::new();
        for record in records {
            let record: servebench_metrics::RequestRecord = record;
            chunks += record.chunks.len() as u64;
            if let Some(first) = record.chunks.first() {
                ttft_ns.push(first.stamp_ns - record.start_ns);
            }
        }
        (chunks, ttft_ns)
    });

    let mut endpoint = EndpointConfig::new(EndpointKind::Chat, "mock");
    endpoint.streaming = true;
    let mut config = RunConfig::new(RunClock::start(), vec![url], endpoint);
    config.stop = StopCondition {
        request_count: None,
        duration: Some(Duration::from_secs(seconds)),
        grace_period: Duration::from_secs(30),
    };
    let dataset: Arc<[DatasetEntry]> = vec![DatasetEntry {
        prompt: "hello".into(),
        input_tokens: 1,
        max_output_tokens: Some(tokens as u64),
    }]
    .into();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let (report, cpu_ns, wall) = runtime.block_on(async move {
        let cpu_start = thread_cpu_ns();
        let wall_start = std::time::Instant::now();
        let report = run(
            config,
            dataset,
            LoadMode::Concurrency(concurrency),
            sink,
            CancelHandle::new(),
        )
        .await
        .expect("run");
        (report, thread_cpu_ns() - cpu_start, wall_start.elapsed())
    });
    let (chunks, mut ttft_ns) = drain.join().expect("drain thread");
    ttft_ns.sort_unstable();
    let health = &report.health;
    let coalesced: u64 = health.content_events_per_read.iter().skip(2).sum();
    println!("concurrency {concurrency}, {tokens} tokens/request, gap {gap:?}, {seconds} s");
    println!(
        "requests {} ok / {} failed, content chunks {chunks}, wall {:.2} s",
        report.profiling.succeeded,
        report.profiling.failed(),
        wall.as_secs_f64()
    );
    println!(
        "streamed tokens/s {:.0}",
        chunks as f64 / wall.as_secs_f64()
    );
    println!(
        "client CPU (main thread) {:.3} s = {:.2} us per streamed token",
        cpu_ns as f64 / 1e9,
        cpu_ns as f64 / 1e3 / chunks.max(1) as f64
    );
    println!(
        "body reads {}, reads with >1 content event {coalesced}",
        health.body_reads
    );
    println!(
        "send lag p50 {} us p99 {} us; event-loop lag p50 {} us p99 {} us max {} us",
        health.send_lag.stats().p50_ns / 1000,
        health.send_lag.stats().p99_ns / 1000,
        health.event_loop_lag.stats().p50_ns / 1000,
        health.event_loop_lag.stats().p99_ns / 1000,
        health.event_loop_lag.stats().max_ns / 1000
    );
    if !ttft_ns.is_empty() {
        println!(
            "TTFT p50 {:.3} ms (server sends the first token immediately)",
            ttft_ns[ttft_ns.len() / 2] as f64 / 1e6
        );
    }
}
