//! Cost of reducing one streamed request: computing its metrics from a 500-chunk record, pushing
//! them into the aggregator, and writing its `profile_export.jsonl` line.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use servebench_metrics::{
    Aggregator, AggregatorConfig, ContentChunk, MetricOptions, Phase, RecordJsonlWriter,
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
    RequestRecord {
        index: 0,
        phase: Phase::Profiling,
        session_index: 0,
        turn_index: 0,
        url_index: 0,
        credit_issued_ns: 0,
        intended_send_ns: None,
        start_ns: 100_000,
        ack_ns: Some(1_000_000),
        end_ns,
        status: Some(200),
        streaming: true,
        chunks,
        reads: CHUNKS as u32,
        non_content_events: 2,
        usage: None,
        input_tokens: Some(1000),
        requested_output_tokens: Some(CHUNKS),
        server_timing: None,
        error: None,
    }
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
