//! Synthetic multi-turn sessions (AIPerf `--conversation-num`, `--conversation-turn-mean/stddev`,
//! `--conversation-turn-delay-mean/stddev/ratio`).

use std::sync::Arc;
use std::time::Duration;

use rand_distr::{Distribution, Normal};
use servebench_tokenize::Tokenizer;

use super::ReplayError;
use crate::dataset::{DatasetEntry, EntryExtras, SessionTurn};
use crate::prompts::{SyntheticConfig, seeded_rng, synthesize};

/// Shape of synthetic sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// Number of sessions.
    pub sessions: usize,
    /// Mean turns per session (at least 1 each).
    pub turn_mean: f64,
    /// Standard deviation of the turns per session.
    pub turn_stddev: f64,
    /// Mean delay before each turn after the first, in milliseconds.
    pub delay_mean_ms: f64,
    /// Standard deviation of the delay, in milliseconds.
    pub delay_stddev_ms: f64,
    /// Factor applied to every delay.
    pub delay_ratio: f64,
}

fn normal(mean: f64, stddev: f64, rng: &mut rand::rngs::StdRng) -> f64 {
    if stddev <= 0.0 {
        return mean;
    }
    Normal::new(mean, stddev).map_or(mean, |n| n.sample(rng))
}

/// Sessions of synthetic prompts: every turn is a prompt drawn as `prompts` describes (its
/// `num_entries` is replaced by the total number of turns), turns after the first wait a drawn
/// delay. Returns the entries (sessions consecutive, turns in order) and the seed used.
///
/// # Errors
/// Bad settings, or prompts that cannot be synthesized.
pub fn synthetic_sessions(
    prompts: &SyntheticConfig,
    shape: &SessionConfig,
    tokenizer: &dyn Tokenizer,
) -> Result<(Vec<DatasetEntry>, u64), ReplayError> {
    let finite = [
        shape.turn_mean,
        shape.turn_stddev,
        shape.delay_mean_ms,
        shape.delay_stddev_ms,
        shape.delay_ratio,
    ];
    if shape.sessions == 0 || finite.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
        return Err(ReplayError::Invalid {
            what: "--conversation-*",
            message: "the number of conversations must be at least 1 and every turn and delay \
                      setting a finite non-negative number"
                .into(),
        });
    }
    let seed = prompts.seed.unwrap_or_else(rand::random);
    let mut turn_rng = seeded_rng(seed, "conversation-turns");
    let mut delay_rng = seeded_rng(seed, "conversation-delays");
    let turns: Vec<u32> = (0..shape.sessions)
        .map(|_| {
            normal(shape.turn_mean, shape.turn_stddev, &mut turn_rng)
                .round()
                .max(1.0) as u32
        })
        .collect();
    let total: usize = turns.iter().map(|&t| t as usize).sum();
    let mut config = prompts.clone();
    config.num_entries = total;
    config.seed = Some(seed);
    let data = synthesize(&config, tokenizer).map_err(|e| ReplayError::Invalid {
        what: "synthetic prompts",
        message: e.to_string(),
    })?;
    let mut prompts = data.entries.into_iter();
    let mut entries = Vec::with_capacity(total);
    for (session, &count) in turns.iter().enumerate() {
        for turn in 0..count {
            let Some(mut entry) = prompts.next() else {
                break;
            };
            let delay = (turn > 0).then(|| {
                let ms = normal(shape.delay_mean_ms, shape.delay_stddev_ms, &mut delay_rng)
                    .max(0.0)
                    * shape.delay_ratio;
                Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX)
            });
            entry.extras = Some(Arc::new(EntryExtras {
                delay,
                session: Some(SessionTurn {
                    session: session as u64,
                    session_id: servebench_metrics::session_id(session as u64),
                    turn,
                }),
                ..EntryExtras::default()
            }));
            entries.push(entry);
        }
    }
    Ok((entries, seed))
}
