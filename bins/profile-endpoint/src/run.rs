//! The run: choose the endpoint, run the sweeps on a tokio runtime, write the files.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use servebench_cli_support::exit::{INTERRUPTED, WithStatus};
use servebench_cli_support::output::write_file;
use servebench_cli_support::signals::{self, CancelToken, FirstInterrupt};
use servebench_loadgen_core::CancelHandle;
use servebench_profiler::data::{DecodeData, PrefillData};
use servebench_profiler::measure::Target;
use servebench_profiler::plots;
use servebench_profiler::sweep::{DecodeSweep, PrefillSweep, profile_decode, profile_prefill};
use servebench_tokenize::{TokenizerSpec, load};

use crate::args::{Args, Mode};
use crate::engine;

/// Sub-directories of `--mode both` (the profile-directory layout).
const PREFILL_SUBDIR: &str = "selected_prefill_interpolation";
const DECODE_SUBDIR: &str = "selected_decode_interpolation";

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    if !(args.mocker_speedup_ratio.is_finite() && args.mocker_speedup_ratio >= 0.0) {
        bail!("--mocker-speedup-ratio must be a finite number >= 0 (0 = no delays)");
    }
    if args.url.is_some() && args.max_kv_tokens == 0 && args.mode != Mode::Prefill {
        bail!("--max_kv_tokens must be > 0 for decode");
    }
    let token = CancelToken::new();
    signals::watch(
        "profile-endpoint",
        FirstInterrupt::Cancel {
            token: token.clone(),
            message: "ending the sweep after the current point, then writing the points measured",
        },
    )
    .context("cannot watch for interrupts")?;
    let spec = if args.tokenizer_path.is_empty() {
        TokenizerSpec::Builtin
    } else {
        TokenizerSpec::HfFile(args.tokenizer_path.clone().into())
    };
    let tokenizer =
        load(&spec).with_context(|| format!("cannot load tokenizer {:?}", args.tokenizer_path))?;
    let (embedded, url, max_kv_tokens) = match &args.url {
        Some(url) => (None, url.clone(), args.max_kv_tokens),
        None => {
            let (engine, capacity) = engine::start(args, &tokenizer)?;
            let url = engine.url().to_owned();
            eprintln!(
                "profile-endpoint: no --url: profiling the embedded simulated engine at {url} \
                 (speed-up {}, {capacity} KV tokens)",
                args.mocker_speedup_ratio
            );
            let kv = if args.max_kv_tokens > 0 {
                args.max_kv_tokens
            } else {
                capacity
            };
            (Some(engine), url, kv)
        }
    };
    let mut target = Target::new(url, args.model_name.clone(), Arc::clone(&tokenizer));
    target.seed = args.seed;
    target.attention_dp_size = args.attention_dp_size;
    target.warmup_per_rank = args.warmup_request_count;
    target.request_timeout = Duration::from_secs(args.request_timeout_seconds);
    std::fs::create_dir_all(&args.work_dir)
        .with_context(|| format!("cannot create {}", args.work_dir.display()))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let cancel = CancelHandle::new();
    let on_interrupt = cancel.clone();
    token.on_cancel(move || on_interrupt.cancel());
    let (prefill_dir, decode_dir) = match args.mode {
        Mode::Both => (
            args.work_dir.join(PREFILL_SUBDIR),
            args.work_dir.join(DECODE_SUBDIR),
        ),
        _ => (args.work_dir.clone(), args.work_dir.clone()),
    };
    if args.mode != Mode::Decode {
        let sweep = PrefillSweep {
            num_gpus: args.num_gpus,
            max_context_length: args.max_context_length,
            granularity: args.interpolation_granularity,
        };
        let data = runtime.block_on(profile_prefill(&target, sweep, &prefill_dir, &cancel))?;
        write_prefill(&data, &prefill_dir, &args.work_dir)?;
        if cancel.is_cancelled() {
            return interrupted("prefill", data.prefill_isl.len());
        }
    }
    if args.mode != Mode::Prefill {
        let sweep = DecodeSweep {
            num_gpus: args.num_gpus,
            max_kv_tokens,
            max_context_length: args.max_context_length,
            granularity: args.interpolation_granularity,
            seed: args.seed,
        };
        let data = runtime.block_on(profile_decode(&target, sweep, &decode_dir, &cancel))?;
        if data.z_itl.is_empty() && cancel.is_cancelled() {
            eprintln!("profile-endpoint: no decode point was measured: no decode results");
        } else {
            write_decode(&data, &decode_dir, &args.work_dir)?;
        }
        if cancel.is_cancelled() {
            return interrupted("decode", data.z_itl.len());
        }
    }
    drop(embedded);
    Ok(())
}

/// The end of a sweep cut short by Ctrl-C: its points are written; exit status 130.
fn interrupted(phase: &str, points: usize) -> anyhow::Result<()> {
    Err(anyhow::anyhow!(
        "interrupted during the {phase} sweep: the {points} {phase} points measured before it \
         are written (each point's AIPerf exports are in its own directory)"
    ))
    .status(INTERRUPTED)
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_file(path, &[], bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// `raw_data.npz` and the plots into `dir` (with more than 2 points, as the original),
/// `prefill_raw_data.json` into `json_dir`.
fn write_prefill(data: &PrefillData, dir: &Path, json_dir: &Path) -> anyhow::Result<()> {
    write(
        &json_dir.join("prefill_raw_data.json"),
        data.to_json().as_bytes(),
    )?;
    if data.prefill_isl.len() <= 2 {
        eprintln!(
            "profile-endpoint: only {} prefill points: not enough to interpolate (need at least 3); \
             no raw_data.npz or plots",
            data.prefill_isl.len()
        );
        return Ok(());
    }
    write(&dir.join("raw_data.npz"), &data.to_npz()?)?;
    let (png, [a, b, c]) = plots::prefill_ttft_png(data)?;
    write(&dir.join(plots::PREFILL_TTFT_PNG), &png)?;
    write(
        &dir.join(plots::PREFILL_THPT_PNG),
        &plots::prefill_throughput_png(data)?,
    )?;
    eprintln!(
        "profile-endpoint: prefill TTFT {}",
        plots::fit_label(a, b, c)
    );
    eprintln!("profile-endpoint: prefill results in {}", dir.display());
    Ok(())
}

/// `raw_data.npz` and the plots into `dir`, `decode_raw_data.json` into `json_dir`.
fn write_decode(data: &DecodeData, dir: &Path, json_dir: &Path) -> anyhow::Result<()> {
    write(&dir.join("raw_data.npz"), &data.to_npz()?)?;
    write(
        &json_dir.join("decode_raw_data.json"),
        data.to_json().as_bytes(),
    )?;
    for (file, png) in [
        (plots::DECODE_ITL_PNG, plots::decode_itl_png(data)),
        (plots::DECODE_THPT_PNG, plots::decode_throughput_png(data)),
    ] {
        match png {
            Ok(png) => write(&dir.join(file), &png)?,
            Err(e) => eprintln!(
                "profile-endpoint: warning: no {file}: {:#}",
                anyhow::Error::new(e)
            ),
        }
    }
    eprintln!(
        "profile-endpoint: decode results ({} points) in {}",
        data.z_itl.len(),
        dir.display()
    );
    Ok(())
}
