//! Token ids → Mooncake hash ids: what Dynamo's `texts_to_hashes` does after tokenizing
//! (tokenizers live in `servebench-tokenize`; pass their output here).

use crate::error::Error;
use crate::hasher::RollingHasher;

/// Hash ids of each token sequence of `batch`: the sequence is cut into `block_size`-token blocks
/// (the last may be partial) and the blocks are chained through one fresh [`RollingHasher`] for
/// the whole batch, so equal leading blocks get equal ids within the batch (and only within it).
pub fn token_ids_to_hash_ids<T: AsRef<[u32]>>(
    batch: &[T],
    block_size: usize,
) -> Result<Vec<Vec<u64>>, Error> {
    if block_size == 0 {
        return Err(Error::invalid_option("block_size", "must be at least 1"));
    }
    let mut hasher = RollingHasher::new();
    Ok(batch
        .iter()
        .map(|tokens| hasher.hash_sequence(tokens.as_ref().chunks(block_size)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_prefix_blocks_share_ids_and_partial_blocks_count() {
        let a: Vec<u32> = (0..10).collect();
        let mut b = a[..8].to_vec();
        b.extend([99, 98, 97]);
        let ids = token_ids_to_hash_ids(&[a, b], 4).unwrap();
        // a: [0..4) [4..8) [8,9]; b: same two blocks, then [99,98,97]
        assert_eq!(ids, vec![vec![0, 1, 2], vec![0, 1, 3]]);
        // a fresh hasher per call
        assert_eq!(
            token_ids_to_hash_ids(&[vec![5u32, 6]], 4).unwrap(),
            vec![vec![0]]
        );
        assert!(token_ids_to_hash_ids(&[vec![1u32]], 0).is_err());
    }
}
