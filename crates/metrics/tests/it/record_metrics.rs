//! Per-record metric math against hand-computed values.

use servebench_metrics::{Metric, MetricOptions, RecordMetrics, Usage};

use crate::support::{chunk, ms, streamed, tok};

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

fn compute(r: &servebench_metrics::RequestRecord) -> RecordMetrics {
    RecordMetrics::compute(r, &tok(), &MetricOptions::default())
}

#[test]
fn ttft_ttst_latency_itl_and_throughputs() {
    // credit 4 ms, start 10 ms, one-token chunks at 110, 160, 180, 240 ms.
    let r = streamed(
        4,
        10,
        vec![
            chunk(110, " alpha"),
            chunk(160, " beta"),
            chunk(180, " gamma"),
            chunk(240, " delta"),
        ],
    );
    let m = compute(&r);
    // TTFT = 110 - 10 = 100 ms; TTST = 160 - 110 = 50 ms; latency = 240 - 10 = 230 ms.
    assert!(close(m.get(Metric::TimeToFirstToken), 100.0));
    assert!(close(m.get(Metric::TimeToSecondToken), 50.0));
    assert!(close(m.get(Metric::RequestLatency), 230.0));
    // OSL = 4 tokens; ITL = (230 - 100) / (4 - 1) = 43.333... ms.
    assert!(close(m.get(Metric::OutputSequenceLength), 4.0));
    assert!(close(m.get(Metric::OutputTokenCount), 4.0));
    assert!(close(m.get(Metric::InterTokenLatency), 130.0 / 3.0));
    // TPS/user = 1 / 0.043333 s = 3000/130 = 23.0769... tokens/s.
    assert!(close(
        m.get(Metric::OutputTokenThroughputPerUser),
        3000.0 / 130.0
    ));
    // E2E TPS/user = 4 tokens / 0.230 s = 17.3913...
    assert!(close(
        m.get(Metric::E2eOutputTokenThroughput),
        4000.0 / 230.0
    ));
    // ISL 12 tokens; prefill TPS/user = 12 / 0.100 s = 120.
    assert!(close(m.get(Metric::InputSequenceLength), 12.0));
    assert!(close(m.get(Metric::PrefillThroughputPerUser), 120.0));
    // credit-to-start = 10 - 4 = 6 ms; effective latency = 240 - 4 (credit, closed loop) = 236 ms.
    assert!(close(m.get(Metric::CreditToStartLatency), 6.0));
    assert!(close(m.get(Metric::EffectiveLatency), 236.0));
    // ICL = [160-110, 180-160, 240-180] = [50, 20, 60].
    assert_eq!(m.inter_chunk_latency_ms(), &[50.0, 20.0, 60.0]);
    assert_eq!(m.tokens_per_chunk(), &[1, 1, 1, 1]);
    assert_eq!(m.get(Metric::ReasoningTokenCount), None);
    // No reasoning: no TTFO (it would equal TTFT).
    assert_eq!(m.get(Metric::TimeToFirstOutputToken), None);
}

#[test]
fn effective_latency_starts_at_the_intended_send_time() {
    let mut r = streamed(4, 10, vec![chunk(110, " a"), chunk(150, " b")]);
    // Scheduled for 1 ms, credit released late at 4 ms: 150 - 1 = 149 ms.
    r.intended_send_ns = Some(ms(1));
    assert!(close(compute(&r).get(Metric::EffectiveLatency), 149.0));
}

#[test]
fn itl_absent_for_osl_1_and_defined_for_osl_2() {
    let one = compute(&streamed(0, 0, vec![chunk(100, " only")]));
    assert!(close(one.get(Metric::OutputSequenceLength), 1.0));
    assert_eq!(one.get(Metric::InterTokenLatency), None);
    assert_eq!(one.get(Metric::OutputTokenThroughputPerUser), None);
    assert_eq!(one.get(Metric::TimeToSecondToken), None);
    assert!(one.inter_chunk_latency_ms().is_empty());
    assert!(close(one.get(Metric::TimeToFirstToken), 100.0));

    // OSL 2: ITL = (130 - 100) / (2 - 1) = 30 ms; TPS/user = 1000/30.
    let two = compute(&streamed(0, 0, vec![chunk(100, " a"), chunk(130, " b")]));
    assert!(close(two.get(Metric::InterTokenLatency), 30.0));
    assert!(close(
        two.get(Metric::OutputTokenThroughputPerUser),
        1000.0 / 30.0
    ));
}

#[test]
fn per_token_itl_spreads_multi_token_chunks() {
    // Chunks: 100 ms " a" (1 token), 130 ms " b c d" (3), 140 ms " e" (1), 200 ms " f g" (2).
    let r = streamed(
        0,
        0,
        vec![
            chunk(100, " a"),
            chunk(130, " b c d"),
            chunk(140, " e"),
            chunk(200, " f g"),
        ],
    );
    let m = compute(&r);
    assert_eq!(m.tokens_per_chunk(), &[1, 3, 1, 2]);
    // Gaps 30, 10, 60 ms.
    assert_eq!(m.inter_chunk_latency_ms(), &[30.0, 10.0, 60.0]);
    // Per token: 30/3 = 10 (x3), 10/1 = 10 (x1), 60/2 = 30 (x2).
    let spread: Vec<(f64, u32)> = m
        .token_gaps()
        .iter()
        .map(|g| (g.per_token_ms, g.tokens))
        .collect();
    assert_eq!(spread, vec![(10.0, 3), (10.0, 1), (30.0, 2)]);
    // OSL = 7 (whole text re-tokenised once); ITL = (200 - 100) / 6 = 16.667 ms.
    assert!(close(m.get(Metric::OutputSequenceLength), 7.0));
    assert!(close(m.get(Metric::InterTokenLatency), 100.0 / 6.0));
}

#[test]
fn gap_before_a_zero_token_chunk_carries_to_the_next_chunk() {
    let mut r = streamed(
        0,
        0,
        vec![chunk(100, " a"), chunk(110, " b"), chunk(150, " c d")],
    );
    // The server reports 0 tokens for the middle chunk and 2 for the last.
    r.chunks[1].usage_tokens = Some(0);
    r.chunks[2].usage_tokens = Some(2);
    let m = compute(&r);
    assert_eq!(m.tokens_per_chunk(), &[1, 0, 2]);
    // Gaps 10 and 40 ms; both end up on the last chunk: (10 + 40) / 2 = 25 ms, twice.
    let spread: Vec<(f64, u32)> = m
        .token_gaps()
        .iter()
        .map(|g| (g.per_token_ms, g.tokens))
        .collect();
    assert_eq!(spread, vec![(25.0, 2)]);
}

#[test]
fn first_chunk_usage_tokens_replace_the_one_token_assumption() {
    // First chunk carries 3 tokens (server per-chunk usage), then 4 one-token chunks: OSL 7.
    let mut r = streamed(
        0,
        0,
        vec![
            chunk(100, " a b c"),
            chunk(120, " d"),
            chunk(140, " e"),
            chunk(160, " f"),
            chunk(180, " g"),
        ],
    );
    r.chunks[0].usage_tokens = Some(3);
    let m = compute(&r);
    assert!(close(m.get(Metric::OutputSequenceLength), 7.0));
    // ITL = (180 - 100) / (7 - 3) = 20 ms (with the `OSL - 1` rule it would be 80/6 = 13.33).
    assert!(close(m.get(Metric::InterTokenLatency), 20.0));

    // A reported count that leaves no decode tokens falls back to OSL - 1 (as AIPerf does).
    r.chunks[0].usage_tokens = Some(7);
    assert!(close(
        compute(&r).get(Metric::InterTokenLatency),
        80.0 / 6.0
    ));
}

#[test]
fn non_streaming_has_latency_but_no_streaming_metrics() {
    let mut r = streamed(0, 10, vec![chunk(510, " the whole answer")]);
    r.streaming = false;
    let m = compute(&r);
    // latency = 510 - 10 = 500 ms; OSL 3.
    assert!(close(m.get(Metric::RequestLatency), 500.0));
    assert!(close(m.get(Metric::OutputSequenceLength), 3.0));
    for streaming_only in [
        Metric::TimeToFirstToken,
        Metric::TimeToSecondToken,
        Metric::InterTokenLatency,
        Metric::OutputTokenThroughputPerUser,
        Metric::PrefillThroughputPerUser,
    ] {
        assert_eq!(m.get(streaming_only), None, "{streaming_only}");
    }
    assert!(m.inter_chunk_latency_ms().is_empty() && m.tokens_per_chunk().is_empty());
    // E2E TPS/user = 3 / 0.5 s = 6.
    assert!(close(m.get(Metric::E2eOutputTokenThroughput), 6.0));
}

#[test]
fn reasoning_text_is_counted_separately() {
    let mut r = streamed(
        0,
        0,
        vec![chunk(100, ""), chunk(120, ""), chunk(140, " answer")],
    );
    r.chunks[0].reasoning = " think".into();
    r.chunks[1].reasoning = " more".into();
    let m = compute(&r);
    // reasoning " think more" = 2 tokens, output " answer" = 1, OSL = 3.
    assert!(close(m.get(Metric::ReasoningTokenCount), 2.0));
    // TTFT counts the first reasoning chunk (100 ms), TTFO the first answer chunk (140 ms).
    assert!(close(m.get(Metric::TimeToFirstToken), 100.0));
    assert!(close(m.get(Metric::TimeToFirstOutputToken), 140.0));
    assert!(close(m.get(Metric::OutputTokenCount), 1.0));
    assert!(close(m.get(Metric::OutputSequenceLength), 3.0));
}

#[test]
fn server_token_counts_come_from_usage() {
    let mut r = streamed(0, 0, vec![chunk(100, " a"), chunk(120, " b")]);
    r.usage = Some(Usage {
        prompt_tokens: Some(20),
        completion_tokens: Some(9),
        total_tokens: Some(29),
        cached_tokens: Some(16),
        reasoning_tokens: Some(3),
    });
    let opts = MetricOptions {
        use_server_token_count: true,
    };
    let m = RecordMetrics::compute(&r, &tok(), &opts);
    // OSL = completion 9 (includes reasoning 3); output = 9 - 3 = 6; ISL = prompt 20.
    assert!(close(m.get(Metric::OutputSequenceLength), 9.0));
    assert!(close(m.get(Metric::OutputTokenCount), 6.0));
    assert!(close(m.get(Metric::ReasoningTokenCount), 3.0));
    assert!(close(m.get(Metric::InputSequenceLength), 20.0));
    // ITL = (120 - 100) / (9 - 1) = 2.5 ms.
    assert!(close(m.get(Metric::InterTokenLatency), 2.5));
    assert!(close(m.get(Metric::UsageTotalTokens), 29.0));
    assert!(close(m.get(Metric::UsagePromptCacheReadTokens), 16.0));

    // Client counting (default) ignores usage for OSL but still copies the usage values.
    let client = compute(&r);
    assert!(close(client.get(Metric::OutputSequenceLength), 2.0));
    assert!(close(client.get(Metric::UsageCompletionTokens), 9.0));
}

#[test]
fn failed_records_have_no_metrics() {
    let r = crate::support::failed(
        0,
        50,
        servebench_metrics::ErrorKind::HttpStatus,
        Some(500),
        "boom",
    );
    let m = compute(&r);
    assert!(m.values().is_empty() && m.inter_chunk_latency_ms().is_empty());
}
