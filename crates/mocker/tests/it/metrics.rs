//! `/metrics` is valid Prometheus text with vLLM names, and counts what was served.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::json;
use servebench_mocker::{EngineMetrics, EngineStats};

use crate::support::*;

type Labels = BTreeMap<String, String>;

#[derive(Debug, Default)]
struct Family {
    kind: String,
    help: bool,
    samples: Vec<(String, Labels, f64)>,
}

fn valid_name(n: &str) -> bool {
    let mut chars = n.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_labels(s: &str) -> Labels {
    let mut labels = Labels::new();
    let mut rest = s;
    while !rest.is_empty() {
        let eq = rest
            .find("=\"")
            .unwrap_or_else(|| panic!("bad label syntax: {s}"));
        let key = &rest[..eq];
        assert!(
            valid_name(key) && !key.contains(':'),
            "bad label name {key:?}"
        );
        let mut value = String::new();
        let mut chars = rest[eq + 2..].char_indices();
        let end = loop {
            match chars.next() {
                Some((i, '"')) => break eq + 2 + i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => value.push(c),
                    other => panic!("bad escape {other:?} in {s}"),
                },
                Some((_, c)) => value.push(c),
                None => panic!("unterminated label value in {s}"),
            }
        };
        assert!(
            labels.insert(key.to_owned(), value).is_none(),
            "duplicate label {key}"
        );
        rest = &rest[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    labels
}

fn parse_value(v: &str) -> f64 {
    match v {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        _ => v
            .parse()
            .unwrap_or_else(|_| panic!("bad sample value {v:?}")),
    }
}

/// A strict parser of the Prometheus text format (0.0.4) as far as the mocker uses it: HELP and
/// TYPE before a family's samples, each once; samples of a family contiguous and named after it;
/// histograms with increasing `le`, non-decreasing cumulative counts, `+Inf` equal to `_count`.
fn parse_prometheus(text: &str) -> HashMap<String, Family> {
    assert!(text.ends_with('\n'), "exposition must end with a newline");
    let mut families: HashMap<String, Family> = HashMap::new();
    let mut current: Option<String> = None;
    let mut finished: Vec<String> = Vec::new();
    for line in text.lines() {
        assert!(!line.is_empty(), "blank line");
        if let Some(rest) = line.strip_prefix("# ") {
            let (keyword, rest) = rest.split_once(' ').unwrap();
            let (name, arg) = rest.split_once(' ').unwrap_or((rest, ""));
            assert!(valid_name(name), "bad metric name {name:?}");
            if current.as_deref() != Some(name) {
                if let Some(c) = current.take() {
                    finished.push(c);
                }
                assert!(
                    !finished.contains(&name.to_owned()),
                    "family {name} is split"
                );
                current = Some(name.to_owned());
            }
            let fam = families.entry(name.to_owned()).or_default();
            assert!(
                fam.samples.is_empty(),
                "{keyword} for {name} after its samples"
            );
            match keyword {
                "HELP" => {
                    assert!(!fam.help, "two HELP lines for {name}");
                    fam.help = true;
                }
                "TYPE" => {
                    assert!(fam.kind.is_empty(), "two TYPE lines for {name}");
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&arg),
                        "bad type {arg}"
                    );
                    fam.kind = arg.to_owned();
                }
                other => panic!("unknown comment keyword {other}"),
            }
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad sample {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => (
                n,
                parse_labels(
                    l.strip_suffix('}')
                        .unwrap_or_else(|| panic!("bad labels {line}")),
                ),
            ),
            None => (series, Labels::new()),
        };
        assert!(valid_name(name), "bad sample name {name:?}");
        let family_name = current
            .clone()
            .unwrap_or_else(|| panic!("sample {name} before any TYPE"));
        let fam = families.get_mut(&family_name).unwrap();
        assert!(
            fam.help && !fam.kind.is_empty(),
            "{family_name} lacks HELP or TYPE"
        );
        let allowed = match fam.kind.as_str() {
            "histogram" => [
                format!("{family_name}_bucket"),
                format!("{family_name}_sum"),
                format!("{family_name}_count"),
            ]
            .contains(&name.to_owned()),
            _ => name == family_name,
        };
        assert!(
            allowed,
            "sample {name} does not belong to {} family {family_name}",
            fam.kind
        );
        let v = parse_value(value);
        if fam.kind == "counter" {
            assert!(v >= 0.0, "negative counter {line}");
        }
        fam.samples.push((name.to_owned(), labels, v));
    }
    for (name, fam) in &families {
        if fam.kind == "histogram" {
            check_histogram(name, fam);
        }
    }
    families
}

/// One histogram series: `(le, cumulative count)` buckets, `_sum`, `_count`.
type Series = (Vec<(f64, f64)>, Option<f64>, Option<f64>);

fn check_histogram(name: &str, fam: &Family) {
    let mut series: BTreeMap<Labels, Series> = BTreeMap::new();
    for (sample, labels, v) in &fam.samples {
        let mut key = labels.clone();
        let le = key.remove("le");
        let entry = series.entry(key).or_default();
        if sample.ends_with("_bucket") {
            let le = parse_value(&le.unwrap_or_else(|| panic!("{name} bucket without le")));
            entry.0.push((le, *v));
        } else if sample.ends_with("_sum") {
            entry.1 = Some(*v);
        } else {
            entry.2 = Some(*v);
        }
    }
    for (labels, (buckets, sum, count)) in series {
        assert!(
            sum.is_some() && count.is_some(),
            "{name}{labels:?} lacks _sum or _count"
        );
        assert!(
            buckets.windows(2).all(|w| w[0].0 < w[1].0),
            "{name}: le not increasing"
        );
        assert!(
            buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "{name}: counts decreasing"
        );
        let last = buckets
            .last()
            .unwrap_or_else(|| panic!("{name} has no buckets"));
        assert!(last.0.is_infinite(), "{name}: last bucket is not +Inf");
        assert_eq!(Some(last.1), count, "{name}: +Inf bucket != _count");
    }
}

fn value(fams: &HashMap<String, Family>, sample: &str, extra: &[(&str, &str)]) -> f64 {
    for fam in fams.values() {
        for (name, labels, v) in &fam.samples {
            if name == sample
                && extra
                    .iter()
                    .all(|(k, val)| labels.get(*k).map(String::as_str) == Some(*val))
            {
                return *v;
            }
        }
    }
    panic!("no sample {sample} {extra:?}");
}

#[tokio::test]
async fn metrics_parse_and_count_served_tokens() {
    let server = start(config()).await;
    let mut prompt_total = 0u64;
    for i in 0..5 {
        let text = format!("request number {i} here");
        let body = chat_body(
            &text,
            json!({"stream": true, "max_tokens": 7, "ignore_eos": true,
                                           "stream_options": {"include_usage": true}}),
        );
        let chunks = post(&server, "/v1/chat/completions", &body).await.chunks();
        prompt_total += chunks.last().unwrap()["usage"]["prompt_tokens"]
            .as_u64()
            .unwrap();
    }
    let v = post(
        &server,
        "/v1/completions",
        &completion_body("abc", json!({"max_tokens": 3, "ignore_eos": true})),
    )
    .await
    .json();
    prompt_total += v["usage"]["prompt_tokens"].as_u64().unwrap();

    // Bodies release their in-flight count just after the client saw their last byte.
    let mut fams = HashMap::new();
    for _ in 0..500 {
        let reply = send(&server, "GET", "/metrics", None).await;
        assert_eq!(reply.status, 200);
        assert!(
            reply
                .header("content-type")
                .starts_with("text/plain; version=0.0.4")
        );
        fams = parse_prometheus(std::str::from_utf8(&reply.body()).unwrap());
        if value(&fams, "vllm:num_requests_running", &[]) == 0.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    for (name, kind) in [
        ("vllm:num_requests_running", "gauge"),
        ("vllm:num_requests_waiting", "gauge"),
        ("vllm:gpu_cache_usage_perc", "gauge"),
        ("vllm:kv_cache_usage_perc", "gauge"),
        ("vllm:prefix_cache_queries_total", "counter"),
        ("vllm:prefix_cache_hits_total", "counter"),
        ("vllm:prompt_tokens_total", "counter"),
        ("vllm:generation_tokens_total", "counter"),
        ("vllm:request_success_total", "counter"),
        ("vllm:time_to_first_token_seconds", "histogram"),
        ("vllm:inter_token_latency_seconds", "histogram"),
        ("vllm:time_per_output_token_seconds", "histogram"),
        ("vllm:e2e_request_latency_seconds", "histogram"),
    ] {
        let fam = fams.get(name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(fam.kind, kind, "{name}");
    }
    for fam in fams.values() {
        for (name, labels, _) in &fam.samples {
            assert_eq!(
                labels.get("model_name").map(String::as_str),
                Some("test-model"),
                "{name}"
            );
        }
    }
    let m = [("model_name", "test-model")];
    assert_eq!(value(&fams, "vllm:generation_tokens_total", &m), 38.0);
    assert_eq!(
        value(&fams, "vllm:prompt_tokens_total", &m),
        prompt_total as f64
    );
    assert_eq!(
        value(&fams, "vllm:prefix_cache_queries_total", &m),
        prompt_total as f64
    );
    assert_eq!(value(&fams, "vllm:prefix_cache_hits_total", &m), 0.0);
    assert_eq!(
        value(&fams, "vllm:time_to_first_token_seconds_count", &m),
        6.0
    );
    assert_eq!(
        value(&fams, "vllm:inter_token_latency_seconds_count", &m),
        32.0
    );
    assert_eq!(
        value(&fams, "vllm:e2e_request_latency_seconds_count", &m),
        6.0
    );
    assert_eq!(
        value(
            &fams,
            "vllm:request_success_total",
            &[("finished_reason", "length")]
        ),
        6.0
    );
    assert_eq!(value(&fams, "vllm:num_requests_running", &m), 0.0);
    server.shutdown().await;
}

struct FakeStats;

impl EngineStats for FakeStats {
    fn snapshot(&self) -> EngineMetrics {
        EngineMetrics {
            requests_running: 3,
            requests_waiting: 2,
            kv_cache_usage: 0.5,
            prefix_cache_queries_tokens: 1000,
            prefix_cache_hits_tokens: 250,
            preemptions_total: 1,
            requests_truncated_total: 4,
            ..EngineMetrics::default()
        }
    }
}

#[tokio::test]
async fn engine_stats_drive_the_engine_gauges() {
    let server = start_with(config(), instant_source(), Some(Arc::new(FakeStats))).await;
    let reply = send(&server, "GET", "/metrics", None).await;
    let fams = parse_prometheus(std::str::from_utf8(&reply.body()).unwrap());
    let m = [("model_name", "test-model")];
    assert_eq!(value(&fams, "vllm:num_requests_running", &m), 3.0);
    assert_eq!(value(&fams, "vllm:num_requests_waiting", &m), 2.0);
    assert_eq!(value(&fams, "vllm:kv_cache_usage_perc", &m), 0.5);
    assert_eq!(value(&fams, "vllm:gpu_cache_usage_perc", &m), 0.5);
    assert_eq!(value(&fams, "vllm:prefix_cache_queries_total", &m), 1000.0);
    assert_eq!(value(&fams, "vllm:prefix_cache_hits_total", &m), 250.0);
    assert_eq!(value(&fams, "vllm:num_preemptions_total", &m), 1.0);
    assert_eq!(value(&fams, "servebench:requests_truncated_total", &m), 4.0);
    let rejected = [("model_name", "test-model"), ("reason", "context_length")];
    assert_eq!(
        value(&fams, "servebench:requests_rejected_total", &rejected),
        0.0
    );
    server.shutdown().await;
}

#[test]
fn the_strict_parser_rejects_broken_exposition() {
    let good = "# HELP a x\n# TYPE a histogram\na_bucket{le=\"1\"} 1\na_bucket{le=\"+Inf\"} 2\na_sum 3\na_count 2\n";
    parse_prometheus(good);
    let bad = [
        "# TYPE a counter\na 1\n",              // no HELP
        "# HELP a x\n# TYPE a counter\nb 1\n",  // foreign sample
        "# HELP a x\n# TYPE a counter\na -1\n", // negative counter
        "# HELP a x\n# TYPE a histogram\na_bucket{le=\"1\"} 3\na_bucket{le=\"+Inf\"} 2\na_sum 3\na_count 2\n",
        "# HELP a x\n# TYPE a histogram\na_bucket{le=\"1\"} 1\na_bucket{le=\"+Inf\"} 2\na_sum 3\na_count 5\n",
        "# HELP a x\n# TYPE a gauge\na{k=\"v} 1\n", // unterminated label
        "# HELP a x\n# TYPE a gauge\na one\n",      // bad value
    ];
    for text in bad {
        let result = std::panic::catch_unwind(|| parse_prometheus(text));
        assert!(result.is_err(), "accepted: {text}");
    }
}
