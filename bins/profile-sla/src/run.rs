//! The run: candidates, measurements, selection, files.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use serde_json::json;
use servebench_cli_support::exit::{INTERRUPTED, WithStatus};
use servebench_cli_support::output::write_file;
use servebench_cli_support::signals::{self, CancelToken, FirstInterrupt};
use servebench_loadgen_core::CancelHandle;
use servebench_profiler::measure::Target;
use servebench_profiler::sla::{self, CandidateResult, SlaSettings};
use servebench_profiler::sweep::{DecodeSweep, PrefillSweep, profile_decode, profile_prefill};
use servebench_tokenize::{TokenizerSpec, load};

use crate::args::Args;
use crate::candidates::{self, Running};

/// `results.json`: every candidate's measured points.
fn write_results(out: &Path, results: &[CandidateResult]) -> anyhow::Result<()> {
    write(
        &out.join("results.json"),
        serde_json::to_string_pretty(results)?.as_bytes(),
    )
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_file(path, &[], bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn target(
    args: &Args,
    running: &Running,
    tokenizer: &Arc<dyn servebench_tokenize::Tokenizer>,
) -> Target {
    let mut t = Target::new(
        running.url.clone(),
        args.model.clone(),
        Arc::clone(tokenizer),
    );
    t.seed = args.seed;
    t.warmup_per_rank = args.warmup_request_count;
    t
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    if !(args.ttft.is_finite() && args.ttft > 0.0 && args.itl.is_finite() && args.itl > 0.0) {
        bail!("--ttft and --itl must be finite numbers > 0");
    }
    if args.isl == 0 || args.osl == 0 {
        bail!("--isl and --osl must be at least 1");
    }
    let token = CancelToken::new();
    signals::watch(
        "profile-sla",
        FirstInterrupt::Cancel {
            token: token.clone(),
            message: "stopping after the current point; the candidates measured so far are written",
        },
    )
    .context("cannot watch for interrupts")?;
    let spec = if args.tokenizer.is_empty() {
        TokenizerSpec::Builtin
    } else {
        TokenizerSpec::HfFile(args.tokenizer.clone().into())
    };
    let tokenizer =
        load(&spec).with_context(|| format!("cannot load tokenizer {:?}", args.tokenizer))?;
    let running = match &args.candidates {
        Some(path) => candidates::from_file(path)?,
        None => candidates::embedded(args, &tokenizer)?,
    };
    if running.is_empty() {
        bail!(
            "no candidate: no power of two between --min-num-gpus-per-engine and --max-num-gpus-per-engine"
        );
    }
    std::fs::create_dir_all(&args.output_dir)
        .with_context(|| format!("cannot create {}", args.output_dir.display()))?;
    let settings = SlaSettings {
        isl: args.isl,
        osl: args.osl,
        ttft_ms: args.ttft,
        itl_ms: args.itl,
        decode_granularity: args.decode_interpolation_granularity,
        gpu_cost_per_hour: args.gpu_cost_per_hour,
        seed: args.seed,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let cancel = CancelHandle::new();
    let on_interrupt = cancel.clone();
    token.on_cancel(move || on_interrupt.cancel());
    let mut results: Vec<CandidateResult> = Vec::new();
    for r in &running {
        let t = target(args, r, &tokenizer);
        let measured = runtime.block_on(sla::measure_candidate(
            &t,
            &r.candidate,
            &settings,
            &args.output_dir,
            &cancel,
        ));
        if cancel.is_cancelled() {
            // The candidate being measured is incomplete: only the finished ones are written.
            write_results(&args.output_dir, &results)?;
            return Err(anyhow::anyhow!(
                "interrupted while measuring {}: results.json holds the {} candidates measured \
                 completely before it; no selection is made from a partial search",
                r.candidate.label,
                results.len()
            ))
            .status(INTERRUPTED);
        }
        let result = measured?;
        match result.prefill {
            Some((ttft, thpt)) => eprintln!(
                "profile-sla: {}: prefill TTFT {ttft:.2} ms, {thpt:.2} tokens/s/GPU; {} decode points",
                r.candidate.label,
                result.decode.len()
            ),
            None => eprintln!(
                "profile-sla: {}: prefill measurement failed",
                r.candidate.label
            ),
        }
        results.push(result);
    }
    let out = &args.output_dir;
    write_results(out, &results)?;
    let report = sla::analyze(&results, &settings)?;
    write(
        &out.join(sla::PREFILL_PERFORMANCE_PNG),
        &sla::prefill_performance_png(&results, &settings)?,
    )?;
    write(
        &out.join(sla::DECODE_PERFORMANCE_PNG),
        &sla::decode_performance_png(&results, &settings)?,
    )?;
    write(
        &out.join(sla::COST_SLA_PNG),
        &sla::cost_sla_png(&report, &settings)?,
    )?;
    let text = sla::summary(&results, &settings, &report);
    eprint!("{text}");
    write(&out.join("summary.txt"), text.as_bytes())?;
    let chosen = json!({
        "prefill": {
            "label": results[report.prefill.index].candidate.label,
            "meets_target": report.prefill.meets_target,
        },
        "decode": {
            "label": results[report.decode.candidate].candidate.label,
            "concurrency": report.decode.point.concurrency,
            "meets_target": report.decode.meets_target,
        },
        "prefill_queue_bounds": [report.prefill_queue.lower, report.prefill_queue.upper],
        "decode_kv_utilization_bounds": [report.decode_kv.lower, report.decode_kv.upper],
        "cost_per_1000_requests": report.cost_per_1000,
    });
    write(
        &out.join("summary.json"),
        serde_json::to_string_pretty(&chosen)?.as_bytes(),
    )?;

    if !args.skip_interpolation {
        let p = &running[report.prefill.index];
        let t = target(args, p, &tokenizer);
        let sweep = PrefillSweep {
            num_gpus: p.candidate.gpus,
            max_context_length: args.max_context_length,
            granularity: args.prefill_interpolation_granularity,
        };
        let dir = out.join("selected_prefill_interpolation");
        let data = runtime.block_on(profile_prefill(&t, sweep, &dir, &cancel))?;
        write(&dir.join("raw_data.npz"), &data.to_npz()?)?;
        write(
            &out.join("prefill_raw_data.json"),
            data.to_json().as_bytes(),
        )?;
        let d = &running[report.decode.candidate];
        let t = target(args, d, &tokenizer);
        let sweep = DecodeSweep {
            num_gpus: d.candidate.gpus,
            max_kv_tokens: d.candidate.max_kv_tokens,
            max_context_length: args.max_context_length,
            granularity: args.decode_interpolation_granularity,
            seed: args.seed,
        };
        let dir = out.join("selected_decode_interpolation");
        let data = runtime.block_on(profile_decode(&t, sweep, &dir, &cancel))?;
        write(&dir.join("raw_data.npz"), &data.to_npz()?)?;
        write(&out.join("decode_raw_data.json"), data.to_json().as_bytes())?;
        eprintln!(
            "profile-sla: interpolation profile of the chosen configurations in {} (mocker --planner-profile-data reads it)",
            out.display()
        );
    }
    drop(running);
    Ok(())
}
