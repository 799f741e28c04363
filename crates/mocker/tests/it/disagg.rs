//! Disaggregated prefill and decode in the real-time server, over HTTP: TTFT is queue + prefill +
//! transfer (hand-computed from the timing model), a decode's inter-token gaps do not move under
//! heavy prefill load on the separate prefill workers (they do in an aggregated worker), and
//! `/metrics` shows each worker's counters labelled with its role.
//!
//! Step times are the polynomials written out by hand: prefill(n) = 4.209989e-7 n² +
//! 1.518344e-2 n + 16.50142 ms, decode(p) = -25.74 p² + 54.01 p + 5.74 ms at KV usage p.
//! Timer noise on a loaded machine: `MOCKER_TTFT_TOLERANCE_MS` (default 5) bounds how late the
//! server may be against the model (never early).

use std::time::Duration;

use serde_json::{Value, json};
use servebench_mocker::{
    BlockSize, ClusterLayout, DisaggConfig, EngineConfig, PoolConfig, RouterConfig, RouterMode,
    RunningServer, spawn_simulated_with_layout,
};

use crate::support::*;

fn prefill_ms(n: f64) -> f64 {
    4.209989e-7 * n * n + 1.518344e-2 * n + 16.50142
}

fn decode_ms(p: f64) -> f64 {
    -25.74 * p * p + 54.01 * p + 5.74
}

fn tolerance_ms() -> f64 {
    std::env::var("MOCKER_TTFT_TOLERANCE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5.0)
}

/// Block 16, 1000 blocks, speed-up 1, round-robin; `budget` tokens per step.
fn pool(budget: u32, chunked: bool) -> PoolConfig {
    PoolConfig {
        engine: EngineConfig {
            block_size: BlockSize::new(16).unwrap(),
            num_gpu_blocks: 1000,
            max_num_batched_tokens: budget,
            enable_chunked_prefill: chunked,
            ..EngineConfig::default()
        },
        num_workers: 1,
        router: RouterConfig {
            mode: RouterMode::RoundRobin,
            ..RouterConfig::default()
        },
    }
}

/// One prefill and one decode worker; 1000 KV bytes per token at 2 MB/s: 0.5 ms per token.
fn disagg() -> ClusterLayout {
    ClusterLayout {
        data_parallel_size: 1,
        disagg: Some(DisaggConfig {
            prefill_workers: 1,
            kv_bytes_per_token: 1000,
            transfer_bandwidth: 2e6,
        }),
    }
}

async fn server(pool: &PoolConfig, layout: &ClusterLayout) -> RunningServer {
    spawn_simulated_with_layout(pool, layout, config())
        .await
        .unwrap()
}

/// `len` distinct prompt token ids from `base`.
fn tokens(base: u32, len: u32) -> Vec<u32> {
    (base..base + len).collect()
}

async fn complete(
    server: &RunningServer,
    prompt: Vec<u32>,
    max_tokens: u32,
    stream: bool,
) -> Reply {
    let body = json!({
        "model": "test-model",
        "prompt": prompt,
        "max_tokens": max_tokens,
        "ignore_eos": true,
        "stream": stream,
    });
    let reply = post(server, "/v1/completions", &body).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body())
    );
    reply
}

fn number(v: &Value, key: &str) -> f64 {
    v["servebench"][key]
        .as_f64()
        .unwrap_or_else(|| panic!("no servebench.{key} in {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttft_is_queue_plus_prefill_plus_transfer() {
    // A 100-token step budget without chunking: two 100-token prompts take a step each.
    let server = server(&pool(100, false), &disagg()).await;
    let (a, b) = tokio::join!(
        complete(&server, tokens(0, 100), 3, false),
        complete(&server, tokens(5000, 100), 3, false),
    );
    let p = prefill_ms(100.0); // 18.024 ms
    let transfer = 100.0 * 0.5; // 100 tokens x 1000 B / 2e6 B/s = 50 ms
    let tol = tolerance_ms();
    let mut replies = [a.json(), b.json()];
    replies.sort_by(|x, y| number(x, "queue_ms").total_cmp(&number(y, "queue_ms")));
    for (k, v) in replies.iter().enumerate() {
        assert_eq!(v["usage"]["completion_tokens"], 3);
        assert_eq!(v["servebench"]["prompt_tokens"], 100);
        assert_eq!(v["servebench"]["worker_id"], 0, "decoded on engine 0");
        // The engines' schedule: prefill compute plus transfer, to the microsecond.
        let prefill = number(v, "prefill_ms");
        assert!(
            (prefill - (p + transfer)).abs() < 0.002,
            "{k}: prefill {prefill}"
        );
        // The server's own clock: the first token went out after queue + prefill + transfer.
        let (queue, ttft) = (number(v, "queue_ms"), number(v, "ttft_ms"));
        let expected = queue + p + transfer;
        eprintln!("request {k}: queue {queue} ms, prefill + transfer {prefill} ms, TTFT {ttft} ms");
        assert!(
            ttft >= expected - 0.5 && ttft <= expected + tol,
            "{k}: TTFT {ttft} ms, queue {queue} + prefill {p} + transfer {transfer} = {expected}"
        );
    }
    // The first waited for nothing; the second for the first's prefill step (less the time
    // between the two arrivals, a few ms at most here).
    let first_queue = number(&replies[0], "queue_ms");
    let second_queue = number(&replies[1], "queue_ms");
    assert!(first_queue <= tol, "first queue {first_queue} ms");
    assert!(
        second_queue <= p + tol && second_queue >= p - tol,
        "second queue {second_queue} ms, expected about {p} ms"
    );
}

/// The client-side span from the first to the last of `n` streamed tokens, ms.
fn decode_span_ms(reply: &Reply, n: usize) -> f64 {
    let events = reply.events();
    assert_eq!(events.len(), n + 2, "n tokens, the final chunk, [DONE]");
    events[n - 1].0.duration_since(events[0].0).as_secs_f64() * 1000.0
}

/// One long decode (100-token prompt, 60 tokens) and, 60 ms after it is sent, six 1000-token
/// prompts asking for one token each.
async fn decode_under_load(server: &RunningServer, load: bool) -> f64 {
    let long = complete(server, tokens(0, 100), 60, true);
    let burst = async {
        if !load {
            return;
        }
        tokio::time::sleep(Duration::from_millis(60)).await;
        let one = |k: u32| complete(server, tokens(10_000 * k, 1000), 1, false);
        tokio::join!(one(1), one(2), one(3), one(4), one(5), one(6));
    };
    let (reply, ()) = tokio::join!(long, burst);
    decode_span_ms(&reply, 60)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decode_itl_is_unaffected_by_prefill_load_on_separate_workers() {
    // Hand-computed decode span: gap k (k = 1..59) holds the blocks of 100 + k tokens
    // (ceil((100 + k) / 16) of 1000), alone on the decode worker.
    let expected: f64 = (1..60u32)
        .map(|k| decode_ms(f64::from((100 + k).div_ceil(16)) / 1000.0))
        .sum();
    let tol = tolerance_ms();

    let split = server(&pool(8192, true), &disagg()).await;
    let loaded = decode_under_load(&split, true).await;
    assert!(
        (loaded - expected).abs() <= 0.1 * expected + tol,
        "disaggregated decode span under prefill load {loaded:.3} ms, hand-computed \
         {expected:.3} ms"
    );

    // The same load on one aggregated worker: the 1000-token prefills share the decode's steps.
    let aggregated = server(&pool(8192, true), &ClusterLayout::default()).await;
    let quiet = decode_under_load(&aggregated, false).await;
    let slowed = decode_under_load(&aggregated, true).await;
    // At best the six prompts share one step with the decode: prefill(6000) = 122.8 ms; the
    // bound takes half of it, far above the timer noise the disaggregated check allows.
    let floor = prefill_ms(6000.0) / 2.0;
    eprintln!(
        "decode span of 59 gaps: hand-computed {expected:.3} ms; disaggregated under load \
         {loaded:.3} ms; aggregated quiet {quiet:.3} ms, under load {slowed:.3} ms"
    );
    assert!(
        slowed >= quiet + floor,
        "aggregated decode span {slowed:.3} ms under load vs {quiet:.3} ms quiet: the six \
         1000-token prefills should delay it by more than {floor:.3} ms"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_prefill_and_decode_counters_on_their_workers() {
    let server = server(&pool(8192, true), &disagg()).await;
    let health = send(&server, "GET", "/health", None).await;
    assert_eq!(health.status, 200);
    let v = complete(&server, tokens(0, 100), 4, false).await.json();
    assert_eq!(v["usage"]["completion_tokens"], 4);
    let line = |name: &str, worker: u32, role: &str| {
        format!("{name}{{model_name=\"test-model\",worker=\"{worker}\",role=\"{role}\"}}")
    };
    let value = |text: &str, series: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series))
            .and_then(|rest| rest.trim().parse().ok())
    };
    // Counters are published after each step's delivery: poll until the decode's last step.
    let mut text = String::new();
    for _ in 0..500 {
        let reply = send(&server, "GET", "/metrics", None).await;
        text = String::from_utf8(reply.body()).unwrap();
        if value(
            &text,
            &line("servebench:worker_generation_tokens_total", 0, "decode"),
        ) == Some(3)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The prefill worker (engine 1) looked the prompt up and made the first token; the decode
    // worker (engine 0) made the other three without a prefix lookup.
    let expect = [
        (
            "servebench:worker_prefix_cache_queries_total",
            1,
            "prefill",
            100,
        ),
        ("servebench:worker_generation_tokens_total", 1, "prefill", 1),
        (
            "servebench:worker_prefix_cache_queries_total",
            0,
            "decode",
            0,
        ),
        ("servebench:worker_generation_tokens_total", 0, "decode", 3),
    ];
    for (name, worker, role, count) in expect {
        let series = line(name, worker, role);
        assert_eq!(value(&text, &series), Some(count), "{series} in:\n{text}");
    }
    assert!(
        text.contains("vllm:generation_tokens_total{model_name=\"test-model\"} 4"),
        "{text}"
    );
}
