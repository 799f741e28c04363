//! Prints a synthetic dataset as JSON lines (`{"prompt", "input_tokens", "max_output_tokens"}`), for
//! checking prompt lengths with another tokenizer implementation.
//!
//! ```text
//! cargo run -p servebench-loadgen-core --example synthetic_dataset -- \
//!     TOKENIZER ISL ISL_STDDEV ENTRIES SEED [PREFIX_LENGTH NUM_PREFIXES]
//! ```
//! `TOKENIZER` is `builtin` or a `tokenizer.json` file or directory.

use std::io::Write;
use std::process::ExitCode;

use servebench_loadgen_core::prompts::{SyntheticConfig, synthesize};
use servebench_tokenize::{TokenizerSpec, load};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !(args.len() == 5 || args.len() == 7) {
        return Err(
            "usage: synthetic_dataset TOKENIZER ISL ISL_STDDEV ENTRIES SEED [PREFIX_LENGTH NUM_PREFIXES]"
                .into(),
        );
    }
    let spec: TokenizerSpec = args[0].parse()?;
    let config = SyntheticConfig {
        isl_mean: args[1].parse()?,
        isl_stddev: args[2].parse()?,
        num_entries: args[3].parse()?,
        seed: Some(args[4].parse()?),
        prefix_prompt_length: args.get(5).map_or(Ok(0), |s| s.parse())?,
        num_prefix_prompts: args.get(6).map_or(Ok(0), |s| s.parse())?,
        ..SyntheticConfig::default()
    };
    let tokenizer = load(&spec)?;
    let data = synthesize(&config, tokenizer.as_ref())?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for e in &data.entries {
        let line = serde_json::json!({
            "prompt": e.prompt,
            "input_tokens": e.input_tokens,
            "max_output_tokens": e.max_output_tokens,
        });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}
