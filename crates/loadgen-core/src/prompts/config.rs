//! Settings of a synthetic dataset.

use crate::prompts::SynthesisError;

/// Settings of a synthetic dataset, with AIPerf's defaults (see [`SyntheticConfig::default`]).
///
/// Lengths are in tokens of the run's tokenizer. As in AIPerf, `isl_mean` is the length of the
/// per-request part of the prompt and does **not** include the shared prefix: with prefixes, each
/// prompt is `prefix_prompt_length + isl` tokens (AIPerf prepends the prefix to a prompt sampled
/// with `--isl`; Dynamo's prefix-ratio benchmark relies on this by passing
/// `--isl isl·(1−ratio) --prefix-prompt-length isl·ratio`).
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticConfig {
    /// Mean input length (`--isl`, AIPerf `--synthetic-input-tokens-mean`). Default 550.
    pub isl_mean: u64,
    /// Standard deviation of the input length (`--isl-stddev`). Default 0.
    pub isl_stddev: f64,
    /// Mean output length (`--osl`); `None` sends no output limit. Default `None`.
    pub osl_mean: Option<u64>,
    /// Standard deviation of the output length (`--osl-stddev`). Default 0.
    pub osl_stddev: f64,
    /// Number of prompts (`--num-dataset-entries`). Default 100.
    pub num_entries: usize,
    /// Random seed (`--random-seed`); `None` draws one from the OS, reported in
    /// [`SyntheticDataset::seed`](crate::prompts::SyntheticDataset::seed).
    pub seed: Option<u64>,
    /// Tokens of each shared prefix (`--prefix-prompt-length`). Default 0.
    pub prefix_prompt_length: u64,
    /// Number of distinct shared prefixes (`--num-prefix-prompts`). Default 0 (no prefixes).
    pub num_prefix_prompts: usize,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        Self {
            isl_mean: 550,
            isl_stddev: 0.0,
            osl_mean: None,
            osl_stddev: 0.0,
            num_entries: 100,
            seed: None,
            prefix_prompt_length: 0,
            num_prefix_prompts: 0,
        }
    }
}

impl SyntheticConfig {
    /// Checks ranges and combinations.
    ///
    /// # Errors
    /// [`SynthesisError::InvalidConfig`] naming the flag: a zero mean length or entry count, a negative or
    /// non-finite standard deviation, `--osl-stddev` without `--osl`, or only one of
    /// `--num-prefix-prompts` and `--prefix-prompt-length` set (a setting that would be ignored is
    /// rejected rather than silently dropped).
    pub fn validate(&self) -> Result<(), SynthesisError> {
        let invalid = |field, reason: &str| {
            Err(SynthesisError::InvalidConfig {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.isl_mean == 0 {
            return invalid("--isl", "must be at least 1 token");
        }
        if !(self.isl_stddev.is_finite() && self.isl_stddev >= 0.0) {
            return invalid("--isl-stddev", "must be a finite number >= 0");
        }
        if self.osl_mean == Some(0) {
            return invalid("--osl", "must be at least 1 token");
        }
        if !(self.osl_stddev.is_finite() && self.osl_stddev >= 0.0) {
            return invalid("--osl-stddev", "must be a finite number >= 0");
        }
        if self.osl_mean.is_none() && self.osl_stddev > 0.0 {
            return invalid("--osl-stddev", "needs --osl");
        }
        if self.num_entries == 0 {
            return invalid("--num-dataset-entries", "must be at least 1");
        }
        match (self.num_prefix_prompts, self.prefix_prompt_length) {
            (0, 0) => {}
            (0, _) => return invalid("--prefix-prompt-length", "needs --num-prefix-prompts > 0"),
            (_, 0) => return invalid("--num-prefix-prompts", "needs --prefix-prompt-length > 0"),
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(c: &SyntheticConfig) -> &'static str {
        match c.validate() {
            Err(SynthesisError::InvalidConfig { field, .. }) => field,
            other => panic!("expected an invalid config, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_aiperfs_and_valid() {
        let c = SyntheticConfig::default();
        assert_eq!((c.isl_mean, c.num_entries, c.osl_mean), (550, 100, None));
        assert_eq!((c.prefix_prompt_length, c.num_prefix_prompts), (0, 0));
        c.validate().unwrap();
    }

    #[test]
    fn bad_settings_name_their_flag() {
        let base = SyntheticConfig::default();
        let cases = [
            (
                SyntheticConfig {
                    isl_mean: 0,
                    ..base.clone()
                },
                "--isl",
            ),
            (
                SyntheticConfig {
                    isl_stddev: -1.0,
                    ..base.clone()
                },
                "--isl-stddev",
            ),
            (
                SyntheticConfig {
                    isl_stddev: f64::NAN,
                    ..base.clone()
                },
                "--isl-stddev",
            ),
            (
                SyntheticConfig {
                    osl_mean: Some(0),
                    ..base.clone()
                },
                "--osl",
            ),
            (
                SyntheticConfig {
                    osl_stddev: 5.0,
                    ..base.clone()
                },
                "--osl-stddev",
            ),
            (
                SyntheticConfig {
                    osl_mean: Some(10),
                    osl_stddev: f64::INFINITY,
                    ..base.clone()
                },
                "--osl-stddev",
            ),
            (
                SyntheticConfig {
                    num_entries: 0,
                    ..base.clone()
                },
                "--num-dataset-entries",
            ),
            (
                SyntheticConfig {
                    prefix_prompt_length: 100,
                    ..base.clone()
                },
                "--prefix-prompt-length",
            ),
            (
                SyntheticConfig {
                    num_prefix_prompts: 3,
                    ..base
                },
                "--num-prefix-prompts",
            ),
        ];
        for (config, field) in cases {
            assert_eq!(field_of(&config), field, "{config:?}");
            let msg = config.validate().unwrap_err().to_string();
            assert!(msg.contains(field), "{msg}");
        }
    }
}
