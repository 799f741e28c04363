//! Trace block prompts hashed from their block ids ([`PromptTokens::hashed_blocks`]) share
//! exactly the blocks their materialised tokens share: same lengths and tails, and block `i` of
//! two prompts hashes equal by ids exactly when it hashes equal by tokens.

use std::sync::Arc;

use servebench_loadgen_core::replay::{DatasetSpec, DatasetType, build_dataset};
use servebench_mocker::{BlockSize, HashedPrompt};
use servebench_sim_replay::PromptTokens;
use servebench_tokenize::BuiltinTokenizer;

/// Trace block 512, engine blocks 64 and 128: shared and distinct ids, last blocks cut short
/// inside an engine block (1000 = 512 + 488 = 15 full 64-blocks + 40), exactly on one (1024),
/// and one id cut short (500 = 7 full 64-blocks + 52).
const TRACE: &str = r#"{"timestamp": 0, "input_length": 1000, "output_length": 4, "hash_ids": [1, 2]}
{"timestamp": 1, "input_length": 1024, "output_length": 4, "hash_ids": [1, 2]}
{"timestamp": 2, "input_length": 1100, "output_length": 4, "hash_ids": [1, 3, 2]}
{"timestamp": 3, "input_length": 600, "output_length": 4, "hash_ids": [2, 1]}
{"timestamp": 4, "input_length": 500, "output_length": 4, "hash_ids": [1]}
{"timestamp": 5, "input_length": 45, "output_length": 4, "hash_ids": [2]}
{"timestamp": 6, "input_length": 1010, "output_length": 4, "hash_ids": [1, 2]}
"#;

#[test]
fn id_hashes_share_exactly_the_blocks_the_tokens_share() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("trace.jsonl");
    std::fs::write(&path, TRACE).expect("write");
    let tokenizer = Arc::new(BuiltinTokenizer::new());
    let mut spec = DatasetSpec {
        input_file: Some(path),
        dataset_type: Some(DatasetType::MooncakeTrace),
        ..DatasetSpec::default()
    };
    spec.synthetic.seed = Some(7);
    let data = build_dataset(&spec, &*tokenizer).expect("dataset");
    let mut prompts = PromptTokens::new(tokenizer);
    for bs in [64, 128] {
        let bs = BlockSize::new(bs).expect("non-zero");
        let mut by_ids = Vec::new();
        let mut by_tokens = Vec::new();
        for entry in &data.entries {
            by_ids.push(prompts.hashed_blocks(entry, bs).expect("a block prompt"));
            let mut tokens = Vec::new();
            prompts.append(entry, &mut tokens);
            by_tokens.push(HashedPrompt::from_tokens(&tokens, bs));
        }
        let lengths: Vec<u32> = by_tokens.iter().map(HashedPrompt::len).collect();
        assert_eq!(lengths, [1000, 1024, 1100, 600, 500, 45, 1010]);
        for (i, (ids, tokens)) in by_ids.iter().zip(&by_tokens).enumerate() {
            assert_eq!(ids.len(), tokens.len(), "prompt {i}");
            assert_eq!(ids.tail(), tokens.tail(), "prompt {i}");
            assert_eq!(ids.block_hashes().len(), tokens.block_hashes().len());
        }
        let mut shared = 0;
        for a in 0..by_ids.len() {
            for b in 0..by_ids.len() {
                let (ia, ib) = (by_ids[a].block_hashes(), by_ids[b].block_hashes());
                let (ta, tb) = (by_tokens[a].block_hashes(), by_tokens[b].block_hashes());
                for k in 0..ia.len().min(ib.len()) {
                    assert_eq!(ia[k] == ib[k], ta[k] == tb[k], "{bs:?} {a} {b} block {k}");
                    shared += usize::from(a != b && ta[k] == tb[k]);
                }
            }
        }
        // Prompts 0, 1 and 6 share all of ids [1, 2] (as far as each reaches), prompt 4 the
        // first 512 tokens with them and prompt 2 the first 512 too: some pairs share blocks.
        assert!(shared > 0);
    }
    // A trace block that is not a multiple of the engine's is left to the tokens.
    let odd = BlockSize::new(48).expect("non-zero");
    assert!(prompts.hashed_blocks(&data.entries[0], odd).is_none());
}
