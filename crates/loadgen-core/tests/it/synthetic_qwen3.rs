//! Synthetic datasets under the real Qwen3 tokenizer (byte-level BPE: counts are not additive, so
//! exactness comes from re-encoding, which these tests check by recounting every prompt).

use servebench_loadgen_core::prompts::SyntheticConfig;
use servebench_loadgen_core::prompts::synthesize;

use crate::synthetic_support::{
    build_and_check, check_prefix_sharing, check_prompts_differ, qwen3,
};

#[test]
fn exact_lengths_for_many_isl_and_seeds() {
    let tok = qwen3().as_ref();
    for seed in 0..4u64 {
        for isl in [1u64, 2, 3, 7, 31, 128, 550, 2000] {
            let config = SyntheticConfig {
                isl_mean: isl,
                num_entries: 6,
                seed: Some(seed),
                ..SyntheticConfig::default()
            };
            build_and_check(&config, tok);
        }
        let config = SyntheticConfig {
            isl_mean: 300,
            isl_stddev: 200.0,
            osl_mean: Some(64),
            osl_stddev: 16.0,
            num_entries: 40,
            seed: Some(seed),
            ..SyntheticConfig::default()
        };
        build_and_check(&config, tok);
    }
}

#[test]
fn default_sized_dataset_is_exact_and_distinct() {
    let tok = qwen3().as_ref();
    let config = SyntheticConfig {
        seed: Some(2024),
        ..SyntheticConfig::default()
    };
    let data = build_and_check(&config, tok);
    assert!(data.entries.iter().all(|e| e.input_tokens == 550));
    check_prompts_differ(&data, tok, 16);
}

#[test]
fn prefixes_are_shared_exactly_and_reproducibly() {
    let tok = qwen3().as_ref();
    for seed in [5u64, 6] {
        let config = SyntheticConfig {
            isl_mean: 200,
            isl_stddev: 40.0,
            num_entries: 50,
            seed: Some(seed),
            prefix_prompt_length: 500,
            num_prefix_prompts: 3,
            ..SyntheticConfig::default()
        };
        let data = build_and_check(&config, tok);
        check_prefix_sharing(&config, &data, tok);
        check_prompts_differ(&data, tok, 16);
        assert_eq!(synthesize(&config, tok).unwrap(), data);
    }
}
