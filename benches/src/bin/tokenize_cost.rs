//! What the mocker's request path spends on one long prompt, part by part: encoding the prompt
//! with the Qwen3 tokenizer (through servebench-tokenize's wrapper, as the server does), parsing
//! the JSON body, and hashing the token ids into KV blocks.
//!
//! The prompt is the one `loadgen --isl N --random-seed S --num-dataset-entries 1` sends (same
//! synthesis, same tokenizer). Each part runs `repeats` times; the first encode is reported on its
//! own (the tokenizer's word cache is cold then), the rest as min / median / max in ms.
//!
//! Run: `cargo run --release -p servebench-benches --bin tokenize_cost -- [isl] [seed] [repeats]`
//! (defaults 16000 15 20; `TOKENIZER_DIR` overrides the Qwen3 tokenizer's directory; fidelity.sh's cached 16000-token row uses seed 15 or 20).

use std::path::PathBuf;
use std::time::Instant;

use servebench_loadgen_core::prompts::{SyntheticConfig, synthesize};
use servebench_mocker::{BlockSize, sequence_block_hashes};
use servebench_tokenize::{TokenizerSpec, load};

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn summary(label: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let median = ms.get(ms.len() / 2).copied().unwrap_or(f64::NAN);
    println!(
        "{label:<28} min {:>8.3}  median {:>8.3}  max {:>8.3} ms  ({} runs)",
        ms.first().copied().unwrap_or(f64::NAN),
        median,
        ms.last().copied().unwrap_or(f64::NAN),
        ms.len()
    );
}

/// `$TOKENIZER_DIR`, else the repository's `../shared/data/tokenizers/qwen3`.
fn qwen3_dir() -> PathBuf {
    std::env::var_os("TOKENIZER_DIR").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/data/tokenizers/qwen3"
            ))
        },
        PathBuf::from,
    )
}

fn time<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed().as_secs_f64() * 1000.0)
}

fn main() {
    let isl = arg(1, 16_000);
    let seed = arg(2, 15);
    let repeats = arg(3, 20).max(1) as usize;
    let dir = qwen3_dir();
    let tokenizer = load(&TokenizerSpec::HfFile(dir)).expect("load the Qwen3 tokenizer");
    let config = SyntheticConfig {
        isl_mean: isl,
        num_entries: 1,
        seed: Some(seed),
        ..SyntheticConfig::default()
    };
    let dataset = synthesize(&config, tokenizer.as_ref()).expect("synthesize");
    let prompt = dataset.entries[0].prompt.clone();
    // A fresh tokenizer, so the first encode below meets a cold word cache as the server's does.
    drop(tokenizer);
    let dir = qwen3_dir();
    let tokenizer = load(&TokenizerSpec::HfFile(dir)).expect("load the Qwen3 tokenizer");
    println!(
        "prompt: {} bytes, isl {isl}, seed {seed}; load average {}",
        prompt.len(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    let (ids, first) = time(|| tokenizer.encode(&prompt));
    println!(
        "{:<28} {first:>8.3} ms ({} tokens)",
        "encode, first (cold cache)",
        ids.len()
    );
    let encode: Vec<f64> = (0..repeats)
        .map(|_| time(|| tokenizer.encode(&prompt)).1)
        .collect();
    summary("encode, repeated", encode);

    let body = format!(
        "{{\"model\":\"qwen3-mock\",\"messages\":[{{\"role\":\"user\",\"content\":{}}}],\"max_tokens\":20,\"stream\":true}}",
        serde_json::to_string(&prompt).expect("a string serializes")
    );
    let parse: Vec<f64> = (0..repeats)
        .map(|_| {
            time(|| {
                let v: Result<serde_json::Value, _> = serde_json::from_slice(body.as_bytes());
                v.is_ok()
            })
            .1
        })
        .collect();
    summary("JSON parse of the body", parse);

    let block = BlockSize::new(16).expect("16 > 0");
    let hash: Vec<f64> = (0..repeats)
        .map(|_| time(|| sequence_block_hashes(&ids, block).len()).1)
        .collect();
    summary("block hashes (16)", hash);
}
