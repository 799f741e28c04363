//! Seeded random streams and length sampling.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};

/// A random generator for one purpose (`name`) of a run seeded with `seed`.
///
/// Each purpose gets its own stream, so that, for example, asking for output lengths does not
/// change the prompts drawn with the same seed. Same `seed` and `name`, same sequence (within one
/// version of `rand`).
pub fn seeded_rng(seed: u64, name: &str) -> StdRng {
    // FNV-1a of the name, mixed into the seed with SplitMix64's finaliser.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in name.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = seed ^ h;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    StdRng::seed_from_u64(z ^ (z >> 31))
}

/// A length from a normal distribution (`mean`, `stddev`), rounded to the nearest integer and
/// clipped to at least 1. `stddev` must be finite and non-negative; 0 gives `mean` (at least 1)
/// without drawing.
pub(crate) fn sample_length(rng: &mut StdRng, mean: u64, stddev: f64) -> u64 {
    if stddev <= 0.0 {
        return mean.max(1);
    }
    let Ok(normal) = Normal::new(mean as f64, stddev) else {
        return mean.max(1);
    };
    let x: f64 = normal.sample(rng).round();
    // `as` saturates for huge values; anything below 1 (including -0.0) becomes 1.
    if x < 1.0 { 1 } else { x as u64 }
}

/// A uniformly chosen index below `len` (`len` > 0).
pub(crate) fn index(rng: &mut StdRng, len: usize) -> usize {
    rng.random_range(0..len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a: Vec<u64> = (0..4).map(|_| seeded_rng(7, "isl").random()).collect();
        let b: Vec<u64> = (0..4).map(|_| seeded_rng(7, "isl").random()).collect();
        assert_eq!(a, b);
        let mut x = seeded_rng(7, "isl");
        let mut y = seeded_rng(7, "osl");
        let mut z = seeded_rng(8, "isl");
        let (vx, vy, vz): (u64, u64, u64) = (x.random(), y.random(), z.random());
        assert_ne!(vx, vy);
        assert_ne!(vx, vz);
    }

    #[test]
    fn zero_stddev_gives_the_mean_clipped_to_one() {
        let mut rng = seeded_rng(1, "t");
        assert_eq!(sample_length(&mut rng, 550, 0.0), 550);
        assert_eq!(sample_length(&mut rng, 0, 0.0), 1);
    }

    #[test]
    fn normal_lengths_have_the_requested_moments_and_are_at_least_one() {
        let mut rng = seeded_rng(3, "t");
        let n = 20_000;
        let xs: Vec<f64> = (0..n)
            .map(|_| sample_length(&mut rng, 550, 50.0) as f64)
            .collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        // Standard error of the mean is 50/sqrt(20000) = 0.35; of the std about 0.25.
        assert!((mean - 550.0).abs() < 2.0, "mean {mean}");
        assert!((var.sqrt() - 50.0).abs() < 1.5, "std {}", var.sqrt());

        let small: Vec<u64> = (0..2000)
            .map(|_| sample_length(&mut rng, 2, 10.0))
            .collect();
        assert!(small.iter().all(|&x| x >= 1));
        // P(N(2, 10) < 1.5) = 0.480: those draws round to 1 or less and all become 1
        // (expected 960 of 2000, standard deviation 22).
        let ones = small.iter().filter(|&&x| x == 1).count();
        assert!((880..1040).contains(&ones), "{ones}");
    }
}
