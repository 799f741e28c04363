//! The comparison writers of the trace tools: the table shows idle workers, and the files are
//! written even when a measure is zero for every mode.

use servebench_router_bench::point::{PointResult, RunStats};
use servebench_router_bench::replay::{ModeRun, write_trace_comparison};
use servebench_router_bench::reuse::{AchievedReuse, WorkerReuse};

fn mode_run(router: &str, hits: f64, ttft: f64, itl: f64) -> ModeRun {
    ModeRun {
        router: router.parse().unwrap(),
        point: PointResult {
            artifact_dir: format!("out/{router}/aiperf_artifacts").into(),
            stats: RunStats {
                ttft_p50: ttft,
                ttft_p90: ttft * 2.0,
                itl_p50: itl,
                output_token_throughput: 100.0,
                ..RunStats::default()
            },
            theoretical: None,
            achieved: Some(AchievedReuse {
                hits,
                queries: 1000.0,
                workers: vec![
                    WorkerReuse {
                        worker: "0".into(),
                        hits,
                        queries: 1000.0,
                    },
                    WorkerReuse {
                        worker: "1".into(),
                        hits: 0.0,
                        queries: 0.0,
                    },
                ],
            }),
        },
    }
}

#[test]
fn a_comparison_with_no_reuse_and_no_itl_still_writes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    // No cache hits, one-token outputs (ITL 0), no theoretical reuse: every mode at x = 0.
    let runs = [mode_run("rr", 0.0, 5.0, 0.0), mode_run("kv", 0.0, 4.0, 0.0)];
    let written = write_trace_comparison(dir.path(), "t", &runs).unwrap();
    for f in [
        "router_comparison.csv",
        "router_comparison.json",
        "router_comparison.png",
    ] {
        assert!(written.contains(&dir.path().join(f)), "{f}: {written:?}");
    }
    let csv = std::fs::read_to_string(dir.path().join("router_comparison.csv")).unwrap();
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("rr,5.00,10.00,0.000,100.0,"),
        "{csv}"
    );
}

#[test]
fn the_table_names_a_worker_that_looked_nothing_up_idle() {
    let rows = [mode_run("kv", 250.0, 4.0, 1.0).row()];
    let table = servebench_router_bench::compare::table(&rows);
    let line = table.lines().nth(1).unwrap();
    assert!(line.starts_with("kv "), "{table}");
    assert!(
        line.ends_with("25.0%           25.0% / idle") || line.ends_with("25.0% / idle"),
        "{table}"
    );
    assert!(
        !table.contains("ratio"),
        "no ratio column for trace rows: {table}"
    );
}
