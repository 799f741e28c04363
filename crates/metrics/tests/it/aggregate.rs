//! Aggregation: counts, duration, throughputs, goodput, warm-up, errors, applicability, bounded
//! memory.

use servebench_metrics::{
    Aggregator, AggregatorConfig, ErrorKind, Goodput, Metric, MetricOptions, MissingReason, Phase,
    RecordMetrics, RequestRecord,
};

use crate::support::{chunk, clock, failed, ms, streamed, tok};

fn push(agg: &mut Aggregator, r: &RequestRecord) {
    let m = RecordMetrics::compute(r, &tok(), &MetricOptions::default());
    agg.push(r, &m);
}

/// Three successes: starts 0, 100, 200 ms; ends 1000, 1500, 2000 ms; OSL 2, 3, 4; ISL 12 each.
fn three_successes() -> Vec<RequestRecord> {
    let mut a = streamed(0, 0, vec![chunk(100, " a"), chunk(200, " b")]);
    a.end_ns = ms(1000);
    let mut b = streamed(
        100,
        100,
        vec![chunk(220, " a"), chunk(300, " b"), chunk(400, " c")],
    );
    b.end_ns = ms(1500);
    let mut c = streamed(
        200,
        200,
        vec![
            chunk(340, " a"),
            chunk(400, " b"),
            chunk(500, " c"),
            chunk(600, " d"),
        ],
    );
    c.end_ns = ms(2000);
    vec![a, b, c]
}

#[test]
fn counts_duration_and_throughputs() {
    let clock = clock();
    let mut agg = Aggregator::new(AggregatorConfig::default());
    for r in three_successes() {
        push(&mut agg, &r);
    }
    // An error spanning 50..2500 ms: counted, but the span comes from successes (AIPerf).
    push(
        &mut agg,
        &failed(50, 2500, ErrorKind::HttpStatus, Some(500), "internal"),
    );
    let s = agg.summary(&clock).profiling;

    assert_eq!(s.scalar(Metric::RequestCount), Some(3.0));
    assert_eq!(s.scalar(Metric::ErrorRequestCount), Some(1.0));
    assert_eq!(s.scalar(Metric::CompletedRequestCount), Some(4.0));
    // error rate = 100 * 1 / 4 = 25 %.
    assert_eq!(s.scalar(Metric::RequestErrorRate), Some(25.0));
    // duration = (2000 - 0) ms = 2 s.
    assert_eq!(s.scalar(Metric::BenchmarkDuration), Some(2.0));
    // request throughput = 3 / 2 s = 1.5 req/s.
    assert_eq!(s.scalar(Metric::RequestThroughput), Some(1.5));
    // total OSL = 2 + 3 + 4 = 9; output throughput = 9 / 2 = 4.5 tokens/s.
    assert_eq!(s.scalar(Metric::TotalOsl), Some(9.0));
    assert_eq!(s.scalar(Metric::TotalOutputTokens), Some(9.0));
    assert_eq!(s.scalar(Metric::OutputTokenThroughput), Some(4.5));
    // total ISL = 36; input throughput 18; total token throughput (36 + 9) / 2 = 22.5.
    assert_eq!(s.scalar(Metric::TotalIsl), Some(36.0));
    assert_eq!(s.scalar(Metric::InputTokenThroughput), Some(18.0));
    assert_eq!(s.scalar(Metric::TotalTokenThroughput), Some(22.5));
    assert_eq!(
        s.scalar(Metric::MinRequestTimestamp),
        Some(clock.epoch_ns(0) as f64)
    );
    assert_eq!(
        s.scalar(Metric::MaxResponseTimestamp),
        Some(clock.epoch_ns(ms(2000)) as f64)
    );
    // No reasoning, no goodput configured.
    assert_eq!(s.get(Metric::TotalReasoningTokens), None);
    assert_eq!(s.get(Metric::Goodput), None);

    // TTFT samples 100, 120, 140 ms: avg 120, p50 120, population std sqrt(800/3).
    let ttft = s.stats(Metric::TimeToFirstToken).unwrap();
    assert_eq!(
        (ttft.count, ttft.min, ttft.max, ttft.sum),
        (3, 100.0, 140.0, 360.0)
    );
    assert!((ttft.avg - 120.0).abs() < 1e-9 && (ttft.p50 - 120.0).abs() < 1e-9);
    assert!((ttft.std - (800.0f64 / 3.0).sqrt()).abs() < 1e-9);
    // ICL pooled: [100] + [80, 100] + [60, 100, 100] -> 6 gaps, sum 540.
    let icl = s.stats(Metric::InterChunkLatency).unwrap();
    assert_eq!(
        (icl.count, icl.sum, icl.min, icl.max),
        (6, 540.0, 60.0, 100.0)
    );
    assert_eq!(s.stats(Metric::InterTokenLatencyPerGap), Some(icl));
    // One token per chunk: the per-token distribution equals the per-gap one.
    assert_eq!(s.stats(Metric::InterTokenLatencyPerToken), Some(icl));
}

#[test]
fn goodput_counts_requests_meeting_every_slo() {
    let clock = clock();
    let goodput = Goodput::parse("time_to_first_token:120 inter_token_latency:90").unwrap();
    let mut agg = Aggregator::new(AggregatorConfig {
        goodput: Some(goodput),
        ..AggregatorConfig::default()
    });
    for r in three_successes() {
        push(&mut agg, &r);
    }
    // TTFT / ITL per record: a 100 / 100 (ITL fails), b 120 / 90 (good: both limits inclusive),
    // c 140 / 86.7 (TTFT fails). One more success with OSL 1 has TTFT 10 but no ITL: not good.
    let mut d = streamed(300, 300, vec![chunk(310, " x")]);
    d.end_ns = ms(320);
    push(&mut agg, &d);
    push(
        &mut agg,
        &failed(0, 10, ErrorKind::Timeout, None, "timed out"),
    );
    let s = agg.summary(&clock).profiling;
    assert_eq!(s.scalar(Metric::GoodRequestCount), Some(1.0));
    // duration still 0 .. 2000 ms = 2 s: goodput = 1 / 2 = 0.5 req/s.
    assert_eq!(s.scalar(Metric::Goodput), Some(0.5));
    // good fraction = 1 / (4 successes + 1 error) = 0.2.
    assert_eq!(s.scalar(Metric::GoodRequestFraction), Some(0.2));
}

#[test]
fn warmup_is_aggregated_separately() {
    let clock = clock();
    let mut agg = Aggregator::new(AggregatorConfig::default());
    let mut w = streamed(0, 0, vec![chunk(500, " a"), chunk(600, " b")]);
    w.phase = Phase::Warmup;
    push(&mut agg, &w);
    for r in three_successes() {
        push(&mut agg, &r);
    }
    let summary = agg.summary(&clock);
    assert_eq!(summary.profiling.scalar(Metric::RequestCount), Some(3.0));
    let ttft = summary.profiling.stats(Metric::TimeToFirstToken).unwrap();
    assert_eq!(ttft.max, 140.0);
    let warmup = summary.warmup.expect("warmup ran");
    assert_eq!(warmup.scalar(Metric::RequestCount), Some(1.0));
    assert_eq!(warmup.stats(Metric::TimeToFirstToken).unwrap().avg, 500.0);

    let mut no_warmup = Aggregator::new(AggregatorConfig::default());
    push(&mut no_warmup, &three_successes()[0]);
    assert!(no_warmup.summary(&clock).warmup.is_none());
}

#[test]
fn errors_are_grouped_by_kind_and_code() {
    let clock = clock();
    let mut agg = Aggregator::new(AggregatorConfig::default());
    push(
        &mut agg,
        &failed(0, 1, ErrorKind::Connect, None, "connection refused"),
    );
    push(
        &mut agg,
        &failed(0, 1, ErrorKind::HttpStatus, Some(500), "first 500"),
    );
    push(
        &mut agg,
        &failed(0, 1, ErrorKind::HttpStatus, Some(500), "second 500"),
    );
    push(
        &mut agg,
        &failed(0, 1, ErrorKind::HttpStatus, Some(429), "slow down"),
    );
    let s = agg.summary(&clock).profiling;
    let groups: Vec<_> = s
        .error_summary
        .iter()
        .map(|g| (g.kind, g.code, g.count, g.example_message.as_str()))
        .collect();
    assert_eq!(
        groups,
        vec![
            (ErrorKind::HttpStatus, Some(500), 2, "first 500"),
            (ErrorKind::Connect, None, 1, "connection refused"),
            (ErrorKind::HttpStatus, Some(429), 1, "slow down"),
        ]
    );
    // All failed: no successes, duration from all records (0..1 ms), error rate 100 %.
    assert_eq!(s.scalar(Metric::RequestCount), Some(0.0));
    assert_eq!(s.scalar(Metric::RequestErrorRate), Some(100.0));
    assert_eq!(s.stats(Metric::RequestLatency), None);
}

#[test]
fn non_streaming_and_embeddings_runs_omit_metrics() {
    let clock = clock();
    let mut r = streamed(0, 0, vec![chunk(100, " a b")]);
    r.streaming = false;
    let mut agg = Aggregator::new(AggregatorConfig {
        streaming: false,
        ..AggregatorConfig::default()
    });
    push(&mut agg, &r);
    let s = agg.summary(&clock).profiling;
    assert!(s.results.iter().all(|x| !x.spec().streaming_only()));
    assert!(s.stats(Metric::RequestLatency).is_some());
    assert!(s.stats(Metric::OutputSequenceLength).is_some());
    // No errors: error_request_count is only reported when there are errors.
    assert_eq!(s.get(Metric::ErrorRequestCount), None);

    let mut emb = Aggregator::new(AggregatorConfig {
        streaming: false,
        produces_tokens: false,
        ..AggregatorConfig::default()
    });
    push(&mut emb, &r);
    let s = emb.summary(&clock).profiling;
    assert!(s.results.iter().all(|x| !x.spec().produces_tokens()));
    assert!(s.stats(Metric::InputSequenceLength).is_some());
}

#[test]
fn histogram_fallback_keeps_exact_count_sum_min_max() {
    let clock = clock();
    let mut agg = Aggregator::new(AggregatorConfig {
        exact_sample_cap: 8,
        ..AggregatorConfig::default()
    });
    // 20 requests, request i has chunks at 100 + i and 100 + 2i ms: ICL gap = i ms (i = 1..=20).
    for i in 1..=20u64 {
        let r = streamed(0, 0, vec![chunk(100 + i, " a"), chunk(100 + 2 * i, " b")]);
        push(&mut agg, &r);
    }
    let s = agg.summary(&clock).profiling;
    let icl = s.stats(Metric::InterChunkLatency).unwrap();
    // count 20, sum 1+...+20 = 210, min 1, max 20, avg 10.5 -- all exact past the cap of 8.
    assert_eq!(
        (icl.count, icl.sum, icl.min, icl.max),
        (20, 210.0, 1.0, 20.0)
    );
    assert!((icl.avg - 10.5).abs() < 1e-12);
    // population std of 1..=20: sqrt((20^2 - 1) / 12) = sqrt(33.25).
    assert!((icl.std - 33.25f64.sqrt()).abs() < 1e-9);
    // p50 exact = 10.5; histogram within 0.5 % relative.
    assert!((icl.p50 - 10.5).abs() / 10.5 < 0.006);
}

#[test]
fn metrics_without_samples_are_listed_with_the_reason() {
    let clock = clock();
    let mut all_failed = Aggregator::new(AggregatorConfig::default());
    push(
        &mut all_failed,
        &failed(0, 10, ErrorKind::EmptyResponse, Some(200), "no content"),
    );
    let s = all_failed.summary(&clock).profiling;
    assert!(s.stats(Metric::TimeToFirstToken).is_none());
    assert_eq!(
        s.missing_reason(Metric::TimeToFirstToken),
        Some(MissingReason::EveryRequestFailed)
    );
    assert_eq!(
        s.missing_reason(Metric::RequestLatency),
        Some(MissingReason::EveryRequestFailed)
    );

    let mut not_streaming = Aggregator::new(AggregatorConfig {
        streaming: false,
        ..AggregatorConfig::default()
    });
    push(&mut not_streaming, &three_successes()[0]);
    let s = not_streaming.summary(&clock).profiling;
    assert_eq!(
        s.missing_reason(Metric::TimeToFirstToken),
        Some(MissingReason::NotStreaming)
    );
    assert_eq!(s.missing_reason(Metric::RequestLatency), None);
    // Succeeded, but no server usage: the usage rows are explained, not dropped.
    assert_eq!(
        s.missing_reason(Metric::UsagePromptTokens),
        Some(MissingReason::NotReported)
    );
    // Every listed metric is absent from the results, and none is goodput-only.
    for m in &s.missing {
        assert!(s.get(m.metric).is_none(), "{}", m.metric);
    }
    assert_eq!(s.missing_reason(Metric::GoodRequestCount), None);
}
