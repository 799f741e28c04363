//! `PyRandom` against CPython's own `random` module, run by the machine's python3.

use servebench_workload::pycompat::{LANES, PyRandom, seed_lanes};

use crate::python::run_python;

const SEEDS: [u64; 9] = [
    0,
    1,
    2,
    41,
    1000,
    123_456,
    4_294_967_295,
    4_294_967_296,
    98_765_432_109_876,
];

#[test]
#[cfg_attr(skip_python, ignore = "SERVEBENCH_SKIP_PYTHON=1")]
fn seed_and_randint_match_cpython() {
    // For each seed and bound: 40 draws of random.randint(0, bound) after random.seed(seed).
    let code = r#"
import random, sys
for seed in map(int, sys.argv[1].split(",")):
    for bound in (0, 1, 7, 10000, 65535, 65536, 2**31, 2**40 + 3):
        random.seed(seed)
        print(seed, bound, *[random.randint(0, bound) for _ in range(40)])
"#;
    let seeds: Vec<String> = SEEDS.iter().map(ToString::to_string).collect();
    let expected = run_python(code, &[&seeds.join(",")]);
    let mut lines = 0;
    for line in expected.lines() {
        let nums: Vec<u64> = line.split(' ').map(|x| x.parse().unwrap()).collect();
        let (seed, bound) = (nums[0], nums[1]);
        let mut rng = PyRandom::seed(seed);
        let ours: Vec<u64> = (0..40).map(|_| rng.randint_from_zero(bound)).collect();
        assert_eq!(ours, nums[2..], "seed {seed}, randint(0, {bound})");
        lines += 1;
    }
    assert_eq!(lines, SEEDS.len() * 8);
}

#[test]
#[cfg_attr(skip_python, ignore = "SERVEBENCH_SKIP_PYTHON=1")]
fn getrandbits_matches_cpython_for_wide_and_narrow_widths() {
    let code = r#"
import random
random.seed(7)
print(*[random.getrandbits(k) for k in (1, 5, 31, 32, 33, 48, 63, 64) for _ in range(5)])
"#;
    let expected = run_python(code, &[]);
    let expected: Vec<u64> = expected
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    let mut rng = PyRandom::seed(7);
    let ours: Vec<u64> = [1, 5, 31, 32, 33, 48, 63, 64]
        .iter()
        .flat_map(|k| (0..5).map(|_| rng.getrandbits(*k)).collect::<Vec<_>>())
        .collect();
    assert_eq!(ours, expected);
}

#[test]
#[cfg_attr(skip_python, ignore = "SERVEBENCH_SKIP_PYTHON=1")]
fn lane_seeding_matches_cpython_for_consecutive_row_indices() {
    // The converter seeds rows idx..idx+LANES together; compare a whole batch with CPython.
    let code = r#"
import random
for idx in range(1000, 1016):
    random.seed(idx)
    print(*[random.randint(0, 10000) for _ in range(700)])
"#;
    let expected = run_python(code, &[]);
    let lanes = seed_lanes(std::array::from_fn(|l| 1000 + l as u32));
    assert_eq!(lanes.len(), LANES);
    for (mut rng, line) in lanes.into_iter().zip(expected.lines()) {
        // 700 draws consume more than 624 words, so this crosses a full twist.
        let ours: Vec<String> = (0..700)
            .map(|_| rng.randint_from_zero(10_000).to_string())
            .collect();
        assert_eq!(ours.join(" "), line);
    }
}
