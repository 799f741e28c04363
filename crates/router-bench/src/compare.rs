//! The router comparison every benchmark writes with `--compare-routers`: one row per router mode
//! (and, for the prefix-ratio sweep, per ratio) with TTFT p50/p90, ITL p50, throughput and the
//! theoretical and achieved prefix reuse, as a terminal table, `router_comparison.csv` and
//! `router_comparison.json`. The prefix-ratio sweep ([`crate::summary`]) and the trace replays
//! ([`crate::replay::run_trace_comparison`]) both build [`Row`]s and use these writers.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{Value, json};
use servebench_trace_formats::python_float_repr;

use crate::cluster::RouterChoice;
use crate::point::{RunStats, percent};
use crate::reuse::{AchievedReuse, TheoreticalReuse, WorkerReuse};

/// The comparison table (CSV).
pub const COMPARISON_CSV: &str = "router_comparison.csv";
/// The comparison table (JSON).
pub const COMPARISON_JSON: &str = "router_comparison.json";
/// The comparison plot.
pub const COMPARISON_PNG: &str = "router_comparison.png";

/// One row of a comparison: one run (or one ratio's runs over several URLs) under one router.
#[derive(Debug, Clone)]
pub struct Row {
    /// The router mode (`None`: a deployment at `--url`).
    pub router: Option<RouterChoice>,
    /// The prefix ratio, for the prefix-ratio sweep.
    pub prefix_ratio: Option<f64>,
    /// The run's seed, for the prefix-ratio sweep (it grows per ratio).
    pub seed: Option<u64>,
    /// TTFT, ITL and throughput.
    pub stats: RunStats,
    /// Theoretical reuse of the requests sent.
    pub theoretical: Option<TheoreticalReuse>,
    /// Reuse the server reported, per worker too.
    pub achieved: Option<AchievedReuse>,
    /// Where the run's exports are.
    pub artifact_dirs: Vec<PathBuf>,
}

impl Row {
    fn router_name(&self) -> &'static str {
        self.router.map_or("url", RouterChoice::name)
    }
}

fn has_ratio(rows: &[Row]) -> bool {
    rows.iter().any(|r| r.prefix_ratio.is_some())
}

fn has_seed(rows: &[Row]) -> bool {
    rows.iter().any(|r| r.seed.is_some())
}

/// The comparison as CSV: `router`, then `prefix_ratio` and `seed` when the rows have them, then
/// `ttft_p50_ms`, `ttft_p90_ms`, `itl_p50_ms`, `output_token_throughput`, `request_throughput`,
/// `theoretical_reuse`, `achieved_reuse`, `cache_hit_tokens`, `cache_query_tokens` (the server's
/// counter deltas).
pub fn csv(rows: &[Row]) -> String {
    let (ratio, seed) = (has_ratio(rows), has_seed(rows));
    let mut header = vec!["router"];
    if ratio {
        header.push("prefix_ratio");
    }
    if seed {
        header.push("seed");
    }
    header.extend([
        "ttft_p50_ms",
        "ttft_p90_ms",
        "itl_p50_ms",
        "output_token_throughput",
        "request_throughput",
        "theoretical_reuse",
        "achieved_reuse",
        "cache_hit_tokens",
        "cache_query_tokens",
    ]);
    let opt = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:.4}"));
    let mut s = header.join(",");
    s.push('\n');
    for r in rows {
        let mut cells = vec![r.router_name().to_owned()];
        if ratio {
            cells.push(r.prefix_ratio.map_or_else(String::new, python_float_repr));
        }
        if seed {
            cells.push(r.seed.map_or_else(String::new, |s| s.to_string()));
        }
        cells.extend([
            format!("{:.2}", r.stats.ttft_p50),
            format!("{:.2}", r.stats.ttft_p90),
            format!("{:.3}", r.stats.itl_p50),
            format!("{:.1}", r.stats.output_token_throughput),
            format!("{:.3}", r.stats.request_throughput),
            opt(r.theoretical.map(|t| t.token_hit_rate)),
            opt(r.achieved.as_ref().map(AchievedReuse::rate)),
            r.achieved
                .as_ref()
                .map_or_else(String::new, |a| format!("{}", a.hits)),
            r.achieved
                .as_ref()
                .map_or_else(String::new, |a| format!("{}", a.queries)),
        ]);
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    s
}

/// The comparison as JSON: one object per row with `router`, (`prefix_ratio`, `seed`), `stats`,
/// `theoretical_reuse`, `achieved_reuse` (rate, tokens and per worker) and `artifact_dirs`.
pub fn json(rows: &[Row]) -> Value {
    let out = rows
        .iter()
        .map(|r| {
            let mut o = json!({
                "router": r.router.map(RouterChoice::name),
                "stats": r.stats,
                "theoretical_reuse": r.theoretical,
                "achieved_reuse": r.achieved.as_ref().map(|a| json!({
                    "rate": a.rate(), "hits": a.hits, "queries": a.queries,
                    "workers": a.workers.iter().map(|w| json!({
                        "worker": w.worker, "rate": w.rate(), "hits": w.hits, "queries": w.queries,
                    })).collect::<Vec<_>>(),
                })),
                "artifact_dirs": r.artifact_dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>(),
            });
            if let Some(map) = o.as_object_mut() {
                if let Some(ratio) = r.prefix_ratio {
                    map.insert("prefix_ratio".into(), json!(ratio));
                }
                if let Some(seed) = r.seed {
                    map.insert("seed".into(), json!(seed));
                }
            }
            o
        })
        .collect();
    Value::Array(out)
}

/// The comparison as an aligned text table for the terminal (a `ratio` column when the rows
/// have ratios).
pub fn table(rows: &[Row]) -> String {
    let ratio = has_ratio(rows);
    let mut header = vec!["router"];
    if ratio {
        header.push("ratio");
    }
    header.extend([
        "TTFT p50 ms",
        "TTFT p90 ms",
        "ITL p50 ms",
        "tok/s",
        "theoretical reuse",
        "achieved reuse",
        "per worker",
    ]);
    let mut text: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_owned()).collect()];
    for r in rows {
        let workers = r.achieved.as_ref().map_or_else(String::new, |a| {
            a.workers
                .iter()
                .map(worker_share)
                .collect::<Vec<_>>()
                .join(" / ")
        });
        let mut cells = vec![r.router_name().to_owned()];
        if ratio {
            cells.push(r.prefix_ratio.map_or_else(String::new, python_float_repr));
        }
        cells.extend([
            format!("{:.1}", r.stats.ttft_p50),
            format!("{:.1}", r.stats.ttft_p90),
            format!("{:.2}", r.stats.itl_p50),
            format!("{:.0}", r.stats.output_token_throughput),
            percent(r.theoretical.map(|t| t.token_hit_rate)),
            percent(r.achieved.as_ref().map(AchievedReuse::rate)),
            workers,
        ]);
        text.push(cells);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| text.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut s = String::new();
    for r in &text {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(s, "{}", cells.join("  ").trim_end());
    }
    s
}

/// A worker's achieved reuse, or `idle` when it looked nothing up (the router sent it nothing).
fn worker_share(w: &WorkerReuse) -> String {
    if w.queries > 0.0 {
        percent(Some(w.rate()))
    } else {
        "idle".to_owned()
    }
}

/// One run's line as it finishes: `[mode] TTFT p50 …, reuse theoretical … achieved … (w0 …)`.
pub fn describe_run(
    router: Option<RouterChoice>,
    stats: &RunStats,
    theoretical: Option<TheoreticalReuse>,
    achieved: Option<&AchievedReuse>,
) -> String {
    let mode = router.map_or_else(String::new, |m| format!("[{}] ", m.name()));
    let workers = achieved.map_or_else(String::new, |a| {
        if a.workers.is_empty() {
            return String::new();
        }
        let each: Vec<String> = a
            .workers
            .iter()
            .map(|w| format!("w{} {}", w.worker, worker_share(w)))
            .collect();
        format!(" ({})", each.join(", "))
    });
    format!(
        "{mode}TTFT p50 {:.1} ms, ITL p50 {:.2} ms, {:.0} tok/s, reuse theoretical {} achieved {}{workers}",
        stats.ttft_p50,
        stats.itl_p50,
        stats.output_token_throughput,
        percent(theoretical.map(|t| t.token_hit_rate)),
        percent(achieved.map(AchievedReuse::rate)),
    )
}

/// A point and its label.
type LabeledXy = (f64, f64, &'static str);

/// The comparison plot of runs that are one point each (the trace replays): per router mode,
/// TTFT p50 and p90, ITL p50 and output throughput against the achieved reuse, and the achieved
/// against the theoretical reuse. Each point is labelled with its mode.
pub fn points_figure(title: &str, rows: &[Row]) -> servebench_viz::Figure {
    use servebench_viz::{Axis, LabeledPoint, Panel, ScatterPlot, ScatterSeries};
    let achieved = |r: &Row| r.achieved.as_ref().map_or(0.0, |a| a.rate() * 100.0);
    // With no reuse anywhere (or no counters) every point would sit at x = 0, which has no
    // scale: the modes are then spread along x in their --compare-routers order instead.
    let by_reuse = rows.iter().any(|r| achieved(r) > 0.0);
    let x = || {
        if by_reuse {
            Axis::new("Achieved prefix reuse", "%").from_zero()
        } else {
            Axis::unitless("Router mode (no prefix reuse measured)")
        }
    };
    let versus = if by_reuse {
        "vs achieved reuse"
    } else {
        "by router mode"
    };
    let positions: Vec<f64> = (1..=rows.len()).map(|i| i as f64).collect();
    let reuse = |r: &Row| {
        if by_reuse {
            achieved(r)
        } else {
            let i = rows.iter().position(|o| std::ptr::eq(o, r)).unwrap_or(0);
            positions.get(i).copied().unwrap_or(0.0)
        }
    };
    let series = |f: &dyn Fn(&Row) -> Vec<LabeledXy>| -> Vec<ScatterSeries> {
        rows.iter()
            .map(|r| {
                ScatterSeries::new(
                    r.router_name(),
                    f(r).into_iter()
                        .map(|(x, y, l)| LabeledPoint::new(x, y, l))
                        .collect(),
                )
            })
            .collect()
    };
    let plots: Vec<ScatterPlot> = vec![
        ScatterPlot::new(
            format!("TTFT p50 and p90 {versus}"),
            x(),
            Axis::new("Time to First Token", "ms").from_zero(),
            series(&|r| {
                vec![
                    (reuse(r), r.stats.ttft_p50, "p50"),
                    (reuse(r), r.stats.ttft_p90, "p90"),
                ]
            }),
        ),
        ScatterPlot::new(
            format!("ITL p50 {versus}"),
            x(),
            Axis::new("Inter-Token Latency", "ms").from_zero(),
            series(&|r| vec![(reuse(r), r.stats.itl_p50, "")]),
        ),
        ScatterPlot::new(
            format!("Throughput {versus}"),
            x(),
            Axis::new("Output Token Throughput", "tokens/s").from_zero(),
            series(&|r| vec![(reuse(r), r.stats.output_token_throughput, "")]),
        ),
        ScatterPlot::new(
            "Achieved vs theoretical reuse",
            Axis::new("Theoretical prefix reuse (infinite cache)", "%").from_zero(),
            Axis::new("Achieved prefix reuse", "%").from_zero(),
            series(&|r| {
                vec![(
                    r.theoretical.map_or(0.0, |t| t.token_hit_rate * 100.0),
                    achieved(r),
                    "",
                )]
            }),
        ),
    ];
    // A panel whose values are all zero on an axis (e.g. ITL of one-token outputs, or no reuse)
    // has no scale to draw; it is left out rather than failing the whole figure.
    let panels: Vec<Panel> = plots
        .into_iter()
        .filter(|p| {
            let any = |f: fn(&LabeledPoint) -> f64| {
                p.series.iter().any(|s| s.points.iter().any(|q| f(q) > 0.0))
            };
            any(|q| q.x) && any(|q| q.y)
        })
        .map(Panel::from)
        .collect();
    servebench_viz::Figure::new(title, 2, panels)
}
