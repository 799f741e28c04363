//! The Pareto frontier: hand-checked cases and the dominance property.

use proptest::prelude::*;
use servebench_viz::{Goal, dominates, frontier_staircase, pareto_frontier};

const MAX: (Goal, Goal) = (Goal::Maximize, Goal::Maximize);

#[test]
fn frontier_of_a_small_set_maximizing_both() {
    let pts = [
        (1.0, 5.0),
        (2.0, 4.0),
        (2.0, 3.0),
        (3.0, 1.0),
        (0.5, 4.5),
        (3.0, 1.0),
    ];
    // (2,3) is beaten by (2,4); (0.5,4.5) by (1,5); the duplicate (3,1)s tie and both stay.
    assert_eq!(pareto_frontier(&pts, MAX), vec![0, 1, 3, 5]);
}

#[test]
fn frontier_minimizing_latency_maximizing_throughput() {
    // x = latency (lower better), y = throughput (higher better).
    let pts = [(10.0, 100.0), (20.0, 300.0), (15.0, 90.0), (30.0, 250.0)];
    assert_eq!(
        pareto_frontier(&pts, (Goal::Minimize, Goal::Maximize)),
        vec![0, 1]
    );
}

#[test]
fn staircase_corners_follow_the_dominated_region() {
    let pts = [(1.0, 5.0), (2.0, 4.0), (3.0, 1.0)];
    assert_eq!(
        frontier_staircase(&pts, MAX),
        vec![(1.0, 5.0), (1.0, 4.0), (2.0, 4.0), (2.0, 1.0), (3.0, 1.0)]
    );
    let pts = [(10.0, 100.0), (20.0, 300.0)];
    assert_eq!(
        frontier_staircase(&pts, (Goal::Minimize, Goal::Maximize)),
        vec![(10.0, 100.0), (20.0, 100.0), (20.0, 300.0)]
    );
}

#[test]
fn non_finite_points_are_left_out() {
    let pts = [(f64::NAN, 10.0), (1.0, 1.0), (2.0, f64::INFINITY)];
    assert_eq!(pareto_frontier(&pts, MAX), vec![1]);
}

fn goal() -> impl Strategy<Value = Goal> {
    prop_oneof![Just(Goal::Maximize), Just(Goal::Minimize)]
}

proptest! {
    /// No frontier point is dominated by any point; every other point is dominated by some
    /// frontier point. Coordinates come from a small integer grid so ties and duplicates are
    /// common.
    #[test]
    fn frontier_is_exactly_the_non_dominated_set(
        raw in prop::collection::vec((0i32..8, 0i32..8), 1..40),
        gx in goal(),
        gy in goal(),
    ) {
        let pts: Vec<(f64, f64)> = raw.iter().map(|&(x, y)| (f64::from(x), f64::from(y))).collect();
        let goals = (gx, gy);
        let front = pareto_frontier(&pts, goals);
        prop_assert!(!front.is_empty());
        for &f in &front {
            for (j, &q) in pts.iter().enumerate() {
                prop_assert!(!dominates(q, pts[f], goals), "frontier point {f} dominated by {j}");
            }
        }
        for (i, &p) in pts.iter().enumerate() {
            if !front.contains(&i) {
                prop_assert!(
                    front.iter().any(|&f| dominates(pts[f], p, goals)),
                    "point {i} is off the frontier but no frontier point dominates it"
                );
            }
        }
        // Ordered by x, no index twice.
        prop_assert!(front.windows(2).all(|w| pts[w[0]].0 <= pts[w[1]].0 && w[0] != w[1]));
    }
}

#[test]
fn dominance_definition() {
    assert!(dominates((2.0, 2.0), (1.0, 2.0), MAX));
    assert!(!dominates((2.0, 2.0), (2.0, 2.0), MAX));
    assert!(!dominates((3.0, 1.0), (1.0, 3.0), MAX));
    assert!(dominates(
        (1.0, 2.0),
        (2.0, 2.0),
        (Goal::Minimize, Goal::Maximize)
    ));
}

#[test]
fn per_series_frontiers_get_one_legend_entry_each_in_the_series_colour() {
    use servebench_viz::{Plot, Style};
    let plot = crate::fixtures::pareto().per_series_frontiers();
    let labels: Vec<String> = plot.series.iter().map(|s| s.label.clone()).collect();
    assert!(labels.len() >= 2, "fixture has several series");
    let svg = plot.to_svg(&Style::default()).expect("svg");
    let doc = roxmltree::Document::parse(&svg).expect("xml");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(str::trim))
        .collect();
    for l in &labels {
        let want = format!("Pareto frontier {l}");
        assert!(
            texts.contains(&want.as_str()),
            "{want} missing in {texts:?}"
        );
    }
    assert!(
        !texts.contains(&"Pareto frontier"),
        "no global frontier entry"
    );
    // The default draws one frontier over all series.
    let svg = crate::fixtures::pareto()
        .to_svg(&Style::default())
        .expect("svg");
    assert!(svg.contains("\nPareto frontier\n"));
}
