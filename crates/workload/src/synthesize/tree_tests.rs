//! The prefix tree of a seven-row trace, built, contracted and pruned by hand.
//!
//! Raw rows and their ids after renormalization (fresh rolling hasher, key = (parent, block)):
//!   A [10, 11, 12, 13, 14] -> [0, 1, 2, 3, 4]
//!   B [10, 11, 12, 15]     -> [0, 1, 2, 5]
//!   C [10, 11, 12]         -> [0, 1, 2]
//!   D [20, 21]             -> [6, 7]
//!   E [20, 21, 22, 23]     -> [6, 7, 8, 9]
//!   F [30]                 -> [10]
//!   G [30, 11]             -> [10, 11]   raw 11 under parent 30 is a new node, not node 1
//!
//! Super-root S (-1) is visited by all 7 rows.

use super::*;
use servebench_trace_formats::RollingHasher;

fn raw_rows() -> Vec<Vec<u64>> {
    vec![
        vec![10, 11, 12, 13, 14],
        vec![10, 11, 12, 15],
        vec![10, 11, 12],
        vec![20, 21],
        vec![20, 21, 22, 23],
        vec![30],
        vec![30, 11],
    ]
}

fn renormalized() -> Vec<Vec<u64>> {
    let mut hasher = RollingHasher::new();
    raw_rows()
        .into_iter()
        .map(|r| hasher.hash_sequence(r))
        .collect()
}

fn node(nodes: &[LiveNode], id: Option<u64>) -> LiveNode {
    nodes
        .iter()
        .find(|n| n.id == id)
        .cloned()
        .unwrap_or_else(|| panic!("node {id:?} is not live"))
}

#[test]
fn renormalization_gives_a_new_node_under_a_new_parent() {
    let rows = renormalized();
    assert_eq!(rows[0], vec![0, 1, 2, 3, 4]);
    assert_eq!(rows[4], vec![6, 7, 8, 9]);
    assert_eq!(rows[6], vec![10, 11]);
}

#[test]
fn build_counts_visits_ends_weights_and_to_leaf() {
    let mut tree = PrefixTree::build(&renormalized()).expect("a tree");
    tree.mark_to_leaf();
    let nodes = tree.live_nodes();
    // visited: 0,1,2 by A,B,C (3); 3,4 by A; 5 by B; 6,7 by D,E (2); 8,9 by E; 10 by F,G (2);
    // 11 by G. Ends: A at 4, B at 5, C at 2, D at 7, E at 9, F at 10, G at 11.
    let root = node(&nodes, None);
    assert_eq!((root.visited, root.end, root.to_leaf), (7, 0, 0));
    assert_eq!(root.children, vec![0, 6, 10]);
    let n2 = node(&nodes, Some(2));
    // Node 2: children 3 and 5 are each visited once -> to_leaf 2; C ends here -> end 1.
    assert_eq!((n2.visited, n2.end, n2.to_leaf, n2.weight), (3, 1, 2, 3));
    let n7 = node(&nodes, Some(7));
    // Node 7: child 8 visited once (E) -> to_leaf 1; D ends here.
    assert_eq!((n7.visited, n7.end, n7.to_leaf), (2, 1, 1));
    let n10 = node(&nodes, Some(10));
    assert_eq!((n10.visited, n10.end, n10.to_leaf), (2, 1, 1));
    // Nodes visited once never get to_leaf (Dynamo skips visited <= 1).
    assert_eq!(node(&nodes, Some(3)).to_leaf, 0);
    assert_eq!(nodes.len(), 13);
}

#[test]
fn contraction_by_hand() {
    let mut tree = PrefixTree::build(&renormalized()).expect("a tree");
    tree.mark_to_leaf();
    tree.merge_chains();
    let nodes = tree.live_nodes();
    // visited = 1 (nodes 3,4,5,8,9,11): candidates with one child are 3 and 8.
    //   3: parent 2 has visited 3 -> head; child 4 has visited 1 -> chain 3-4, tail 4, length 2.
    //   8: parent 7 has visited 2 -> head; chain 8-9, tail 9, length 2.
    // visited = 2 (nodes 6,7,10): candidates 6, 7, 10.
    //   6: parent S -> head; child 7 visited 2 -> chain 6-7 (7's child 9 has visited 1), tail 7,
    //      length 2, re-attached to S with weight 2.
    //   7: parent 6 has visited 2 -> not a head (skipped).
    //   10: parent S -> head; child 11 has visited 1 -> chain of 1, length 1.
    // visited = 3 (nodes 0,1,2): candidates 0 and 1 (2 has two children).
    //   0: parent S -> head; 1 and 2 have visited 3 -> chain 0-1-2, tail 2, length 3.
    // visited = 7: only S -> skipped.
    let ids: Vec<Option<u64>> = nodes.iter().map(|n| n.id).collect();
    assert_eq!(
        ids,
        vec![
            None,
            Some(2),
            Some(4),
            Some(5),
            Some(7),
            Some(9),
            Some(10),
            Some(11)
        ]
    );
    let root = node(&nodes, None);
    assert_eq!(root.children, vec![2, 7, 10]);
    let expect = [
        // (id, length, parent, weight, children)
        (2, 3, None, 3, vec![4, 5]),
        (4, 2, Some(2), 1, vec![]),
        (5, 1, Some(2), 1, vec![]),
        (7, 2, None, 2, vec![9]),
        (9, 2, Some(7), 1, vec![]),
        (10, 1, None, 2, vec![11]),
        (11, 1, Some(10), 1, vec![]),
    ];
    for (id, length, parent, weight, children) in expect {
        let n = node(&nodes, Some(id));
        let mut got_children = n.children.clone();
        got_children.sort_unstable();
        assert_eq!(
            (n.length, n.parent, n.weight, got_children),
            (length, parent, weight, children),
            "node {id}"
        );
    }
}

#[test]
fn pruning_and_transition_cdfs_by_hand() {
    let mut tree = PrefixTree::build(&renormalized()).expect("a tree");
    tree.mark_to_leaf();
    tree.merge_chains();
    // Visited-once nodes left after contraction: 4 (len 2), 5 (len 1), 9 (len 2), 11 (len 1).
    assert_eq!(tree.remove_leaves(), vec![2, 1, 2, 1]);
    let core = tree.into_core(1.0, Some(11)).expect("core tree");
    assert_eq!(core.next_leaf_id, 12);
    // Core: S, 2, 7, 10. S -> {2: 3, 7: 2, 10: 2} of 7 rows (to_leaf 0 and end 0 dropped).
    let ids: Vec<u64> = core.nodes[1..].iter().map(|n| n.id).collect();
    assert_eq!(ids, vec![2, 7, 10]);
    let root = &core.nodes[0];
    assert_eq!(
        root.outcomes,
        vec![Outcome::Child(1), Outcome::Child(2), Outcome::Child(3)]
    );
    assert_eq!(root.cdf, vec![3.0 / 7.0, 5.0 / 7.0, 1.0]);
    // Node 2: no core child; CACHE_END weight to_leaf 2, END weight end 1 -> [2/3, 1].
    assert_eq!(
        core.nodes[1].outcomes,
        vec![Outcome::CacheEnd, Outcome::End]
    );
    assert_eq!(core.nodes[1].cdf, vec![2.0 / 3.0, 1.0]);
    // Node 7: to_leaf 1 (its once-visited child 8 was counted before contraction), end 1.
    assert_eq!(core.nodes[2].cdf, vec![0.5, 1.0]);
    assert_eq!(core.nodes[3].cdf, vec![0.5, 1.0]);
    // Draws: u < 3/7 -> node 2, u = 3/7 exactly stays there (side="left"), just above -> 7.
    assert_eq!(core.step(0, 0.0), Outcome::Child(1));
    assert_eq!(core.step(0, 3.0 / 7.0), Outcome::Child(1));
    assert_eq!(core.step(0, 0.43), Outcome::Child(2));
    assert_eq!(core.step(0, 0.99), Outcome::Child(3));
    assert_eq!(core.depth(), 1);
}

#[test]
fn prefix_length_multiplier_relabels_and_scales() {
    let build = |m: f64| {
        let mut tree = PrefixTree::build(&renormalized()).expect("a tree");
        tree.mark_to_leaf();
        tree.merge_chains();
        tree.remove_leaves();
        tree.into_core(m, Some(11)).expect("core tree")
    };
    // m = 1.5 -> k = ceil(1.5) = 2: id n -> (n+1)*2, length * 2, max_hash_id 11 -> 2*11+2 = 24.
    let up = build(1.5);
    let got: Vec<(u64, u64)> = up.nodes[1..].iter().map(|n| (n.id, n.length)).collect();
    // Node 2 (len 3) -> id 6, len 6: emits ids 1..=6; node 7 (len 2) -> id 16, len 4: 13..=16;
    // node 10 (len 1) -> id 22, len 2: 21..=22. The ranges stay disjoint.
    assert_eq!(got, vec![(6, 6), (16, 4), (22, 2)]);
    assert_eq!(up.next_leaf_id, 25);
    // m = 0.5 -> lengths max(round_half_even(len/2), 1): 3 -> round(1.5) = 2, 2 -> 1,
    // 1 -> round(0.5) = 0 -> 1. Ids unchanged.
    let down = build(0.5);
    let got: Vec<(u64, u64)> = down.nodes[1..].iter().map(|n| (n.id, n.length)).collect();
    assert_eq!(got, vec![(2, 2), (7, 1), (10, 1)]);
    assert_eq!(down.next_leaf_id, 12);
}

#[test]
fn two_parents_are_rejected() {
    // Not renormalized: id 1 under parents 0 and 5.
    let err = PrefixTree::build(&[vec![0, 1], vec![5, 1]]).expect_err("not a tree");
    assert_eq!(
        err,
        SynthesizeError::NotATree {
            hash_id: 1,
            parents: "0 and 5".to_owned()
        }
    );
}

#[test]
fn a_single_request_is_degenerate() {
    let mut tree = PrefixTree::build(&[vec![0, 1]]).expect("a tree");
    tree.mark_to_leaf();
    tree.merge_chains();
    tree.remove_leaves();
    assert_eq!(
        tree.into_core(1.0, Some(1)).map(|_| ()),
        Err(SynthesizeError::DegenerateTree { hash_id: None })
    );
}
