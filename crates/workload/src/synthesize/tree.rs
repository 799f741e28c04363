//! The learned prefix tree (spec §6.4 steps 2–7): build, `to_leaf` counts, radix contraction,
//! pruning of once-visited nodes, prefix-length relabelling and transition CDFs.
//!
//! Node index 0 is Dynamo's super-root `-1`; node index `i + 1` is hash id `i`. Ids come from a
//! fresh [`servebench_trace_formats::RollingHasher`], so they are dense and a contracted chain's ids are
//! consecutive (its nodes are first created, in order, by the same row).

use super::error::SynthesizeError;
use super::sampler::{round_half_even, searchsorted_left};

/// Index of the super-root.
pub(crate) const ROOT: usize = 0;

#[derive(Debug, Clone, Default)]
struct Node {
    parent: Option<usize>,
    children: Vec<usize>,
    visited: u64,
    end: u64,
    to_leaf: u64,
    /// Weight of the edge from `parent` (traversals).
    in_weight: u64,
    /// Number of original blocks this node stands for after contraction.
    length: u64,
    alive: bool,
}

/// The prefix tree of a trace's (renormalized) hash-id rows.
#[derive(Debug, Clone)]
pub(crate) struct PrefixTree {
    nodes: Vec<Node>,
}

impl PrefixTree {
    /// Builds the tree: `visited` counts rows passing through a node, `end` rows ending there,
    /// edge weights count traversals; `visited(root)` is the number of rows. A node reached
    /// from two different parents is an error (Dynamo's `_verify_tree`).
    pub(crate) fn build(rows: &[Vec<u64>]) -> Result<Self, SynthesizeError> {
        let max_id = rows.iter().flatten().copied().max();
        let len = max_id.map_or(1, |m| m as usize + 2);
        let mut nodes = vec![Node::default(); len];
        nodes[ROOT].alive = true;
        nodes[ROOT].visited = rows.len() as u64;
        for row in rows {
            let mut parent = ROOT;
            for &id in row {
                let child = id as usize + 1;
                let node = &mut nodes[child];
                match node.parent {
                    None if !node.alive => {
                        node.alive = true;
                        node.parent = Some(parent);
                        nodes[parent].children.push(child);
                    }
                    Some(p) if p == parent => {}
                    _ => {
                        return Err(SynthesizeError::NotATree {
                            hash_id: id,
                            parents: describe_parents(node.parent, parent),
                        });
                    }
                }
                let node = &mut nodes[child];
                node.visited += 1;
                node.in_weight += 1;
                parent = child;
            }
            // A row without blocks ends at the super-root.
            nodes[parent].end += 1;
        }
        for node in &mut nodes {
            node.length = 1;
        }
        Ok(Self { nodes })
    }

    /// `to_leaf(n)`: for nodes visited more than once, the number of children visited once.
    pub(crate) fn mark_to_leaf(&mut self) {
        for i in 0..self.nodes.len() {
            if !self.nodes[i].alive || self.nodes[i].visited <= 1 {
                continue;
            }
            let count = self.nodes[i]
                .children
                .iter()
                .filter(|&&c| self.nodes[c].visited == 1)
                .count() as u64;
            self.nodes[i].to_leaf = count;
        }
    }

    /// Radix contraction, exactly as Dynamo's `_merge_chains`: for each visited value (skipping
    /// values held by a single node), every candidate (one parent, one child) whose parent is the
    /// super-root or has a different visited count heads a chain that follows the first child
    /// while it has the same visited count; the chain's nodes but its tail are removed, the tail
    /// is re-attached to the head's parent with the head's edge weight and gets the chain length.
    pub(crate) fn merge_chains(&mut self) {
        // Visit counts never change during contraction, so the groups can be formed once:
        // live nodes sorted by (visited, id), one group per visited value, ids ascending.
        let mut order: Vec<(u64, usize)> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].alive)
            .map(|i| (self.nodes[i].visited, i))
            .collect();
        order.sort_unstable();
        for group in order.chunk_by(|a, b| a.0 == b.0) {
            if group.len() == 1 {
                continue;
            }
            let v = group[0].0;
            // Rewiring is applied after the scan, like Dynamo removes nodes after its loop:
            // a chain's tail, if it is a candidate too, still sees its original parent and is
            // skipped instead of restarting a chain of length 1.
            let mut rewires = Vec::new();
            for &(_, head) in group {
                let node = &self.nodes[head];
                let Some(pred) = node.parent else { continue };
                if node.children.len() != 1 {
                    continue;
                }
                if pred != ROOT && self.nodes[pred].visited == v {
                    continue;
                }
                let mut removed = Vec::new();
                let mut tail = head;
                while let Some(&next) = self.nodes[tail].children.first() {
                    if self.nodes[next].visited != v {
                        break;
                    }
                    removed.push(tail);
                    tail = next;
                }
                rewires.push((pred, head, tail, removed));
            }
            for (pred, head, tail, removed) in rewires {
                let chain_len = removed.len() as u64 + 1;
                if tail != head {
                    let weight = self.nodes[head].in_weight;
                    for child in &mut self.nodes[pred].children {
                        if *child == head {
                            *child = tail;
                        }
                    }
                    let t = &mut self.nodes[tail];
                    t.parent = Some(pred);
                    t.in_weight = weight;
                    for r in removed {
                        let n = &mut self.nodes[r];
                        n.alive = false;
                        n.children.clear();
                    }
                }
                self.nodes[tail].length = chain_len;
            }
        }
    }

    /// Removes every node visited exactly once (never the super-root); returns their lengths in
    /// id order: the leaf-length samples.
    pub(crate) fn remove_leaves(&mut self) -> Vec<u64> {
        let mut lengths = Vec::new();
        for i in 1..self.nodes.len() {
            if self.nodes[i].alive && self.nodes[i].visited == 1 {
                lengths.push(self.nodes[i].length);
                self.nodes[i].alive = false;
            }
        }
        let nodes = &mut self.nodes;
        for i in 0..nodes.len() {
            let mut children = std::mem::take(&mut nodes[i].children);
            children.retain(|&c| nodes[c].alive);
            nodes[i].children = children;
        }
        lengths
    }

    /// Freezes the remaining core tree: applies the prefix-length multiplier (`_relabel_nodes`)
    /// and precomputes each node's transition CDF over `[children…, CACHE_END, END_NODE]` with
    /// weights `[edge weights…, to_leaf, end]`. `max_hash_id` is the largest id of the trace
    /// (`None` when it has no blocks); the returned tree carries the relabelled value.
    pub(crate) fn into_core(
        self,
        prefix_len_multiplier: f64,
        max_hash_id: Option<u64>,
    ) -> Result<CoreTree, SynthesizeError> {
        let alive: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].alive)
            .collect();
        let mut index_of = vec![usize::MAX; self.nodes.len()];
        for (k, &i) in alive.iter().enumerate() {
            index_of[i] = k;
        }
        // Ids are 0-based; the super-root's id is never emitted.
        let mut next_leaf_id = max_hash_id.map_or(0, |m| m + 1);
        let scale = if prefix_len_multiplier > 1.0 {
            let k = prefix_len_multiplier.ceil() as u64;
            next_leaf_id = k * next_leaf_id + 1;
            Scale::Up(k)
        } else if prefix_len_multiplier < 1.0 {
            Scale::Down(prefix_len_multiplier)
        } else {
            Scale::Same
        };
        let mut core = CoreTree {
            nodes: Vec::with_capacity(alive.len()),
            next_leaf_id,
        };
        for &i in &alive {
            let n = &self.nodes[i];
            let id = i.saturating_sub(1) as u64;
            let (id, length) = match scale {
                Scale::Up(k) => ((id + 1) * k, n.length * k),
                Scale::Down(m) => (id, (round_half_even(n.length as f64 * m) as u64).max(1)),
                Scale::Same => (id, n.length),
            };
            let mut outcomes = Vec::new();
            let mut weights = Vec::new();
            let mut children = n.children.clone();
            children.sort_unstable();
            for c in children {
                outcomes.push(Outcome::Child(index_of[c]));
                weights.push(self.nodes[c].in_weight);
            }
            outcomes.extend([Outcome::CacheEnd, Outcome::End]);
            weights.extend([n.to_leaf, n.end]);
            // Zero-weight outcomes are dropped so that a uniform draw of exactly 0.0 cannot pick
            // them; this changes nothing else about the distribution.
            let total: u64 = weights.iter().sum();
            if total == 0 {
                return Err(SynthesizeError::DegenerateTree {
                    hash_id: (i > 0).then(|| i as u64 - 1),
                });
            }
            let mut cdf = Vec::new();
            let mut kept = Vec::new();
            let mut cumulative = 0;
            for (o, w) in outcomes.into_iter().zip(weights) {
                if w > 0 {
                    cumulative += w;
                    cdf.push(cumulative as f64 / total as f64);
                    kept.push(o);
                }
            }
            core.nodes.push(CoreNode {
                id,
                length,
                visited: n.visited,
                to_leaf: n.to_leaf,
                end: n.end,
                outcomes: kept,
                cdf,
            });
        }
        Ok(core)
    }

    /// `(hash id, visited, end, to_leaf, length, parent id, children ids)` of live nodes, for
    /// tests; the super-root has hash id `None`.
    #[cfg(test)]
    pub(crate) fn live_nodes(&self) -> Vec<LiveNode> {
        let id = |i: usize| (i > 0).then(|| i as u64 - 1);
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].alive)
            .map(|i| {
                let n = &self.nodes[i];
                LiveNode {
                    id: id(i),
                    visited: n.visited,
                    end: n.end,
                    to_leaf: n.to_leaf,
                    length: n.length,
                    parent: n.parent.and_then(id),
                    weight: n.in_weight,
                    children: n.children.iter().filter_map(|&c| id(c)).collect(),
                }
            })
            .collect()
    }
}

/// A live node as seen by tests.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveNode {
    pub(crate) id: Option<u64>,
    pub(crate) visited: u64,
    pub(crate) end: u64,
    pub(crate) to_leaf: u64,
    pub(crate) length: u64,
    pub(crate) parent: Option<u64>,
    pub(crate) weight: u64,
    pub(crate) children: Vec<u64>,
}

#[derive(Debug, Clone, Copy)]
enum Scale {
    Up(u64),
    Down(f64),
    Same,
}

fn describe_parents(existing: Option<usize>, new: usize) -> String {
    let name = |i: usize| {
        if i == ROOT {
            "-1".to_owned()
        } else {
            (i - 1).to_string()
        }
    };
    match existing {
        Some(p) => format!("{} and {}", name(p), name(new)),
        None => format!("none and {}", name(new)),
    }
}

/// Where a path step goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Descend to this core node (index into [`CoreTree::nodes`]).
    Child(usize),
    /// Stop and append a fresh unique leaf path (Dynamo's `CACHE_END`, −2).
    CacheEnd,
    /// Stop without a leaf (Dynamo's `END_NODE`, −3).
    End,
}

/// One node of the frozen core tree.
#[derive(Debug, Clone)]
pub(crate) struct CoreNode {
    /// Hash id of the chain's last block (after relabelling); unused for the super-root.
    pub(crate) id: u64,
    /// Blocks in the chain: a path visiting this node emits ids `id − length + 1 ..= id`.
    pub(crate) length: u64,
    pub(crate) visited: u64,
    pub(crate) to_leaf: u64,
    pub(crate) end: u64,
    pub(crate) outcomes: Vec<Outcome>,
    pub(crate) cdf: Vec<f64>,
}

/// The core radix tree ready for path sampling; `nodes[0]` is the super-root.
#[derive(Debug, Clone)]
pub(crate) struct CoreTree {
    pub(crate) nodes: Vec<CoreNode>,
    /// First id of the next leaf path (Dynamo's `max_hash_id + 1`).
    pub(crate) next_leaf_id: u64,
}

impl CoreTree {
    /// Draws the next outcome at `node` for a uniform `u` in [0, 1).
    pub(crate) fn step(&self, node: usize, u: f64) -> Outcome {
        let n = &self.nodes[node];
        let k = searchsorted_left(&n.cdf, u).min(n.outcomes.len() - 1);
        n.outcomes[k]
    }

    /// Longest root-to-node distance in edges (Dynamo's `core_radix_tree_depth`).
    pub(crate) fn depth(&self) -> usize {
        let mut depth = vec![0usize; self.nodes.len()];
        let mut max = 0;
        // Children have larger indices than parents (ids are assigned top-down), but do not rely
        // on it: walk breadth-first from the root.
        let mut queue = std::collections::VecDeque::from([ROOT]);
        while let Some(i) = queue.pop_front() {
            for o in &self.nodes[i].outcomes {
                if let Outcome::Child(c) = *o {
                    depth[c] = depth[i] + 1;
                    max = max.max(depth[c]);
                    queue.push_back(c);
                }
            }
        }
        max
    }
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
