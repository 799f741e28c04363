//! Times dataset preparation of a Mooncake trace: loading (parse, validate, block prompts set
//! up) and rendering every prompt once (the work spread over the run when bodies are built at
//! send time), then checks a sample of prompt lengths by re-encoding them.
//!
//! ```text
//! cargo run --release -p servebench-loadgen-core --example mooncake_prepare -- \
//!     ../shared/data/traces/mooncake-fast25/conversation_trace.jsonl [tokenizer.json|builtin]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use servebench_loadgen_core::replay::{DatasetType, ReplayOptions, load_dataset};
use servebench_loadgen_core::{EndpointConfig, EndpointKind, body_bytes};
use servebench_tokenize::TokenizerSpec;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: mooncake_prepare TRACE.jsonl [TOKENIZER]");
        return ExitCode::from(2);
    };
    let spec: TokenizerSpec = args
        .next()
        .unwrap_or_else(|| "builtin".into())
        .parse()
        .unwrap_or_default();
    let tokenizer = match servebench_tokenize::load(&spec) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("mooncake_prepare: {e}");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    let data = match load_dataset(
        &path,
        DatasetType::MooncakeTrace,
        &ReplayOptions::new(1),
        &*tokenizer,
    ) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mooncake_prepare: {e}");
            return ExitCode::from(1);
        }
    };
    let loaded = start.elapsed();
    let endpoint = EndpointConfig::new(EndpointKind::Chat, "m");
    let render = Instant::now();
    let (mut bytes, mut tokens) = (0usize, 0u64);
    for entry in &data.entries {
        match body_bytes(&endpoint, entry) {
            Ok(body) => bytes += body.len(),
            Err(e) => {
                eprintln!("mooncake_prepare: {e}");
                return ExitCode::from(1);
            }
        }
        tokens += entry.input_tokens;
    }
    let rendered = render.elapsed();
    let check = Instant::now();
    let step = (data.entries.len() / 20).max(1);
    let mut checked = 0;
    for entry in data.entries.iter().step_by(step) {
        let counted = tokenizer.count_tokens(&entry.prompt_text()) as u64;
        if counted != entry.input_tokens {
            eprintln!(
                "mooncake_prepare: a prompt re-encodes to {counted} tokens, not {}",
                entry.input_tokens
            );
            return ExitCode::from(1);
        }
        checked += 1;
    }
    println!(
        "{} lines, {tokens} prompt tokens ({} tokenizer): loaded in {:.3} s; every request body \
         rendered once in {:.3} s ({:.0} MB, {:.0} bodies/s); {checked} prompts re-encoded \
         exactly in {:.3} s",
        data.entries.len(),
        tokenizer.name(),
        loaded.as_secs_f64(),
        rendered.as_secs_f64(),
        bytes as f64 / 1e6,
        data.entries.len() as f64 / rendered.as_secs_f64(),
        check.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}
