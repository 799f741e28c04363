//! The sweep's outputs: `results_summary.json` and `prefix_ratio_performance.png` in each
//! results directory (the original's files and keys), and with several router modes the
//! comparison `router_comparison.{csv,json,png}` beside them.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use servebench_viz::{
    Axis, BandPlot, BandPoint, BandSeries, Figure, LinePlot, Panel, Plot, Series, Style,
};

use crate::compare::{self, Row};
use crate::error::RouterBenchError;
use crate::prefix_ratio::{ModeResults, PrefixRatioConfig, RatioPoint};
use crate::reuse::AchievedReuse;

/// The original's summary file.
pub const SUMMARY_JSON: &str = "results_summary.json";
/// The original's plot.
pub const PERFORMANCE_PNG: &str = "prefix_ratio_performance.png";
pub use crate::compare::{COMPARISON_CSV, COMPARISON_JSON, COMPARISON_PNG};

/// `results_summary.json`: the original's keys (`prefix_ratios`, `ttft_p25_values` ...
/// `itl_p75_values`, `config{model, tokenizer, isl, osl, requests, concurrency,
/// initial_seed}`), plus servebench's own (`output_token_throughput_values`,
/// `theoretical_reuse_values`, `achieved_reuse_values`, `router_mode`), which readers of the
/// original keys ignore.
pub fn summary_json(config: &PrefixRatioConfig, mode: &ModeResults) -> Value {
    let pts = &mode.points;
    let col = |f: fn(&RatioPoint) -> f64| pts.iter().map(f).collect::<Vec<f64>>();
    json!({
        "prefix_ratios": col(|p| p.ratio),
        "ttft_p25_values": col(|p| p.stats.ttft_p25),
        "ttft_p50_values": col(|p| p.stats.ttft_p50),
        "ttft_p75_values": col(|p| p.stats.ttft_p75),
        "itl_p25_values": col(|p| p.stats.itl_p25),
        "itl_p50_values": col(|p| p.stats.itl_p50),
        "itl_p75_values": col(|p| p.stats.itl_p75),
        "config": {
            "model": config.common.model,
            "tokenizer": config.common.tokenizer_label(),
            "isl": config.isl,
            "osl": config.osl,
            "requests": config.requests,
            "concurrency": config.concurrency,
            "initial_seed": config.common.seed,
        },
        "output_token_throughput_values": col(|p| p.stats.output_token_throughput),
        "theoretical_reuse_values": pts.iter().map(|p| p.theoretical.map(|t| t.token_hit_rate)).collect::<Vec<_>>(),
        "achieved_reuse_values": pts.iter().map(|p| p.achieved.as_ref().map(AchievedReuse::rate)).collect::<Vec<_>>(),
        "router_mode": mode.router.map(|r| r.name()),
    })
}

pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), RouterBenchError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| RouterBenchError::io(parent, "cannot create the directory", e))?;
    }
    std::fs::write(path, bytes).map_err(|e| RouterBenchError::io(path, "cannot write", e))
}

fn band(label: &str, pts: &[RatioPoint], f: fn(&RatioPoint) -> (f64, f64, f64)) -> BandSeries {
    BandSeries::new(
        label,
        pts.iter()
            .map(|p| {
                let (a, b, c) = f(p);
                BandPoint::new(p.ratio, a.min(b), b, c.max(b))
            })
            .collect(),
    )
}

/// The figure: TTFT and ITL against prefix ratio with p25–p75 bands (the original's two
/// panels), plus output throughput and prefix reuse (theoretical dashed by name, achieved).
fn figure(title: &str, modes: &[&ModeResults]) -> Figure {
    let ratio = || Axis::unitless("Prefix Ratio");
    let label = |m: &ModeResults| {
        m.router
            .map_or_else(|| "p50 (p25-p75 band)".to_owned(), |r| r.name().to_owned())
    };
    let ttft: Vec<BandSeries> = modes
        .iter()
        .map(|m| {
            band(&label(m), &m.points, |p| {
                (p.stats.ttft_p25, p.stats.ttft_p50, p.stats.ttft_p75)
            })
        })
        .collect();
    let itl: Vec<BandSeries> = modes
        .iter()
        .map(|m| {
            band(&label(m), &m.points, |p| {
                (p.stats.itl_p25, p.stats.itl_p50, p.stats.itl_p75)
            })
        })
        .collect();
    let tput: Vec<Series> = modes
        .iter()
        .map(|m| {
            Series::new(
                label(m),
                m.points
                    .iter()
                    .map(|p| (p.ratio, p.stats.output_token_throughput))
                    .collect(),
            )
        })
        .collect();
    let mut reuse: Vec<Series> = Vec::new();
    for m in modes {
        let name = m
            .router
            .map_or_else(String::new, |r| format!("{} ", r.name()));
        let achieved: Vec<(f64, f64)> = m
            .points
            .iter()
            .filter_map(|p| p.achieved.as_ref().map(|a| (p.ratio, a.rate() * 100.0)))
            .collect();
        if !achieved.is_empty() {
            reuse.push(Series::new(format!("{name}achieved"), achieved));
        }
    }
    if let Some(m) = modes.first() {
        let theoretical: Vec<(f64, f64)> = m
            .points
            .iter()
            .filter_map(|p| p.theoretical.map(|t| (p.ratio, t.token_hit_rate * 100.0)))
            .collect();
        if !theoretical.is_empty() {
            reuse.push(Series::new("theoretical (infinite cache)", theoretical));
        }
    }
    // A panel whose values are all zero (e.g. ITL of one-token outputs, or a server without
    // delays) has no scale to draw; it is left out rather than failing the whole figure.
    let any_band = |s: &[BandSeries]| s.iter().any(|s| s.points.iter().any(|p| p.p75 > 0.0));
    let any_line = |s: &[Series]| s.iter().any(|s| s.points.iter().any(|p| p.1 > 0.0));
    let mut panels: Vec<Panel> = Vec::new();
    if any_band(&ttft) {
        panels.push(
            BandPlot::new(
                "TTFT vs Prefix Ratio",
                ratio(),
                Axis::new("Time to First Token", "ms").from_zero(),
                ttft,
            )
            .into(),
        );
    }
    if any_band(&itl) {
        panels.push(
            BandPlot::new(
                "ITL vs Prefix Ratio",
                ratio(),
                Axis::new("Inter-Token Latency", "ms").from_zero(),
                itl,
            )
            .into(),
        );
    }
    if any_line(&tput) {
        panels.push(
            LinePlot::new(
                "Throughput vs Prefix Ratio",
                ratio(),
                Axis::new("Output Token Throughput", "tokens/s").from_zero(),
                tput,
            )
            .into(),
        );
    }
    if any_line(&reuse) {
        panels.push(
            LinePlot::new(
                "Prefix Reuse vs Prefix Ratio",
                ratio(),
                Axis::new("Prompt tokens from cache", "%").from_zero(),
                reuse,
            )
            .into(),
        );
    }
    Figure::new(title, 2, panels)
}

pub(crate) fn style() -> Style {
    Style {
        width: 1800,
        height: 1300,
        ..Style::default()
    }
}

/// Saves the figure; false when it has nothing measurable to draw (every value zero), in which
/// case no image is written rather than failing the run.
pub(crate) fn save(figure: &Figure, path: &Path) -> Result<bool, RouterBenchError> {
    if figure.panels.is_empty() {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| RouterBenchError::io(parent, "cannot create the directory", e))?;
    }
    figure
        .save_png(&style(), path)
        .map_err(|source| RouterBenchError::Plot {
            path: path.to_owned(),
            source,
        })?;
    Ok(true)
}

/// Writes `results_summary.json` and `prefix_ratio_performance.png` of each mode, and with
/// several modes the comparison files in the output directory. Returns the files written.
///
/// # Errors
/// A file that cannot be written or a plot that cannot be drawn.
pub fn write_outputs(
    config: &PrefixRatioConfig,
    modes: &[ModeResults],
) -> Result<Vec<PathBuf>, RouterBenchError> {
    let mut written = Vec::new();
    for m in modes.iter().filter(|m| !m.points.is_empty()) {
        let path = m.dir.join(SUMMARY_JSON);
        let text = serde_json::to_string_pretty(&summary_json(config, m)).unwrap_or_default();
        write(&path, text.as_bytes())?;
        written.push(path);
        let png = m.dir.join(PERFORMANCE_PNG);
        if save(&figure("Prefix ratio benchmark", &[m]), &png)? {
            written.push(png);
        }
    }
    let ran: Vec<&ModeResults> = modes.iter().filter(|m| !m.points.is_empty()).collect();
    if modes.len() > 1 && !ran.is_empty() {
        let csv = config.output_dir.join(COMPARISON_CSV);
        write(&csv, comparison_csv(modes).as_bytes())?;
        written.push(csv);
        let json = config.output_dir.join(COMPARISON_JSON);
        let text = serde_json::to_string_pretty(&comparison_json(modes)).unwrap_or_default();
        write(&json, text.as_bytes())?;
        written.push(json);
        let png = config.output_dir.join(COMPARISON_PNG);
        if save(&figure("Router comparison", &ran), &png)? {
            written.push(png);
        }
    }
    Ok(written)
}

/// The rows of the comparison: one per router mode and ratio.
pub fn comparison_rows(modes: &[ModeResults]) -> Vec<Row> {
    modes
        .iter()
        .flat_map(|m| {
            m.points.iter().map(|p| Row {
                router: m.router,
                prefix_ratio: Some(p.ratio),
                seed: Some(p.seed),
                stats: p.stats,
                theoretical: p.theoretical,
                achieved: p.achieved.clone(),
                artifact_dirs: p.runs.iter().map(|r| r.artifact_dir.clone()).collect(),
            })
        })
        .collect()
}

/// The comparison table as CSV (one row per router mode and ratio; see [`compare::csv`]).
pub fn comparison_csv(modes: &[ModeResults]) -> String {
    compare::csv(&comparison_rows(modes))
}

/// The comparison as JSON: one object per router mode and ratio, with per-worker reuse.
pub fn comparison_json(modes: &[ModeResults]) -> Value {
    compare::json(&comparison_rows(modes))
}

/// The comparison as an aligned text table for the terminal.
pub fn comparison_table(modes: &[ModeResults]) -> String {
    compare::table(&comparison_rows(modes))
}
