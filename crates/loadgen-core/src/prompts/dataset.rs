//! Building a synthetic dataset from a [`SyntheticConfig`].

use std::collections::HashSet;

use rand::rngs::StdRng;
use servebench_tokenize::Tokenizer;

use crate::DatasetEntry;
use crate::prompts::sampling::{index, sample_length, seeded_rng};
use crate::prompts::synthesizer::MAX_ATTEMPTS;
use crate::prompts::{PromptSynthesizer, SynthesisError, SyntheticConfig};

/// A synthetic dataset and what is needed to reproduce and describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticDataset {
    /// The prompts, in order.
    pub entries: Vec<DatasetEntry>,
    /// The seed used: the configured one, or the one drawn from the OS (echo it so the run can be
    /// repeated with `--random-seed`).
    pub seed: u64,
    /// The shared prefixes (each exactly `prefix_prompt_length` tokens); every prompt starts with
    /// one of them. Empty without prefixes.
    pub prefix_prompts: Vec<String>,
    /// Prompts equal to an earlier one. Prompts are redrawn until they differ (and until their
    /// first 32 bytes after the shared prefix differ, a few times), so this stays 0 unless the
    /// lengths are too short to allow that many distinct texts (e.g. thousands of one-token
    /// prompts); a run may warn when it is not.
    pub duplicate_prompts: usize,
}

/// A shared prefix: its text and its token ids on their own.
struct Prefix {
    text: String,
    ids: Vec<u32>,
}

/// Builds the dataset described by `config`, measuring lengths with `tokenizer`.
///
/// Each entry's prompt has exactly `input_tokens` tokens under `tokenizer`:
/// `prefix_prompt_length + isl` where `isl` is drawn from the normal (`isl_mean`, `isl_stddev`)
/// clipped to at least 1 (AIPerf counts the prefix outside `--isl`; see [`SyntheticConfig`]).
/// With prefixes, the prompt's token ids begin with exactly the ids of its prefix on its own, so a
/// server's prefix cache can reuse them. `max_output_tokens` is drawn from the normal
/// (`osl_mean`, `osl_stddev`) clipped to at least 1, or `None` without `osl_mean`.
///
/// The same seed, config and tokenizer give the same dataset. Lengths, output lengths, prompt
/// texts, prefix texts and prefix choices use separate random streams, so for example adding
/// `--osl` leaves the prompts unchanged.
///
/// # Errors
/// [`SynthesisError::InvalidConfig`] for a bad setting; [`SynthesisError::LengthUnreachable`] if the tokenizer
/// makes an exact length impossible (never with the built-in tokenizer).
pub fn synthesize(
    config: &SyntheticConfig,
    tokenizer: &dyn Tokenizer,
) -> Result<SyntheticDataset, SynthesisError> {
    config.validate()?;
    let seed = config.seed.unwrap_or_else(rand::random);
    let synth = PromptSynthesizer::new(tokenizer);

    let mut prefix_rng = seeded_rng(seed, "prefix-text");
    let mut prefixes: Vec<Prefix> = Vec::with_capacity(config.num_prefix_prompts);
    let mut seen_prefixes = Seen::default();
    for _ in 0..config.num_prefix_prompts {
        let text = seen_prefixes.distinct(0, || {
            synth.text_with_tokens(config.prefix_prompt_length, &mut prefix_rng)
        })?;
        let ids = tokenizer.encode(&text);
        prefixes.push(Prefix { text, ids });
    }

    let mut isl_rng = seeded_rng(seed, "isl");
    let mut osl_rng = seeded_rng(seed, "osl");
    let mut choice_rng = seeded_rng(seed, "prefix-choice");
    let mut text_rng = seeded_rng(seed, "prompt-text");
    let mut seen = Seen::default();
    let mut entries = Vec::with_capacity(config.num_entries);
    for _ in 0..config.num_entries {
        let isl = sample_length(&mut isl_rng, config.isl_mean, config.isl_stddev);
        let max_output_tokens = config
            .osl_mean
            .map(|mean| sample_length(&mut osl_rng, mean, config.osl_stddev));
        let prompt = if prefixes.is_empty() {
            seen.distinct(0, || synth.text_with_tokens(isl, &mut text_rng))?
        } else {
            let prefix = &prefixes[index(&mut choice_rng, prefixes.len())];
            seen.distinct(prefix.text.len(), || {
                prompt_after_prefix(&synth, prefix, isl, &mut text_rng)
            })?
        };
        entries.push(DatasetEntry::new(
            prompt,
            config.prefix_prompt_length + isl,
            max_output_tokens,
        ));
    }
    Ok(SyntheticDataset {
        entries,
        seed,
        prefix_prompts: prefixes.into_iter().map(|p| p.text).collect(),
        duplicate_prompts: seen.duplicates,
    })
}

/// Bytes at the start of a prompt's own part (after any shared prefix) that must differ between
/// prompts: about 8 tokens of English, so no two prompts share a cacheable first block by accident.
const HEAD_BYTES: usize = 32;
/// Redraws allowed for a head that another prompt already has (bounded so that very large
/// datasets, where heads must repeat, stay cheap).
const HEAD_ATTEMPTS: usize = 4;

/// Prompts drawn so far: whole texts and heads.
#[derive(Default)]
struct Seen {
    prompts: HashSet<String>,
    heads: HashSet<String>,
    duplicates: usize,
}

impl Seen {
    /// Calls `make` until it returns a prompt whose own part (after `skip` bytes of shared prefix)
    /// starts differently from every earlier prompt's, or at least is a new text. Gives up on the
    /// head after [`HEAD_ATTEMPTS`] and on the whole text after [`MAX_ATTEMPTS`]; a repeated text
    /// is then kept and counted in `duplicates`.
    fn distinct(
        &mut self,
        skip: usize,
        mut make: impl FnMut() -> Result<String, SynthesisError>,
    ) -> Result<String, SynthesisError> {
        let head = |text: &str| -> String {
            let own = &text[skip.min(text.len())..];
            own[..own.floor_char_boundary(HEAD_BYTES)].to_owned()
        };
        let mut text = make()?;
        for attempt in 1..MAX_ATTEMPTS {
            let new_text = !self.prompts.contains(&text);
            if new_text && (attempt > HEAD_ATTEMPTS || !self.heads.contains(&head(&text))) {
                break;
            }
            text = make()?;
        }
        self.heads.insert(head(&text));
        if !self.prompts.insert(text.clone()) {
            self.duplicates += 1;
        }
        Ok(text)
    }
}

/// `prefix` followed by a space and `isl` more tokens, such that the whole prompt has exactly
/// `prefix.ids.len() + isl` tokens and its ids start with `prefix.ids` (a tokenizer may merge
/// across the join; such texts are redrawn).
fn prompt_after_prefix(
    synth: &PromptSynthesizer<'_>,
    prefix: &Prefix,
    isl: u64,
    rng: &mut StdRng,
) -> Result<String, SynthesisError> {
    let want = prefix.ids.len() as u64 + isl;
    let fits = |tail: &str| {
        let ids = synth.tokenizer().encode(&format!("{}{tail}", prefix.text));
        ids.len() as u64 == want && ids.starts_with(&prefix.ids)
    };
    for _ in 0..MAX_ATTEMPTS {
        if let Some(tail) = synth.attempt(true, isl, rng, &fits) {
            return Ok(format!("{}{tail}", prefix.text));
        }
    }
    Err(synth.unreachable(want))
}
