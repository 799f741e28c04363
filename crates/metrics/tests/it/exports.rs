//! Export formats: keys, units and shapes of spec-aiperf A5.

use serde_json::{Value, json};
use servebench_metrics::{
    Aggregator, AggregatorConfig, CSV_FILE, ErrorKind, ExportContext, INPUTS_FILE,
    InputsJsonWriter, JSON_FILE, JSONL_FILE, MetricOptions, Phase, RecordJsonlWriter,
    RecordMetrics, RequestRecord, RunClock, Summary, iso8601_utc, record_line, session_id,
    summary_csv, summary_json, write_summary_exports, x_request_id,
};

use crate::support::{chunk, clock, failed, ms, streamed, tok};

const DISTRIBUTION_KEYS: [&str; 16] = [
    "avg", "count", "max", "min", "p1", "p10", "p25", "p5", "p50", "p75", "p90", "p95", "p99",
    "std", "sum", "unit",
];

/// Two successes (TTFT 100 and 200 ms) and one HTTP 500, plus one warm-up request.
fn run(clock: &RunClock) -> (Summary, Vec<(RequestRecord, RecordMetrics)>) {
    let mut a = streamed(
        0,
        0,
        vec![chunk(100, " a"), chunk(150, " b"), chunk(170, " c")],
    );
    a.end_ns = ms(1000);
    let mut b = streamed(0, 0, vec![chunk(200, " a b"), chunk(300, " c")]);
    b.index = 1;
    b.session_index = 1;
    b.end_ns = ms(2000);
    let mut e = failed(10, 20, ErrorKind::HttpStatus, Some(500), "internal error");
    e.index = 2;
    let mut w = streamed(0, 0, vec![chunk(50, " w"), chunk(60, " x")]);
    w.phase = Phase::Warmup;
    let mut agg = Aggregator::new(AggregatorConfig::default());
    let mut out = Vec::new();
    for r in [a, b, e, w] {
        let m = RecordMetrics::compute(&r, &tok(), &MetricOptions::default());
        agg.push(&r, &m);
        out.push((r, m));
    }
    (agg.summary(clock), out)
}

fn sorted_keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

#[test]
fn json_summary_keys_and_units() {
    let clock = clock();
    let (summary, _) = run(&clock);
    let mut ctx = ExportContext::new("bench-1", json!({"endpoint": {"streaming": true}}));
    ctx.extra_sections
        .push(("client_health".into(), json!({"saturated": false})));
    let doc = summary_json(&summary, &ctx);

    assert_eq!(doc["schema_version"], "1.4");
    assert!(
        doc["aiperf_version"]
            .as_str()
            .unwrap()
            .starts_with("servebench-")
    );
    assert_eq!(doc["benchmark_id"], "bench-1");
    assert_eq!(doc["input_config"]["endpoint"]["streaming"], true);
    assert_eq!(doc["run_info"]["benchmark_id"], "bench-1");
    assert_eq!(doc["was_cancelled"], false);
    assert_eq!(doc["is_complete"], true);
    assert_eq!(doc["client_health"]["saturated"], false);

    // Distribution block: exactly unit, avg, min, max, p1..p99, std, count, sum.
    let ttft = &doc["time_to_first_token"];
    assert_eq!(sorted_keys(ttft), DISTRIBUTION_KEYS);
    assert_eq!(ttft["unit"], "ms");
    // TTFT 100 and 200: avg 150, p50 150, p99 = 100 + 0.99 * 100 = 199, std 50, sum 300.
    assert_eq!(ttft["avg"], 150.0);
    assert_eq!(ttft["p99"], 199.0);
    assert_eq!(ttft["std"], 50.0);
    assert_eq!(ttft["count"], 2);
    assert_eq!(ttft["sum"], 300.0);
    for (tag, unit) in [
        ("request_latency", "ms"),
        ("inter_token_latency", "ms"),
        ("inter_chunk_latency", "ms"),
        ("time_to_second_token", "ms"),
        ("output_token_throughput_per_user", "tokens/sec/user"),
        ("output_sequence_length", "tokens"),
        ("input_sequence_length", "tokens"),
        ("inter_token_latency_per_token", "ms"),
        ("tokens_per_chunk", "tokens"),
    ] {
        assert_eq!(doc[tag]["unit"], unit, "{tag}");
        assert_eq!(sorted_keys(&doc[tag]), DISTRIBUTION_KEYS, "{tag}");
    }
    // Scalars: exactly {unit, avg}.
    for (tag, unit, avg) in [
        ("request_count", "requests", 2.0),
        ("error_request_count", "requests", 1.0),
        ("completed_request_count", "requests", 3.0),
        // 100 * 1 / 3 %.
        ("request_error_rate", "%", 100.0 / 3.0),
        // successes span 0 .. 2000 ms.
        ("benchmark_duration", "sec", 2.0),
        ("request_throughput", "requests/sec", 1.0),
        // OSL 3 + 3 = 6 tokens over 2 s.
        ("output_token_throughput", "tokens/sec", 3.0),
        ("total_osl", "tokens", 6.0),
    ] {
        assert_eq!(sorted_keys(&doc[tag]), ["avg", "unit"], "{tag}");
        assert_eq!(doc[tag]["unit"], unit, "{tag}");
        assert!(
            (doc[tag]["avg"].as_f64().unwrap() - avg).abs() < 1e-9,
            "{tag}"
        );
    }
    // Internal timestamps stay out of the export.
    assert!(doc.get("min_request_timestamp").is_none());

    assert_eq!(
        doc["error_summary"],
        json!([{"error_details": {"code": 500, "type": "http_status", "message": "internal error"},
                "count": 1}])
    );
    assert_eq!(doc["start_time"], iso8601_utc(clock.epoch_ns(0)));
    assert_eq!(doc["end_time"], iso8601_utc(clock.epoch_ns(ms(2000))));
    // Warm-up: TTFT 50 ms.
    assert_eq!(doc["warmup_metrics"]["time_to_first_token"]["avg"], 50.0);
    assert_eq!(doc["warmup_metrics"]["request_count"]["avg"], 1.0);
}

#[test]
fn csv_tables() {
    let clock = clock();
    let (summary, _) = run(&clock);
    let csv = summary_csv(&summary.profiling);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "Metric,avg,min,max,sum,p1,p5,p10,p25,p50,p75,p90,p95,p99,std"
    );
    // TTFT 100, 200: avg 150, min 100, max 200, sum 300, pQ = 100 + Q, std 50.
    assert!(lines.contains(
        &"Time to First Token (ms),150.00,100.00,200.00,300.00,101.00,105.00,110.00,125.00,150.00,175.00,190.00,195.00,199.00,50.00"
    ));
    let blank = lines.iter().position(|l| l.is_empty()).unwrap();
    assert_eq!(lines[blank + 1], "Metric,Value");
    let table1 = &lines[1..blank];
    let table2 = &lines[blank + 2..];
    assert!(table2.contains(&"Request Count,2.00"));
    assert!(table2.contains(&"Request Throughput (requests/sec),1.00"));
    assert!(table2.contains(&"Benchmark Duration (sec),2.00"));
    assert!(table2.contains(&"Request Error Rate (%),33.33"));
    assert!(table1.contains(&"Output Sequence Length (tokens),3.00,3.00,3.00,6.00,3.00,3.00,3.00,3.00,3.00,3.00,3.00,3.00,3.00,0.00"));
    // Every distribution row has 15 columns; rows are sorted by tag (AIPerf sorts by tag).
    assert!(table1.iter().all(|l| l.split(',').count() == 15));
    let pos = |name: &str| table1.iter().position(|l| l.starts_with(name)).unwrap();
    assert!(pos("Inter Chunk Latency") < pos("Output Sequence Length"));
    assert!(pos("Output Sequence Length") < pos("Request Latency"));
    assert!(pos("Request Latency") < pos("Time to First Token"));
    assert_eq!(table2.last(), Some(&""));
}

#[test]
fn jsonl_lines_are_written_per_request() {
    let clock = clock();
    let (_, records) = run(&clock);
    let mut w = RecordJsonlWriter::new(Vec::new(), clock);
    for (r, m) in &records {
        w.write(r, m).unwrap();
    }
    assert_eq!(w.lines(), 4);
    let bytes = w.into_inner().unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);

    let first = &lines[0];
    let meta = &first["metadata"];
    for key in [
        "session_num",
        "x_request_id",
        "conversation_id",
        "turn_index",
        "credit_issued_ns",
        "request_start_ns",
        "request_ack_ns",
        "request_end_ns",
        "worker_id",
        "record_processor_id",
        "benchmark_phase",
        "was_cancelled",
    ] {
        assert!(meta.get(key).is_some(), "{key}");
    }
    assert_eq!(meta["x_request_id"], x_request_id(0));
    assert_eq!(meta["conversation_id"], "session_000000");
    assert_eq!(meta["benchmark_phase"], "profiling");
    assert_eq!(meta["request_start_ns"], clock.epoch_ns(0));
    assert_eq!(meta["request_end_ns"], clock.epoch_ns(ms(1000)));
    assert_eq!(meta["was_cancelled"], false);
    let metrics = &first["metrics"];
    assert_eq!(
        metrics["time_to_first_token"],
        json!({"value": 100.0, "unit": "ms"})
    );
    // OSL is an integer token count; ICL a list in ms: [150-100, 170-150].
    assert_eq!(
        metrics["output_sequence_length"],
        json!({"value": 3, "unit": "tokens"})
    );
    assert_eq!(
        metrics["inter_chunk_latency"],
        json!({"value": [50.0, 20.0], "unit": "ms"})
    );
    assert!(first.get("error").is_none());

    let err = &lines[2];
    assert_eq!(
        err["error"],
        json!({"code": 500, "type": "http_status", "message": "internal error"})
    );
    assert_eq!(err["metrics"], json!({}));
    assert_eq!(lines[3]["metadata"]["benchmark_phase"], "warmup");
}

#[test]
fn cancelled_run_exports_say_so() {
    let clock = clock();
    let mut agg = Aggregator::new(AggregatorConfig::default());
    let ok = streamed(0, 0, vec![chunk(100, " a"), chunk(120, " b")]);
    let mut cancelled = failed(5, 300, ErrorKind::Cancelled, None, "run cancelled");
    cancelled.index = 1;
    let dir = tempfile::tempdir().unwrap();
    let mut jsonl = RecordJsonlWriter::create(&dir.path().join(JSONL_FILE), clock).unwrap();
    for r in [&ok, &cancelled] {
        let m = RecordMetrics::compute(r, &tok(), &MetricOptions::default());
        jsonl.write(r, &m).unwrap();
        agg.push(r, &m);
    }
    jsonl.flush().unwrap();

    let mut ctx = ExportContext::new("cancelled-run", json!({}));
    ctx.was_cancelled = true;
    ctx.incomplete_reason = Some("interrupted by user".into());
    write_summary_exports(dir.path(), &agg.summary(&clock), &ctx).unwrap();

    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(JSON_FILE)).unwrap())
            .unwrap();
    assert_eq!(doc["was_cancelled"], true);
    assert_eq!(doc["is_complete"], false);
    assert_eq!(doc["incomplete_reason"], "interrupted by user");
    assert_eq!(doc["request_count"]["avg"], 1.0);
    assert_eq!(
        doc["error_summary"][0]["error_details"]["type"],
        "cancelled"
    );
    let csv = std::fs::read_to_string(dir.path().join(CSV_FILE)).unwrap();
    assert!(csv.starts_with("Metric,avg,min,max,sum,"));

    let text = std::fs::read_to_string(dir.path().join(JSONL_FILE)).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["metadata"]["was_cancelled"], false);
    assert_eq!(lines[1]["metadata"]["was_cancelled"], true);
    assert_eq!(
        lines[1]["metadata"]["cancellation_time_ns"],
        clock.epoch_ns(ms(300))
    );
    // No partial files left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".partial")), "{names:?}");
}

#[test]
fn inputs_json_streams_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(INPUTS_FILE);
    let mut w = InputsJsonWriter::create(&path).unwrap();
    let body = json!({"messages": [{"role": "user", "content": "hi"}], "model": "mock",
                      "stream": true, "max_completion_tokens": 50});
    w.write_session(&session_id(0), std::slice::from_ref(&body))
        .unwrap();
    w.write_session(&session_id(1), &[body.clone(), body.clone()])
        .unwrap();
    w.finish().unwrap();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        doc,
        json!({"data": [
            {"session_id": "session_000000", "payloads": [body.clone()]},
            {"session_id": "session_000001", "payloads": [body.clone(), body]},
        ]})
    );

    let empty = InputsJsonWriter::new(Vec::new()).unwrap().finish().unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&empty).unwrap(),
        json!({"data": []})
    );
}

/// The writer streams the inter-chunk latency list instead of building it as JSON values; its
/// bytes must equal serde_json's rendering of `record_line` for every kind of record.
#[test]
fn jsonl_writer_bytes_equal_record_line_rendering() {
    let clock = clock();
    let (_, mut records) = run(&clock);
    // Irregular gaps (long decimals), one chunk (no list), cancelled, and many chunks.
    let odd: Vec<_> = (0..40u64)
        .map(|i| {
            let mut c = chunk(100 + i * i, " t");
            c.stamp_ns += i * 7_919;
            c
        })
        .collect();
    let mut extra = vec![
        streamed(0, 0, odd),
        streamed(0, 3, vec![chunk(9, " only")]),
        failed(1, 2, ErrorKind::Cancelled, None, "cancelled \"in\" flight"),
    ];
    extra[0].ack_ns = Some(ms(50));
    for r in extra {
        let m = RecordMetrics::compute(&r, &tok(), &MetricOptions::default());
        records.push((r, m));
    }
    for (r, m) in &records {
        let mut w = RecordJsonlWriter::new(Vec::new(), clock);
        w.write(r, m).unwrap();
        let written = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let expected = serde_json::to_string(&record_line(r, m, &clock)).unwrap() + "\n";
        assert_eq!(written, expected);
    }
}

#[test]
fn atomic_writes_replace_whole_files_and_leave_no_sidecar_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.json");
    std::fs::write(&path, "old contents").unwrap();
    servebench_metrics::write_atomically(&path, b"new").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new");
    assert_eq!(
        servebench_metrics::partial_path(&path),
        dir.path().join("export.json.partial")
    );
    assert!(!servebench_metrics::partial_path(&path).exists());

    // A directory in the way: the final rename fails, the error names the file, and the
    // sidecar (the tool's own file) is removed; the directory is untouched.
    let blocked = dir.path().join("blocked.csv");
    std::fs::create_dir(&blocked).unwrap();
    std::fs::write(blocked.join("keep"), "x").unwrap();
    let err = servebench_metrics::write_atomically(&blocked, b"data").unwrap_err();
    assert!(err.to_string().contains("blocked.csv"), "{err}");
    assert!(!servebench_metrics::partial_path(&blocked).exists());
    assert_eq!(std::fs::read(blocked.join("keep")).unwrap(), b"x");
}
