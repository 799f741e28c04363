//! Pareto fronts of (cost-like, benefit-like) points, as `profile_sla`'s `compute_pareto` builds
//! them for the cost-SLA chart: x is a latency (TTFT or ITL, lower is better), y a throughput
//! per GPU (higher is better).
//!
//! The rule: sort by x ascending, ties by y descending; walk the sorted points and keep one when
//! its y is strictly greater than every y kept before it. The front comes back in x order.
//! Of several identical points only the first (in input order) is kept.

use crate::error::{Result, check_finite, check_same_len};

/// Indices of the Pareto-optimal points of `(xs[i], ys[i])` (lower x and higher y are better),
/// in ascending x order.
///
/// ```
/// // (ttft, thpt): (10, 5) and (20, 9) are on the front; (15, 4) is beaten by (10, 5).
/// let front = servebench_profiler_fit::pareto::pareto_front(&[20.0, 10.0, 15.0], &[9.0, 5.0, 4.0])?;
/// assert_eq!(front, [1, 0]);
/// # Ok::<(), servebench_profiler_fit::Error>(())
/// ```
pub fn pareto_front(xs: &[f64], ys: &[f64]) -> Result<Vec<usize>> {
    check_same_len("xs", xs.len(), "ys", ys.len())?;
    check_finite("xs", xs)?;
    check_finite("ys", ys)?;
    let mut order: Vec<usize> = (0..xs.len()).collect();
    // Stable sort: equal points stay in input order.
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]).then(ys[b].total_cmp(&ys[a])));
    let mut best = f64::NEG_INFINITY;
    let mut front = Vec::new();
    for i in order {
        if ys[i] > best {
            best = ys[i];
            front.push(i);
        }
    }
    Ok(front)
}

/// Whether point `a` dominates point `b`: no worse in both (x no larger, y no smaller) and
/// strictly better in at least one.
pub fn dominates(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 <= b.0 && a.1 >= b.1 && (a.0 < b.0 || a.1 > b.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use proptest::prelude::*;

    #[test]
    fn hand_example() {
        // Points (x, y): A(1, 1) B(2, 3) C(2, 2) D(3, 3) E(4, 5) F(0.5, 0.5).
        // Sorted: F, A, B, C, D, E. Kept: F (0.5), A (1 > 0.5), B (3 > 1), E (5 > 3).
        let xs = [1.0, 2.0, 2.0, 3.0, 4.0, 0.5];
        let ys = [1.0, 3.0, 2.0, 3.0, 5.0, 0.5];
        assert_eq!(pareto_front(&xs, &ys).expect("front"), [5, 0, 1, 4]);
    }

    #[test]
    fn duplicates_keep_the_first() {
        assert_eq!(
            pareto_front(&[1.0, 1.0, 2.0], &[2.0, 2.0, 1.0]).expect("front"),
            [0]
        );
        assert!(pareto_front(&[], &[]).expect("front").is_empty());
    }

    #[test]
    fn refuses_bad_input() {
        assert!(matches!(
            pareto_front(&[1.0, f64::NAN], &[1.0, 2.0]),
            Err(Error::NonFinite {
                field: "xs",
                index: 1,
                ..
            })
        ));
        assert!(matches!(
            pareto_front(&[1.0], &[1.0, 2.0]),
            Err(Error::LengthMismatch { .. })
        ));
    }

    #[test]
    fn dominance() {
        assert!(dominates((1.0, 2.0), (2.0, 2.0)));
        assert!(dominates((1.0, 3.0), (1.0, 2.0)));
        assert!(!dominates((1.0, 2.0), (1.0, 2.0)));
        assert!(!dominates((1.0, 1.0), (2.0, 2.0)));
    }

    fn points() -> impl Strategy<Value = Vec<(f64, f64)>> {
        // Small integer grid so ties and duplicates are common.
        prop::collection::vec((0u8..12, 0u8..12), 0..40).prop_map(|v| {
            v.into_iter()
                .map(|(x, y)| (f64::from(x), f64::from(y)))
                .collect()
        })
    }

    proptest! {
        /// No front point is dominated by any point; every other point is dominated by (or
        /// identical to) a front point; the front is in strictly increasing x and y.
        #[test]
        fn front_is_exactly_the_non_dominated_set(pts in points()) {
            let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
            let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
            let front = pareto_front(&xs, &ys).expect("front");
            for &f in &front {
                prop_assert!(!pts.iter().any(|&p| dominates(p, pts[f])), "front point {f} is dominated");
            }
            for (i, &p) in pts.iter().enumerate() {
                if !front.contains(&i) {
                    prop_assert!(
                        front.iter().any(|&f| dominates(pts[f], p) || pts[f] == p),
                        "point {i} {p:?} is neither on the front nor dominated by it"
                    );
                }
            }
            prop_assert!(front.windows(2).all(|w| xs[w[0]] < xs[w[1]] && ys[w[0]] < ys[w[1]]));
        }
    }
}
