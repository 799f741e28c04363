//! The HTML reports: self-contained, every plot inline, all text escaped.

use std::fs;

use servebench_report::{escape, write_run_report, write_sweep_report};

use crate::fixtures::{RUNS, aiperf_json, aiperf_sweep, deployment_json, write};

/// The `<svg>...</svg>` documents of a page, each checked to be well-formed XML.
pub(crate) fn svgs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<svg") {
        let end = rest[at..].find("</svg>").expect("closed svg") + at + "</svg>".len();
        let svg = &rest[at..end];
        roxmltree::Document::parse(svg).expect("well-formed svg");
        out.push(svg.to_owned());
        rest = &rest[end..];
    }
    out
}

/// No markup of the page loads or runs anything: every tag is checked (data-derived text is
/// escaped, so a tag can only come from the page template or the plotter), and none is a
/// script, image, frame, link or embed, nor has a `src`, `href` or `on*` attribute.
pub(crate) fn assert_self_contained(html: &str) {
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        let end = rest[at..].find('>').expect("closed tag") + at;
        let tag = rest[at + 1..end].to_ascii_lowercase();
        let mut words = tag.split_whitespace();
        let name = words.next().unwrap_or("").trim_start_matches('/');
        for bad in [
            "script", "img", "iframe", "link", "object", "embed", "image", "use",
        ] {
            assert_ne!(name, bad, "tag <{tag}>");
        }
        for w in words {
            let attr = w.split('=').next().unwrap_or("");
            assert!(
                !(attr.starts_with("on") || attr == "src" || attr.ends_with("href")),
                "attribute {attr} in <{tag}>"
            );
        }
        rest = &rest[end + 1..];
    }
    assert!(!html.to_ascii_lowercase().contains("javascript:"));
}

#[test]
fn escape_replaces_markup_characters() {
    assert_eq!(
        escape("<a href=\"x\">Tom & 'Jerry'</a>"),
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
    );
}

#[test]
fn model_name_with_script_does_not_inject_markup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let json = aiperf_json("m", &RUNS[0])
        .replace(
            "\"name\": \"m\"",
            &format!("\"name\": \"{}\"", evil.replace('"', "\\\"")),
        )
        .replace("--model m", &format!("--model '{evil}'"));
    write(&dir.path().join("profile_export_aiperf.json"), &json);
    let path = write_run_report(dir.path()).expect("report");
    let html = fs::read_to_string(path).expect("read");
    assert_self_contained(&html);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains(evil));

    // The same name as a sweep series (deployment kind) and in a directory name.
    let sweep = dir.path().join("artifacts_<b>x<b>");
    aiperf_sweep(&sweep, "m");
    write(
        &sweep.join("deployment_config.json"),
        &deployment_json(
            "<script>alert(3)</script>",
            "aggregated",
            [1, 1, 0, 0, 0, 0],
        ),
    );
    let html = fs::read_to_string(write_sweep_report(&sweep).expect("sweep report")).expect("read");
    assert_self_contained(&html);
    assert!(html.contains("&lt;script&gt;alert(3)&lt;/script&gt;_aggregated"));
    for svg in svgs(&html) {
        assert!(!svg.contains("<script"), "svg carries markup");
    }
}

#[test]
fn run_report_has_summary_verdict_errors_command_and_plots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = aiperf_json("Qwen/Qwen3-0.6B", &RUNS[2]).replace(
        "\"error_summary\": []",
        "\"error_summary\": [{\"error_details\": {\"code\": 503, \"type\": \"HTTPError\", \
         \"message\": \"Service Unavailable\"}, \"count\": 3}]",
    );
    write(&dir.path().join("profile_export_aiperf.json"), &json);
    let html = fs::read_to_string(write_run_report(dir.path()).expect("report")).expect("read");
    assert_self_contained(&html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Run report: Qwen/Qwen3-0.6B"));
    // Headline: request throughput 5.00, TTFT avg 30.00.
    assert!(html.contains(
        "<td class=\"t\">Request throughput</td><td class=\"t\">req/s</td><td>5.00</td>"
    ));
    assert!(html.contains(
        "<td class=\"t\">Time to first token, avg</td><td class=\"t\">ms</td><td>30.00</td>"
    ));
    assert!(html.contains("not recorded (an AIPerf export has no client-health verdict)"));
    assert!(html.contains("<td>3</td><td>503</td><td class=\"t\">HTTPError</td><td class=\"t\">Service Unavailable</td>"));
    assert!(html.contains(
        "<pre>aiperf profile --model Qwen/Qwen3-0.6B --concurrency 4 --request-count 40</pre>"
    ));
    assert!(html.contains("&quot;phases&quot;"));
    let svgs = svgs(&html);
    assert_eq!(
        svgs.len(),
        3,
        "TTFT, request latency and ITL percentile plots"
    );
    assert!(svgs[1].contains("Request latency (ms)") && svgs[1].contains("Percentile (%)"));
}

#[test]
fn sweep_report_leaves_out_runs_without_plotted_metrics_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sweep = dir.path().join("artifacts_0");
    aiperf_sweep(&sweep, "m");
    // C = 4: every request failed, so AIPerf wrote no latency metrics.
    let failed = sweep.join("m-openai-chat-concurrency4/profile_export_aiperf.json");
    let json = aiperf_json("m", &RUNS[2])
        .replace("\"inter_token_latency\"", "\"absent_1\"")
        .replace("\"time_to_first_token\"", "\"absent_2\"");
    write(&failed, &json);
    let html = fs::read_to_string(write_sweep_report(&sweep).expect("report")).expect("read");
    assert_eq!(svgs(&html).len(), 6, "the other runs are still plotted");
    assert!(html.contains("Left out of the plots:"));
    assert!(html.contains(&format!(
        "<li>{}: field `inter_token_latency.p50`",
        escape(&failed.display().to_string())
    )));
    // The run still has its table row.
    assert!(html.contains("<td class=\"t\">artifacts_0</td><td>4</td>"));
}
