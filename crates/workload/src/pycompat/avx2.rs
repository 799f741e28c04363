//! The lane seeding loop compiled for AVX2 (8 × 32-bit multiplies per instruction instead of
//! SSE2's emulation by 64-bit multiplies and shuffles), chosen at run time.
//!
//! This is the crate's only `unsafe`: one call of a `#[target_feature(enable = "avx2")]` function,
//! made after `is_x86_feature_detected!("avx2")` returned true. The function body is the portable
//! [`super::seed_lane_states`] (inlined), so the results are the portable path's by construction;
//! the tests below compare both anyway.

use super::{LANES, N};

/// The portable seeding body, compiled with AVX2 enabled.
#[target_feature(enable = "avx2")]
fn seed_lane_states_avx2(
    mt: &mut [[u32; LANES]],
    out: &mut [[u32; LANES]],
    base: &[u32; N],
    seeds: &[u32; LANES],
) {
    super::seed_lane_states(mt, out, base, seeds);
}

/// Seeds the lanes with AVX2 and returns true, or returns false (touching nothing) when the CPU
/// lacks AVX2.
#[expect(
    unsafe_code,
    reason = "target-feature dispatch after a runtime AVX2 check"
)]
pub(super) fn seed_lane_states(
    mt: &mut [[u32; LANES]],
    out: &mut [[u32; LANES]],
    base: &[u32; N],
    seeds: &[u32; LANES],
) -> bool {
    if !std::arch::is_x86_feature_detected!("avx2") {
        return false;
    }
    // SAFETY: calling a `#[target_feature(enable = "avx2")]` function is unsafe only because
    // running AVX2 instructions on a CPU without them is undefined behaviour; the runtime check
    // above established that this CPU has AVX2. The function itself is safe Rust (bounds-checked
    // slice code), so there is no other obligation.
    unsafe {
        seed_lane_states_avx2(mt, out, base, seeds);
    }
    true
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::{FIRST_OUTPUTS_MAX, LANES, N, init_genrand_19650218};

    type State = (Vec<[u32; LANES]>, Vec<[u32; LANES]>);

    /// Seeded state and the first `k` outputs, by the portable path or (`None` without AVX2)
    /// the AVX2 path.
    fn seeded(seeds: &[u32; LANES], k: usize, avx2: bool) -> Option<State> {
        let mut mt = vec![[7u32; LANES]; N];
        let mut out = vec![[9u32; LANES]; k];
        if avx2 {
            if !super::seed_lane_states(&mut mt, &mut out, &init_genrand_19650218(), seeds) {
                return None;
            }
        } else {
            super::super::seed_lane_states(&mut mt, &mut out, &init_genrand_19650218(), seeds);
        }
        Some((mt, out))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn avx2_state_equals_the_portable_state(
            seeds in proptest::array::uniform16(any::<u32>()),
            k in 0..=FIRST_OUTPUTS_MAX,
        ) {
            let seeds: [u32; LANES] = std::array::from_fn(|l| seeds[l % 16].rotate_left(l as u32));
            if let Some(fast) = seeded(&seeds, k, true) {
                prop_assert_eq!(Some(fast), seeded(&seeds, k, false));
            }
        }
    }

    #[test]
    fn avx2_state_equals_the_portable_state_for_consecutive_seeds() {
        for first in [0u32, 1, 4_000, 1_999_984, u32::MAX - LANES as u32 + 1] {
            let seeds: [u32; LANES] = std::array::from_fn(|l| first.wrapping_add(l as u32));
            for k in [0, 40, FIRST_OUTPUTS_MAX] {
                if let Some(fast) = seeded(&seeds, k, true) {
                    assert!(Some(fast) == seeded(&seeds, k, false), "first seed {first}");
                }
            }
        }
    }
}
