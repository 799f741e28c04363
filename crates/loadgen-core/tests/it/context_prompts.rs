//! AIPerf's shared system prompt and per-user context prompts: exact token lengths under the
//! built-in and the real Qwen3 tokenizer, counted in the ISL, and what a server receives.

use std::collections::HashSet;
use std::sync::Arc;

use servebench_loadgen_core::prompts::{
    ContextPromptConfig, ContextPrompts, SyntheticConfig, add_context_prompts, synthesize,
};
use servebench_loadgen_core::{DatasetEntry, LoadMode};
use servebench_mocker::{EngineConfig, PoolConfig, ServerConfig, spawn_simulated};
use servebench_tokenize::{BuiltinTokenizer, Tokenizer, TokenizerSpec};

use crate::support::{config, run_with};
use crate::synthetic_support::qwen3;

fn dataset(tok: &dyn Tokenizer, n: usize, isl: u64, seed: u64) -> Vec<DatasetEntry> {
    let config = SyntheticConfig {
        isl_mean: isl,
        num_entries: n,
        seed: Some(seed),
        ..SyntheticConfig::default()
    };
    synthesize(&config, tok).unwrap().entries
}

/// Recounts every part with `tok` and checks the lengths, sharing and distinctness; with
/// `additive` (the built-in tokenizer) the ISL must also be the plain sum of the lengths.
fn check(
    tok: &dyn Tokenizer,
    system_len: u64,
    context_len: u64,
    isl: u64,
    seed: u64,
    additive: bool,
) {
    let mut entries = dataset(tok, 12, isl, seed);
    let config = ContextPromptConfig {
        shared_system_prompt_length: Some(system_len),
        user_context_prompt_length: Some(context_len),
        system_prompt: None,
    };
    add_context_prompts(&mut entries, &config, tok, seed).unwrap();
    let system = entries[0].system_prompt.clone().unwrap();
    assert_eq!(
        tok.count_tokens(&system) as u64,
        system_len,
        "{}",
        tok.name()
    );
    let mut contexts = HashSet::new();
    for (i, e) in entries.iter().enumerate() {
        // One system prompt, the same allocation in every entry.
        assert!(Arc::ptr_eq(e.system_prompt.as_ref().unwrap(), &system));
        let context = e.user_context.clone().unwrap();
        assert_eq!(tok.count_tokens(&context) as u64, context_len, "entry {i}");
        assert_eq!(tok.count_tokens(&e.prompt) as u64, isl, "entry {i}");
        // The ISL is counted as AIPerf counts it: over the texts joined with spaces.
        let joined = format!("{system} {context} {}", e.prompt);
        assert_eq!(
            e.input_tokens,
            tok.count_tokens(&joined) as u64,
            "entry {i}"
        );
        if additive {
            assert_eq!(e.input_tokens, system_len + context_len + isl, "entry {i}");
        }
        contexts.insert(context);
    }
    assert_eq!(
        contexts.len(),
        entries.len(),
        "every user has its own context"
    );
    assert!(!contexts.contains(&system));
}

#[test]
fn exact_lengths_under_the_builtin_tokenizer() {
    let tok = BuiltinTokenizer::new();
    for seed in 0..3 {
        for (system_len, context_len) in [(1, 1), (7, 3), (500, 120), (2048, 64)] {
            check(&tok, system_len, context_len, 40, seed, true);
        }
    }
}

#[test]
fn exact_lengths_under_the_qwen3_tokenizer() {
    let tok = qwen3().as_ref();
    for seed in 0..3 {
        for (system_len, context_len) in [(1, 2), (13, 5), (500, 120), (1500, 300)] {
            check(tok, system_len, context_len, 31, seed, false);
        }
    }
}

#[test]
fn same_seed_same_texts_and_a_user_keeps_its_context() {
    let tok = qwen3().as_ref();
    let config = ContextPromptConfig {
        shared_system_prompt_length: Some(64),
        user_context_prompt_length: Some(32),
        system_prompt: None,
    };
    let mut a = ContextPrompts::new(&config, tok, 9).unwrap();
    let mut b = ContextPrompts::new(&config, tok, 9).unwrap();
    assert_eq!(a.system_prompt(), b.system_prompt());
    // Asked in a different order, user 5 still gets the same context.
    let fifth = a.user_context(5).unwrap();
    for i in 0..=5 {
        b.user_context(i).unwrap();
    }
    assert_eq!(fifth, b.user_context(5).unwrap());
    assert_eq!(a.user_context(2).unwrap(), b.user_context(2).unwrap());
    let other = ContextPrompts::new(&config, tok, 10).unwrap();
    assert_ne!(a.system_prompt(), other.system_prompt());
    // Only the configured parts exist.
    let system_only = ContextPromptConfig {
        shared_system_prompt_length: Some(8),
        ..ContextPromptConfig::default()
    };
    let mut c = ContextPrompts::new(&system_only, tok, 9).unwrap();
    assert_eq!(c.user_context(0).unwrap(), None);
    assert!(c.system_prompt().is_some());
}

/// The whole chain against the simulated engine: the server's `usage.prompt_tokens` (which it
/// counts from the messages it received, joined with spaces) equals the ISL the client records.
async fn server_counts_what_the_client_counts(spec: TokenizerSpec, tok: &dyn Tokenizer) {
    let server = spawn_simulated(
        &PoolConfig {
            engine: EngineConfig {
                speedup_ratio: 0.0,
                ..EngineConfig::default()
            },
            ..PoolConfig::default()
        },
        ServerConfig {
            port: 0,
            tokenizer: spec,
            ..ServerConfig::default()
        },
    )
    .await
    .unwrap();
    let mut entries = dataset(tok, 4, 20, 3);
    let config_prompts = ContextPromptConfig {
        shared_system_prompt_length: Some(100),
        user_context_prompt_length: Some(30),
        system_prompt: None,
    };
    add_context_prompts(&mut entries, &config_prompts, tok, 3).unwrap();
    for e in &mut entries {
        e.max_output_tokens = Some(2);
    }
    let (report, records) = run_with(
        config(vec![server.base_url()], 4),
        entries.into(),
        LoadMode::Concurrency(1),
        servebench_loadgen_core::CancelHandle::new(),
    )
    .await;
    assert_eq!(report.profiling.succeeded, 4);
    for r in &records {
        // 100 + 30 + 20 tokens; a byte-level BPE may merge one across a join.
        let isl = r.input_tokens.unwrap();
        assert!((147..=150).contains(&isl), "{isl}");
        assert_eq!(r.usage.as_ref().unwrap().prompt_tokens, Some(isl), "{r:?}");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_engine_sees_the_counted_prompt_builtin() {
    let tok = BuiltinTokenizer::new();
    server_counts_what_the_client_counts(TokenizerSpec::Builtin, &tok).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_engine_sees_the_counted_prompt_qwen3() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/tokenizers/qwen3"
    );
    server_counts_what_the_client_counts(TokenizerSpec::HfFile(dir.into()), qwen3().as_ref()).await;
}
