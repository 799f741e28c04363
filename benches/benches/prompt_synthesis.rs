//! Synthetic dataset building (AIPerf's default 100 × 550-token prompts), Qwen3 tokenizer loading
//! and arrival-time generation.
//!
//! `cargo bench -p servebench-benches --bench prompt_synthesis`

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use servebench_loadgen_core::prompts::{SyntheticConfig, synthesize};
use servebench_loadgen_core::{ArrivalPattern, Arrivals};
use servebench_tokenize::{BuiltinTokenizer, Tokenizer, TokenizerSpec, load};

fn qwen3_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/tokenizers/qwen3"
    ))
}

fn load_qwen3() -> Arc<dyn Tokenizer> {
    load(&TokenizerSpec::HfFile(qwen3_dir())).expect("load the Qwen3 tokenizer")
}

fn synthesis(c: &mut Criterion) {
    let builtin: Arc<dyn Tokenizer> = Arc::new(BuiltinTokenizer::new());
    let qwen3 = load_qwen3();
    let default_config = SyntheticConfig {
        seed: Some(1),
        ..SyntheticConfig::default()
    };
    // Dynamo's prefix-ratio benchmark at ratio 0.5: isl 14000 split into a 7000-token prefix
    // (pool of 20) and 7000 ± 1750 tokens per request; 20 entries here to keep the bench short.
    let prefix_config = SyntheticConfig {
        isl_mean: 7000,
        isl_stddev: 1750.0,
        num_entries: 20,
        seed: Some(1),
        prefix_prompt_length: 7000,
        num_prefix_prompts: 20,
        ..SyntheticConfig::default()
    };
    let mut group = c.benchmark_group("synthesize");
    group.sample_size(10);
    for (name, tok) in [("builtin", &builtin), ("qwen3", &qwen3)] {
        group.bench_function(format!("{name}/100x550"), |b| {
            b.iter(|| synthesize(black_box(&default_config), tok.as_ref()).expect("synthesize"))
        });
        group.bench_function(format!("{name}/prefix20x7000+20x7000"), |b| {
            b.iter(|| synthesize(black_box(&prefix_config), tok.as_ref()).expect("synthesize"))
        });
    }
    group.finish();
}

fn tokenizer_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("tokenizer");
    group.sample_size(10);
    group.bench_function("load_qwen3", |b| b.iter(load_qwen3));
    group.finish();
}

fn arrivals(c: &mut Criterion) {
    let mut group = c.benchmark_group("arrivals");
    for pattern in [
        ArrivalPattern::Constant,
        ArrivalPattern::Poisson,
        ArrivalPattern::Gamma { smoothness: 0.5 },
    ] {
        group.bench_function(format!("{}/100k", pattern.name()), |b| {
            b.iter(|| {
                Arrivals::new(100.0, pattern, 7)
                    .expect("valid rate")
                    .take(100_000)
                    .last()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, synthesis, tokenizer_load, arrivals);
criterion_main!(benches);
