//! What perf-sweep prints: one progress line per concurrency on stderr as it starts and ends, and
//! the table of every point on stdout at the end.

use std::fmt::Write as _;

use servebench_loadgen_core::bench::BenchOutcome;
use servebench_metrics::Metric;
use servebench_sweep::{PointPlan, Progress, SweepOutcome};

/// The stderr line for a progress event.
pub(crate) fn progress_line(event: &Progress<'_>) -> String {
    match event {
        Progress::Starting {
            index,
            total,
            point,
        } => format!(
            "perf-sweep: [{}/{total}] concurrency {}: {} requests after {} warm-up, {} -> {}",
            index + 1,
            point.concurrency,
            point.request_count,
            point.warmup,
            point.dataset_entries.map_or_else(
                || "AIPerf's default dataset size".to_owned(),
                |n| format!("{n} prompts")
            ),
            point.artifact_dir.display()
        ),
        Progress::Finished {
            index,
            total,
            point,
            outcome,
        } => {
            let v = Values::of(outcome);
            let mut line = format!(
                "perf-sweep: [{}/{total}] concurrency {} done: {} req/s, {} output tok/s, TTFT \
                 avg {} ms, ITL avg {} ms",
                index + 1,
                point.concurrency,
                num(v.request_throughput),
                num(v.output_throughput),
                num(v.ttft),
                num(v.itl),
            );
            let failed = outcome.outcome.report.profiling.failed();
            if failed > 0 {
                let _ = write!(line, ", {failed} failed");
            }
            if outcome.outcome.verdict.saturated {
                line.push_str(" [CLIENT SATURATED]");
            }
            line
        }
    }
}

/// The stdout table of every point that ran.
pub(crate) fn table(outcome: &SweepOutcome) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>11}  {:>8}  {:>10}  {:>14}  {:>13}  {:>11}  {:>12}",
        "concurrency",
        "requests",
        "req/s",
        "output tok/s",
        "TTFT avg ms",
        "ITL avg ms",
        "tok/s/user"
    );
    for p in &outcome.points {
        let v = Values::of(&p.outcome);
        let _ = writeln!(
            out,
            "{:>11}  {:>8}  {:>10}  {:>14}  {:>13}  {:>11}  {:>12}",
            p.plan.concurrency,
            requests(&p.plan, &p.outcome),
            num(v.request_throughput),
            num(v.output_throughput),
            num(v.ttft),
            num(v.itl),
            num(v.per_user),
        );
    }
    out
}

fn requests(plan: &PointPlan, outcome: &BenchOutcome) -> String {
    let p = &outcome.outcome.report.profiling;
    if p.failed() > 0 {
        format!("{}/{}", p.succeeded, plan.request_count)
    } else {
        p.succeeded.to_string()
    }
}

/// The averages a sweep is read by.
struct Values {
    request_throughput: Option<f64>,
    output_throughput: Option<f64>,
    ttft: Option<f64>,
    itl: Option<f64>,
    per_user: Option<f64>,
}

impl Values {
    fn of(outcome: &BenchOutcome) -> Self {
        let s = &outcome.outcome.summary.profiling;
        let avg = |m: Metric| s.stats(m).map(|st| st.avg);
        Self {
            request_throughput: s.scalar(Metric::RequestThroughput),
            output_throughput: s.scalar(Metric::OutputTokenThroughput),
            ttft: avg(Metric::TimeToFirstToken),
            itl: avg(Metric::InterTokenLatency),
            per_user: avg(Metric::OutputTokenThroughputPerUser),
        }
    }
}

fn num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.abs() >= 100.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
        None => "-".to_owned(),
    }
}
