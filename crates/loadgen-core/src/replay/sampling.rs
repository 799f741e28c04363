//! Which dataset entry (or session) each request uses: AIPerf's `--dataset-sampling-strategy`.

use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

use rand::seq::SliceRandom;

use crate::prompts::{sampling_index, seeded_rng};

/// How requests walk through the dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SamplingStrategy {
    /// In order, wrapping around at the end.
    #[default]
    Sequential,
    /// Uniformly at random, with replacement.
    Random,
    /// Every entry once in a random order, then a new random order, and so on.
    Shuffle,
}

impl SamplingStrategy {
    /// AIPerf's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sequential => "sequential",
            Self::Random => "random",
            Self::Shuffle => "shuffle",
        }
    }
}

impl FromStr for SamplingStrategy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sequential" => Ok(Self::Sequential),
            "random" => Ok(Self::Random),
            "shuffle" => Ok(Self::Shuffle),
            _ => Err(format!(
                "unknown sampling strategy {s:?} (expected sequential, random or shuffle)"
            )),
        }
    }
}

/// Maps a request's sequence number to an item index. The mapping is a function of the sequence
/// number, the seed and the strategy only, so it does not depend on which task asks first.
#[derive(Debug)]
pub(crate) struct EntrySampler {
    strategy: SamplingStrategy,
    len: usize,
    seed: u64,
    /// Shuffle: the permutation of the current pass.
    pass: Mutex<(u64, Vec<usize>)>,
}

impl EntrySampler {
    pub(crate) fn new(strategy: SamplingStrategy, len: usize, seed: u64) -> Self {
        Self {
            strategy,
            len: len.max(1),
            seed,
            pass: Mutex::new((u64::MAX, Vec::new())),
        }
    }

    /// The item for request `seq`.
    pub(crate) fn index(&self, seq: u64) -> usize {
        let len = self.len as u64;
        match self.strategy {
            SamplingStrategy::Sequential => (seq % len) as usize,
            SamplingStrategy::Random => {
                let mut rng = seeded_rng(self.seed ^ seq.rotate_left(17), "sampling-random");
                sampling_index(&mut rng, self.len)
            }
            SamplingStrategy::Shuffle => {
                let pass = seq / len;
                let mut state = self.pass.lock().unwrap_or_else(PoisonError::into_inner);
                if state.0 != pass {
                    let mut order: Vec<usize> = (0..self.len).collect();
                    order.shuffle(&mut seeded_rng(self.seed ^ pass, "sampling-shuffle"));
                    *state = (pass, order);
                }
                state.1[(seq % len) as usize]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_visit_entries_as_named() {
        let seq: Vec<usize> = (0..6)
            .map(|i| EntrySampler::new(SamplingStrategy::Sequential, 3, 1).index(i))
            .collect();
        assert_eq!(seq, [0, 1, 2, 0, 1, 2]);

        let shuffle = EntrySampler::new(SamplingStrategy::Shuffle, 50, 1);
        let first: Vec<usize> = (0..50).map(|i| shuffle.index(i)).collect();
        let second: Vec<usize> = (50..100).map(|i| shuffle.index(i)).collect();
        let mut sorted = first.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (0..50).collect::<Vec<_>>(),
            "each entry once per pass"
        );
        assert_ne!(first, (0..50).collect::<Vec<_>>(), "not in order");
        assert_ne!(first, second, "a new order each pass");

        let random = EntrySampler::new(SamplingStrategy::Random, 50, 1);
        let draws: Vec<usize> = (0..50).map(|i| random.index(i)).collect();
        let mut distinct = draws.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() < 50, "with replacement: some repeat");
        assert!(distinct.len() > 10);
        assert_eq!(
            random.index(7),
            draws[7],
            "a function of the sequence number"
        );
    }

    #[test]
    fn names_parse() {
        assert_eq!("Shuffle".parse(), Ok(SamplingStrategy::Shuffle));
        assert!("bogus".parse::<SamplingStrategy>().is_err());
    }
}
