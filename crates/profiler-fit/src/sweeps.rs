//! The interpolation sweeps of Dynamo's profiler (`profile_prefill.py`, `profile_decode.py`):
//! which input lengths and concurrencies get measured, and the per-point quantities stored in
//! `raw_data.npz`, as pure functions of the profile's parameters.
//!
//! Python's integer semantics are kept: `//` is floor division, `range(start, stop, step)`
//! excludes `stop`, and `int(float)` truncates. Inputs for which upstream raises (a zero step,
//! a context length too short) or produces nonsense (negative lengths) are
//! [`Error::InvalidParameter`]s here.

use crate::error::{Error, Result};

/// Tokens `profile_prefill` keeps free for the chat template and system prompt: the prefill
/// sweep stops below `max_context_length − 512`.
pub const PREFILL_CONTEXT_HEADROOM: u64 = 512;
/// First input length of both sweeps.
pub const SWEEP_START_ISL: u64 = 100;
/// Output length of every decode measurement.
pub const DECODE_OSL: u64 = 500;
/// `DECODE_MAX_CONCURRENCY`: the decode concurrency sweep never goes past this.
pub const DECODE_MAX_CONCURRENCY: u64 = 2000;
/// Largest granularity accepted. Upstream has no limit, but a decode sweep holds up to about
/// `2g × min(g, 2000)` points, so a mistyped granularity would exhaust memory instead of failing.
pub const MAX_GRANULARITY: u64 = 1000;
/// `profile_endpoint`'s default `--interpolation_granularity` (both modes).
pub const ENDPOINT_GRANULARITY: u64 = 8;
/// `profile_sla`'s default `--prefill-interpolation-granularity`.
pub const SLA_PREFILL_GRANULARITY: u64 = 16;
/// `profile_sla`'s default `--decode-interpolation-granularity`.
pub const SLA_DECODE_GRANULARITY: u64 = 6;

/// The input lengths the prefill sweep measures:
/// `range(100, mcl, (mcl − 100) // g)` with `mcl = max_context_length − 512`.
///
/// ```
/// let isls = servebench_profiler_fit::sweeps::prefill_isl_points(16384, 8)?;
/// assert_eq!(isls, [100, 2071, 4042, 6013, 7984, 9955, 11926, 13897, 15868]);
/// # Ok::<(), servebench_profiler_fit::Error>(())
/// ```
pub fn prefill_isl_points(max_context_length: u64, granularity: u64) -> Result<Vec<u64>> {
    check_granularity(granularity)?;
    let mcl = max_context_length.saturating_sub(PREFILL_CONTEXT_HEADROOM);
    if mcl <= SWEEP_START_ISL {
        return Err(Error::InvalidParameter {
            name: "max_context_length",
            value: max_context_length.to_string(),
            reason: "too small to profile prefill (must exceed 612 = 100 + the 512-token headroom)",
        });
    }
    let step = (mcl - SWEEP_START_ISL) / granularity;
    if step == 0 {
        return Err(zero_step(max_context_length));
    }
    Ok(py_range(SWEEP_START_ISL, mcl, step))
}

/// `get_num_request_range(attn_dp_size, engine_max_concurrency, granularity)`: the decode
/// concurrencies for one input length, each a multiple of `attn_dp_size`.
///
/// With `c = min(engine_max_concurrency, 2000) // a`: `[a, 2a, …, c·a]` when `c < g`, else
/// `[a + int(i·step)·a for i in 0..g]` with `step = (c − 1)·a / (g − 1)`.
///
/// Upstream's second form multiplies by `a` twice, so for `a > 1` its concurrencies run past
/// `c·a` (to about `c·a²`); this function reproduces that as it is.
pub fn num_request_range(
    attn_dp_size: u64,
    engine_max_concurrency: u64,
    granularity: u64,
) -> Result<Vec<u64>> {
    if attn_dp_size == 0 {
        return Err(Error::InvalidParameter {
            name: "attn_dp_size",
            value: "0".to_owned(),
            reason: "must be at least 1",
        });
    }
    if granularity < 2 {
        return Err(Error::InvalidParameter {
            name: "granularity",
            value: granularity.to_string(),
            reason: "the decode concurrency sweep needs at least 2 (upstream divides by g - 1)",
        });
    }
    check_granularity(granularity)?;
    let a = attn_dp_size;
    let max_concurrency = engine_max_concurrency.min(DECODE_MAX_CONCURRENCY);
    let conc_per_dp = max_concurrency / a;
    if conc_per_dp < granularity {
        return Ok((1..=conc_per_dp).map(|k| k * a).collect());
    }
    // Exact in f64: both operands are far below 2^53, and Python's int / int rounds the same way.
    let step = ((conc_per_dp - 1) * a) as f64 / (granularity - 1) as f64;
    Ok((0..granularity)
        .map(|i| a + (i as f64 * step) as u64 * a)
        .collect())
}

/// One input length of the decode sweep and the concurrencies measured at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeSweepRow {
    /// Input length of every request at this row.
    pub isl: u64,
    /// `max_kv_tokens // (isl + osl)`: how many such requests fit in the KV cache.
    pub max_concurrency: u64,
    /// The concurrencies (`--concurrency`, `--num-dataset-entries`, `--request-count`) to run.
    pub num_requests: Vec<u64>,
}

/// The decode sweep: rows in increasing input length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeSweep {
    /// The rows measured.
    pub rows: Vec<DecodeSweepRow>,
    /// Output length of every measurement ([`DECODE_OSL`]).
    pub osl: u64,
    /// The input length at which the sweep stopped early because not even one request fits
    /// (`max_kv_tokens // (isl + osl) == 0`; upstream logs a warning and breaks), if it did.
    pub stopped_at_isl: Option<u64>,
}

/// The decode sweep of `profile_decode`: `isl ∈ range(100, L − 500, (L − 500) // g)` with
/// `L = max_context_length` (no 512-token headroom here), and for each isl the concurrencies
/// [`num_request_range`]`(attn_dp_size, max_kv_tokens // (isl + 500), g)`; the loop stops at the
/// first isl where no request fits.
///
/// ```
/// let sweep = servebench_profiler_fit::sweeps::decode_sweep(16384, 100_000, 6, 1)?;
/// assert_eq!(sweep.rows[0].isl, 100);
/// assert_eq!(sweep.rows[0].num_requests, [1, 34, 67, 100, 133, 166]);
/// # Ok::<(), servebench_profiler_fit::Error>(())
/// ```
pub fn decode_sweep(
    max_context_length: u64,
    max_kv_tokens: u64,
    granularity: u64,
    attn_dp_size: u64,
) -> Result<DecodeSweep> {
    check_granularity(granularity)?;
    if max_kv_tokens == 0 {
        return Err(Error::InvalidParameter {
            name: "max_kv_tokens",
            value: "0".to_owned(),
            reason: "must be > 0 for decode",
        });
    }
    let osl = DECODE_OSL;
    if max_context_length <= osl {
        return Err(Error::InvalidParameter {
            name: "max_context_length",
            value: max_context_length.to_string(),
            reason: "must exceed the decode output length (500)",
        });
    }
    let stop = max_context_length - osl;
    let step = stop / granularity;
    if step == 0 {
        return Err(zero_step(max_context_length));
    }
    let mut rows = Vec::new();
    let mut stopped_at_isl = None;
    for isl in py_range(SWEEP_START_ISL, stop, step) {
        let max_concurrency = max_kv_tokens / (isl + osl);
        if max_concurrency == 0 {
            stopped_at_isl = Some(isl);
            break;
        }
        rows.push(DecodeSweepRow {
            isl,
            max_concurrency,
            num_requests: num_request_range(attn_dp_size, max_concurrency, granularity)?,
        });
    }
    Ok(DecodeSweep {
        rows,
        osl,
        stopped_at_isl,
    })
}

/// `y_context_length` of a decode point: `isl + osl / 2` (Python true division).
pub fn decode_context_length(isl: u64, osl: u64) -> f64 {
    isl as f64 + osl as f64 / 2.0
}

/// `x_kv_usage` of a decode point: `(isl + osl / 2) · num_request / max_kv_tokens`, the fraction
/// of the KV cache in use halfway through the outputs. Infinite or NaN if `max_kv_tokens` is 0.
pub fn decode_kv_usage(isl: u64, osl: u64, num_request: u64, max_kv_tokens: u64) -> f64 {
    decode_context_length(isl, osl) * num_request as f64 / max_kv_tokens as f64
}

/// Prefill throughput per GPU of one measurement:
/// `isl / ttft_ms / num_gpus · 1000 · attention_dp_size` (tokens/s/GPU).
pub fn prefill_thpt_per_gpu(
    isl: u64,
    ttft_ms: f64,
    num_gpus: u64,
    attention_dp_size: u64,
) -> Result<f64> {
    if !(ttft_ms.is_finite() && ttft_ms > 0.0) {
        return Err(Error::InvalidParameter {
            name: "ttft_ms",
            value: ttft_ms.to_string(),
            reason: "must be finite and > 0",
        });
    }
    if num_gpus == 0 {
        return Err(Error::InvalidParameter {
            name: "num_gpus",
            value: "0".to_owned(),
            reason: "must be at least 1",
        });
    }
    Ok(isl as f64 / ttft_ms / num_gpus as f64 * 1000.0 * attention_dp_size as f64)
}

/// Decode throughput per GPU: `output_token_throughput.avg / num_gpus`.
pub fn decode_thpt_per_gpu(output_token_throughput: f64, num_gpus: u64) -> Result<f64> {
    if num_gpus == 0 {
        return Err(Error::InvalidParameter {
            name: "num_gpus",
            value: "0".to_owned(),
            reason: "must be at least 1",
        });
    }
    Ok(output_token_throughput / num_gpus as f64)
}

/// Python's `range(start, stop, step)` for a positive step.
fn py_range(start: u64, stop: u64, step: u64) -> Vec<u64> {
    (start..stop)
        .step_by(usize::try_from(step).unwrap_or(usize::MAX))
        .collect()
}

fn check_granularity(granularity: u64) -> Result<()> {
    if granularity == 0 || granularity > MAX_GRANULARITY {
        Err(Error::InvalidParameter {
            name: "granularity",
            value: granularity.to_string(),
            reason: "must be between 1 and 1000",
        })
    } else {
        Ok(())
    }
}

fn zero_step(max_context_length: u64) -> Error {
    Error::InvalidParameter {
        name: "max_context_length",
        value: max_context_length.to_string(),
        reason: "too small for this granularity: the sweep step would be 0",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Expected values below are worked by hand from §8.3's formulas, e.g. prefill at 16384 and
    // g = 8: mcl = 15872, step = 15772 // 8 = 1971, points 100 + 1971k below 15872.

    #[test]
    fn prefill_grid_profile_endpoint_defaults() {
        assert_eq!(
            prefill_isl_points(16384, ENDPOINT_GRANULARITY).expect("grid"),
            [100, 2071, 4042, 6013, 7984, 9955, 11926, 13897, 15868]
        );
    }

    #[test]
    fn prefill_grid_profile_sla_defaults() {
        // step = 15772 // 16 = 985; 100 + 985k < 15872 for k = 0..=16: 17 points.
        let isls = prefill_isl_points(16384, SLA_PREFILL_GRANULARITY).expect("grid");
        assert_eq!(isls.len(), 17);
        assert_eq!(isls[1], 1085);
        assert_eq!(isls[16], 15860);
    }

    #[test]
    fn prefill_grid_small_context() {
        // 1024 − 512 = 512; step = 412 // 8 = 51; 100, 151, …, 508 (9 points).
        assert_eq!(
            prefill_isl_points(1024, 8).expect("grid"),
            [100, 151, 202, 253, 304, 355, 406, 457, 508]
        );
    }

    #[test]
    fn prefill_grid_refusals() {
        // mcl = 100: upstream raises "too small to profile prefill".
        assert!(matches!(
            prefill_isl_points(612, 8),
            Err(Error::InvalidParameter {
                name: "max_context_length",
                ..
            })
        ));
        assert!(prefill_isl_points(100, 8).is_err());
        // mcl = 105: step = 5 // 8 = 0, Python's range() would raise.
        assert!(prefill_isl_points(617, 8).is_err());
        assert!(prefill_isl_points(16384, 0).is_err());
        assert!(prefill_isl_points(u64::MAX, MAX_GRANULARITY + 1).is_err());
        assert!(prefill_isl_points(u64::MAX, MAX_GRANULARITY).is_ok());
    }

    #[test]
    fn num_request_range_hand_values() {
        // c = 166 ≥ 6: step = 165 / 5 = 33.
        assert_eq!(
            num_request_range(1, 166, 6).expect("range"),
            [1, 34, 67, 100, 133, 166]
        );
        // step = 7 / 5 = 1.4: int(0, 1.4, 2.8, 4.2, 5.6, 7.0) = 0, 1, 2, 4, 5, 7.
        assert_eq!(
            num_request_range(1, 8, 6).expect("range"),
            [1, 2, 3, 5, 6, 8]
        );
        // c < g: every multiple of a up to c·a.
        assert_eq!(num_request_range(1, 3, 6).expect("range"), [1, 2, 3]);
        assert_eq!(num_request_range(4, 10, 6).expect("range"), [4, 8]);
        assert!(num_request_range(4, 3, 6).expect("range").is_empty());
        // Capped at 2000 and, for a > 1, upstream's double multiplication by a:
        // c = 1000, step = 999·2/5 = 399.6 → 2 + 2·int(i·399.6).
        assert_eq!(
            num_request_range(2, 3000, 6).expect("range"),
            [2, 800, 1600, 2398, 3198, 3998]
        );
        assert_eq!(
            num_request_range(1, 1_000_000, 2).expect("range"),
            [1, 2000]
        );
        assert!(num_request_range(0, 10, 6).is_err());
        assert!(num_request_range(1, 10, 1).is_err());
    }

    #[test]
    fn decode_grid_hand_values() {
        // L − 500 = 15884, step = 15884 // 6 = 2647: isl 100, 2747, 5394, 8041, 10688, 13335.
        let sweep = decode_sweep(16384, 100_000, 6, 1).expect("sweep");
        assert_eq!(sweep.osl, 500);
        assert_eq!(sweep.stopped_at_isl, None);
        let got: Vec<(u64, u64, Vec<u64>)> = sweep
            .rows
            .into_iter()
            .map(|r| (r.isl, r.max_concurrency, r.num_requests))
            .collect();
        let want: Vec<(u64, u64, Vec<u64>)> = vec![
            (100, 166, vec![1, 34, 67, 100, 133, 166]), // 100000 // 600
            (2747, 30, vec![1, 6, 12, 18, 24, 30]),     // step 29/5 = 5.8
            (5394, 16, vec![1, 4, 7, 10, 13, 16]),      // step 3
            (8041, 11, vec![1, 3, 5, 7, 9, 11]),        // step 2
            (10688, 8, vec![1, 2, 3, 5, 6, 8]),         // step 1.4
            (13335, 7, vec![1, 2, 3, 4, 5, 7]),         // step 1.2
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn decode_grid_stops_when_nothing_fits() {
        // 3000 // 600 = 5 requests at isl 100; 3000 // 3247 = 0 at isl 2747: stop there.
        let sweep = decode_sweep(16384, 3000, 6, 1).expect("sweep");
        assert_eq!(sweep.rows.len(), 1);
        assert_eq!(sweep.rows[0].num_requests, [1, 2, 3, 4, 5]);
        assert_eq!(sweep.stopped_at_isl, Some(2747));
    }

    #[test]
    fn decode_grid_refusals() {
        assert!(decode_sweep(16384, 0, 6, 1).is_err());
        assert!(decode_sweep(500, 100_000, 6, 1).is_err());
        assert!(decode_sweep(16384, 100_000, 0, 1).is_err());
        assert!(decode_sweep(16384, 100_000, MAX_GRANULARITY + 1, 1).is_err());
        assert!(num_request_range(1, 100, MAX_GRANULARITY + 1).is_err());
        assert!(decode_sweep(16384, 100_000, 6, 0).is_err());
        // 505 − 500 = 5, 5 // 6 = 0: zero step.
        assert!(decode_sweep(505, 100_000, 6, 1).is_err());
        // 550 − 500 = 50 < 100: an empty sweep, as upstream's empty range.
        assert!(
            decode_sweep(550, 100_000, 6, 1)
                .expect("sweep")
                .rows
                .is_empty()
        );
    }

    #[test]
    fn per_point_quantities() {
        // isl 100, osl 500: context 350; 166 requests in 100000 tokens: 350·166/100000.
        assert_eq!(decode_context_length(100, 500), 350.0);
        assert!((decode_kv_usage(100, 500, 166, 100_000) - 0.581).abs() < 1e-12);
        // 3000 tokens in 50 ms on 2 GPUs: 3000/50/2·1000 = 30000 tokens/s/GPU; DEP 4 → ×4.
        assert_eq!(
            prefill_thpt_per_gpu(3000, 50.0, 2, 1).expect("thpt"),
            30000.0
        );
        assert_eq!(
            prefill_thpt_per_gpu(3000, 50.0, 2, 4).expect("thpt"),
            120000.0
        );
        assert!(prefill_thpt_per_gpu(3000, 0.0, 2, 1).is_err());
        assert!(prefill_thpt_per_gpu(3000, f64::NAN, 2, 1).is_err());
        assert!(prefill_thpt_per_gpu(3000, 50.0, 0, 1).is_err());
        assert_eq!(decode_thpt_per_gpu(1200.0, 4).expect("thpt"), 300.0);
        assert!(decode_thpt_per_gpu(1200.0, 0).is_err());
    }

    proptest! {
        /// Prefill points start at 100, are evenly spaced by (top − 100) // g, stay below
        /// top = max − 512, and number ceil((top − 100) / step) ≥ g (g or g + 1 once the
        /// range is large against g²; far more when the floor division loses most of the step).
        #[test]
        fn prefill_grid_shape(mcl in 613u64..200_000, g in 1u64..64) {
            match prefill_isl_points(mcl, g) {
                Ok(isls) => {
                    let top = mcl - 512;
                    prop_assert_eq!(isls[0], 100);
                    prop_assert!(*isls.last().expect("non-empty") < top);
                    let step = (top - 100) / g;
                    prop_assert!(isls.windows(2).all(|w| w[1] - w[0] == step));
                    prop_assert_eq!(isls.len() as u64, (top - 100).div_ceil(step));
                    prop_assert!(isls.len() as u64 >= g);
                    if top - 100 >= g * g {
                        prop_assert!(isls.len() as u64 <= g + 1, "{} points", isls.len());
                    }
                }
                Err(_) => prop_assert!((mcl - 512 - 100) / g == 0),
            }
        }

        /// With no attention DP the concurrencies are increasing, start at 1 and end at the cap.
        #[test]
        fn concurrency_range_shape(maxc in 0u64..10_000, g in 2u64..20) {
            let r = num_request_range(1, maxc, g).expect("range");
            let cap = maxc.min(DECODE_MAX_CONCURRENCY);
            prop_assert_eq!(r.len() as u64, cap.min(g));
            if cap > 0 {
                prop_assert_eq!(r[0], 1);
                // int() truncation of (g − 1)·step can land one below the cap, upstream too.
                let last = *r.last().expect("non-empty");
                prop_assert!(last == cap || last + 1 == cap, "last {last}, cap {cap}");
                prop_assert!(r.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }
}
