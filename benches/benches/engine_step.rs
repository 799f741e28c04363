//! Cost of the simulated engine: one scheduler step with 256 running sequences on a virtual clock
//! (per sequence per step), and the real-clock pool's zero-delay token throughput.
//!
//! `cargo bench -p servebench-benches --bench engine_step`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use servebench_mocker::{
    Engine, EngineConfig, EnginePool, GenerateEvent, GenerateRequest, PoolConfig, TokenSource,
};

const RUNNING: u64 = 256;

fn prompt(seed: u64, len: u32, shared_prefix: u32) -> Vec<u32> {
    (0..len)
        .map(|i| {
            if i < shared_prefix {
                i
            } else {
                (seed as u32).wrapping_mul(7919).wrapping_add(i) % 8192
            }
        })
        .collect()
}

/// An engine in steady state: 256 sequences running; each one that finishes is replaced, so the
/// batch mixes decodes with the occasional prefill as in serving.
fn steady_engine(isl: u32, osl: u32, shared_prefix: u32) -> (Engine, u64) {
    let config = EngineConfig {
        speedup_ratio: 0.0,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(&config, 0).expect("default config is valid");
    for id in 0..RUNNING {
        let request = GenerateRequest {
            prompt_tokens: prompt(id, isl, shared_prefix),
            output_tokens: osl,
        };
        engine.add_request(id, request, Duration::ZERO);
    }
    let mut next_id = RUNNING;
    for _ in 0..(osl / 2) {
        step_and_refill(&mut engine, &mut next_id, isl, osl, shared_prefix);
    }
    (engine, next_id)
}

fn step_and_refill(engine: &mut Engine, next_id: &mut u64, isl: u32, osl: u32, shared_prefix: u32) {
    let finished = engine
        .step(Duration::ZERO)
        .events
        .iter()
        .filter(|(_, e)| matches!(e, GenerateEvent::Finished { .. }))
        .count();
    for _ in 0..finished {
        let request = GenerateRequest {
            prompt_tokens: prompt(*next_id, isl, shared_prefix),
            output_tokens: osl,
        };
        engine.add_request(*next_id, request, Duration::ZERO);
        *next_id += 1;
    }
}

fn engine_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_step");
    group.throughput(Throughput::Elements(RUNNING));
    for (name, isl, osl, shared) in [
        ("256_running_isl512_osl256", 512, 256, 0),
        ("256_running_isl2048_osl128_prefix1024", 2048, 128, 1024),
    ] {
        let (mut engine, mut next_id) = steady_engine(isl, osl, shared);
        group.bench_function(name, |b| {
            b.iter(|| {
                step_and_refill(&mut engine, &mut next_id, isl, osl, shared);
                black_box(engine.num_running())
            });
        });
    }
    group.finish();
}

/// Tokens per second the real-clock pool delivers to tokio receivers with no modelled delay
/// (what a client benchmark against the zero-delay mocker can at most see).
fn pool_zero_delay(c: &mut Criterion) {
    const REQUESTS: u64 = 256;
    const OUTPUT: u32 = 64;
    let mut group = c.benchmark_group("pool_zero_delay");
    group.throughput(Throughput::Elements(REQUESTS * u64::from(OUTPUT)));
    group.sample_size(20);
    let config = PoolConfig {
        engine: EngineConfig {
            speedup_ratio: 0.0,
            ..EngineConfig::default()
        },
        num_workers: 1,
        ..PoolConfig::default()
    };
    let pool = EnginePool::start(&config).expect("pool starts");
    group.bench_function("256x64_tokens_1_worker", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for i in 0..iters {
                let receivers: Vec<_> = (0..REQUESTS)
                    .map(|r| {
                        pool.submit(GenerateRequest {
                            prompt_tokens: prompt(i * REQUESTS + r, 128, 0),
                            output_tokens: OUTPUT,
                        })
                    })
                    .collect();
                for mut rx in receivers {
                    while let Some(event) = rx.blocking_recv() {
                        if matches!(event, GenerateEvent::Finished { .. }) {
                            break;
                        }
                    }
                }
            }
            start.elapsed()
        });
    });
    group.finish();
}

criterion_group!(benches, engine_step, pool_zero_delay);
criterion_main!(benches);
