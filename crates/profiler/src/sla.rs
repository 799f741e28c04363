//! `profile_sla`'s search (spec §8.4) over candidate configurations that are already running:
//! one prefill measurement at the target ISL and a decode concurrency sweep at the target
//! ISL/OSL per candidate, the SLA selection, planner hints, cost per 1,000 requests, and the
//! `prefill_performance.png`, `decode_performance.png` and `cost_sla.png` plots.

use std::fmt::Write as _;
use std::path::Path;

use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use servebench_loadgen_core::CancelHandle;
use servebench_profiler_fit::sla::{
    CostCurve, KvUtilizationBounds, PrefillQueueBounds, Selection, cost_chart_title, cost_curves,
    decode_cost_per_1000, decode_kv_utilization_bounds, prefill_cost_per_1000,
    prefill_queue_bounds, select,
};
use servebench_profiler_fit::sweeps;
use servebench_viz::{Axis, LinePlot, Plot, Series, Style};

use crate::error::ProfilerError;
use crate::measure::{Target, decode_point, prefill_ttft};

/// File name of the prefill comparison plot.
pub const PREFILL_PERFORMANCE_PNG: &str = "prefill_performance.png";
/// File name of the decode comparison plot.
pub const DECODE_PERFORMANCE_PNG: &str = "decode_performance.png";
/// File name of the cost plot.
pub const COST_SLA_PNG: &str = "cost_sla.png";

/// One deployed configuration to measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Short name used in plots and directory names.
    pub label: String,
    /// GPUs the configuration uses.
    pub gpus: u64,
    /// KV-cache capacity in tokens (bounds the decode sweep, as the worker log's
    /// `max_kv_tokens` does upstream).
    pub max_kv_tokens: u64,
}

/// What the search targets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlaSettings {
    /// Target input length (`--isl`, 3000).
    pub isl: u64,
    /// Target output length (`--osl`, 500).
    pub osl: u64,
    /// TTFT target, ms (`--ttft`, 50).
    pub ttft_ms: f64,
    /// ITL target, ms (`--itl`, 10).
    pub itl_ms: f64,
    /// Concurrency points per decode sweep (`--decode-interpolation-granularity`, 6).
    pub decode_granularity: u64,
    /// Dollars per GPU-hour (3.0).
    pub gpu_cost_per_hour: f64,
    /// Seed of the decode warm-up / measured run pairs.
    pub seed: u64,
}

/// One decode measurement of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DecodePoint {
    /// Concurrency (requests in flight).
    pub concurrency: u64,
    /// ITL, ms.
    pub itl_ms: f64,
    /// Output throughput per GPU, tokens/s/GPU.
    pub thpt_per_gpu: f64,
}

/// The measurements of one candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateResult {
    /// The candidate.
    pub candidate: Candidate,
    /// TTFT (ms) and prefill throughput per GPU at the target ISL; `None` if it failed.
    pub prefill: Option<(f64, f64)>,
    /// The decode sweep.
    pub decode: Vec<DecodePoint>,
}

/// `label` made safe for a directory name (`=` dropped, `/` → `_`, as upstream does).
fn dir_label(label: &str) -> String {
    label
        .chars()
        .filter(|&c| c != '=')
        .map(|c| {
            if c == '/' || c == '\\' || c == ' ' {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// Measures one candidate into `out_dir/prefill_{N}gpus_{label}/` and
/// `out_dir/decode_{N}gpus_{label}/`.
///
/// # Errors
/// A benchmark that cannot run, a cancelled run, or settings that form no sweep.
pub async fn measure_candidate(
    target: &Target,
    candidate: &Candidate,
    settings: &SlaSettings,
    out_dir: &Path,
    cancel: &CancelHandle,
) -> Result<CandidateResult, ProfilerError> {
    let name = format!("{}gpus_{}", candidate.gpus, dir_label(&candidate.label));
    let fit_err = |what: String| move |source| ProfilerError::Fit { what, source };
    let isl = settings.isl;
    let prefill_dir = out_dir
        .join(format!("prefill_{name}"))
        .join(format!("aiperf_isl{isl}"));
    let prefill = match prefill_ttft(target, isl, &prefill_dir, cancel).await? {
        Some(ttft) => {
            let thpt = sweeps::prefill_thpt_per_gpu(
                isl,
                ttft,
                candidate.gpus,
                target.attention_dp_size.max(1),
            )
            .map_err(fit_err(format!(
                "prefill throughput of {}",
                candidate.label
            )))?;
            Some((ttft, thpt))
        }
        None => None,
    };
    let max_concurrency = candidate.max_kv_tokens / (isl + settings.osl).max(1);
    if max_concurrency == 0 {
        return Err(ProfilerError::Invalid {
            setting: "max_kv_tokens",
            reason: format!(
                "candidate {}: {} KV tokens hold no request of ISL {} + OSL {}",
                candidate.label, candidate.max_kv_tokens, isl, settings.osl
            ),
        });
    }
    let concurrencies = sweeps::num_request_range(
        target.attention_dp_size.max(1),
        max_concurrency,
        settings.decode_granularity,
    )
    .map_err(fit_err(format!("the decode sweep of {}", candidate.label)))?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(settings.seed);
    let mut decode = Vec::new();
    for n in concurrencies {
        if cancel.is_cancelled() {
            return Err(ProfilerError::Cancelled);
        }
        let osl = settings.osl;
        let dir = out_dir
            .join(format!("decode_{name}"))
            .join(format!("aiperf_request{n}_isl{isl}_osl{osl}_n{n}"));
        let seed = rng.random_range(0..=1_000_000u64);
        let n_usize = usize::try_from(n).unwrap_or(usize::MAX);
        if let Some(s) = decode_point(target, isl, osl, n_usize, seed, &dir, cancel).await? {
            let thpt = sweeps::decode_thpt_per_gpu(s.output_tps, candidate.gpus)
                .map_err(fit_err(format!("decode throughput of {}", candidate.label)))?;
            decode.push(DecodePoint {
                concurrency: n,
                itl_ms: s.itl_ms,
                thpt_per_gpu: thpt,
            });
        }
    }
    Ok(CandidateResult {
        candidate: candidate.clone(),
        prefill,
        decode,
    })
}

/// The chosen decode point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeChoice {
    /// Index of the candidate.
    pub candidate: usize,
    /// The point.
    pub point: DecodePoint,
    /// Whether it meets the ITL target.
    pub meets_target: bool,
}

/// The outcome of the search.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaReport {
    /// The chosen prefill candidate (index into the results) and whether it meets the target.
    pub prefill: Selection,
    /// The chosen decode candidate and concurrency.
    pub decode: DecodeChoice,
    /// Planner hint for the prefill queue.
    pub prefill_queue: PrefillQueueBounds,
    /// Planner hint for the decode KV utilisation.
    pub decode_kv: KvUtilizationBounds,
    /// Dollars per 1,000 requests with the chosen prefill and decode configurations.
    pub cost_per_1000: f64,
    /// The cost-SLA curves (Pareto fronts).
    pub cost_curves: Vec<CostCurve>,
}

/// Applies the selection rule to the measurements.
///
/// # Errors
/// No candidate with a prefill measurement or no decode point at all, or values the rule
/// cannot use (non-positive throughputs).
pub fn analyze(
    results: &[CandidateResult],
    settings: &SlaSettings,
) -> Result<SlaReport, ProfilerError> {
    let fit_err = |what: &str| {
        let what = what.to_owned();
        move |source| ProfilerError::Fit { what, source }
    };
    let prefill_idx: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].prefill.is_some())
        .collect();
    let ttft: Vec<f64> = prefill_idx
        .iter()
        .filter_map(|&i| results[i].prefill.map(|p| p.0))
        .collect();
    let pthpt: Vec<f64> = prefill_idx
        .iter()
        .filter_map(|&i| results[i].prefill.map(|p| p.1))
        .collect();
    let p = select(&ttft, &pthpt, settings.ttft_ms).map_err(fit_err("the prefill selection"))?;
    let prefill = Selection {
        index: prefill_idx[p.index],
        meets_target: p.meets_target,
    };
    let flat: Vec<(usize, DecodePoint)> = results
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.decode.iter().map(move |d| (i, *d)))
        .collect();
    let itl: Vec<f64> = flat.iter().map(|(_, d)| d.itl_ms).collect();
    let dthpt: Vec<f64> = flat.iter().map(|(_, d)| d.thpt_per_gpu).collect();
    let d = select(&itl, &dthpt, settings.itl_ms).map_err(fit_err("the decode selection"))?;
    let (dc, dp) = flat[d.index];
    let decode = DecodeChoice {
        candidate: dc,
        point: dp,
        meets_target: d.meets_target,
    };
    let prefill_queue = prefill_queue_bounds(settings.ttft_ms, ttft[p.index])
        .map_err(fit_err("the prefill queue bounds"))?;
    let decode_kv = decode_kv_utilization_bounds(
        dp.concurrency,
        settings.isl,
        settings.osl,
        results[dc].candidate.max_kv_tokens,
    )
    .map_err(fit_err("the decode KV utilisation bounds"))?;
    let cost_per_1000 =
        prefill_cost_per_1000(settings.isl, pthpt[p.index], settings.gpu_cost_per_hour)
            .map_err(fit_err("the prefill cost"))?
            + decode_cost_per_1000(settings.osl, dp.thpt_per_gpu, settings.gpu_cost_per_hour)
                .map_err(fit_err("the decode cost"))?;
    let cost_curves = cost_curves(
        settings.isl,
        settings.osl,
        &ttft,
        &pthpt,
        &itl,
        &dthpt,
        settings.gpu_cost_per_hour,
    )
    .map_err(fit_err("the cost curves"))?;
    Ok(SlaReport {
        prefill,
        decode,
        prefill_queue,
        decode_kv,
        cost_per_1000,
        cost_curves,
    })
}

/// The human-readable summary: chosen configurations, planner hints, cost.
#[must_use]
pub fn summary(results: &[CandidateResult], settings: &SlaSettings, report: &SlaReport) -> String {
    let mut s = String::new();
    let pc = &results[report.prefill.index];
    let (ttft, thpt) = pc.prefill.unwrap_or((f64::NAN, f64::NAN));
    let warn = |ok: bool| {
        if ok {
            ""
        } else {
            " (no configuration meets the target: lowest latency taken)"
        }
    };
    let _ = writeln!(
        s,
        "Targets: ISL {} OSL {}, TTFT <= {} ms, ITL <= {} ms",
        settings.isl, settings.osl, settings.ttft_ms, settings.itl_ms
    );
    let _ = writeln!(
        s,
        "Suggested prefill configuration: {} ({} GPU(s)): TTFT {ttft:.2} ms, {thpt:.2} tokens/s/GPU{}",
        pc.candidate.label,
        pc.candidate.gpus,
        warn(report.prefill.meets_target)
    );
    let dc = &results[report.decode.candidate];
    let dp = report.decode.point;
    let _ = writeln!(
        s,
        "Suggested decode configuration: {} ({} GPU(s)) at concurrency {}: ITL {:.2} ms, {:.2} tokens/s/GPU{}",
        dc.candidate.label,
        dc.candidate.gpus,
        dp.concurrency,
        dp.itl_ms,
        dp.thpt_per_gpu,
        warn(report.decode.meets_target)
    );
    let _ = writeln!(s, "{}", report.prefill_queue);
    let _ = writeln!(s, "{}", report.decode_kv);
    let _ = writeln!(
        s,
        "Cost per 1,000 requests with these configurations (GPU/hour = ${:?}): ${:.4}",
        settings.gpu_cost_per_hour, report.cost_per_1000
    );
    s
}

fn png(plot: &impl Plot, file: &'static str, style: &Style) -> Result<Vec<u8>, ProfilerError> {
    plot.to_png(style)
        .map_err(|source| ProfilerError::Plot { file, source })
}

fn config_label(c: &Candidate) -> String {
    format!("{} GPU(s) [{}]", c.gpus, c.label)
}

/// A vertical dashed-looking target line from 0 to `top` at `x` (drawn as a two-point series).
fn target_line(label: String, x: f64, top: f64) -> Series {
    Series::new(label, vec![(x, 0.0), (x, top.max(1.0))])
}

/// `prefill_performance.png`: TTFT against throughput per GPU, one point per candidate, and the
/// target TTFT.
///
/// # Errors
/// No prefill measurement, or a plot that cannot be drawn.
pub fn prefill_performance_png(
    results: &[CandidateResult],
    settings: &SlaSettings,
) -> Result<Vec<u8>, ProfilerError> {
    let mut series: Vec<Series> = results
        .iter()
        .filter_map(|r| {
            r.prefill
                .map(|(t, h)| Series::new(config_label(&r.candidate), vec![(t, h)]))
        })
        .collect();
    let top = results
        .iter()
        .filter_map(|r| r.prefill.map(|p| p.1))
        .fold(0.0, f64::max);
    series.push(target_line(
        format!("Target TTFT: {} ms", settings.ttft_ms),
        settings.ttft_ms,
        top * 1.1,
    ));
    let plot = LinePlot::new(
        "Prefill Performance",
        Axis::new("Time to First Token", "ms"),
        Axis::new("Prefill throughput per GPU", "tokens/s/GPU"),
        series,
    );
    png(&plot, PREFILL_PERFORMANCE_PNG, &Style::default())
}

/// `decode_performance.png`: one line per candidate of ITL against throughput per GPU, and the
/// target ITL.
///
/// # Errors
/// No decode measurement, or a plot that cannot be drawn.
pub fn decode_performance_png(
    results: &[CandidateResult],
    settings: &SlaSettings,
) -> Result<Vec<u8>, ProfilerError> {
    let mut series: Vec<Series> = results
        .iter()
        .filter(|r| !r.decode.is_empty())
        .map(|r| {
            Series::new(
                config_label(&r.candidate),
                r.decode
                    .iter()
                    .map(|d| (d.itl_ms, d.thpt_per_gpu))
                    .collect(),
            )
        })
        .collect();
    let top = results
        .iter()
        .flat_map(|r| r.decode.iter().map(|d| d.thpt_per_gpu))
        .fold(0.0, f64::max);
    series.push(target_line(
        format!("Target ITL: {} ms", settings.itl_ms),
        settings.itl_ms,
        top * 1.1,
    ));
    let plot = LinePlot::new(
        "Decode Performance",
        Axis::new("Inter-Token Latency", "ms"),
        Axis::new("Decode throughput per GPU", "tokens/s/GPU"),
        series,
    );
    png(&plot, DECODE_PERFORMANCE_PNG, &Style::default())
}

/// `cost_sla.png`: cost per 1,000 requests against tokens per user, one line per prefill Pareto
/// point (labelled with its TTFT), drawn at 12 × 10 inches' proportions.
///
/// # Errors
/// No curve, or a plot that cannot be drawn.
pub fn cost_sla_png(report: &SlaReport, settings: &SlaSettings) -> Result<Vec<u8>, ProfilerError> {
    let series = report
        .cost_curves
        .iter()
        .map(|c| {
            Series::new(
                c.label(),
                c.points
                    .iter()
                    .map(|p| (p.tokens_per_user, p.cost))
                    .collect(),
            )
        })
        .collect();
    let plot = LinePlot::new(
        cost_chart_title(settings.isl, settings.osl, settings.gpu_cost_per_hour),
        Axis::unitless("Tokens per User"),
        Axis::new("Cost", "$"),
        series,
    );
    png(&plot, COST_SLA_PNG, &Style::with_size(1200, 1000))
}
