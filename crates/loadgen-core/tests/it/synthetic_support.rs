//! Shared test helpers.

use std::sync::{Arc, OnceLock};

use servebench_loadgen_core::prompts::{SyntheticConfig, SyntheticDataset, synthesize};
use servebench_tokenize::{Tokenizer, TokenizerSpec, load};

/// The real Qwen3 tokenizer from `shared/`, loaded once per test process.
pub(crate) fn qwen3() -> &'static Arc<dyn Tokenizer> {
    static TOKENIZER: OnceLock<Arc<dyn Tokenizer>> = OnceLock::new();
    TOKENIZER.get_or_init(|| {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/tokenizers/qwen3"
        );
        load(&TokenizerSpec::HfFile(dir.into())).expect("load the Qwen3 tokenizer")
    })
}

/// Builds a dataset and checks the properties every synthetic dataset must have, recounting every
/// prompt with `tok` (not trusting `input_tokens`).
pub(crate) fn build_and_check(config: &SyntheticConfig, tok: &dyn Tokenizer) -> SyntheticDataset {
    let data = synthesize(config, tok).unwrap_or_else(|e| panic!("{config:?}: {e}"));
    assert_eq!(data.entries.len(), config.num_entries);
    if let Some(seed) = config.seed {
        assert_eq!(data.seed, seed);
    }
    for (i, e) in data.entries.iter().enumerate() {
        let counted = tok.count_tokens(&e.prompt) as u64;
        assert_eq!(
            counted, e.input_tokens,
            "entry {i} of {config:?}: {:?}",
            e.prompt
        );
        assert!(
            e.input_tokens > config.prefix_prompt_length,
            "isl part is at least 1"
        );
        if config.isl_stddev == 0.0 {
            assert_eq!(
                e.input_tokens,
                config.prefix_prompt_length + config.isl_mean
            );
        }
        match (config.osl_mean, e.max_output_tokens) {
            (None, None) => {}
            (Some(mean), Some(osl)) => {
                assert!(osl >= 1);
                if config.osl_stddev == 0.0 {
                    assert_eq!(osl, mean);
                }
            }
            other => panic!("osl {other:?}"),
        }
        assert!(!e.prompt.contains('\u{FFFD}'), "{:?}", e.prompt);
    }
    assert_eq!(data.prefix_prompts.len(), config.num_prefix_prompts);
    data
}

/// Checks that prefixes are shared exactly: each prefix has exactly `prefix_prompt_length` tokens,
/// every prompt starts with one of them as text and as token ids, and (with enough entries) every
/// prefix is used.
pub(crate) fn check_prefix_sharing(
    config: &SyntheticConfig,
    data: &SyntheticDataset,
    tok: &dyn Tokenizer,
) {
    let prefix_ids: Vec<Vec<u32>> = data.prefix_prompts.iter().map(|p| tok.encode(p)).collect();
    for ids in &prefix_ids {
        assert_eq!(ids.len() as u64, config.prefix_prompt_length);
    }
    let mut uses = vec![0usize; data.prefix_prompts.len()];
    for e in &data.entries {
        let owners: Vec<usize> = (0..data.prefix_prompts.len())
            .filter(|&k| e.prompt.starts_with(&data.prefix_prompts[k]))
            .collect();
        assert_eq!(owners.len(), 1, "prompt must start with exactly one prefix");
        let k = owners[0];
        uses[k] += 1;
        let ids = tok.encode(&e.prompt);
        assert!(
            ids.starts_with(&prefix_ids[k]),
            "token ids of the prefix are kept"
        );
        assert_eq!(ids.len() as u64, e.input_tokens);
    }
    if config.num_entries >= 10 * config.num_prefix_prompts {
        assert!(uses.iter().all(|&u| u > 0), "every prefix used: {uses:?}");
    }
}

/// Asserts the prompts are pairwise distinct and that no two share the first `tokens` tokens of
/// their own part (after the shared prefix, if any).
pub(crate) fn check_prompts_differ(data: &SyntheticDataset, tok: &dyn Tokenizer, tokens: usize) {
    let mut seen = std::collections::HashSet::new();
    for e in &data.entries {
        assert!(
            seen.insert(e.prompt.as_str()),
            "duplicate prompt {:?}",
            e.prompt
        );
    }
    assert_eq!(data.duplicate_prompts, 0);
    let starts: Vec<Vec<u32>> = data
        .entries
        .iter()
        .map(|e| {
            let body = data
                .prefix_prompts
                .iter()
                .find(|p| e.prompt.starts_with(p.as_str()))
                .map_or(e.prompt.as_str(), |p| &e.prompt[p.len()..]);
            tok.encode(body).into_iter().take(tokens).collect()
        })
        .collect();
    for i in 0..starts.len() {
        for j in i + 1..starts.len() {
            if starts[i].len() == tokens && starts[j].len() == tokens {
                assert_ne!(starts[i], starts[j], "entries {i} and {j} start alike");
            }
        }
    }
}
