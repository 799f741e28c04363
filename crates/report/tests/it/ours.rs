//! Reports from real servebench runs: a sweep over concurrencies 1, 2, 4 against the in-process
//! simulated engine, written as perf-sweep lays it out.

use std::fs;

use servebench_report::{
    RunExport, SweepSeries, client_verdict, plot_pareto, plot_sweep, read_data_dir,
    write_run_report, write_sweep_report,
};

use crate::aiperf::keep;
use crate::fixtures::{deployment_json, our_sweep, write};
use crate::html::{assert_self_contained, svgs};

#[test]
fn sweep_report_plots_and_pareto_from_our_artifacts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("artifacts_root");
    let a0 = root.join("artifacts_0");
    let runs = our_sweep(&a0, "Qwen/Qwen3-0.6B", &[1, 2, 4]);
    write(
        &a0.join("deployment_config.json"),
        &deployment_json("servebench_mocker", "aggregated", [1, 2, 0, 0, 0, 0]),
    );

    // The exports parse, with the concurrency in the configuration echo too.
    let e = RunExport::read(&runs[2].join("profile_export_aiperf.json")).expect("our export");
    assert_eq!(e.configured_concurrency(), Some(4));
    assert_eq!(e.get("request_count", "avg"), Some(16.0));
    // servebench records a client-health verdict (healthy or not depends on the machine's load).
    let (_, text) = client_verdict(&e).expect("servebench records client health");
    assert!(text.contains("event-loop lag p99"), "{text}");

    // Sweep report.
    let html = fs::read_to_string(write_sweep_report(&a0).expect("sweep report")).expect("read");
    assert_self_contained(&html);
    assert!(html.contains("Sweep report: servebench_mocker_aggregated"));
    let pictures = svgs(&html);
    assert_eq!(
        pictures.len(),
        6,
        "the five plot.py pictures and the Pareto chart"
    );
    assert!(pictures[5].contains("Pareto - servebench_mocker_aggregated"));
    assert!(pictures[5].contains("Pareto Frontier servebench_mocker_aggregated"));
    assert!(html.contains("<pre>perf-sweep --model Qwen/Qwen3-0.6B --concurrency 4</pre>"));
    assert!(html.contains("TP 1 × DP 2, prefill TP 0 × DP 0, decode TP 0 × DP 0: 2 GPUs"));
    // A verdict per run, in the table and in the client-health list.
    let verdicts = html.matches("<span class=\"ok\">OK</span>").count()
        + html.matches("<span class=\"bad\">SATURATED</span>").count();
    assert_eq!(verdicts, 6);
    keep_html(&html, "sweep-ours");

    // plot-sweep on the artifacts directory: one series, three levels, per-GPU over 2 GPUs.
    let out = a0.join("plots");
    let done = plot_sweep(&a0, &out, &[]).expect("plot sweep");
    assert_eq!(done.series.len(), 1);
    assert_eq!(done.series[0].label, "servebench_mocker_aggregated");
    let cs: Vec<u64> = done.series[0]
        .points
        .iter()
        .map(|p| p.concurrency)
        .collect();
    assert_eq!(cs, [1, 2, 4]);
    assert_eq!(done.series[0].gpus(), Some(2));
    keep(&out, "plot-sweep-ours");

    // plot-pareto on the root.
    let pareto = plot_pareto(&root, "Embedded engine", &dir.path().join("pareto")).expect("pareto");
    assert_eq!(pareto.rows.len(), 3);
    for (row, c) in pareto.rows.iter().zip([1, 2, 4]) {
        assert_eq!(row.concurrency, c);
        assert_eq!(row.gpus, 2);
        let e = RunExport::read(&row.configuration).expect("export");
        let total = e.get("output_token_throughput", "avg").expect("throughput");
        assert_eq!(row.per_gpu, total / 2.0);
    }
    keep(&dir.path().join("pareto"), "plot-pareto-ours");

    // One run's report.
    let html = fs::read_to_string(write_run_report(&runs[1]).expect("run report")).expect("read");
    assert_self_contained(&html);
    assert_eq!(
        svgs(&html).len(),
        4,
        "three percentile plots and the timeline"
    );
    assert!(
        html.contains("<span class=\"ok\">OK</span> client healthy")
            || html.contains("<span class=\"bad\">SATURATED</span> client saturated")
    );
    keep_html(&html, "run-ours");

    // The same directory read as a data directory is the same single series.
    let s = read_data_dir(&a0, &[]).expect("data dir");
    assert_eq!(s.len(), 1);
    let again = SweepSeries::read_artifacts_dir(&a0).expect("artifacts dir");
    assert_eq!(again.label, "servebench_mocker_aggregated");
}

fn keep_html(html: &str, name: &str) {
    let dest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/report-screenshots")
        .join(name);
    fs::create_dir_all(&dest).expect("dir");
    fs::write(dest.join("report.html"), html).expect("write");
}
