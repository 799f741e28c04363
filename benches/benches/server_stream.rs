//! Streamed tokens per second of the mocker's HTTP server on one core.
//!
//! The server runs on a current-thread tokio runtime in its own OS thread (one core) with a
//! zero-delay fixed-timing source, so the figure is the server's own cost: parsing requests,
//! rendering one SSE chunk per token, HTTP/1.1 chunked framing and socket writes. The client is a
//! second OS thread with its own current-thread runtime and one keep-alive HTTP/1.1 connection
//! per stream; each connection sends chat requests back to back (`max_tokens` = T,
//! `ignore_eos`), so C streams are always open. Every SSE event ends with exactly two newlines
//! and contains no other, so the client counts events by counting newline bytes; tokens are
//! events × T/(T+3) (role chunk, final chunk and `[DONE]` are the 3 non-token events).
//!
//! Each thread reads its own CPU time (`/proc/thread-self/stat`), so the table shows whether the
//! server core was saturated (server CPU near 100 %) and the client was not the bottleneck.
//!
//! Run: `cargo bench -p servebench-benches --bench server_stream`

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use servebench_mocker::{FixedTiming, FixedTimingConfig, ServerConfig, spawn};

const WARMUP: Duration = Duration::from_secs(1);
const WINDOW: Duration = Duration::from_secs(3);

/// CPU seconds (user + system) of the calling thread, from `/proc/thread-self/stat`.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux configuration we run on.
    Some((utime + stime) / 100.0)
}

struct Row {
    concurrency: usize,
    max_tokens: u32,
    tokens_per_s: f64,
    requests_per_s: f64,
    server_cpu: Option<f64>,
    client_cpu: Option<f64>,
}

fn run(concurrency: usize, max_tokens: u32) -> Row {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel::<SocketAddr>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (cpu_tx, cpu_rx) = std::sync::mpsc::channel::<Option<f64>>();
    let server_thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let source = Arc::new(FixedTiming::new(FixedTimingConfig::default()).expect("source"));
            let config = ServerConfig {
                port: 0,
                shutdown_grace: Duration::from_millis(200),
                ..ServerConfig::default()
            };
            let server = spawn(config, source, None).await.expect("server");
            addr_tx.send(server.local_addr()).expect("send addr");
            // Report this thread's CPU time at the window's edges, on request.
            let cpu = async {
                tokio::time::sleep(WARMUP).await;
                let _ = cpu_tx.send(thread_cpu_seconds());
                tokio::time::sleep(WINDOW).await;
                let _ = cpu_tx.send(thread_cpu_seconds());
            };
            tokio::join!(cpu, async {
                let _ = stop_rx.await;
            });
            server.shutdown().await;
        });
    });
    let addr = addr_rx.recv().expect("server address");

    let newlines = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let client_newlines = Arc::clone(&newlines);
    let client_stop = Arc::clone(&stop);
    let client = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let body = Bytes::from(format!(
                r#"{{"model":"m","messages":[{{"role":"user","content":"Tell me a story."}}],"stream":true,"max_tokens":{max_tokens},"ignore_eos":true}}"#
            ));
            let mut tasks = Vec::with_capacity(concurrency);
            for _ in 0..concurrency {
                tasks.push(tokio::spawn(stream_loop(
                    addr,
                    body.clone(),
                    Arc::clone(&client_newlines),
                    Arc::clone(&client_stop),
                )));
            }
            tokio::time::sleep(WARMUP).await;
            let (n0, c0, t0) = (client_newlines.load(Relaxed), thread_cpu_seconds(), Instant::now());
            tokio::time::sleep(WINDOW).await;
            let (n1, c1, t1) = (client_newlines.load(Relaxed), thread_cpu_seconds(), Instant::now());
            client_stop.store(true, Relaxed);
            for t in tasks {
                let _ = t.await;
            }
            let cpu = c0.zip(c1).map(|(a, b)| (b - a) / (t1 - t0).as_secs_f64());
            (n1 - n0, t1 - t0, cpu)
        })
    });
    let (window_newlines, elapsed, client_cpu) = client.join().expect("client thread");
    let server_cpu = match (cpu_rx.recv(), cpu_rx.recv()) {
        (Ok(Some(a)), Ok(Some(b))) => Some((b - a) / WINDOW.as_secs_f64()),
        _ => None,
    };
    let _ = stop_tx.send(());
    server_thread.join().expect("server thread");
    drop(newlines);

    let events = window_newlines as f64 / 2.0;
    let per_request = f64::from(max_tokens) + 3.0;
    let secs = elapsed.as_secs_f64();
    Row {
        concurrency,
        max_tokens,
        tokens_per_s: events * f64::from(max_tokens) / per_request / secs,
        requests_per_s: events / per_request / secs,
        server_cpu,
        client_cpu,
    }
}

async fn stream_loop(
    addr: SocketAddr,
    body: Bytes,
    newlines: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) {
    let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        return;
    };
    tokio::spawn(conn);
    while !stop.load(Relaxed) {
        if sender.ready().await.is_err() {
            return;
        }
        let req = http::Request::post("/v1/chat/completions")
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))
            .expect("request");
        let Ok(response) = sender.send_request(req).await else {
            return;
        };
        let mut body = response.into_body();
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                let n = data.iter().filter(|&&b| b == b'\n').count();
                newlines.fetch_add(n as u64, Relaxed);
            }
        }
    }
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{:.0} %", v * 100.0))
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and wants a quick run.
    let full = std::env::args().any(|a| a == "--bench");
    let cases: &[(usize, u32)] = if full {
        &[(1000, 256), (1000, 64), (1000, 1024), (100, 256)]
    } else {
        &[(10, 16)]
    };
    println!(
        "| streams | tokens/request | streamed tokens/s | requests/s | server CPU | client CPU \
         | tokens per server CPU-second |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &(c, t) in cases {
        let r = run(c, t);
        println!(
            "| {} | {} | {:.0} | {:.0} | {} | {} | {} |",
            r.concurrency,
            r.max_tokens,
            r.tokens_per_s,
            r.requests_per_s,
            percent(r.server_cpu),
            percent(r.client_cpu),
            r.server_cpu
                .filter(|&c| c > 0.0)
                .map_or_else(|| "n/a".into(), |c| format!("{:.0}", r.tokens_per_s / c))
        );
    }
}
