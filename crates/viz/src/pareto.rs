//! Pareto frontier of 2-D points.

/// Whether larger or smaller values of an axis are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Goal {
    /// Larger is better (throughput per user, throughput per GPU).
    #[default]
    Maximize,
    /// Smaller is better (latency, cost).
    Minimize,
}

impl Goal {
    fn key(self, v: f64) -> f64 {
        match self {
            Self::Maximize => v,
            Self::Minimize => -v,
        }
    }
}

/// Whether `a` dominates `b`: at least as good on both axes and strictly better on one.
#[must_use]
pub fn dominates(a: (f64, f64), b: (f64, f64), goals: (Goal, Goal)) -> bool {
    let (ax, ay) = (goals.0.key(a.0), goals.1.key(a.1));
    let (bx, by) = (goals.0.key(b.0), goals.1.key(b.1));
    ax >= bx && ay >= by && (ax > bx || ay > by)
}

/// Indices of the non-dominated points (the Pareto frontier), ordered by increasing `x`.
///
/// A point is on the frontier when no other point [`dominates`] it under `goals`; with the
/// default convention (`Goal::Maximize` on both axes, as in Dynamo's Pareto chart of tokens/s per
/// user against tokens/s per GPU) that means no point is at least as far right and as high and
/// strictly better in one of the two. Equal points do not dominate each other, so duplicates
/// on the frontier are all kept. Points with a non-finite coordinate are never on the
/// frontier and are not compared. O(n log n).
#[must_use]
pub fn pareto_frontier(points: &[(f64, f64)], goals: (Goal, Goal)) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].0.is_finite() && points[i].1.is_finite())
        .collect();
    let key = |i: usize| (goals.0.key(points[i].0), goals.1.key(points[i].1));
    // Best x first; within equal x, best y first.
    order.sort_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        kb.0.total_cmp(&ka.0).then(kb.1.total_cmp(&ka.1))
    });
    let mut frontier = Vec::new();
    // Best y among points with a strictly better x than the current group.
    let mut best_y = f64::NEG_INFINITY;
    let mut start = 0;
    while start < order.len() {
        let gx = key(order[start]).0;
        let mut end = start;
        while end < order.len() && key(order[end]).0 == gx {
            end += 1;
        }
        // The group is sorted by y, best first: its members with the group's best y survive,
        // unless a point with a better x is at least as good in y.
        let group_best = key(order[start]).1;
        if group_best > best_y {
            frontier.extend(
                order[start..end]
                    .iter()
                    .copied()
                    .filter(|&i| key(i).1 == group_best),
            );
        }
        best_y = best_y.max(group_best);
        start = end;
    }
    frontier.sort_by(|&a, &b| {
        points[a]
            .0
            .total_cmp(&points[b].0)
            .then(points[a].1.total_cmp(&points[b].1))
    });
    frontier
}

/// The staircase outlining the region the frontier dominates: the frontier points (ordered
/// by `x`) with a corner between each pair, so the outline runs along the best value
/// reachable on one axis without losing on the other.
#[must_use]
pub fn frontier_staircase(points: &[(f64, f64)], goals: (Goal, Goal)) -> Vec<(f64, f64)> {
    let front: Vec<(f64, f64)> = pareto_frontier(points, goals)
        .into_iter()
        .map(|i| points[i])
        .collect();
    let mut out = Vec::with_capacity(front.len() * 2);
    for (k, &p) in front.iter().enumerate() {
        if let Some(&prev) = k.checked_sub(1).and_then(|j| front.get(j)) {
            // Moving to larger x: the corner keeps the y of whichever point is better in y
            // on that side of the step, i.e. the outline of the union of dominated quadrants.
            let corner = if goals.0 == Goal::Maximize {
                (prev.0, p.1)
            } else {
                (p.0, prev.1)
            };
            out.push(corner);
        }
        out.push(p);
    }
    out
}
