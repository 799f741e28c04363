//! The summary printed at the end of a run (AIPerf's console columns).

use std::fmt::Write as _;

use servebench_loadgen_core::profile::ProfileOutcome;
use servebench_metrics::{MetricKind, MetricValue, MissingReason, Unit};

/// The metrics table, errors, client health and where the exports are.
pub(crate) fn render(outcome: &ProfileOutcome, embedded: bool) -> String {
    let mut out = String::new();
    let p = &outcome.summary.profiling;
    let name_width = p
        .results
        .iter()
        .map(|r| label(r.spec().header, r.spec().unit.as_str()).len())
        .max()
        .unwrap_or(10)
        .max(10);
    let _ = writeln!(
        out,
        "{:<name_width$} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "Metric", "avg", "min", "max", "p99", "p90", "p50", "std"
    );
    for r in &p.results {
        if let MetricValue::Distribution(s) = r.value {
            let _ = writeln!(
                out,
                "{:<name_width$} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>10.2}",
                label(r.spec().header, r.spec().unit.as_str()),
                s.avg,
                s.min,
                s.max,
                s.p99,
                s.p90,
                s.p50,
                s.std
            );
        }
    }
    for r in &p.results {
        let internal = r.spec().unit == Unit::Ns;
        if let (MetricValue::Scalar(v), false) =
            (r.value, r.spec().kind == MetricKind::Record || internal)
        {
            let _ = writeln!(
                out,
                "{:<name_width$} {:>10.2}",
                label(r.spec().header, r.spec().unit.as_str()),
                v
            );
        }
    }
    let mut reasons: Vec<MissingReason> = Vec::new();
    for m in &p.missing {
        if !reasons.contains(&m.reason) {
            reasons.push(m.reason);
        }
    }
    for reason in reasons {
        let names: Vec<&str> = p
            .missing
            .iter()
            .filter(|m| m.reason == reason)
            .map(|m| m.metric.spec().header)
            .collect();
        let _ = writeln!(out, "No samples ({reason}): {}", names.join(", "));
    }
    if !p.error_summary.is_empty() {
        let _ = writeln!(out, "\nErrors:");
        for e in &p.error_summary {
            let code = e.code.map(|c| format!(" {c}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:>6} x {}{code}: {}",
                e.count, e.kind, e.example_message
            );
        }
    }
    let v = &outcome.verdict;
    let health = &v.details;
    let lag = |k: &str| {
        health[k]["p99"]
            .as_f64()
            .map_or_else(|| "-".into(), |x| format!("{x:.3} ms"))
    };
    let _ = writeln!(
        out,
        "\nClient health: event-loop lag p99 {}, send lag p99 {}, schedule lag p99 {}, \
         coalesced reads {:.1}%, client CPU {}",
        lag("event_loop_lag"),
        lag("send_lag"),
        lag("schedule_lag"),
        health["coalesced_read_fraction"].as_f64().unwrap_or(0.0) * 100.0,
        health["process_cpu_us_per_content_chunk"]
            .as_f64()
            .map_or_else(
                || if embedded {
                    "- (not measured: the embedded engine shares the process)".to_owned()
                } else if health["process_cpu_seconds"].is_null() {
                    "- (not measured on this system)".to_owned()
                } else {
                    "- (no streamed chunks to divide by)".to_owned()
                },
                |x| format!("{x:.2} µs per streamed chunk")
            ),
    );
    for note in &v.notes {
        let _ = writeln!(out, "Note: {note}");
    }
    let rate = &outcome.error_rate;
    if rate.client_errors > 0 {
        let _ = writeln!(
            out,
            "{} failed requests were the client's own doing (not counted as server failures)",
            rate.client_errors
        );
    }
    if v.saturated {
        let _ = writeln!(
            out,
            "\n!!! CLIENT SATURATED: these numbers may be distorted by the load generator itself:"
        );
        for r in &v.reasons {
            let _ = writeln!(out, "!!!   {r}");
        }
    }
    let _ = writeln!(out, "\nExports: {}", outcome.artifact_dir.display());
    out
}

fn label(header: &str, unit: &str) -> String {
    if unit.is_empty() || unit == "requests" {
        header.to_owned()
    } else {
        format!("{header} ({unit})")
    }
}
