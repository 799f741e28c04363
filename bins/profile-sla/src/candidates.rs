//! The candidates: read from the JSON file, or embedded simulated engines, one per GPU count.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use serde::Deserialize;
use servebench_mocker::{
    BlockSize, EmbeddedServer, EngineConfig, PoolConfig, ServerConfig, TokenizerSpec,
};
use servebench_profiler::sla::Candidate;
use servebench_tokenize::Tokenizer;

use crate::args::Args;

/// A candidate and where it is served (the embedded engine is kept alive with it).
pub(crate) struct Running {
    pub(crate) candidate: Candidate,
    pub(crate) url: String,
    pub(crate) _engine: Option<EmbeddedServer>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    label: String,
    url: String,
    gpus: u64,
    max_kv_tokens: u64,
}

/// The candidates of `path`; errors name the file, the entry and the field.
pub(crate) fn from_file(path: &Path) -> anyhow::Result<Vec<Running>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let entries: Vec<FileEntry> = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a JSON list of candidates", path.display()))?;
    if entries.is_empty() {
        bail!("{}: no candidates", path.display());
    }
    let mut out = Vec::new();
    for (i, e) in entries.into_iter().enumerate() {
        if e.gpus == 0 {
            bail!(
                "{}: candidate {i}: field `gpus` must be at least 1",
                path.display()
            );
        }
        if e.max_kv_tokens == 0 {
            bail!(
                "{}: candidate {i}: field `max_kv_tokens` must be > 0",
                path.display()
            );
        }
        if e.label.is_empty() {
            bail!("{}: candidate {i}: field `label` is empty", path.display());
        }
        out.push(Running {
            candidate: Candidate {
                label: e.label,
                gpus: e.gpus,
                max_kv_tokens: e.max_kv_tokens,
            },
            url: e.url,
            _engine: None,
        });
    }
    Ok(out)
}

/// One embedded engine per power-of-two GPU count g in [min, max]: speed-up
/// `base · g^exponent`, `g ·` blocks per GPU.
pub(crate) fn embedded(
    args: &Args,
    tokenizer: &Arc<dyn Tokenizer>,
) -> anyhow::Result<Vec<Running>> {
    if args.min_num_gpus_per_engine > args.max_num_gpus_per_engine {
        bail!("--min-num-gpus-per-engine is above --max-num-gpus-per-engine");
    }
    if !(args.mocker_scaling_exponent.is_finite() && args.mocker_scaling_exponent >= 0.0) {
        bail!("--mocker-scaling-exponent must be a finite number >= 0");
    }
    if !(args.mocker_speedup_ratio.is_finite() && args.mocker_speedup_ratio > 0.0) {
        bail!("--mocker-speedup-ratio must be a finite number > 0");
    }
    let block_size =
        BlockSize::new(args.mocker_block_size).context("--mocker-block-size must be at least 1")?;
    let mut out = Vec::new();
    let mut g = args.min_num_gpus_per_engine.next_power_of_two();
    while g <= args.max_num_gpus_per_engine {
        let blocks = u32::try_from(g)
            .ok()
            .and_then(|g| args.mocker_num_gpu_blocks.checked_mul(g))
            .context("--mocker-num-gpu-blocks times the GPU count is too large")?;
        let speedup = args.mocker_speedup_ratio * (g as f64).powf(args.mocker_scaling_exponent);
        let pool = PoolConfig {
            engine: EngineConfig {
                block_size,
                num_gpu_blocks: blocks,
                speedup_ratio: speedup,
                ..EngineConfig::default()
            },
            ..PoolConfig::default()
        };
        let server = ServerConfig {
            port: 0,
            model_name: args.model.clone(),
            tokenizer: TokenizerSpec::shared(Arc::clone(tokenizer)),
            ..ServerConfig::default()
        };
        let engine = EmbeddedServer::start_simulated(&pool, server)
            .with_context(|| format!("cannot start the embedded engine of {g} GPU(s)"))?;
        eprintln!(
            "profile-sla: embedded candidate tp{g}: {} (speed-up {speedup:.3}, {} KV tokens)",
            engine.url(),
            u64::from(blocks) * u64::from(args.mocker_block_size)
        );
        out.push(Running {
            candidate: Candidate {
                label: format!("tp{g}"),
                gpus: g,
                max_kv_tokens: u64::from(blocks) * u64::from(args.mocker_block_size),
            },
            url: engine.url().to_owned(),
            _engine: Some(engine),
        });
        g *= 2;
    }
    Ok(out)
}
