//! The embedded simulated engine profiled when no `--url` is given.

use std::sync::Arc;

use anyhow::Context as _;
use servebench_mocker::{
    BlockSize, EmbeddedServer, EngineConfig, PoolConfig, ServerConfig, TimingModel, TokenizerSpec,
};
use servebench_tokenize::Tokenizer;

use crate::args::Args;

/// Starts the engine; returns it and its KV capacity in tokens.
pub(crate) fn start(
    args: &Args,
    tokenizer: &Arc<dyn Tokenizer>,
) -> anyhow::Result<(EmbeddedServer, u64)> {
    let block_size =
        BlockSize::new(args.mocker_block_size).context("--mocker-block-size must be at least 1")?;
    let pool = PoolConfig {
        engine: EngineConfig {
            block_size,
            num_gpu_blocks: args.mocker_num_gpu_blocks,
            max_num_batched_tokens: args.mocker_max_num_batched_tokens,
            speedup_ratio: args.mocker_speedup_ratio,
            decode_speedup_ratio: args.mocker_decode_speedup_ratio,
            timing: match &args.mocker_planner_profile_data {
                Some(p) => TimingModel::FromFile(p.clone()),
                None => TimingModel::Polynomial,
            },
            ..EngineConfig::default()
        },
        num_workers: 1,
        ..PoolConfig::default()
    };
    let server = ServerConfig {
        port: 0,
        model_name: args.model_name.clone(),
        tokenizer: TokenizerSpec::shared(Arc::clone(tokenizer)),
        ..ServerConfig::default()
    };
    let engine = EmbeddedServer::start_simulated(&pool, server)
        .context("failed to start the embedded simulated engine")?;
    let capacity = u64::from(args.mocker_num_gpu_blocks) * u64::from(args.mocker_block_size);
    Ok((engine, capacity))
}
