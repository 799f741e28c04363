//! `profile_sla`'s decisions: which configuration meets a TTFT / ITL target with the best
//! throughput per GPU, the planner bounds it suggests for the choice, and the cost per 1,000
//! requests behind `cost_sla.png`.
//!
//! Selection (the same rule for prefill and decode): among the points whose latency is at most
//! the target, the one with the highest throughput per GPU (the first such on ties, as
//! `np.argmax`); if no point meets the target, the one with the lowest latency (the first on
//! ties, as `np.argmin`), flagged so the caller can warn.
//!
//! Cost: a prefill point with throughput `t_p` tokens/s/GPU spends `isl · 1000 / t_p` GPU-seconds
//! on 1,000 requests, a decode point `osl · 1000 / t_d`; at `GPU_COST_PER_HOUR` dollars per
//! GPU-hour, `cost = (isl·1000/t_p + osl·1000/t_d) · GPU_COST_PER_HOUR / 3600`.

use std::fmt;

use crate::error::{
    Error, Result, check_finite, check_finite_param, check_positive_param, check_same_len,
};
use crate::pareto::pareto_front;

/// Default dollars per GPU-hour (`GPU_COST_PER_HOUR`).
pub const GPU_COST_PER_HOUR: f64 = 3.0;

/// The configuration (or configuration and concurrency) picked by [`select`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// Index of the chosen point in the inputs.
    pub index: usize,
    /// `false` when no point met the target and the lowest-latency point was taken instead.
    pub meets_target: bool,
}

/// Picks the point meeting `target_ms` (latency ≤ target) with the highest `thpt_per_gpu`, or,
/// when none meets it, the lowest-latency point.
///
/// `latency_ms` is TTFT for prefill points, ITL for decode points (every (config, concurrency)
/// pair one point).
///
/// ```
/// use servebench_profiler_fit::sla::select;
/// // TTFT 40, 45, 80 ms; thpt/GPU 900, 1200, 3000; target 50 ms → the 45 ms point.
/// let s = select(&[40.0, 45.0, 80.0], &[900.0, 1200.0, 3000.0], 50.0)?;
/// assert_eq!((s.index, s.meets_target), (1, true));
/// # Ok::<(), servebench_profiler_fit::Error>(())
/// ```
pub fn select(latency_ms: &[f64], thpt_per_gpu: &[f64], target_ms: f64) -> Result<Selection> {
    check_same_len(
        "latency_ms",
        latency_ms.len(),
        "thpt_per_gpu",
        thpt_per_gpu.len(),
    )?;
    if latency_ms.is_empty() {
        return Err(Error::TooFewPoints {
            what: "SLA selection",
            needed: 1,
            got: 0,
        });
    }
    check_finite("latency_ms", latency_ms)?;
    check_finite("thpt_per_gpu", thpt_per_gpu)?;
    check_finite_param("target_ms", target_ms)?;
    let mut best: Option<usize> = None;
    for (i, (&lat, &thpt)) in latency_ms.iter().zip(thpt_per_gpu).enumerate() {
        if lat <= target_ms && best.is_none_or(|b| thpt > thpt_per_gpu[b]) {
            best = Some(i);
        }
    }
    if let Some(index) = best {
        return Ok(Selection {
            index,
            meets_target: true,
        });
    }
    let mut index = 0;
    for (i, &lat) in latency_ms.iter().enumerate() {
        if lat < latency_ms[index] {
            index = i;
        }
    }
    Ok(Selection {
        index,
        meets_target: false,
    })
}

/// The planner's prefill queue-size bounds for the chosen prefill configuration:
/// scale up when TTFT would reach 120% of the target, down below 80%.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrefillQueueBounds {
    /// `max(0.1, 1.2 · ttft_target / ttft_selected − 1)`.
    pub upper: f64,
    /// `max(0.1, 0.8 · ttft_target / ttft_selected − 1)`.
    pub lower: f64,
}

/// [`PrefillQueueBounds`] for a TTFT target and the chosen configuration's TTFT.
pub fn prefill_queue_bounds(
    ttft_target_ms: f64,
    selected_ttft_ms: f64,
) -> Result<PrefillQueueBounds> {
    check_finite_param("ttft_target_ms", ttft_target_ms)?;
    check_positive_param("selected_ttft_ms", selected_ttft_ms)?;
    let ratio = ttft_target_ms / selected_ttft_ms;
    Ok(PrefillQueueBounds {
        upper: (1.2 * ratio - 1.0).max(0.1),
        lower: (0.8 * ratio - 1.0).max(0.1),
    })
}

impl fmt::Display for PrefillQueueBounds {
    /// The line `profile_sla` logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Suggested planner upper/lower bound for prefill queue size: {:.2}/{:.2}",
            self.upper, self.lower
        )
    }
}

/// The planner's decode KV-cache utilisation bounds: the chosen point's utilisation ± 0.2.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KvUtilizationBounds {
    /// `concurrency · (isl + osl / 2) / kv_cache_size` at the chosen decode point.
    pub utilization: f64,
    /// `min(1, utilization + 0.2)`.
    pub upper: f64,
    /// `max(0.1, utilization − 0.2)`.
    pub lower: f64,
}

/// [`KvUtilizationBounds`] for the chosen decode point (its concurrency and its engine's KV
/// cache size in tokens) at the target `isl` / `osl`.
pub fn decode_kv_utilization_bounds(
    concurrency: u64,
    isl: u64,
    osl: u64,
    kv_cache_size: u64,
) -> Result<KvUtilizationBounds> {
    if kv_cache_size == 0 {
        return Err(Error::InvalidParameter {
            name: "kv_cache_size",
            value: "0".to_owned(),
            reason: "must be > 0",
        });
    }
    let utilization = concurrency as f64 * (isl as f64 + osl as f64 / 2.0) / kv_cache_size as f64;
    Ok(KvUtilizationBounds {
        utilization,
        upper: (utilization + 0.2).min(1.0),
        lower: (utilization - 0.2).max(0.1),
    })
}

impl fmt::Display for KvUtilizationBounds {
    /// The line `profile_sla` logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Suggested planner upper/lower bound for decode kv cache utilization: {:.2}/{:.2}",
            self.upper, self.lower
        )
    }
}

/// Dollars to prefill 1,000 requests of `isl` tokens at `thpt_per_gpu` tokens/s/GPU:
/// `isl · 1000 / thpt_per_gpu · gpu_cost_per_hour / 3600`.
pub fn prefill_cost_per_1000(isl: u64, thpt_per_gpu: f64, gpu_cost_per_hour: f64) -> Result<f64> {
    check_positive_param("thpt_per_gpu", thpt_per_gpu)?;
    check_finite_param("gpu_cost_per_hour", gpu_cost_per_hour)?;
    Ok(isl as f64 * 1000.0 / thpt_per_gpu * gpu_cost_per_hour / 3600.0)
}

/// Dollars to decode 1,000 requests of `osl` tokens at `thpt_per_gpu` tokens/s/GPU:
/// `osl · 1000 / thpt_per_gpu · gpu_cost_per_hour / 3600`.
pub fn decode_cost_per_1000(osl: u64, thpt_per_gpu: f64, gpu_cost_per_hour: f64) -> Result<f64> {
    prefill_cost_per_1000(osl, thpt_per_gpu, gpu_cost_per_hour)
}

/// One point of a cost curve: a decode Pareto point combined with the curve's prefill point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostPoint {
    /// Index of the decode point in the decode inputs.
    pub decode_index: usize,
    /// `1000 / itl_ms`: tokens per second one user sees.
    pub tokens_per_user: f64,
    /// Dollars per 1,000 requests, prefill plus decode.
    pub cost: f64,
}

/// One line of `cost_sla.png`: a prefill Pareto point and the cost at every decode Pareto point.
#[derive(Debug, Clone, PartialEq)]
pub struct CostCurve {
    /// Index of the prefill point in the prefill inputs.
    pub prefill_index: usize,
    /// Its TTFT.
    pub ttft_ms: f64,
    /// Dollars per 1,000 requests spent on prefill at this point.
    pub prefill_cost: f64,
    /// One point per decode Pareto point, in increasing ITL (decreasing tokens per user).
    pub points: Vec<CostPoint>,
}

impl CostCurve {
    /// The legend label: `TTFT: {ttft:.2}ms`.
    pub fn label(&self) -> String {
        format!("TTFT: {:.2}ms", self.ttft_ms)
    }
}

/// The cost-SLA analysis: the Pareto fronts of prefill (TTFT, thpt/GPU) and decode (ITL,
/// thpt/GPU), and for each prefill front point a [`CostCurve`] over the decode front.
///
/// Every throughput must be > 0 and every ITL > 0 (they are divided by).
pub fn cost_curves(
    isl: u64,
    osl: u64,
    prefill_ttft_ms: &[f64],
    prefill_thpt_per_gpu: &[f64],
    decode_itl_ms: &[f64],
    decode_thpt_per_gpu: &[f64],
    gpu_cost_per_hour: f64,
) -> Result<Vec<CostCurve>> {
    check_positive_all("prefill_thpt_per_gpu", prefill_thpt_per_gpu)?;
    check_positive_all("decode_thpt_per_gpu", decode_thpt_per_gpu)?;
    check_positive_all("decode_itl_ms", decode_itl_ms)?;
    check_finite_param("gpu_cost_per_hour", gpu_cost_per_hour)?;
    let prefill_front = pareto_front(prefill_ttft_ms, prefill_thpt_per_gpu)?;
    let decode_front = pareto_front(decode_itl_ms, decode_thpt_per_gpu)?;
    let mut decode_costs = Vec::with_capacity(decode_front.len());
    for &d in &decode_front {
        decode_costs.push(decode_cost_per_1000(
            osl,
            decode_thpt_per_gpu[d],
            gpu_cost_per_hour,
        )?);
    }
    let mut curves = Vec::with_capacity(prefill_front.len());
    for &p in &prefill_front {
        let prefill_cost = prefill_cost_per_1000(isl, prefill_thpt_per_gpu[p], gpu_cost_per_hour)?;
        let points = decode_front
            .iter()
            .zip(&decode_costs)
            .map(|(&d, &decode_cost)| CostPoint {
                decode_index: d,
                tokens_per_user: 1000.0 / decode_itl_ms[d],
                cost: decode_cost + prefill_cost,
            })
            .collect();
        curves.push(CostCurve {
            prefill_index: p,
            ttft_ms: prefill_ttft_ms[p],
            prefill_cost,
            points,
        });
    }
    Ok(curves)
}

/// The chart title: `Cost Per 1000 i{isl}o{osl} requests (GPU/hour = ${cost}) Under Different SLA`,
/// the cost printed as Python prints a float (`3.0`, `2.5`).
pub fn cost_chart_title(isl: u64, osl: u64, gpu_cost_per_hour: f64) -> String {
    format!(
        "Cost Per 1000 i{isl}o{osl} requests (GPU/hour = ${}) Under Different SLA",
        python_float(gpu_cost_per_hour)
    )
}

/// `str(x)` for the floats a price takes: integral values keep one decimal (`3.0`).
fn python_float(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// Fails unless every value is finite and > 0.
fn check_positive_all(field: &'static str, values: &[f64]) -> Result<()> {
    check_finite(field, values)?;
    match values.iter().position(|&v| v <= 0.0) {
        Some(index) => Err(Error::InvalidParameter {
            name: field,
            value: format!("{} at index {index}", values[index]),
            reason: "must be > 0 (it is divided by)",
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + b.abs())
    }

    #[test]
    fn select_best_throughput_under_target() {
        // Decode points: ITL 8, 9.5, 12, 10 ms; thpt 100, 250, 400, 300; target 10 → the
        // 10 ms point (300) beats 8 and 9.5; 12 ms misses the target.
        let s =
            select(&[8.0, 9.5, 12.0, 10.0], &[100.0, 250.0, 400.0, 300.0], 10.0).expect("select");
        assert_eq!(
            s,
            Selection {
                index: 3,
                meets_target: true
            }
        );
    }

    #[test]
    fn select_ties_take_the_first() {
        let s = select(&[40.0, 45.0, 30.0], &[1200.0, 1200.0, 100.0], 50.0).expect("select");
        assert_eq!(
            s,
            Selection {
                index: 0,
                meets_target: true
            }
        );
    }

    #[test]
    fn select_none_meets_takes_lowest_latency() {
        // No TTFT ≤ 50: argmin of 60, 55, 55 is the first 55.
        let s = select(&[60.0, 55.0, 55.0], &[10.0, 20.0, 30.0], 50.0).expect("select");
        assert_eq!(
            s,
            Selection {
                index: 1,
                meets_target: false
            }
        );
    }

    #[test]
    fn select_refuses_bad_input() {
        assert!(matches!(
            select(&[], &[], 1.0),
            Err(Error::TooFewPoints { .. })
        ));
        assert!(matches!(
            select(&[1.0], &[1.0, 2.0], 1.0),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            select(&[1.0, f64::NAN], &[1.0, 2.0], 1.0),
            Err(Error::NonFinite {
                field: "latency_ms",
                index: 1,
                ..
            })
        ));
        assert!(matches!(
            select(&[1.0], &[1.0], f64::NAN),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn prefill_queue_bounds_hand_values() {
        // 50 / 40 = 1.25: upper 1.2·1.25 − 1 = 0.5, lower 0.8·1.25 − 1 = 0 → floored to 0.1.
        let b = prefill_queue_bounds(50.0, 40.0).expect("bounds");
        assert!(close(b.upper, 0.5) && close(b.lower, 0.1), "{b:?}");
        assert_eq!(
            b.to_string(),
            "Suggested planner upper/lower bound for prefill queue size: 0.50/0.10"
        );
        // 50 / 20 = 2.5: upper 2.0, lower 1.0.
        let b = prefill_queue_bounds(50.0, 20.0).expect("bounds");
        assert!(close(b.upper, 2.0) && close(b.lower, 1.0), "{b:?}");
        assert!(prefill_queue_bounds(50.0, 0.0).is_err());
        assert!(prefill_queue_bounds(f64::INFINITY, 10.0).is_err());
    }

    #[test]
    fn kv_utilization_bounds_hand_values() {
        // 20 · (3000 + 250) / 100000 = 0.65 → 0.85 / 0.45.
        let b = decode_kv_utilization_bounds(20, 3000, 500, 100_000).expect("bounds");
        assert!(
            close(b.utilization, 0.65) && close(b.upper, 0.85) && close(b.lower, 0.45),
            "{b:?}"
        );
        assert_eq!(
            b.to_string(),
            "Suggested planner upper/lower bound for decode kv cache utilization: 0.85/0.45"
        );
        // 30 · 3250 / 100000 = 0.975: upper capped at 1.
        let b = decode_kv_utilization_bounds(30, 3000, 500, 100_000).expect("bounds");
        assert!(close(b.upper, 1.0) && close(b.lower, 0.775), "{b:?}");
        // 1 · 3250 / 100000 = 0.0325: lower floored at 0.1.
        let b = decode_kv_utilization_bounds(1, 3000, 500, 100_000).expect("bounds");
        assert!(close(b.upper, 0.2325) && close(b.lower, 0.1), "{b:?}");
        assert!(decode_kv_utilization_bounds(1, 3000, 500, 0).is_err());
    }

    #[test]
    fn cost_per_1000_hand_values() {
        // 3000 tokens at 30000 tok/s/GPU: 100 GPU-s per 1000 requests = 1/36 GPU-h → $0.08333.
        assert!(close(
            prefill_cost_per_1000(3000, 30000.0, GPU_COST_PER_HOUR).expect("cost"),
            1.0 / 12.0
        ));
        // 500 tokens at 250 tok/s/GPU: 2000 GPU-s → 5/9 GPU-h → $1.6667.
        assert!(close(
            decode_cost_per_1000(500, 250.0, GPU_COST_PER_HOUR).expect("cost"),
            5.0 / 3.0
        ));
        assert!(close(
            decode_cost_per_1000(500, 250.0, 1.8).expect("cost"),
            1.0
        ));
        assert!(prefill_cost_per_1000(3000, 0.0, 3.0).is_err());
        assert!(prefill_cost_per_1000(3000, 1.0, f64::NAN).is_err());
    }

    #[test]
    fn cost_curves_hand_example() {
        // Prefill (TTFT, thpt): (40, 900) (45, 1200) (80, 3000) (50, 1000); the last is
        // dominated by (45, 1200). Decode (ITL, thpt): (8, 100) (10, 250) (12, 400) (11, 200);
        // (11, 200) is dominated by (10, 250).
        let curves = cost_curves(
            3000,
            500,
            &[40.0, 45.0, 80.0, 50.0],
            &[900.0, 1200.0, 3000.0, 1000.0],
            &[8.0, 10.0, 12.0, 11.0],
            &[100.0, 250.0, 400.0, 200.0],
            GPU_COST_PER_HOUR,
        )
        .expect("curves");
        assert_eq!(
            curves.iter().map(|c| c.prefill_index).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        // Prefill cost 2500 / thpt, decode cost (500·1000·3/3600) / thpt = 416.67 / thpt.
        let c = &curves[1];
        assert_eq!(c.label(), "TTFT: 45.00ms");
        assert!(close(c.prefill_cost, 2500.0 / 1200.0));
        let got: Vec<(usize, f64, f64)> = c
            .points
            .iter()
            .map(|p| (p.decode_index, p.tokens_per_user, p.cost))
            .collect();
        let want = [
            (0, 125.0, 6.25),
            (1, 100.0, 3.75),
            (2, 1000.0 / 12.0, 3.125),
        ];
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.0, w.0);
            assert!(close(g.1, w.1) && close(g.2, w.2), "{g:?} vs {w:?}");
        }
        // (80, 3000): 2500/3000 + 416.67/400 = 0.8333 + 1.0417 = 1.875.
        assert!(close(curves[2].points[2].cost, 1.875));
        assert!(cost_curves(1, 1, &[1.0], &[0.0], &[1.0], &[1.0], 3.0).is_err());
        assert!(cost_curves(1, 1, &[1.0], &[1.0], &[0.0], &[1.0], 3.0).is_err());
    }

    #[test]
    fn chart_title_prints_the_price_like_python() {
        assert_eq!(
            cost_chart_title(3000, 500, GPU_COST_PER_HOUR),
            "Cost Per 1000 i3000o500 requests (GPU/hour = $3.0) Under Different SLA"
        );
        assert_eq!(
            cost_chart_title(1, 2, 2.5),
            "Cost Per 1000 i1o2 requests (GPU/hour = $2.5) Under Different SLA"
        );
    }
}
