//! Cost of reducing one streamed request: computing its metrics from a 500-chunk record, pushing
//! them into the aggregator, and writing its `profile_export.jsonl` line.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use servebench_metrics::{
    Aggregator, AggregatorConfig, ContentChunk, MetricOptions, RecordBuilder, RecordJsonlWriter,
    RecordMetrics, RequestRecord, RunClock,
};
use servebench_tokenize::BuiltinTokenizer;

const CHUNKS: u64 = 500;

/// A successful streamed record: 500 one-token chunks 10 ms apart after a 50 ms TTFT.
fn record(tok: &BuiltinTokenizer) -> RequestRecord {
    let chunks: Vec<ContentChunk> = (0..CHUNKS)
        .map(|i| ContentChunk {
            read_index: i as u32,
            stamp_ns: 50_000_000 + i * 10_000_000,
            text: tok.synthetic_text(i, 1),
            reasoning: String::new(),
            usage_tokens: None,
        })
        .collect();
    let end_ns = chunks.last().map_or(0, |c| c.stamp_ns) + 1_000_000;
    RecordBuilder::new(0)
        .span(100_000, end_ns)
        .credit(0)
        .ack(1_000_000)
        .chunks(chunks)
        .reads(CHUNKS as u32, 2)
        .input_tokens(1000)
        .requested_output_tokens(CHUNKS)
        .build()
}

fn bench(c: &mut Criterion) {
    let tok = BuiltinTokenizer::new();
    let rec = record(&tok);
    let opts = MetricOptions::default();
    let clock = RunClock::start();

    c.bench_function("record_reduction/compute_500_chunks", |b| {
        b.iter(|| RecordMetrics::compute(black_box(&rec), &tok, &opts));
    });

    c.bench_function("record_reduction/compute_and_push_500_chunks", |b| {
        b.iter_batched(
            || Aggregator::new(AggregatorConfig::default()),
            |mut agg| {
                let m = RecordMetrics::compute(black_box(&rec), &tok, &opts);
                agg.push(&rec, &m);
                agg
            },
            BatchSize::SmallInput,
        );
    });

    // Past the exact-sample cap every value goes into the log histogram.
    let mut histogram_mode = Aggregator::new(AggregatorConfig {
        exact_sample_cap: 0,
        ..AggregatorConfig::default()
    });
    c.bench_function(
        "record_reduction/compute_and_push_500_chunks_histogram",
        |b| {
            b.iter(|| {
                let m = RecordMetrics::compute(black_box(&rec), &tok, &opts);
                histogram_mode.push(&rec, &m);
            });
        },
    );

    let metrics = RecordMetrics::compute(&rec, &tok, &opts);
    let mut jsonl = RecordJsonlWriter::new(std::io::sink(), clock);
    c.bench_function("record_reduction/jsonl_line_500_chunks", |b| {
        b.iter(|| jsonl.write(black_box(&rec), &metrics));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
