//! Empirical distributions and the small numeric helpers of the synthesizer.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

/// Samples from the empirical distribution of observed values, like Dynamo's `EmpiricalSampler`:
/// sorted unique values with the cumulative count fraction as CDF; a draw `u` in [0, 1) returns
/// `values[searchsorted(cdf, u, side="left")]`. No data means every draw returns 0.
///
/// Each sampler owns its random stream, seeded at construction.
#[derive(Debug, Clone)]
pub struct EmpiricalSampler {
    values: Vec<u64>,
    cdf: Vec<f64>,
    rng: Xoshiro256PlusPlus,
}

impl EmpiricalSampler {
    /// The empirical distribution of `data`, drawing from a stream seeded with `seed`.
    pub fn new(data: &[u64], seed: u64) -> Self {
        let rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        if data.is_empty() {
            return Self {
                values: vec![0],
                cdf: vec![1.0],
                rng,
            };
        }
        let mut sorted = data.to_vec();
        sorted.sort_unstable();
        let mut values = Vec::new();
        let mut counts = Vec::new();
        for v in sorted {
            if values.last() == Some(&v) {
                if let Some(c) = counts.last_mut() {
                    *c += 1;
                }
            } else {
                values.push(v);
                counts.push(1u64);
            }
        }
        let total = data.len() as f64;
        let mut cumulative = 0;
        let cdf = counts
            .iter()
            .map(|c| {
                cumulative += c;
                cumulative as f64 / total
            })
            .collect();
        Self { values, cdf, rng }
    }

    /// One draw.
    pub fn sample(&mut self) -> u64 {
        let u: f64 = self.rng.random();
        self.value_at(u)
    }

    /// The value a uniform draw `u` in [0, 1) maps to.
    pub fn value_at(&self, u: f64) -> u64 {
        let k = searchsorted_left(&self.cdf, u).min(self.values.len() - 1);
        self.values[k]
    }

    /// The distinct values, ascending.
    pub fn values(&self) -> &[u64] {
        &self.values
    }

    /// The CDF at each distinct value (last entry 1.0).
    pub fn cdf(&self) -> &[f64] {
        &self.cdf
    }
}

/// numpy's `searchsorted(a, x, side="left")`: the first index `i` with `a[i] >= x`
/// (`a.len()` when there is none).
pub(crate) fn searchsorted_left(sorted: &[f64], x: f64) -> usize {
    sorted.partition_point(|&v| v < x)
}

/// Python's `round()` on a float: to the nearest integer, ties to even.
pub(crate) fn round_half_even(x: f64) -> f64 {
    x.round_ties_even()
}

/// Seed of the `stream`-th independent random stream derived from the user's seed (SplitMix64
/// finaliser, so consecutive seeds and streams give unrelated states).
pub(crate) fn stream_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed.wrapping_add(stream.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empirical_cdf_and_left_search_by_hand() {
        // Data [3, 1, 3, 7]: values [1, 3, 7] with counts [1, 2, 1] -> CDF [0.25, 0.75, 1.0].
        let s = EmpiricalSampler::new(&[3, 1, 3, 7], 0);
        assert_eq!(s.values(), &[1, 3, 7]);
        assert_eq!(s.cdf(), &[0.25, 0.75, 1.0]);
        // side="left": u equal to a CDF step stays on that step.
        assert_eq!(s.value_at(0.0), 1);
        assert_eq!(s.value_at(0.25), 1);
        assert_eq!(s.value_at(0.2500001), 3);
        assert_eq!(s.value_at(0.75), 3);
        assert_eq!(s.value_at(0.9999), 7);
    }

    #[test]
    fn empty_sampler_returns_zero() {
        let mut s = EmpiricalSampler::new(&[], 1);
        assert_eq!(s.sample(), 0);
        assert_eq!(s.sample(), 0);
    }

    #[test]
    fn draws_follow_the_empirical_frequencies() {
        // 40_000 draws of a {1: 1/4, 3: 1/2, 7: 1/4} law: each count is within 5 binomial
        // standard deviations (sqrt(40000 * 0.25 * 0.75) ~ 87) of its expectation.
        let mut s = EmpiricalSampler::new(&[3, 1, 3, 7], 42);
        let mut counts = [0u32; 3];
        for _ in 0..40_000 {
            match s.sample() {
                1 => counts[0] += 1,
                3 => counts[1] += 1,
                7 => counts[2] += 1,
                other => panic!("value {other} not in the data"),
            }
        }
        for (count, expected) in counts.iter().zip([10_000.0, 20_000.0, 10_000.0]) {
            assert!((*count as f64 - expected).abs() < 5.0 * 100.0, "{counts:?}");
        }
    }

    #[test]
    fn python_rounding() {
        assert_eq!(round_half_even(2.5), 2.0);
        assert_eq!(round_half_even(3.5), 4.0);
        assert_eq!(round_half_even(0.5), 0.0);
        assert_eq!(round_half_even(1.4999), 1.0);
    }

    #[test]
    fn stream_seeds_differ() {
        assert_ne!(stream_seed(0, 0), stream_seed(0, 1));
        assert_ne!(stream_seed(0, 0), stream_seed(1, 0));
        assert_eq!(stream_seed(5, 3), stream_seed(5, 3));
    }
}
