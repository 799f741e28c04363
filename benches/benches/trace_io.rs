//! Trace I/O throughput: Mooncake read/write on the real FAST'25 trace, Azure CSV read, BurstGPT →
//! Mooncake conversion on a generated file, Python-compatible generator seeding, sine synthesis.
//!
//! `cargo bench -p servebench-benches --bench trace_io`; figures in docs/performance.md (trace tools).

use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;
use servebench_trace_formats::{
    AzureReader, JsonStyle, MooncakeReader, MooncakeRecord, MooncakeWriter, ReadOptions,
};
use servebench_workload::pycompat::{LANES, LaneRandoms};
use servebench_workload::{BurstGptConvertOptions, SinSynthConfig, convert_burstgpt};

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/traces/"
    ))
    .join(rel)
}

/// A BurstGPT-format CSV of `rows` rows (ISL uniform in 0..2000, the same shape as the
/// `awk` generator in docs/performance.md (trace tools)), written to a temporary file.
fn generated_burstgpt(rows: u64) -> PathBuf {
    let path = std::env::temp_dir().join(format!("servebench-trace-io-{}.csv", std::process::id()));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("temp file"));
    writeln!(
        out,
        "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type"
    )
    .expect("write");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut t = 0u64;
    for _ in 0..rows {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t += x % 3;
        let (isl, osl) = ((x >> 8) % 2000, (x >> 24) % 500);
        let model = if (x >> 40) % 10 < 3 {
            "GPT-4"
        } else {
            "ChatGPT"
        };
        let log = if (x >> 44).is_multiple_of(2) {
            "API log"
        } else {
            "Conversation log"
        };
        writeln!(out, "{t},{model},{isl},{osl},{},{log}", isl + osl).expect("write");
    }
    out.flush().expect("flush");
    path
}

fn mooncake(c: &mut Criterion) {
    let bytes =
        std::fs::read(shared("mooncake-fast25/conversation_trace.jsonl")).expect("shared trace");
    let records: Vec<MooncakeRecord> = MooncakeReader::new(&bytes[..], "t", ReadOptions::default())
        .collect::<Result<_, _>>()
        .expect("valid");
    let mut g = c.benchmark_group("mooncake");
    g.throughput(Throughput::Elements(records.len() as u64));
    g.bench_function("read_conversation_trace", |b| {
        b.iter(|| {
            MooncakeReader::new(black_box(&bytes[..]), "t", ReadOptions::default())
                .filter(Result::is_ok)
                .count()
        })
    });
    g.bench_function("write_conversation_trace_python_style", |b| {
        b.iter(|| {
            let mut w =
                MooncakeWriter::new(Vec::with_capacity(bytes.len()), "mem", JsonStyle::Python);
            for r in &records {
                w.write(r).expect("write");
            }
            w.finish().expect("finish").len()
        })
    });
    g.finish();
}

fn azure(c: &mut Criterion) {
    let bytes = std::fs::read(shared("azure-llm-2023/AzureLLMInferenceTrace_conv.csv"))
        .expect("shared trace");
    let mut g = c.benchmark_group("azure");
    g.throughput(Throughput::Elements(19_366));
    g.bench_function("read_conv_csv", |b| {
        b.iter(|| {
            AzureReader::new(black_box(&bytes[..]), "t", ReadOptions::default())
                .expect("header")
                .filter(Result::is_ok)
                .count()
        })
    });
    g.finish();
}

fn burstgpt(c: &mut Criterion) {
    const ROWS: u64 = 100_000;
    let input = generated_burstgpt(ROWS);
    let mut g = c.benchmark_group("burstgpt_convert");
    g.throughput(Throughput::Elements(ROWS));
    g.sample_size(10);
    for threads in [1, 2] {
        let mut options = BurstGptConvertOptions::default();
        options.draw_threads = threads;
        g.bench_function(format!("100k_rows_{threads}_draw_threads"), |b| {
            b.iter(|| {
                convert_burstgpt(&input, std::io::sink(), "sink", &options, &mut |_| {})
                    .expect("convert")
                    .counts
                    .converted
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_file(&input);
}

fn generators(c: &mut Criterion) {
    let mut g = c.benchmark_group("python_random");
    g.throughput(Throughput::Elements(LANES as u64));
    let mut lanes = LaneRandoms::new();
    let mut seed = 0u32;
    g.bench_function("seed_lanes", |b| {
        b.iter(|| {
            seed = seed.wrapping_add(LANES as u32);
            lanes.seed(std::array::from_fn(|l| seed + l as u32));
            lanes.randint_from_zero(0, 10_000)
        })
    });
    g.finish();
    let mut g = c.benchmark_group("sin_synth");
    g.bench_function("default_config_to_sink", |b| {
        b.iter(|| {
            let mut w = MooncakeWriter::new(std::io::sink(), "sink", JsonStyle::Python);
            SinSynthConfig::default()
                .generate(&mut StdRng::seed_from_u64(1), &mut w, &mut |_| {})
                .expect("generate")
                .requests
        })
    });
    g.finish();
}

criterion_group!(benches, mooncake, azure, burstgpt, generators);
criterion_main!(benches);
