//! Precision of the fixed-timing token source: how late tokens arrive at a tokio consumer
//! against their absolute deadlines (`submit + ttft + k·itl`).
//!
//! Lateness is measured where a server would see the token: on a current-thread tokio runtime
//! that awaits each request's channel, stamping `Instant::now()` as each event is received. It
//! includes the timer thread's wake-up latency and the channel's task wake-up.
//!
//! Run: `cargo bench -p servebench-benches --bench fixed_timing`

use std::time::{Duration, Instant};

use servebench_mocker::{
    FixedTiming, FixedTimingConfig, GenerateEvent, GenerateRequest, TokenSource,
};

fn run(streams: usize, itl: Duration, tokens: u32) -> Vec<Duration> {
    let ttft = itl;
    let source =
        std::sync::Arc::new(FixedTiming::new(FixedTimingConfig { ttft, itl }).expect("source"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let mut tasks = Vec::with_capacity(streams);
        for _ in 0..streams {
            let source = std::sync::Arc::clone(&source);
            tasks.push(tokio::spawn(async move {
                let start = Instant::now();
                let mut rx = source.submit(GenerateRequest {
                    prompt_tokens: Vec::new(),
                    output_tokens: tokens,
                });
                let mut lateness = Vec::with_capacity(tokens as usize);
                let mut k = 0u32;
                while let Some(ev) = rx.recv().await {
                    if let GenerateEvent::Token { .. } = ev {
                        let deadline = start + ttft + itl * k;
                        lateness.push(Instant::now().saturating_duration_since(deadline));
                        k += 1;
                    }
                }
                lateness
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("task"));
        }
        all
    })
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let cases: &[(usize, u64, u32)] = if full {
        &[(1, 10, 300), (100, 5, 200), (1000, 20, 100)]
    } else {
        &[(10, 2, 10)]
    };
    println!(
        "| streams | gap (ms) | tokens | lateness p50 (µs) | p90 (µs) | p99 (µs) | max (µs) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for &(streams, itl_ms, tokens) in cases {
        let mut l = run(streams, Duration::from_millis(itl_ms), tokens);
        l.sort();
        let us = |d: Duration| d.as_micros();
        println!(
            "| {streams} | {itl_ms} | {} | {} | {} | {} | {} |",
            l.len(),
            us(pct(&l, 0.5)),
            us(pct(&l, 0.9)),
            us(pct(&l, 0.99)),
            us(*l.last().expect("tokens"))
        );
    }
}
