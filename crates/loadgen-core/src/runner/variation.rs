//! Per-request variations of a run: which of several models a request names (AIPerf
//! `--model-names a,b --model-selection-strategy`), and which requests the client cancels on
//! purpose (AIPerf `--request-cancellation-rate/--request-cancellation-delay`). Both are decided
//! from the run-wide request index and a seed, so a run is reproducible.

use std::time::Duration;

/// How a request picks one of several models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelStrategy {
    /// Request `i` names model `i mod n`.
    RoundRobin,
    /// Uniformly at random (seeded).
    Random,
}

/// Several models served by the endpoint; each request names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelChoice {
    /// The model names (at least one).
    pub models: Vec<String>,
    /// How a request picks one.
    pub strategy: ModelStrategy,
    /// Seed of random picks.
    pub seed: u64,
}

impl ModelChoice {
    /// The index of the model request `index` names.
    pub fn pick(&self, index: u64) -> usize {
        let n = self.models.len().max(1) as u64;
        let k = match self.strategy {
            ModelStrategy::RoundRobin => index % n,
            ModelStrategy::Random => mix(self.seed, index) % n,
        };
        usize::try_from(k).unwrap_or(0)
    }
}

/// Requests cancelled by the client after a delay, recorded as cancelled (AIPerf records them
/// with `was_cancelled` and error code 499).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestCancellation {
    /// Share of requests cancelled, in `0..=1` (AIPerf gives a percentage).
    pub fraction: f64,
    /// How long after it is dispatched (before connecting and writing, so slightly earlier
    /// than AIPerf's "after the request is fully sent") a chosen request is cancelled.
    pub delay: Duration,
    /// Seed of the choice.
    pub seed: u64,
}

impl RequestCancellation {
    /// Whether request `index` is one to cancel.
    pub fn cancels(&self, index: u64) -> bool {
        // 53 random bits as a uniform number in [0, 1).
        let u = (mix(self.seed ^ 0x5eed_cafe, index) >> 11) as f64 / (1u64 << 53) as f64;
        u < self.fraction
    }
}

/// SplitMix64 of `seed + index`: a well-mixed, stateless draw per request.
fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add(index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_cycles_and_random_is_seeded_and_covers_all() {
        let rr = ModelChoice {
            models: vec!["a".into(), "b".into(), "c".into()],
            strategy: ModelStrategy::RoundRobin,
            seed: 0,
        };
        assert_eq!(
            (0..6).map(|i| rr.pick(i)).collect::<Vec<_>>(),
            [0, 1, 2, 0, 1, 2]
        );
        let random = ModelChoice {
            strategy: ModelStrategy::Random,
            seed: 9,
            ..rr
        };
        let picks: Vec<usize> = (0..3000).map(|i| random.pick(i)).collect();
        assert_eq!(picks, (0..3000).map(|i| random.pick(i)).collect::<Vec<_>>());
        for m in 0..3 {
            let n = picks.iter().filter(|&&p| p == m).count();
            assert!((800..1200).contains(&n), "model {m}: {n} of 3000");
        }
    }

    #[test]
    fn cancellation_hits_about_the_fraction() {
        let c = RequestCancellation {
            fraction: 0.25,
            delay: Duration::ZERO,
            seed: 1,
        };
        let n = (0..10_000).filter(|&i| c.cancels(i)).count();
        assert!((2300..2700).contains(&n), "{n} of 10000");
        let none = RequestCancellation { fraction: 0.0, ..c };
        let all = RequestCancellation { fraction: 1.0, ..c };
        assert!((0..1000).all(|i| !none.cancels(i) && all.cancels(i)));
    }
}
