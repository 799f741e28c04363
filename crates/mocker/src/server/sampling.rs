//! Seeded per-request random draws: stop lengths and fault decisions.
//!
//! Every draw is a pure function of (seed, request index, purpose), so a run is reproducible
//! whatever the interleaving of concurrent requests, and adding one kind of draw never shifts
//! another.

/// SplitMix64 finaliser: a well-mixed 64-bit hash of `x`.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// What a draw is for; each purpose has its own independent stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    StopLength = 1,
    ErrorStatus = 2,
    Disconnect = 3,
    DisconnectAt = 4,
    Stall = 5,
    StallAt = 6,
    Malformed = 7,
    MalformedAt = 8,
}

/// Uniform in `[0, 1)` for (seed, request, purpose).
pub(crate) fn uniform(seed: u64, request: u64, purpose: Purpose) -> f64 {
    let h = mix(mix(seed ^ mix(request)).wrapping_add(purpose as u64));
    // 53 random bits, the precision of an f64 mantissa.
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Index in `0..n` (n > 0) for (seed, request, purpose).
pub(crate) fn index_below(seed: u64, request: u64, purpose: Purpose, n: u32) -> u32 {
    let i = (uniform(seed, request, purpose) * f64::from(n)) as u32;
    i.min(n.saturating_sub(1))
}

/// A geometric stop length with the given mean (on 1, 2, ...): the number of tokens until the
/// first end-of-sequence when each token is EOS with probability `1/mean`. Saturates at
/// `u32::MAX`; a mean at or below 1 gives 1.
pub(crate) fn stop_length(seed: u64, request: u64, mean: f64) -> u32 {
    if mean.is_nan() || mean <= 1.0 {
        return 1;
    }
    let p = 1.0 / mean;
    let u = uniform(seed, request, Purpose::StopLength);
    // Inverse CDF: P(L <= k) = 1 - (1-p)^k.
    let k = ((1.0 - u).ln() / (1.0 - p).ln()).ceil();
    if k.is_finite() && k >= 1.0 {
        k.min(f64::from(u32::MAX)) as u32
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_is_reproducible_and_independent_per_purpose() {
        assert_eq!(uniform(7, 3, Purpose::Stall), uniform(7, 3, Purpose::Stall));
        assert_ne!(
            uniform(7, 3, Purpose::Stall),
            uniform(7, 3, Purpose::Malformed)
        );
        assert_ne!(uniform(7, 3, Purpose::Stall), uniform(8, 3, Purpose::Stall));
    }

    #[test]
    fn uniform_covers_the_unit_interval_evenly() {
        let n = 100_000;
        let mut deciles = [0u32; 10];
        for r in 0..n {
            let u = uniform(42, r, Purpose::Disconnect);
            assert!((0.0..1.0).contains(&u));
            deciles[(u * 10.0) as usize] += 1;
        }
        for d in deciles {
            // Expected 10 000 per decile; 5 standard deviations is about ±475.
            assert!((9_500..=10_500).contains(&d), "{deciles:?}");
        }
    }

    #[test]
    fn stop_length_has_the_configured_mean_and_geometric_shape() {
        let n = 200_000u64;
        let mean = 50.0;
        let draws: Vec<u32> = (0..n).map(|r| stop_length(1, r, mean)).collect();
        let avg = draws.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
        // Standard error of the mean is sqrt(1-p)/p / sqrt(n) ≈ 0.11.
        assert!((avg - mean).abs() < 0.6, "mean {avg}");
        // P(L = 1) = p = 0.02.
        let ones = draws.iter().filter(|&&x| x == 1).count() as f64 / n as f64;
        assert!((ones - 0.02).abs() < 0.002, "P(1) = {ones}");
        assert!(draws.iter().all(|&x| x >= 1));
    }

    #[test]
    fn degenerate_means_give_one_token() {
        assert_eq!(stop_length(0, 0, 1.0), 1);
        assert_eq!(stop_length(0, 0, 0.0), 1);
        assert_eq!(stop_length(0, 0, f64::NAN), 1);
    }

    #[test]
    fn index_below_stays_in_range() {
        for r in 0..1000 {
            assert!(index_below(3, r, Purpose::StallAt, 7) < 7);
            assert_eq!(index_below(3, r, Purpose::StallAt, 1), 0);
        }
    }
}
