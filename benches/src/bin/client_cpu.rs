//! Client CPU per streamed token, end to end: the real runner and HTTP client against a streaming
//! server on 127.0.0.1.
//!
//! Servers:
//! - `mocker` (default): servebench's mocker server with a `FixedTiming` source (`ttft_ms`, then
//!   one token every `gap_ms`; 0 and 0 = every token as fast as possible) in a SEPARATE PROCESS
//!   (this binary re-executed with `--serve-mocker`), so its CPU never counts as the client's.
//! - `inline`: a minimal hyper server on its own thread of this process (first chunk `ttft_ms`
//!   after the request, then one chunk per token `gap_ms` apart, with tokio's 1 ms timer). It
//!   writes its own run-clock stamp into the first chunk's text, so the client's first-chunk stamp
//!   can be compared with the truth: the moment the server handed that chunk to hyper.
//!
//! The client runs on a current-thread tokio runtime on the main thread (`current`) or a
//! multi-thread runtime with 1 or 2 workers (`multi1`, `multi2`). Client CPU is the sum of the
//! main thread's and the client workers' CPU time (`/proc/.../schedstat`, Linux), i.e. HTTP, SSE
//! parsing, JSON, records; records are drained by another thread (the metrics side, not counted).
//!
//! TTFT check: with `mocker`, the client's TTFT (first content chunk stamp minus request start) is
//! compared with the configured `ttft_ms`; the difference includes the server's own lateness, so
//! it bounds the client's error from above. With `inline`, the first-chunk stamp is compared with
//! the server's own send stamp (same clock), which isolates delivery plus client lateness.
//!
//! Run: `cargo run --release -p servebench-benches --bin client_cpu -- [concurrency]
//! [tokens_per_request] [gap_ms] [seconds] [ttft_ms] [mocker|inline] [current|multi1|multi2]`
//! (defaults 64 256 2 5 0 mocker current).

use std::convert::Infallible;
use std::io::{BufRead, Read, Write};
use std::process::{Command, Stdio};
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
use servebench_mocker::{FixedTiming, FixedTimingConfig, ServerConfig};

/// Name prefix of the client runtime's worker threads (their CPU counts as the client's).
const CLIENT_WORKER: &str = "client-worker";

fn arg<T: std::str::FromStr>(index: usize, default: T) -> T {
    std::env::args()
        .nth(index)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn ms(value: f64) -> Duration {
    Duration::from_secs_f64(value / 1e3)
}

/// CPU time of one thread (`/proc/<path>/schedstat`), ns.
fn schedstat_ns(path: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// CPU time of the client: the main thread plus every thread named [`CLIENT_WORKER`], ns.
fn client_cpu_ns() -> u64 {
    let main = schedstat_ns("/proc/thread-self/schedstat");
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return main;
    };
    let workers: u64 = tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|comm| comm.starts_with(CLIENT_WORKER))
        })
        .map(|task| schedstat_ns(&task.path().join("schedstat").to_string_lossy()))
        .sum();
    main + workers
}

/// Total CPU time (user + system) of a process, ns (`/proc/<pid>/stat`, clock ticks of 10 ms).
fn process_cpu_ns(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    let Some(after_comm) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
        return 0;
    };
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the comm.
    (ticks(11) + ticks(12)) * 10_000_000
}

/// `--serve-mocker <ttft_ms> <gap_ms>`: serve until stdin closes, printing the URL first.
fn serve_mocker() {
    let timing = FixedTimingConfig {
        ttft: ms(arg(2, 0.0)),
        itl: ms(arg(3, 0.0)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("server runtime");
    runtime.block_on(async move {
        let source = Arc::new(FixedTiming::new(timing).expect("fixed-timing source"));
        let config = ServerConfig {
            port: 0,
            ..ServerConfig::default()
        };
        let server = servebench_mocker::spawn(config, source, None)
            .await
            .expect("mocker server");
        println!("http://{}", server.local_addr());
        std::io::stdout().flush().expect("stdout");
        tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await
        .expect("stdin watcher");
    });
}

/// Text of the inline server's first chunk: its send stamp.
const FIRST_PREFIX: &str = " first@";

fn inline_chunk(text: &str) -> Bytes {
    Bytes::from(format!(
        "data: {{\"id\":\"chatcmpl-9f0c2a7b1e\",\"object\":\"chat.completion.chunk\",\"created\":1718000000,\"model\":\"Qwen/Qwen3-0.6B\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}},\"logprobs\":null,\"finish_reason\":null}}]}}\n\n"
    ))
}

/// Starts the minimal streaming server on its own 1-thread runtime; returns its URL.
fn start_inline_server(tokens: usize, ttft: Duration, gap: Duration, clock: RunClock) -> String {
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
                            if !ttft.is_zero() {
                                tokio::time::sleep(ttft).await;
                            }
                            for i in 0..tokens {
                                if i > 0 && !gap.is_zero() {
                                    tokio::time::sleep(gap).await;
                                }
                                let chunk = if i == 0 {
                                    inline_chunk(&format!("{FIRST_PREFIX}{}", clock.now_ns()))
                                } else {
                                    inline_chunk(&format!(" tok{i}"))
                                };
                                let _ = sender.send_data(chunk).await;
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

fn percentile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[rank] as f64 / 1e6
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--serve-mocker") {
        serve_mocker();
        return;
    }
    let concurrency: usize = arg(1, 64);
    let tokens: usize = arg(2, 256);
    let gap_ms: f64 = arg(3, 2.0);
    let seconds: u64 = arg(4, 5);
    let ttft_ms: f64 = arg(5, 0.0);
    let server: String = arg(6, "mocker".to_owned());
    let runtime_kind: String = arg(7, "current".to_owned());

    let clock = RunClock::start();
    let mut child = None;
    let url = match server.as_str() {
        "inline" => start_inline_server(tokens, ms(ttft_ms), ms(gap_ms), clock),
        "mocker" => {
            let exe = std::env::current_exe().expect("current exe");
            let mut process = Command::new(exe)
                .args(["--serve-mocker", &ttft_ms.to_string(), &gap_ms.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn mocker process");
            let stdout = process.stdout.take().expect("child stdout");
            let mut line = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut line)
                .expect("mocker url");
            child = Some(process);
            line.trim().to_owned()
        }
        other => panic!("unknown server {other:?} (mocker or inline)"),
    };

    let (sink, records) = std::sync::mpsc::channel();
    let drain = std::thread::spawn(move || {
        let mut chunks = 0u64;
        let mut ttft_ns = Vec::new();
        let mut delivery_ns = Vec::new();
        for record in records {
            let record: servebench_metrics::RequestRecord = record;
            chunks += record.chunks.len() as u64;
            if record.error.is_none()
                && let Some(first) = record.chunks.first()
            {
                ttft_ns.push(first.stamp_ns - record.start_ns);
                let server_ns = first
                    .text
                    .strip_prefix(FIRST_PREFIX)
                    .and_then(|n| n.parse::<u64>().ok());
                if let Some(server_ns) = server_ns {
                    delivery_ns.push(first.stamp_ns.saturating_sub(server_ns));
                }
            }
        }
        (chunks, ttft_ns, delivery_ns)
    });

    let mut endpoint = EndpointConfig::new(EndpointKind::Chat, "mock");
    endpoint.streaming = true;
    endpoint.pin_output_length = true;
    let mut config = RunConfig::new(clock, vec![url], endpoint);
    config.stop = StopCondition {
        request_count: None,
        duration: Some(Duration::from_secs(seconds)),
        grace_period: Duration::from_secs(30),
    };
    let dataset: Arc<[DatasetEntry]> =
        vec![DatasetEntry::new("hello".into(), 1, Some(tokens as u64))].into();

    let runtime = match runtime_kind.as_str() {
        "current" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        "multi1" | "multi2" => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(if runtime_kind == "multi1" { 1 } else { 2 })
            .thread_name(CLIENT_WORKER)
            .enable_all()
            .build(),
        other => panic!("unknown runtime {other:?} (current, multi1 or multi2)"),
    }
    .expect("client runtime");
    let server_cpu_start = child.as_ref().map_or(0, |c| process_cpu_ns(c.id()));
    let (report, cpu_ns, wall) = runtime.block_on(async move {
        let cpu_start = client_cpu_ns();
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
        (report, client_cpu_ns() - cpu_start, wall_start.elapsed())
    });
    let server_cpu_ns = child
        .as_ref()
        .map_or(0, |c| process_cpu_ns(c.id()) - server_cpu_start);
    drop(runtime);
    if let Some(mut process) = child {
        drop(process.stdin.take());
        let _ = process.wait();
    }
    let (chunks, mut ttft_ns, mut delivery_ns) = drain.join().expect("drain thread");
    ttft_ns.sort_unstable();
    delivery_ns.sort_unstable();
    let health = &report.health;
    let coalesced: u64 = health.content_events_per_read.iter().skip(2).sum();
    println!(
        "concurrency {concurrency}, {tokens} tokens/request, gap {gap_ms} ms, ttft {ttft_ms} ms, \
         {seconds} s, server {server}, runtime {runtime_kind}"
    );
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
        "client CPU {:.3} s = {:.2} us per streamed token; server process CPU {:.2} s",
        cpu_ns as f64 / 1e9,
        cpu_ns as f64 / 1e3 / chunks.max(1) as f64,
        server_cpu_ns as f64 / 1e9
    );
    println!(
        "body reads {}, reads with >1 content event {coalesced}, content chunks per read {:.2}",
        health.body_reads,
        chunks as f64 / health.body_reads.max(1) as f64
    );
    println!(
        "send lag p50 {} us p99 {} us; event-loop lag p50 {} us p99 {} us max {} us",
        health.send_lag.stats().p50_ns / 1000,
        health.send_lag.stats().p99_ns / 1000,
        health.event_loop_lag.stats().p50_ns / 1000,
        health.event_loop_lag.stats().p99_ns / 1000,
        health.event_loop_lag.stats().max_ns / 1000
    );
    println!(
        "TTFT p50 {:.3} ms p99 {:.3} ms max {:.3} ms (configured {ttft_ms} ms{})",
        percentile(&ttft_ns, 0.5),
        percentile(&ttft_ns, 0.99),
        percentile(&ttft_ns, 1.0),
        if server == "inline" {
            ", inline server: tokio timer"
        } else {
            ""
        }
    );
    if !delivery_ns.is_empty() {
        println!(
            "first chunk: client stamp minus server send stamp p50 {:.3} ms p99 {:.3} ms max {:.3} ms \
             ({} requests)",
            percentile(&delivery_ns, 0.5),
            percentile(&delivery_ns, 0.99),
            percentile(&delivery_ns, 1.0),
            delivery_ns.len()
        );
    }
}
