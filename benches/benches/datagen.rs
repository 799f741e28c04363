//! `datagen` throughput: Mooncake lines analyzed per second and the time to synthesize 100k
//! requests, on the real FAST'25 conversation trace (12,031 lines).
//!
//! Run: `cargo bench -p servebench-benches --bench datagen`

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use servebench_trace_formats::MooncakeRecord;
use servebench_workload::analyze::PrefixAnalyzer;
use servebench_workload::synthesize::{RequestFilters, Synthesizer, SynthesizerConfig};

const TRACE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/traces/mooncake-fast25/conversation_trace.jsonl"
);

fn trace_text() -> String {
    std::fs::read_to_string(TRACE).unwrap_or_else(|e| panic!("cannot read {TRACE}: {e}"))
}

/// One `serde_json` parse per line, as `datagen`'s reader does.
fn parse(text: &str) -> Vec<MooncakeRecord> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line: {e}")))
        .collect()
}

fn analyze(records: &[MooncakeRecord]) -> usize {
    let mut analyzer = PrefixAnalyzer::new(512);
    for r in records {
        analyzer.push(r);
    }
    analyzer.finish().summary().len()
}

fn bench_analyze(c: &mut Criterion) {
    let text = trace_text();
    let records = parse(&text);
    let mut group = c.benchmark_group("datagen_analyze");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("parse_and_analyze_lines", |b| {
        b.iter(|| analyze(&parse(black_box(&text))));
    });
    group.bench_function("analyze_parsed_lines", |b| {
        b.iter(|| analyze(black_box(&records)));
    });
    group.finish();
}

fn bench_synthesize(c: &mut Criterion) {
    let records = parse(&trace_text());
    let mut group = c.benchmark_group("datagen_synthesize");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("learn_conversation_trace", |b| {
        b.iter(|| Synthesizer::learn(black_box(&records), SynthesizerConfig::default()));
    });
    let learned =
        Synthesizer::learn(&records, SynthesizerConfig::default()).expect("learns the trace");
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("synthesize_100k_requests", |b| {
        b.iter_batched(
            || learned.clone(),
            |mut s| {
                s.synthesize_requests(100_000, &RequestFilters::default(), &mut |_| {})
                    .map(|r| r.len())
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, bench_analyze, bench_synthesize);
criterion_main!(benches);
