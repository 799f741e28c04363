//! The interpolation sweeps of `profile_endpoint` (spec §8.3): TTFT over a grid of input
//! lengths, and decode ITL / throughput over (ISL × concurrency), i.e. KV usage × context
//! length. The grids come from [`servebench_profiler_fit::sweeps`].

use std::path::Path;

use rand::{RngExt, SeedableRng};
use servebench_loadgen_core::CancelHandle;
use servebench_profiler_fit::sweeps;

use crate::data::{DecodeData, PrefillData};
use crate::error::ProfilerError;
use crate::measure::{Target, decode_point, prefill_ttft};

/// Settings of a prefill sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrefillSweep {
    /// GPUs of the engine (`--num_gpus`).
    pub num_gpus: u64,
    /// Longest context (`--max_context_length`, 16384); 512 are left for the chat template.
    pub max_context_length: u64,
    /// About this many ISL points (`--interpolation_granularity`).
    pub granularity: u64,
}

/// Settings of a decode sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeSweep {
    /// GPUs of the engine.
    pub num_gpus: u64,
    /// KV capacity of the engine in tokens (`--max_kv_tokens`).
    pub max_kv_tokens: u64,
    /// Longest context.
    pub max_context_length: u64,
    /// Points per axis.
    pub granularity: u64,
    /// Seed of the warm-up / measured run pairs (the original draws one per point at random).
    pub seed: u64,
}

/// Measures TTFT at each ISL of the prefill grid into `work_dir/aiperf_isl<ISL>/`.
///
/// Cancelling `cancel` ends the sweep early with the points measured completely so far (a point
/// whose run the cancel cut short is left out; its exports stay on disk); the caller tells a
/// cut sweep by the handle.
///
/// # Errors
/// A grid that cannot be formed (max context too small) or a benchmark that cannot run.
pub async fn profile_prefill(
    target: &Target,
    sweep: PrefillSweep,
    work_dir: &Path,
    cancel: &CancelHandle,
) -> Result<PrefillData, ProfilerError> {
    if sweep.num_gpus == 0 {
        return Err(ProfilerError::Invalid {
            setting: "--num_gpus",
            reason: "must be at least 1".into(),
        });
    }
    let isls = sweeps::prefill_isl_points(sweep.max_context_length, sweep.granularity).map_err(
        |source| ProfilerError::Fit {
            what: "the prefill ISL grid".into(),
            source,
        },
    )?;
    let mut data = PrefillData::default();
    for isl in isls {
        if cancel.is_cancelled() {
            break;
        }
        let dir = work_dir.join(format!("aiperf_isl{isl}"));
        let measured = prefill_ttft(target, isl, &dir, cancel).await?;
        if cancel.is_cancelled() {
            break;
        }
        let Some(ttft) = measured else {
            tracing::warn!("prefill ISL {isl}: no successful request; point skipped");
            continue;
        };
        tracing::info!("prefill ISL {isl}: TTFT {ttft:.2} ms");
        data.prefill_isl
            .push(i64::try_from(isl).unwrap_or(i64::MAX));
        data.prefill_ttft.push(ttft);
        let thpt = sweeps::prefill_thpt_per_gpu(
            isl,
            ttft,
            sweep.num_gpus,
            target.attention_dp_size.max(1),
        )
        .map_err(|source| ProfilerError::Fit {
            what: format!("prefill throughput at ISL {isl}"),
            source,
        })?;
        data.prefill_thpt_per_gpu.push(thpt);
    }
    Ok(data)
}

/// Measures decode ITL and throughput over the (ISL × concurrency) grid into
/// `work_dir/aiperf_request<N>_isl<ISL>_osl500_n<N>/` (and its `_warmup`).
///
/// Cancelling `cancel` ends the sweep early with the points measured completely so far, as
/// [`profile_prefill`] does.
///
/// # Errors
/// A grid that cannot be formed or a benchmark that cannot run.
pub async fn profile_decode(
    target: &Target,
    sweep: DecodeSweep,
    work_dir: &Path,
    cancel: &CancelHandle,
) -> Result<DecodeData, ProfilerError> {
    if sweep.max_kv_tokens == 0 {
        return Err(ProfilerError::Invalid {
            setting: "--max_kv_tokens",
            reason: "must be > 0 for decode".into(),
        });
    }
    if sweep.num_gpus == 0 {
        return Err(ProfilerError::Invalid {
            setting: "--num_gpus",
            reason: "must be at least 1".into(),
        });
    }
    let grid = sweeps::decode_sweep(
        sweep.max_context_length,
        sweep.max_kv_tokens,
        sweep.granularity,
        target.attention_dp_size.max(1),
    )
    .map_err(|source| ProfilerError::Fit {
        what: "the decode grid".into(),
        source,
    })?;
    if let Some(isl) = grid.stopped_at_isl {
        tracing::warn!(
            "decode sweep stops at ISL {isl}: not one request of ISL + OSL fits in the KV cache"
        );
    }
    let osl = grid.osl;
    let mut rng = rand::rngs::StdRng::seed_from_u64(sweep.seed);
    let mut data = DecodeData {
        max_kv_tokens: i64::try_from(sweep.max_kv_tokens).unwrap_or(i64::MAX),
        ..DecodeData::default()
    };
    'grid: for row in &grid.rows {
        for &n in &row.num_requests {
            if cancel.is_cancelled() {
                break 'grid;
            }
            let isl = row.isl;
            let dir = work_dir.join(format!("aiperf_request{n}_isl{isl}_osl{osl}_n{n}"));
            let seed = rng.random_range(0..=1_000_000u64);
            let n_usize = usize::try_from(n).unwrap_or(usize::MAX);
            let measured = decode_point(target, isl, osl, n_usize, seed, &dir, cancel).await?;
            if cancel.is_cancelled() {
                break 'grid;
            }
            let Some(sample) = measured else {
                tracing::warn!("decode ISL {isl} n {n}: no successful request; point skipped");
                continue;
            };
            tracing::info!("decode ISL {isl} n {n}: ITL {:.2} ms", sample.itl_ms);
            let thpt = sweeps::decode_thpt_per_gpu(sample.output_tps, sweep.num_gpus).map_err(
                |source| ProfilerError::Fit {
                    what: format!("decode throughput at ISL {isl} n {n}"),
                    source,
                },
            )?;
            data.x_kv_usage
                .push(sweeps::decode_kv_usage(isl, osl, n, sweep.max_kv_tokens));
            data.y_context_length
                .push(sweeps::decode_context_length(isl, osl));
            data.z_itl.push(sample.itl_ms);
            data.z_thpt_per_gpu.push(thpt);
        }
    }
    Ok(data)
}
