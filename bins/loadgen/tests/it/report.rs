//! `--report`: one self-contained HTML page next to the exports.

use crate::cli::run;

fn base_args(dir: &str) -> Vec<&str> {
    vec![
        "--request-count",
        "6",
        "--concurrency",
        "2",
        "--osl",
        "12",
        "--mocker-speedup-ratio",
        "20",
        "--ui",
        "none",
        "--allow-client-saturation",
        "--report",
        "--artifact-dir",
        dir,
    ]
}

#[test]
fn report_html_is_written_with_escaped_text_and_inline_plots() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let dir_s = dir.to_str().unwrap();
    let mut args = base_args(dir_s);
    args.extend(["--model", "<script>alert('x')</script>"]);
    let out = run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "status {:?}\n{stderr}", out.status);
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Report: "));
    assert!(!html.contains("<script"), "markup injected");
    assert!(html.contains("Run report: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert_eq!(
        html.matches("<svg").count(),
        4,
        "TTFT, request latency and ITL percentiles, request timeline"
    );
    // The exact command line, escaped, and the configuration echo.
    assert!(
        html.contains("--report --artifact-dir")
            && html.contains("--model &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        "command line missing"
    );
    assert!(html.contains("&quot;concurrency&quot;: 2"));
    assert!(html.contains("<h2>Client health</h2>"));
}

#[test]
fn with_a_prefix_the_report_follows_the_export_names() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let dir_s = dir.to_str().unwrap();
    let mut args = base_args(dir_s);
    args.extend(["--profile-export-prefix", "run1"]);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("run1_report.html").is_file());
    assert!(!dir.join("report.html").exists());
}
