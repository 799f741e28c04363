//! Mooncake replay against the simulated engine with prefix caching and a cache larger than the
//! whole slice: the cached share of prompt tokens the engine reports matches the theoretical hit
//! rate of the same rows (trace-formats' `PrefixAnalyzer`, what `datagen analyze` prints).

use std::sync::Arc;

use servebench_loadgen_core::replay::{DatasetType, ReplayOptions, load_dataset};
use servebench_loadgen_core::{CancelHandle, DatasetEntry, LoadMode};
use servebench_mocker::{EngineConfig, PoolConfig, ServerConfig, spawn_simulated};
use servebench_tokenize::{BuiltinTokenizer, TokenizerSpec};
use servebench_trace_formats::{MooncakeReader, ReadOptions};
use servebench_workload::analyze::PrefixAnalyzer;

use crate::replay_datasets::trace_slice;
use crate::support::{config, run_with};

const ROWS: usize = 200;
const BLOCK: u64 = 512;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_cache_hits_match_the_theoretical_hit_rate() {
    let dir = tempfile::tempdir().unwrap();
    let path = trace_slice(dir.path(), ROWS);

    // Theory: an infinite cache filled in file order, per row the share of its blocks before the
    // first id never seen.
    let mut analyzer = PrefixAnalyzer::new(BLOCK);
    let mut rows = Vec::new();
    for record in MooncakeReader::open(&path, ReadOptions::default()).unwrap() {
        let record = record.unwrap();
        analyzer.push(&record);
        rows.push((record.hash_ids.len() as f64, record.input_length as f64));
    }
    let analysis = analyzer.finish();
    let theory_mean = analysis.hit_rates.iter().sum::<f64>() / analysis.hit_rates.len() as f64;
    // The same theory in tokens: k leading hit blocks of 512 tokens, at most the whole prompt.
    let (mut theory_cached, mut theory_prompt) = (0.0, 0.0);
    for (rate, (blocks, input)) in analysis.hit_rates.iter().zip(&rows) {
        theory_cached += (rate * blocks * BLOCK as f64).min(*input);
        theory_prompt += input;
    }
    let theory_share = theory_cached / theory_prompt;

    // Practice: one request at a time in file order (so every earlier prompt is cached), no
    // simulated delays, one output token each, a cache of 12.8M tokens for a 2.4M-token slice.
    let pool = PoolConfig {
        engine: EngineConfig {
            speedup_ratio: 0.0,
            num_gpu_blocks: 200_000,
            max_num_batched_tokens: 1 << 20,
            ..EngineConfig::default()
        },
        num_workers: 1,
        ..PoolConfig::default()
    };
    let server = ServerConfig {
        port: 0,
        tokenizer: TokenizerSpec::Builtin,
        ..ServerConfig::default()
    };
    let engine = spawn_simulated(&pool, server).await.unwrap();
    let mut options = ReplayOptions::new(11);
    options.block_size = BLOCK;
    let data = load_dataset(
        &path,
        DatasetType::MooncakeTrace,
        &options,
        &BuiltinTokenizer::new(),
    )
    .unwrap();
    let entries: Arc<[DatasetEntry]> = data
        .entries
        .into_iter()
        .map(|mut e| {
            e.max_output_tokens = Some(1);
            e
        })
        .collect();
    let mut run_config = config(vec![engine.base_url()], ROWS as u64);
    run_config.request_timeout = std::time::Duration::from_secs(60);
    let (report, records) = run_with(
        run_config,
        entries,
        LoadMode::Concurrency(1),
        CancelHandle::new(),
    )
    .await;
    engine.shutdown().await;
    assert_eq!(report.profiling.succeeded, ROWS as u64);

    let (mut cached, mut prompt, mut per_request, mut per_request_blocks) = (0.0, 0.0, 0.0, 0.0);
    for r in &records {
        let usage = r.usage.as_ref().unwrap();
        let p = usage.prompt_tokens.unwrap() as f64;
        let c = usage.cached_tokens.unwrap_or(0) as f64;
        assert_eq!(
            Some(p as u64),
            r.input_tokens,
            "the engine counts the trace's input_length"
        );
        cached += c;
        prompt += p;
        per_request += c / p;
        // In trace blocks, as the analyzer counts: hit blocks over the row's blocks.
        let blocks = p.div_euclid(BLOCK as f64) + f64::from(p % BLOCK as f64 > 0.0);
        per_request_blocks += (c / BLOCK as f64).ceil().min(blocks) / blocks;
    }
    let share = cached / prompt;
    let mean = per_request / records.len() as f64;
    let mean_blocks = per_request_blocks / records.len() as f64;
    eprintln!(
        "theoretical hit rate {theory_mean:.4} (mean of rows, in blocks), {theory_share:.4} \
         (token share); engine {mean_blocks:.4} (mean of requests, in blocks), {mean:.4} (mean of \
         requests, in tokens), {share:.4} (token share)"
    );
    assert!(
        theory_mean > 0.05,
        "the slice has prefix reuse: {theory_mean}"
    );
    // Within 2 percentage points as asked; in practice they agree to the fourth decimal.
    assert!(
        (share - theory_share).abs() < 0.02,
        "token share {share} vs {theory_share}"
    );
    assert!(
        (mean_blocks - theory_mean).abs() < 0.02,
        "mean block hit rate {mean_blocks} vs {theory_mean}"
    );
}
