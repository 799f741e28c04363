//! Sorting of metric samples in `f64::total_cmp` order, by least-significant-digit radix sort on
//! the order-preserving integer key of each value: O(n) passes instead of O(n log n)
//! comparisons, which matters for millions of inter-token latencies. Values with equal keys have
//! equal bits, so the result is exactly that of `sort_unstable_by(f64::total_cmp)`.

/// Below this many values a comparison sort is cheaper than the radix passes.
const RADIX_MIN_LEN: usize = 2048;
/// Bits per radix digit (6 passes cover 64 bits).
const DIGIT_BITS: u32 = 11;
const BUCKETS: usize = 1 << DIGIT_BITS;
const PASSES: usize = 64_usize.div_ceil(DIGIT_BITS as usize);

/// Sorts `values` ascending in `f64::total_cmp` order (-NaN < -inf < ... < -0 < +0 < ... < +inf
/// < NaN).
pub(crate) fn sort_total_order(values: &mut [f64]) {
    if values.len() < RADIX_MIN_LEN {
        values.sort_unstable_by(f64::total_cmp);
        return;
    }
    let mut keys: Vec<u64> = values.iter().map(|&v| key(v)).collect();
    let mut counts = vec![[0usize; BUCKETS]; PASSES];
    for &k in &keys {
        for (pass, c) in counts.iter_mut().enumerate() {
            c[digit(k, pass)] += 1;
        }
    }
    let mut scratch = vec![0u64; keys.len()];
    let n = keys.len();
    for (pass, c) in counts.iter().enumerate() {
        // Every key has the same digit here: this pass would not move anything.
        if c.contains(&n) {
            continue;
        }
        let mut offsets = [0usize; BUCKETS];
        let mut total = 0;
        for (offset, &count) in offsets.iter_mut().zip(c) {
            *offset = total;
            total += count;
        }
        for &k in &keys {
            let d = digit(k, pass);
            scratch[offsets[d]] = k;
            offsets[d] += 1;
        }
        std::mem::swap(&mut keys, &mut scratch);
    }
    for (v, &k) in values.iter_mut().zip(&keys) {
        *v = value(k);
    }
}

/// An unsigned key ordered as `f64::total_cmp` orders the values: negative values have every
/// bit flipped, the others only the sign bit.
fn key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

fn value(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

fn digit(k: u64, pass: usize) -> usize {
    ((k >> (pass as u32 * DIGIT_BITS)) as usize) & (BUCKETS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(values: &[f64]) -> Vec<u64> {
        let mut v = values.to_vec();
        v.sort_unstable_by(f64::total_cmp);
        v.iter().map(|x| x.to_bits()).collect()
    }

    fn radix(values: &[f64]) -> Vec<u64> {
        let mut v = values.to_vec();
        sort_total_order(&mut v);
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn special_values_sort_like_total_cmp() {
        let specials = [
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            1.5,
            -1.5,
            5e-324,
        ];
        // Past the comparison-sort cutoff, with duplicates.
        let values: Vec<f64> = specials.iter().cycle().take(5000).copied().collect();
        assert_eq!(radix(&values), reference(&values));
        // The hand-known ends: -NaN first, +NaN last.
        let sorted = radix(&values);
        assert_eq!(sorted.first(), Some(&(-f64::NAN).to_bits()));
        assert_eq!(sorted.last(), Some(&f64::NAN.to_bits()));
    }

    #[test]
    fn keys_round_trip() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::NAN,
            f64::MAX,
            f64::MIN,
            7.25e-300,
        ] {
            assert_eq!(value(key(v)).to_bits(), v.to_bits());
        }
    }

    proptest! {
        /// Latency-like values (and any bit pattern) sort exactly as `sort_unstable_by(total_cmp)`.
        #[test]
        fn matches_the_comparison_sort(
            ms in proptest::collection::vec(0.0f64..5000.0, 2048..6000),
            bits in proptest::collection::vec(any::<u64>(), 0..3000),
        ) {
            prop_assert_eq!(radix(&ms), reference(&ms));
            let any: Vec<f64> = bits.into_iter().map(f64::from_bits).chain(ms).collect();
            prop_assert_eq!(radix(&any), reference(&any));
        }
    }
}
