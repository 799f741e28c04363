//! Everything here imitates Python's runtime (the float repr and `json.dumps` text that trace
//! files need live in `servebench_trace_formats`, as part of the formats).
//!
//! Python's `random` module generator, bit for bit: MT19937 seeded the way CPython's
//! `random.seed(int)` seeds it, `getrandbits(k)`, and `randint`/`randrange` by rejection sampling.
//!
//! * `random.seed(n)` for an int `n` uses `init_by_array` with the 32-bit words of `|n|`, least
//!   significant first; `n = 0` gives the key `[0]`.
//! * `getrandbits(k)` for `k ≤ 32` is the next output shifted right by `32 − k`; for larger `k`
//!   it fills 32-bit words least significant first, the last one shifted.
//! * `randint(a, b) = a + randbelow(b − a + 1)`, and `randbelow(n)` draws `getrandbits(k)` with
//!   `k = n.bit_length()` until the value is below `n`.
//!
//! The state twist is done lazily, one word per output, in the same order as the standard
//! full-array twist, so outputs are identical while a freshly seeded generator that is asked for
//! few numbers never twists the whole array. [`seed_lanes`] seeds several generators at once
//! (independent chains interleaved for instruction-level parallelism; compiled for AVX2 and
//! chosen at run time when the CPU has it, see `pycompat/avx2.rs`), and
//! [`LaneRandoms::seed_with_outputs`] also twists the first outputs of all lanes side by side.

#[cfg(target_arch = "x86_64")]
mod avx2;

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// The state after `init_genrand(19650218)`, the first step of every `init_by_array`.
fn init_genrand_19650218() -> [u32; N] {
    let mut mt = [0u32; N];
    mt[0] = 19_650_218;
    for i in 1..N {
        mt[i] = 1_812_433_253u32
            .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
            .wrapping_add(i as u32);
    }
    mt
}

/// A Python-compatible Mersenne Twister.
#[derive(Clone)]
pub struct PyRandom {
    mt: [u32; N],
    /// Index of the next state word to twist and output; `N` means a new twist round starts.
    pos: usize,
}

impl std::fmt::Debug for PyRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PyRandom")
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl PyRandom {
    /// The generator after Python's `random.seed(n)` for a non-negative int `n`.
    pub fn seed(n: u64) -> Self {
        let low = n as u32;
        let high = (n >> 32) as u32;
        if high == 0 {
            Self::from_key(&[low])
        } else {
            Self::from_key(&[low, high])
        }
    }

    /// The generator after `init_by_array(key)` (CPython's seeding routine).
    pub fn from_key(key: &[u32]) -> Self {
        let key: &[u32] = if key.is_empty() { &[0] } else { key };
        let mut mt = init_genrand_19650218();
        let mut i = 1usize;
        let mut j = 0usize;
        for _ in 0..N.max(key.len()) {
            let prev = mt[i - 1];
            mt[i] = (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1];
            mt[i] =
                (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        Self { mt, pos: N }
    }

    /// The next 32-bit output (`genrand_uint32`).
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.pos = 0;
        }
        let i = self.pos;
        let v = twisted(self.mt[i], self.mt[(i + 1) % N], self.mt[(i + M) % N]);
        self.mt[i] = v;
        self.pos += 1;
        temper(v)
    }

    /// Python's `getrandbits(k)` for `1 ≤ k ≤ 64`.
    pub fn getrandbits(&mut self, k: u32) -> u64 {
        getrandbits_with(k, || self.next_u32())
    }

    /// Python's `_randbelow(n)`: uniform in `0..n`, for `n ≥ 1`.
    pub fn randbelow(&mut self, n: u64) -> u64 {
        randbelow_with(n, || self.next_u32())
    }

    /// Python's `randint(0, b)` (inclusive), for `b < u64::MAX`.
    pub fn randint_from_zero(&mut self, b: u64) -> u64 {
        self.randbelow(b + 1)
    }
}

#[inline]
fn getrandbits_with(k: u32, mut next: impl FnMut() -> u32) -> u64 {
    debug_assert!((1..=64).contains(&k));
    if k <= 32 {
        return u64::from(next() >> (32 - k));
    }
    let low = u64::from(next());
    let high = u64::from(next() >> (64 - k));
    low | (high << 32)
}

#[inline]
fn randbelow_with(n: u64, mut next: impl FnMut() -> u32) -> u64 {
    debug_assert!(n >= 1);
    let k = 64 - n.leading_zeros();
    loop {
        let r = getrandbits_with(k, &mut next);
        if r < n {
            return r;
        }
    }
}

/// New value of state word `i` in a twist round, from the current words `i`, `i+1` and `i+M`
/// (indices mod N). Twisting words in order 0, 1, ... with this in place equals the full twist.
#[inline]
fn twisted(word_i: u32, word_next: u32, word_m: u32) -> u32 {
    let y = (word_i & UPPER_MASK) | (word_next & LOWER_MASK);
    let mag = (y & 1).wrapping_neg() & MATRIX_A;
    word_m ^ (y >> 1) ^ mag
}

#[inline]
fn temper(mut y: u32) -> u32 {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c_5680;
    y ^= (y << 15) & 0xefc6_0000;
    y ^= y >> 18;
    y
}

/// Number of generators [`seed_lanes`] seeds at once.
pub const LANES: usize = 64;

/// [`LANES`] Python generators seeded together and kept in one lane-major state array
/// (`mt[i][lane]`), reused from batch to batch without copying.
pub struct LaneRandoms {
    mt: Vec<[u32; LANES]>,
    /// Tempered outputs of the first `ready[l]` words of the current twist round, computed for
    /// all lanes at once right after seeding.
    out: Vec<[u32; LANES]>,
    ready: [usize; LANES],
    pos: [usize; LANES],
    /// `init_genrand(19650218)`, the same for every seed.
    base: Box<[u32; N]>,
}

impl std::fmt::Debug for LaneRandoms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaneRandoms")
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl Default for LaneRandoms {
    fn default() -> Self {
        Self::new()
    }
}

impl LaneRandoms {
    /// Unseeded lanes (seed them before drawing).
    pub fn new() -> Self {
        Self {
            mt: vec![[0u32; LANES]; N],
            out: vec![[0u32; LANES]; FIRST_OUTPUTS_MAX],
            ready: [0; LANES],
            pos: [N; LANES],
            base: Box::new(init_genrand_19650218()),
        }
    }

    /// Seeds lane `l` as Python's `random.seed(seeds[l])`, for seeds below 2^32, interleaving
    /// the independent seeding chains. Lane by lane equal to [`PyRandom::seed`].
    pub fn seed(&mut self, seeds: [u32; LANES]) {
        self.seed_with_outputs(seeds, 0);
    }

    /// Like [`Self::seed`], then also computes the first `outputs` outputs of every lane
    /// together (the first twist words `i < 227` depend only on the seeded state, so all lanes
    /// can be twisted side by side); later outputs are twisted lazily one by one as usual.
    /// `outputs` is capped at 227. Draws are identical for any `outputs`.
    pub fn seed_with_outputs(&mut self, seeds: [u32; LANES], outputs: usize) {
        let k = outputs.min(FIRST_OUTPUTS_MAX);
        let out = &mut self.out[..k];
        #[cfg(target_arch = "x86_64")]
        let done = avx2::seed_lane_states(&mut self.mt, out, &self.base, &seeds);
        #[cfg(not(target_arch = "x86_64"))]
        let done = false;
        if !done {
            seed_lane_states(&mut self.mt, out, &self.base, &seeds);
        }
        if k == 0 {
            self.pos = [N; LANES];
            self.ready = [0; LANES];
        } else {
            self.pos = [0; LANES];
            self.ready = [k; LANES];
        }
    }

    /// The next 32-bit output of lane `l`.
    #[inline]
    pub fn next_u32(&mut self, l: usize) -> u32 {
        let pos = &mut self.pos[l];
        if *pos < self.ready[l] {
            let v = self.out[*pos][l];
            *pos += 1;
            return v;
        }
        if *pos >= N {
            *pos = 0;
            self.ready[l] = 0;
        }
        let i = *pos;
        let v = twisted(
            self.mt[i][l],
            self.mt[(i + 1) % N][l],
            self.mt[(i + M) % N][l],
        );
        self.mt[i][l] = v;
        *pos += 1;
        temper(v)
    }

    /// Python's `randint(0, b)` (inclusive) on lane `l`, for `b < u64::MAX`.
    #[inline]
    pub fn randint_from_zero(&mut self, l: usize, b: u64) -> u64 {
        randbelow_with(b + 1, || self.next_u32(l))
    }

    /// Appends `n` draws of Python's `randint(0, b)` on lane `l` to `out`, for `b < u64::MAX`:
    /// the same values as `n` calls of [`Self::randint_from_zero`]. For `b < 2^32` the
    /// rejection loop is branch-free (every candidate is stored, the count advances only when
    /// it is accepted), which avoids a mispredicted branch per rejected candidate.
    pub fn randints_from_zero(&mut self, l: usize, b: u64, n: usize, out: &mut Vec<u64>) {
        let bound = b + 1;
        let k = 64 - bound.leading_zeros();
        if k > 32 {
            out.extend((0..n).map(|_| self.randint_from_zero(l, b)));
            return;
        }
        let shift = 32 - k;
        let end = out.len() + n;
        let mut got = out.len();
        // One spare slot: a rejected candidate may be stored at `end` before the loop exits.
        out.resize(end + 1, 0);
        while got < end {
            let v = u64::from(self.next_u32(l) >> shift);
            out[got] = v;
            got += usize::from(v < bound);
        }
        out.truncate(end);
    }
}

/// `init_by_array([seeds[l]])` for every lane `l` into the lane-major `mt` (`N` rows), from the
/// shared `init_genrand(19650218)` state `base`. Portable; [`avx2`] compiles this same body with
/// AVX2 enabled, so both paths run identical code.
/// Then twists the first `out.len()` (≤ [`FIRST_OUTPUTS_MAX`]) words of every lane in place and
/// stores their tempered outputs in `out`.
#[inline(always)]
fn seed_lane_states(
    mt: &mut [[u32; LANES]],
    out: &mut [[u32; LANES]],
    base: &[u32; N],
    seeds: &[u32; LANES],
) {
    let mt = &mut mt[..N];
    // The previous row is carried in a local (registers) rather than re-read from `mt`, which
    // keeps a store-to-load forward out of each lane's dependency chain.
    let first = |cur: u32, prev: u32, seed: u32| {
        (cur ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525)).wrapping_add(seed)
    };
    let second = |cur: u32, prev: u32, i: u32| {
        (cur ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i)
    };
    // First loop of init_by_array with a one-word key (j stays 0): N steps over i = 1..N, then
    // mt[0] = mt[N-1] and one more step at i = 1.
    let mut prev = [base[0]; LANES];
    for i in 1..N {
        let mut cur = [base[i]; LANES];
        for l in 0..LANES {
            cur[l] = first(cur[l], prev[l], seeds[l]);
        }
        mt[i] = cur;
        prev = cur;
    }
    mt[0] = prev;
    let mut cur = mt[1];
    for l in 0..LANES {
        cur[l] = first(cur[l], prev[l], seeds[l]);
    }
    mt[1] = cur;
    prev = cur;
    // Second loop: N - 1 steps over i = 2..N, then mt[0] = mt[N-1] and one step at i = 1.
    for (i, row) in mt.iter_mut().enumerate().skip(2) {
        let mut cur = *row;
        for l in 0..LANES {
            cur[l] = second(cur[l], prev[l], i as u32);
        }
        *row = cur;
        prev = cur;
    }
    mt[0] = prev;
    let mut cur = mt[1];
    for l in 0..LANES {
        cur[l] = second(cur[l], prev[l], 1);
    }
    mt[1] = cur;
    mt[0] = [0x8000_0000; LANES];
    // Word i < N - M of the first twist reads the seeded words i, i + 1 and i + M only.
    for (i, o) in out.iter_mut().enumerate().take(FIRST_OUTPUTS_MAX) {
        let (a, b, c) = (mt[i], mt[i + 1], mt[i + M]);
        let mut v = [0u32; LANES];
        for l in 0..LANES {
            v[l] = twisted(a[l], b[l], c[l]);
            o[l] = temper(v[l]);
        }
        mt[i] = v;
    }
}

/// Most outputs [`LaneRandoms::seed_with_outputs`] computes up front (`N - M`).
const FIRST_OUTPUTS_MAX: usize = N - M;

/// Seeds [`LANES`] standalone generators together (see [`LaneRandoms::seed`]).
pub fn seed_lanes(seeds: [u32; LANES]) -> [PyRandom; LANES] {
    let mut lanes = LaneRandoms::new();
    lanes.seed(seeds);
    std::array::from_fn(|l| {
        let mut mt = [0u32; N];
        for (s, row) in mt.iter_mut().zip(lanes.mt.iter()) {
            *s = row[l];
        }
        PyRandom { mt, pos: N }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_mt19937_output() {
        // init_by_array({0x123, 0x234, 0x345, 0x456}) first outputs, from mt19937ar.out
        // (Matsumoto & Nishimura's reference test vector).
        let mut r = PyRandom::from_key(&[0x123, 0x234, 0x345, 0x456]);
        let got: Vec<u32> = (0..5).map(|_| r.next_u32()).collect();
        assert_eq!(
            got,
            vec![
                1_067_595_299,
                955_945_823,
                477_289_528,
                4_107_218_783,
                4_228_976_476
            ]
        );
    }

    #[test]
    fn lazy_twist_survives_many_rounds() {
        // Output 10000 of the reference generator (mt19937ar, init_genrand(5489)) is 4123659995.
        let mut mt = [0u32; N];
        mt[0] = 5489;
        for i in 1..N {
            mt[i] = 1_812_433_253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        let mut r = PyRandom { mt, pos: N };
        let last = (0..10_000).map(|_| r.next_u32()).last().unwrap();
        assert_eq!(last, 4_123_659_995);
    }

    #[test]
    fn lanes_equal_scalar_seeding() {
        const SOME: [u32; 16] = [
            0,
            1,
            2,
            3,
            7,
            9,
            1000,
            4096,
            65_535,
            65_536,
            999_999,
            123_456_789,
            2_147_483_648,
            4_000_000_000,
            u32::MAX - 1,
            u32::MAX,
        ];
        let seeds: [u32; LANES] = std::array::from_fn(|l| SOME[l % 16] ^ (l / 16) as u32);
        let lanes = seed_lanes(seeds);
        for (mut lane, seed) in lanes.into_iter().zip(seeds) {
            let mut scalar = PyRandom::seed(u64::from(seed));
            for _ in 0..1000 {
                assert_eq!(lane.next_u32(), scalar.next_u32(), "seed {seed}");
            }
        }
    }

    #[test]
    fn batched_randints_equal_single_randints() {
        let seeds: [u32; LANES] = std::array::from_fn(|l| 31 * l as u32);
        for b in [
            0u64,
            1,
            2,
            10_000,
            65_535,
            u64::from(u32::MAX) - 1,
            u64::from(u32::MAX),
            1 << 40,
        ] {
            let mut batched = LaneRandoms::new();
            let mut single = LaneRandoms::new();
            batched.seed_with_outputs(seeds, 40);
            single.seed(seeds);
            for l in [0, 5, LANES - 1] {
                for n in [0usize, 1, 7, 300] {
                    let mut got = vec![42];
                    batched.randints_from_zero(l, b, n, &mut got);
                    let mut expected = vec![42];
                    expected.extend((0..n).map(|_| single.randint_from_zero(l, b)));
                    assert_eq!(got, expected, "b {b}, lane {l}, n {n}");
                }
            }
        }
    }

    #[test]
    fn outputs_computed_at_seeding_equal_scalar_outputs() {
        let mut lanes = LaneRandoms::new();
        for (k, first) in [
            (0usize, 5u32),
            (1, 77),
            (30, 1_000_000),
            (227, 9),
            (500, 4_000),
        ] {
            let seeds: [u32; LANES] = std::array::from_fn(|l| first + 3 * l as u32);
            lanes.seed_with_outputs(seeds, k);
            for (l, seed) in seeds.into_iter().enumerate() {
                let mut scalar = PyRandom::seed(u64::from(seed));
                // 1500 outputs: past the prepared ones and through two more twist rounds.
                for n in 0..1500 {
                    assert_eq!(
                        lanes.next_u32(l),
                        scalar.next_u32(),
                        "seed {seed}, output {n}, k {k}"
                    );
                }
            }
        }
    }
}
