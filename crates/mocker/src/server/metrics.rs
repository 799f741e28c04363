//! Server-side counters and latency histograms, exported in Prometheus text format with vLLM's
//! metric names.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::EngineMetrics;

/// vLLM's `time_to_first_token_seconds` buckets.
const TTFT_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
    20.0, 40.0, 80.0, 160.0, 640.0, 2560.0,
];
/// vLLM's `inter_token_latency_seconds` buckets, with 1, 2.5 and 5 ms added in front because a
/// simulated engine with a speed-up ratio often streams faster than 10 ms per token.
const ITL_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5,
    5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
];
/// vLLM's `e2e_request_latency_seconds` buckets.
const E2E_BUCKETS: &[f64] = &[
    0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0,
    480.0, 960.0, 1920.0, 7680.0,
];

/// A histogram with fixed upper bounds; lock-free to observe.
#[derive(Debug)]
pub(crate) struct Histogram {
    bounds: &'static [f64],
    bounds_ns: Vec<u64>,
    /// Per-bucket (not cumulative) counts; the last is the overflow bucket.
    counts: Vec<AtomicU64>,
    sum_ns: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            bounds_ns: bounds.iter().map(|b| (b * 1e9) as u64).collect(),
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_ns: AtomicU64::new(0),
        }
    }

    /// Records `n` observations of `d`.
    #[inline]
    pub(crate) fn observe_n(&self, d: Duration, n: u64) {
        if n == 0 {
            return;
        }
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let i = self
            .bounds_ns
            .iter()
            .position(|&b| ns <= b)
            .unwrap_or(self.bounds_ns.len());
        self.counts[i].fetch_add(n, Relaxed);
        self.sum_ns.fetch_add(ns.saturating_mul(n), Relaxed);
    }

    /// Records one observation.
    #[inline]
    pub(crate) fn observe(&self, d: Duration) {
        self.observe_n(d, 1);
    }

    fn render(&self, out: &mut String, name: &str, help: &str, label: &str) {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0u64;
        for (i, bound) in self.bounds.iter().enumerate() {
            cumulative += self.counts[i].load(Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{label},le=\"{bound:?}\"}} {cumulative}"
            );
        }
        cumulative += self.counts[self.bounds.len()].load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{label},le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_ns.load(Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{{label}}} {sum:?}");
        let _ = writeln!(out, "{name}_count{{{label}}} {cumulative}");
    }
}

/// Why requests finished, for `vllm:request_success_total{finished_reason=...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finished {
    Stop = 0,
    Length = 1,
    Abort = 2,
}

/// Everything the server measures itself.
#[derive(Debug)]
pub(crate) struct ServerMetrics {
    pub(crate) in_flight: AtomicU64,
    pub(crate) prompt_tokens: AtomicU64,
    pub(crate) generation_tokens: AtomicU64,
    pub(crate) cached_tokens: AtomicU64,
    pub(crate) finished: [AtomicU64; 3],
    /// Requests answered 400 because they exceed the context length.
    pub(crate) rejected_context_length: AtomicU64,
    /// Requests answered 503 because the token source has failed.
    pub(crate) rejected_unavailable: AtomicU64,
    /// Requests refused with 503 during the simulated start-up.
    pub(crate) rejected_starting: AtomicU64,
    pub(crate) ttft: Histogram,
    pub(crate) itl: Histogram,
    pub(crate) e2e: Histogram,
}

impl Default for ServerMetrics {
    fn default() -> Self {
        Self {
            in_flight: AtomicU64::new(0),
            prompt_tokens: AtomicU64::new(0),
            generation_tokens: AtomicU64::new(0),
            cached_tokens: AtomicU64::new(0),
            finished: Default::default(),
            rejected_context_length: AtomicU64::new(0),
            rejected_unavailable: AtomicU64::new(0),
            rejected_starting: AtomicU64::new(0),
            ttft: Histogram::new(TTFT_BUCKETS),
            itl: Histogram::new(ITL_BUCKETS),
            e2e: Histogram::new(E2E_BUCKETS),
        }
    }
}

impl ServerMetrics {
    /// Counts one finished request.
    pub(crate) fn finish(&self, reason: Finished, prompt_tokens: u32, cached_tokens: u32) {
        self.finished[reason as usize].fetch_add(1, Relaxed);
        self.prompt_tokens
            .fetch_add(u64::from(prompt_tokens), Relaxed);
        self.cached_tokens
            .fetch_add(u64::from(cached_tokens), Relaxed);
    }

    /// Prometheus text exposition (format 0.0.4). Engine gauges come from `engine` when given,
    /// else from the server's own view (see [`super::stats::EngineStats`]).
    pub(crate) fn render(&self, model_name: &str, engine: Option<EngineMetrics>) -> String {
        let label = format!("model_name=\"{}\"", escape_label(model_name));
        let own = EngineMetrics {
            requests_running: self.in_flight.load(Relaxed),
            prefix_cache_queries_tokens: self.prompt_tokens.load(Relaxed),
            prefix_cache_hits_tokens: self.cached_tokens.load(Relaxed),
            ..EngineMetrics::default()
        };
        let s = engine.unwrap_or(own);
        let mut out = String::with_capacity(8192);
        let mut sample = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name}{{{label}}} {value}");
        };
        let gauge = "gauge";
        let counter = "counter";
        sample(
            "vllm:num_requests_running",
            gauge,
            "Number of requests in model execution batches.",
            s.requests_running.to_string(),
        );
        sample(
            "vllm:num_requests_waiting",
            gauge,
            "Number of requests waiting to be processed.",
            s.requests_waiting.to_string(),
        );
        sample(
            "vllm:kv_cache_usage_perc",
            gauge,
            "KV-cache usage. 1 means 100 percent usage.",
            format!("{:?}", s.kv_cache_usage),
        );
        sample(
            "vllm:gpu_cache_usage_perc",
            gauge,
            "GPU KV-cache usage. 1 means 100 percent usage (older name).",
            format!("{:?}", s.kv_cache_usage),
        );
        sample(
            "vllm:prefix_cache_queries_total",
            counter,
            "Prefix cache queries, in terms of number of queried tokens.",
            s.prefix_cache_queries_tokens.to_string(),
        );
        sample(
            "vllm:prefix_cache_hits_total",
            counter,
            "Prefix cache hits, in terms of number of cached tokens.",
            s.prefix_cache_hits_tokens.to_string(),
        );
        sample(
            "vllm:num_preemptions_total",
            counter,
            "Cumulative number of preemptions from the engine.",
            s.preemptions_total.to_string(),
        );
        sample(
            "vllm:prompt_tokens_total",
            counter,
            "Number of prefill tokens processed.",
            self.prompt_tokens.load(Relaxed).to_string(),
        );
        sample(
            "vllm:generation_tokens_total",
            counter,
            "Number of generation tokens processed.",
            self.generation_tokens.load(Relaxed).to_string(),
        );
        let name = "vllm:request_success_total";
        let _ = writeln!(
            out,
            "# HELP {name} Count of successfully processed requests."
        );
        let _ = writeln!(out, "# TYPE {name} counter");
        for (reason, i) in [("stop", 0), ("length", 1), ("abort", 2)] {
            let n = self.finished[i].load(Relaxed);
            let _ = writeln!(out, "{name}{{{label},finished_reason=\"{reason}\"}} {n}");
        }
        let name = "servebench:requests_rejected_total";
        let _ = writeln!(
            out,
            "# HELP {name} Requests refused before any engine work, by reason (context_length: \
             prompt, or prompt plus max_tokens, longer than max_model_len; engine_failed: 503 \
             after an engine worker died; starting: 503 during the simulated start-up)."
        );
        let _ = writeln!(out, "# TYPE {name} counter");
        for (reason, n) in [
            ("context_length", &self.rejected_context_length),
            ("engine_failed", &self.rejected_unavailable),
            ("starting", &self.rejected_starting),
        ] {
            let n = n.load(Relaxed);
            let _ = writeln!(out, "{name}{{{label},reason=\"{reason}\"}} {n}");
        }
        let name = "servebench:requests_truncated_total";
        let _ = writeln!(
            out,
            "# HELP {name} Requests the engine ended early because they outgrew the whole KV cache \
             (finish_reason length before max_tokens)."
        );
        let _ = writeln!(out, "# TYPE {name} counter");
        let _ = writeln!(out, "{name}{{{label}}} {}", s.requests_truncated_total);
        self.ttft.render(&mut out, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds, measured by the server from request arrival.", &label);
        self.itl.render(&mut out, "vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds, measured by the server at hand-off to HTTP.", &label);
        self.itl.render(
            &mut out,
            "vllm:time_per_output_token_seconds",
            "Histogram of time per output token in seconds (older name of inter_token_latency).",
            &label,
        );
        self.e2e.render(
            &mut out,
            "vllm:e2e_request_latency_seconds",
            "Histogram of end to end request latency in seconds.",
            &label,
        );
        out
    }
}

/// Per-worker counters with a `worker="<index>"` label (index in pool order), so a benchmark can
/// tell the workers apart: prefix-cache queries and hits
/// (`servebench:worker_prefix_cache_{queries,hits}_total`), prompt tokens admitted and tokens
/// generated (`servebench:worker_{prompt,generation}_tokens_total`). They are separate families
/// from vLLM's pool-wide ones, so summing a family never counts a token twice. When `roles` has
/// one entry per worker (disaggregated serving), each series also carries `role="<role>"`
/// (`prefill` or `decode`). Empty text when `workers` is empty.
pub(crate) fn render_worker_counters(
    model_name: &str,
    workers: &[EngineMetrics],
    roles: &[&str],
) -> String {
    if workers.is_empty() {
        return String::new();
    }
    let model = escape_label(model_name);
    let labelled_roles = roles.len() == workers.len();
    let mut out = String::new();
    type Family = (&'static str, &'static str, fn(&EngineMetrics) -> u64);
    let families: [Family; 4] = [
        (
            "servebench:worker_prefix_cache_queries_total",
            "Prefix cache queries of one worker, in terms of number of queried tokens.",
            |m| m.prefix_cache_queries_tokens,
        ),
        (
            "servebench:worker_prefix_cache_hits_total",
            "Prefix cache hits of one worker, in terms of number of cached tokens.",
            |m| m.prefix_cache_hits_tokens,
        ),
        (
            "servebench:worker_prompt_tokens_total",
            "Prompt tokens of the requests one worker admitted.",
            |m| m.prompt_tokens_total,
        ),
        (
            "servebench:worker_generation_tokens_total",
            "Tokens one worker generated.",
            |m| m.generation_tokens_total,
        ),
    ];
    for (name, help, value) in families {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} counter");
        for (i, m) in workers.iter().enumerate() {
            let role = match roles.get(i) {
                Some(role) if labelled_roles => format!(",role=\"{}\"", escape_label(role)),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "{name}{{model_name=\"{model}\",worker=\"{i}\"{role}}} {}",
                value(m)
            );
        }
    }
    out
}

pub(crate) fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_sum_is_in_seconds() {
        let m = ServerMetrics::default();
        m.itl.observe(Duration::from_micros(500));
        m.itl.observe_n(Duration::from_millis(30), 3);
        m.itl.observe(Duration::from_secs(1000));
        let text = m.render("m", None);
        let line = |needle: &str| {
            text.lines()
                .find(|l| l.starts_with(needle))
                .unwrap_or_else(|| panic!("{needle} missing in\n{text}"))
                .rsplit(' ')
                .next()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            line("vllm:inter_token_latency_seconds_bucket{model_name=\"m\",le=\"0.001\"}"),
            "1"
        );
        assert_eq!(
            line("vllm:inter_token_latency_seconds_bucket{model_name=\"m\",le=\"0.025\"}"),
            "1"
        );
        assert_eq!(
            line("vllm:inter_token_latency_seconds_bucket{model_name=\"m\",le=\"0.05\"}"),
            "4"
        );
        assert_eq!(
            line("vllm:inter_token_latency_seconds_bucket{model_name=\"m\",le=\"+Inf\"}"),
            "5"
        );
        assert_eq!(line("vllm:inter_token_latency_seconds_count"), "5");
        let sum: f64 = line("vllm:inter_token_latency_seconds_sum")
            .parse()
            .unwrap();
        assert!((sum - 1000.0905).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn worker_prefix_cache_series_carry_a_worker_label() {
        let w = |q, h| EngineMetrics {
            num_workers: 1,
            prefix_cache_queries_tokens: q,
            prefix_cache_hits_tokens: h,
            ..EngineMetrics::default()
        };
        let text = render_worker_counters("m", &[w(100, 40), w(60, 0)], &[]);
        assert!(text.contains(
            "servebench:worker_prefix_cache_queries_total{model_name=\"m\",worker=\"0\"} 100\n"
        ));
        assert!(text.contains(
            "servebench:worker_prefix_cache_hits_total{model_name=\"m\",worker=\"0\"} 40\n"
        ));
        assert!(text.contains(
            "servebench:worker_prefix_cache_queries_total{model_name=\"m\",worker=\"1\"} 60\n"
        ));
        assert!(text.contains("# TYPE servebench:worker_prefix_cache_hits_total counter\n"));
        assert_eq!(render_worker_counters("m", &[], &[]), "");
        let roles = render_worker_counters("m", &[w(100, 40), w(60, 0)], &["decode", "prefill"]);
        assert!(roles.contains(
            "servebench:worker_prefix_cache_queries_total{model_name=\"m\",worker=\"1\",role=\"prefill\"} 60\n"
        ));
        assert!(roles.contains(
            "servebench:worker_prefix_cache_hits_total{model_name=\"m\",worker=\"0\",role=\"decode\"} 40\n"
        ));
    }

    #[test]
    fn engine_snapshot_overrides_the_servers_view() {
        let m = ServerMetrics::default();
        let snap = EngineMetrics {
            requests_waiting: 7,
            kv_cache_usage: 0.25,
            ..Default::default()
        };
        let text = m.render("a\"b", Some(snap));
        assert!(
            text.contains("vllm:num_requests_waiting{model_name=\"a\\\"b\"} 7\n"),
            "{text}"
        );
        assert!(text.contains("vllm:kv_cache_usage_perc{model_name=\"a\\\"b\"} 0.25\n"));
    }
}
