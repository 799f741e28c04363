//! Self-contained HTML reports: one file, inline SVG plots and CSS, no scripts, no network.
//! Every piece of text taken from the artifacts is escaped.

use std::fmt::Write as _;

use serde_json::Value;

use crate::ReportError;
use crate::charts::Chart;
use crate::export::RunExport;
use crate::sweep::SweepSeries;

/// `s` with `& < > " '` replaced by character references, safe in element text and in quoted
/// attribute values.
#[must_use]
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1250px;padding:0 1em;\
color:#222;line-height:1.4}h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:2em}\
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}.wide{overflow-x:auto}\
th,td{border:1px solid #ccc;padding:.25em .5em;\
text-align:right}th{background:#f2f2f2}td.t,th.t{text-align:left}\
pre{background:#f6f6f6;border:1px solid #ddd;padding:.6em;overflow-x:auto;white-space:pre-wrap;\
word-break:break-all}figure{margin:1em 0}figure svg{max-width:100%;height:auto;display:block;\
border:1px solid #eee}.ok{color:#1a7f37;font-weight:bold}.bad{color:#b42318;font-weight:bold}\
.meta{color:#555}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// A number as the reports show it: two decimals, `-` when absent.
fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |x| format!("{x:.2}"))
}

/// A count as the reports show it: a whole number, `-` when absent.
fn count(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |x| format!("{x:.0}"))
}

/// One `<figure>` per chart with its SVG inline.
fn figures(out: &mut String, charts: &[Chart]) -> Result<(), ReportError> {
    for c in charts {
        let svg = c.svg()?;
        // Drop an XML declaration if the backend wrote one: it is not allowed inside HTML.
        let svg = match svg.find("<svg") {
            Some(at) => &svg[at..],
            None => svg.as_str(),
        };
        let _ = writeln!(
            out,
            "<figure id=\"{}\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>",
            escape(c.file.trim_end_matches(".png")),
            escape(c.title())
        );
    }
    Ok(())
}

fn pre(out: &mut String, text: &str) {
    let _ = writeln!(out, "<pre>{}</pre>", escape(text));
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// The client-health verdict of a run as (healthy?, sentence); `None` when the export has none
/// (AIPerf does not judge its own client).
#[must_use]
pub fn client_verdict(export: &RunExport) -> Option<(bool, String)> {
    let h = export.client_health.as_ref()?;
    let saturated = h.get("saturated").and_then(Value::as_bool).unwrap_or(false);
    let list = |k: &str| -> Vec<String> {
        h.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let p99 = |k: &str| h.get(k).and_then(|v| v.get("p99")).and_then(Value::as_f64);
    let mut text = if saturated {
        "client saturated: latencies are not trustworthy".to_owned()
    } else {
        "client healthy".to_owned()
    };
    let _ = write!(
        text,
        " (event-loop lag p99 {} ms, send lag p99 {} ms, schedule lag p99 {} ms",
        num(p99("event_loop_lag")),
        num(p99("send_lag")),
        num(p99("schedule_lag"))
    );
    if let Some(f) = h.get("coalesced_read_fraction").and_then(Value::as_f64) {
        let _ = write!(text, ", coalesced reads {:.1}%", f * 100.0);
    }
    text.push(')');
    for r in list("reasons") {
        let _ = write!(text, "; {r}");
    }
    for n in list("notes") {
        let _ = write!(text, "; note: {n}");
    }
    Some((!saturated, text))
}

fn verdict_html(export: &RunExport) -> String {
    match client_verdict(export) {
        Some((true, t)) => format!("<span class=\"ok\">OK</span> {}", escape(&t)),
        Some((false, t)) => format!("<span class=\"bad\">SATURATED</span> {}", escape(&t)),
        None => "not recorded (an AIPerf export has no client-health verdict)".to_owned(),
    }
}

/// The error-breakdown table of a run (nothing when it had no errors).
fn errors_html(out: &mut String, export: &RunExport) {
    let count = export.get("error_request_count", "avg").unwrap_or(0.0);
    if let Some(a) = &export.error_attribution {
        let n = |k: &str| a.get(k).map_or_else(|| "-".to_owned(), Value::to_string);
        let _ = writeln!(
            out,
            "<p>Completed {}, server errors {}, client errors {}, cancelled {}, server error \
             rate {}%.</p>",
            escape(&n("completed")),
            escape(&n("server_errors")),
            escape(&n("client_errors")),
            escape(&n("cancelled")),
            escape(&num(a.get("server_error_rate_pct").and_then(Value::as_f64)))
        );
    }
    if export.errors.is_empty() {
        let _ = writeln!(
            out,
            "<p>{}</p>",
            if count > 0.0 {
                format!("{count:.0} failed requests, no error summary recorded.")
            } else {
                "No failed requests.".to_owned()
            }
        );
        return;
    }
    out.push_str(
        "<table><tr><th>count</th><th>code</th><th class=\"t\">type</th>\
         <th class=\"t\">message</th></tr>\n",
    );
    for e in &export.errors {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td></tr>",
            e.count,
            e.code.map_or_else(|| "-".to_owned(), |c| c.to_string()),
            escape(&e.kind),
            escape(&e.message)
        );
    }
    out.push_str("</table>\n");
}

/// The headline numbers of a run: (name, unit, metric, stat).
const HEADLINE: [(&str, &str, &str, &str); 14] = [
    ("Successful requests", "", "request_count", "avg"),
    ("Failed requests", "", "error_request_count", "avg"),
    ("Benchmark duration", "s", "benchmark_duration", "avg"),
    ("Request throughput", "req/s", "request_throughput", "avg"),
    (
        "Output token throughput",
        "tokens/s",
        "output_token_throughput",
        "avg",
    ),
    (
        "Time to first token, avg",
        "ms",
        "time_to_first_token",
        "avg",
    ),
    (
        "Time to first token, p50",
        "ms",
        "time_to_first_token",
        "p50",
    ),
    (
        "Time to first token, p99",
        "ms",
        "time_to_first_token",
        "p99",
    ),
    (
        "Inter-token latency, avg",
        "ms",
        "inter_token_latency",
        "avg",
    ),
    (
        "Inter-token latency, p99",
        "ms",
        "inter_token_latency",
        "p99",
    ),
    ("Request latency, avg", "ms", "request_latency", "avg"),
    ("Request latency, p99", "ms", "request_latency", "p99"),
    (
        "Output tokens per user, avg",
        "tokens/s/user",
        "output_token_throughput_per_user",
        "avg",
    ),
    (
        "Output sequence length, avg",
        "tokens",
        "output_sequence_length",
        "avg",
    ),
];

/// The statistics shown for every distribution metric.
const STATS: [&str; 8] = ["avg", "min", "p50", "p90", "p95", "p99", "max", "std"];

fn all_metrics_html(out: &mut String, export: &RunExport) {
    let (dist, scalar): (Vec<_>, Vec<_>) = export
        .metrics
        .iter()
        .partition(|(_, m)| m.stats.contains_key("p50"));
    out.push_str("<table><tr><th class=\"t\">metric</th><th class=\"t\">unit</th>");
    for s in STATS {
        let _ = write!(out, "<th>{s}</th>");
    }
    out.push_str("</tr>\n");
    for (tag, m) in dist {
        let _ = write!(
            out,
            "<tr><td class=\"t\">{}</td><td class=\"t\">{}</td>",
            escape(tag),
            escape(&m.unit)
        );
        for s in STATS {
            let _ = write!(out, "<td>{}</td>", num(m.stats.get(s).copied()));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n<table><tr><th class=\"t\">metric</th><th class=\"t\">unit</th><th>value</th></tr>\n");
    for (tag, m) in scalar {
        let _ = writeln!(
            out,
            "<tr><td class=\"t\">{}</td><td class=\"t\">{}</td><td>{}</td></tr>",
            escape(tag),
            escape(&m.unit),
            num(m.stats.get("avg").copied())
        );
    }
    out.push_str("</table>\n");
}

/// The HTML report of one run: headline table, latency percentile plots, the per-request
/// latency timeline (from `timeline`; its error, e.g. a missing `profile_export.jsonl`, is shown
/// as a note), client-health verdict, error breakdown, every metric, the exact command line and
/// the configuration echo.
///
/// # Errors
/// [`ReportError::Plot`] when a plot cannot be drawn.
pub fn run_report_html(
    export: &RunExport,
    timeline: Result<&crate::records::Timeline, &ReportError>,
) -> Result<String, ReportError> {
    let model = export.model().unwrap_or("unknown model");
    let title = format!("Run report: {model}");
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}</h1>", escape(&title));
    let _ = writeln!(
        b,
        "<p class=\"meta\">Export {} · written by {} · {} to {}{}</p>",
        escape(&export.path.display().to_string()),
        escape(export.tool_version.as_deref().unwrap_or("unknown tool")),
        escape(export.start_time.as_deref().unwrap_or("?")),
        escape(export.end_time.as_deref().unwrap_or("?")),
        if export.was_cancelled {
            " · <span class=\"bad\">cancelled</span>"
        } else {
            ""
        }
    );
    b.push_str("<h2>Summary</h2>\n<table><tr><th class=\"t\">quantity</th><th class=\"t\">unit</th><th>value</th></tr>\n");
    for (name, unit, metric, stat) in HEADLINE {
        let value = match metric {
            "request_count" => count(export.get(metric, stat)),
            // AIPerf writes the error count only when there were errors.
            "error_request_count" => count(Some(export.get(metric, stat).unwrap_or(0.0))),
            _ => num(export.get(metric, stat)),
        };
        let _ = writeln!(
            b,
            "<tr><td class=\"t\">{name}</td><td class=\"t\">{unit}</td><td>{value}</td></tr>"
        );
    }
    b.push_str("</table>\n<h2>Client health</h2>\n");
    let _ = writeln!(b, "<p>{}</p>", verdict_html(export));
    b.push_str("<h2>Errors</h2>\n");
    errors_html(&mut b, export);
    b.push_str("<h2>Plots</h2>\n");
    let mut charts = crate::charts::run_charts(export);
    if charts.is_empty() {
        b.push_str("<p>No latency percentiles in this export.</p>\n");
    }
    match timeline {
        Ok(t) => charts.extend(crate::charts::timeline_chart(t)),
        Err(e) => {
            let _ = writeln!(b, "<p>No request timeline: {}</p>", escape(&e.to_string()));
        }
    }
    figures(&mut b, &charts)?;
    b.push_str("<h2>All metrics</h2>\n");
    all_metrics_html(&mut b, export);
    b.push_str("<h2>Command line</h2>\n");
    pre(
        &mut b,
        export.cli_command.as_deref().unwrap_or("(not recorded)"),
    );
    b.push_str("<h2>Configuration</h2>\n");
    match &export.input_config {
        Some(c) => pre(&mut b, &pretty(c)),
        None => b.push_str("<p>(no input_config in the export)</p>\n"),
    }
    if let Some(r) = &export.run_info {
        b.push_str("<h3>run_info</h3>\n");
        pre(&mut b, &pretty(r));
    }
    Ok(page(&title, &b))
}

/// The HTML report of a sweep: one row per run, the five `plot.py` pictures and the Pareto chart
/// of `plot_pareto.py` (when the runs have per-user throughput), each run's
/// client-health verdict and errors, the deployment description, and every run's command line
/// and configuration.
///
/// Runs without a plotted metric (e.g. every request failed) are left out of the plots and
/// named in a note; the tables still show them.
///
/// # Errors
/// [`ReportError::Plot`] when a plot cannot be drawn.
pub fn sweep_report_html(series: &[SweepSeries]) -> Result<String, ReportError> {
    let names: Vec<&str> = series.iter().map(|s| s.label.as_str()).collect();
    let title = format!("Sweep report: {}", names.join(", "));
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}</h1>", escape(&title));
    for s in series {
        let _ = writeln!(
            b,
            "<p class=\"meta\">{}: {} runs in {}</p>",
            escape(&s.label),
            s.points.len(),
            escape(&s.dir.display().to_string())
        );
    }
    b.push_str(
        "<h2>Summary</h2>\n<div class=\"wide\"><table><tr><th class=\"t\">series</th><th>C</th>\
        <th>requests</th><th>failed</th><th>req/s</th><th>output tokens/s</th>\
        <th>tokens/s/user (output tokens/s ÷ C)</th><th>tokens/s/user (1/ITL, avg)</th>\
        <th>tokens/s/GPU</th><th>TTFT avg (ms)</th><th>TTFT p99 (ms)</th>\
        <th>ITL avg (ms)</th><th>ITL p50 (ms)</th><th class=\"t\">client</th></tr>\n",
    );
    for s in series {
        let gpus = s.gpus().unwrap_or(1).max(1) as f64;
        for p in &s.points {
            let e = &p.export;
            let total = e.output_tokens_per_second().ok();
            let client = match client_verdict(e) {
                Some((true, _)) => "<span class=\"ok\">OK</span>",
                Some((false, _)) => "<span class=\"bad\">SATURATED</span>",
                None => "-",
            };
            let _ = writeln!(
                b,
                "<tr><td class=\"t\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td class=\"t\">{client}</td></tr>",
                escape(&s.label),
                p.concurrency,
                count(e.get("request_count", "avg")),
                count(Some(e.get("error_request_count", "avg").unwrap_or(0.0))),
                num(e.get("request_throughput", "avg")),
                num(total),
                num(total.map(|t| t / p.concurrency.max(1) as f64)),
                num(e.get("output_token_throughput_per_user", "avg")),
                num(total.map(|t| t / gpus)),
                num(e.get("time_to_first_token", "avg")),
                num(e.get("time_to_first_token", "p99")),
                num(e.get("inter_token_latency", "avg")),
                num(e.get("inter_token_latency", "p50")),
            );
        }
    }
    b.push_str("</table></div>\n<h2>Plots</h2>\n");
    // A run without the plotted metrics (every request failed, say) is left out of the plots
    // with a note, so the rest of the sweep is still shown.
    let (plotted, left_out) = crate::charts::plottable(series);
    if !left_out.is_empty() {
        b.push_str("<p class=\"bad\">Left out of the plots:</p>\n<ul>\n");
        for e in &left_out {
            let _ = writeln!(b, "<li>{}</li>", escape(&e.to_string()));
        }
        b.push_str("</ul>\n");
    }
    if plotted.is_empty() {
        b.push_str("<p>No run has the metrics the plots need.</p>\n");
    } else {
        let mut charts = crate::charts::sweep_charts(&plotted)?;
        let rows = crate::pareto::sweep_pareto_rows(&plotted);
        if !rows.is_empty() {
            charts.push(crate::charts::pareto_chart(&rows, &names.join(", ")));
        }
        figures(&mut b, &charts)?;
    }
    b.push_str("<h2>Client health</h2>\n<ul>\n");
    for s in series {
        for p in &s.points {
            let _ = writeln!(
                b,
                "<li>{} c{}: {}</li>",
                escape(&s.label),
                p.concurrency,
                verdict_html(&p.export)
            );
        }
    }
    b.push_str("</ul>\n<h2>Errors</h2>\n");
    for s in series {
        for p in &s.points {
            let _ = writeln!(b, "<h3>{} c{}</h3>", escape(&s.label), p.concurrency);
            errors_html(&mut b, &p.export);
        }
    }
    b.push_str("<h2>Deployment</h2>\n");
    for s in series {
        let _ = writeln!(b, "<h3>{}</h3>", escape(&s.label));
        match &s.deployment {
            Some(d) => {
                let _ = writeln!(
                    b,
                    "<p>kind {}, mode {}, model {}, ISL {}, OSL {}, TP {} × DP {}, prefill TP {} \
                     × DP {}, decode TP {} × DP {}: {} GPUs.</p>",
                    escape(&d.kind),
                    escape(d.mode.name()),
                    escape(&d.model),
                    d.input_sequence_length,
                    d.output_sequence_length,
                    d.tensor_parallelism,
                    d.data_parallelism,
                    d.prefill_tensor_parallelism,
                    d.prefill_data_parallelism,
                    d.decode_tensor_parallelism,
                    d.decode_data_parallelism,
                    d.gpus()
                );
            }
            None => b.push_str("<p>No deployment_config.json: per-GPU figures assume 1 GPU.</p>\n"),
        }
    }
    b.push_str("<h2>Command lines and configuration</h2>\n");
    for s in series {
        for p in &s.points {
            let _ = writeln!(
                b,
                "<h3>{} c{}</h3>\n<p class=\"meta\">{}</p>",
                escape(&s.label),
                p.concurrency,
                escape(&p.export.path.display().to_string())
            );
            pre(
                &mut b,
                p.export.cli_command.as_deref().unwrap_or("(not recorded)"),
            );
            if let Some(c) = &p.export.input_config {
                let _ = writeln!(
                    b,
                    "<details><summary>input_config</summary><pre>{}</pre></details>",
                    escape(&pretty(c))
                );
            }
        }
    }
    Ok(page(&title, &b))
}
