//! Synthetic datasets under the built-in tokenizer.

use servebench_loadgen_core::prompts::synthesize;
use servebench_loadgen_core::prompts::{SynthesisError, SyntheticConfig};
use servebench_tokenize::BuiltinTokenizer;

use crate::synthetic_support::{build_and_check, check_prefix_sharing, check_prompts_differ};

#[test]
fn exact_lengths_for_many_isl_and_seeds() {
    let tok = BuiltinTokenizer::new();
    for seed in 0..8u64 {
        for isl in [1u64, 2, 3, 5, 16, 63, 128, 550, 1000, 4096] {
            let config = SyntheticConfig {
                isl_mean: isl,
                num_entries: 12,
                seed: Some(seed),
                ..SyntheticConfig::default()
            };
            build_and_check(&config, &tok);
        }
        // And with spread lengths (including many clipped to 1) and output lengths.
        let config = SyntheticConfig {
            isl_mean: 200,
            isl_stddev: 150.0,
            osl_mean: Some(100),
            osl_stddev: 60.0,
            num_entries: 60,
            seed: Some(seed),
            ..SyntheticConfig::default()
        };
        let data = build_and_check(&config, &tok);
        let lengths: std::collections::HashSet<u64> =
            data.entries.iter().map(|e| e.input_tokens).collect();
        assert!(lengths.len() > 20, "lengths vary: {lengths:?}");
    }
}

#[test]
fn default_config_gives_100_prompts_of_550_tokens_and_no_output_limit() {
    let tok = BuiltinTokenizer::new();
    let config = SyntheticConfig {
        seed: Some(42),
        ..SyntheticConfig::default()
    };
    let data = build_and_check(&config, &tok);
    assert_eq!(data.entries.len(), 100);
    assert!(data.entries.iter().all(|e| e.input_tokens == 550));
    assert!(data.entries.iter().all(|e| e.max_output_tokens.is_none()));
    check_prompts_differ(&data, &tok, 16);
}

#[test]
fn prefixes_are_shared_exactly_and_counted_outside_isl() {
    let tok = BuiltinTokenizer::new();
    for seed in [1u64, 2, 3] {
        let config = SyntheticConfig {
            isl_mean: 300,
            isl_stddev: 50.0,
            num_entries: 80,
            seed: Some(seed),
            prefix_prompt_length: 700,
            num_prefix_prompts: 4,
            ..SyntheticConfig::default()
        };
        let data = build_and_check(&config, &tok);
        check_prefix_sharing(&config, &data, &tok);
        check_prompts_differ(&data, &tok, 16);
        let distinct: std::collections::HashSet<_> = data.prefix_prompts.iter().collect();
        assert_eq!(distinct.len(), 4);
    }
}

#[test]
fn same_seed_same_dataset_and_other_seeds_differ() {
    let tok = BuiltinTokenizer::new();
    let config = SyntheticConfig {
        isl_mean: 120,
        isl_stddev: 30.0,
        osl_mean: Some(50),
        osl_stddev: 10.0,
        num_entries: 30,
        seed: Some(7),
        prefix_prompt_length: 40,
        num_prefix_prompts: 3,
    };
    let a = synthesize(&config, &tok).unwrap();
    let b = synthesize(&config, &tok).unwrap();
    assert_eq!(a, b);
    let c = synthesize(
        &SyntheticConfig {
            seed: Some(8),
            ..config
        },
        &tok,
    )
    .unwrap();
    assert_ne!(a.entries, c.entries);
    assert_ne!(a.prefix_prompts, c.prefix_prompts);
}

#[test]
fn output_lengths_do_not_change_the_prompts() {
    let tok = BuiltinTokenizer::new();
    let without = SyntheticConfig {
        isl_mean: 64,
        isl_stddev: 8.0,
        num_entries: 20,
        seed: Some(3),
        ..SyntheticConfig::default()
    };
    let with = SyntheticConfig {
        osl_mean: Some(256),
        osl_stddev: 32.0,
        ..without
    };
    let a = synthesize(&without, &tok).unwrap();
    let b = synthesize(&with, &tok).unwrap();
    let prompts = |d: &servebench_loadgen_core::prompts::SyntheticDataset| {
        d.entries
            .iter()
            .map(|e| e.prompt.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(prompts(&a), prompts(&b));
    assert!(b.entries.iter().all(|e| e.max_output_tokens.is_some()));
}

#[test]
fn no_seed_draws_one_and_reports_it() {
    let tok = BuiltinTokenizer::new();
    let config = SyntheticConfig {
        isl_mean: 20,
        num_entries: 5,
        ..SyntheticConfig::default()
    };
    let first = synthesize(&config, &tok).unwrap();
    let second = synthesize(&config, &tok).unwrap();
    // Two OS-entropy seeds collide with probability 2^-64.
    assert_ne!(first.seed, second.seed);
    // Replaying the reported seed reproduces the run.
    let replay = synthesize(
        &SyntheticConfig {
            seed: Some(first.seed),
            ..config
        },
        &tok,
    )
    .unwrap();
    assert_eq!(replay, first);
}

#[test]
fn invalid_config_is_rejected_before_any_work() {
    let tok = BuiltinTokenizer::new();
    let err = synthesize(
        &SyntheticConfig {
            num_prefix_prompts: 2,
            ..SyntheticConfig::default()
        },
        &tok,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            SynthesisError::InvalidConfig {
                field: "--num-prefix-prompts",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn too_many_one_token_prompts_are_reported_as_duplicates_not_looped_on() {
    let tok = BuiltinTokenizer::new();
    let config = SyntheticConfig {
        isl_mean: 1,
        num_entries: 5000,
        seed: Some(1),
        ..SyntheticConfig::default()
    };
    let data = build_and_check(&config, &tok);
    let distinct: std::collections::HashSet<_> =
        data.entries.iter().map(|e| e.prompt.as_str()).collect();
    assert_eq!(data.duplicate_prompts, data.entries.len() - distinct.len());
    assert!(data.duplicate_prompts > 0);
}
