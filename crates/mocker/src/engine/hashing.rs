//! Chained KV block hashes, bit-exact with Dynamo's KV router (spec §9.3).
//!
//! `local = xxh3_64(little-endian u32 token bytes of one full block, seed 1337)`; the first
//! sequence hash is the first local hash and each next one is
//! `xxh3_64(le(previous sequence hash) ‖ le(local), seed 1337)`. Partial trailing blocks are not
//! hashed.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::config::BlockSize;

/// Seed of every block hash (Dynamo's `XXH3_SEED`).
pub const BLOCK_HASH_SEED: u64 = 1337;

/// Hash of one block's tokens alone.
pub fn local_block_hash(tokens: &[u32]) -> u64 {
    const STACK_TOKENS: usize = 256;
    if tokens.len() <= STACK_TOKENS {
        let mut buf = [0u8; STACK_TOKENS * 4];
        for (chunk, t) in buf.chunks_exact_mut(4).zip(tokens) {
            chunk.copy_from_slice(&t.to_le_bytes());
        }
        return xxh3_64_with_seed(&buf[..tokens.len() * 4], BLOCK_HASH_SEED);
    }
    let mut bytes = Vec::with_capacity(tokens.len() * 4);
    for t in tokens {
        bytes.extend_from_slice(&t.to_le_bytes());
    }
    xxh3_64_with_seed(&bytes, BLOCK_HASH_SEED)
}

/// Sequence hash of a block given the previous block's sequence hash (`None` for the first block).
pub fn chain_block_hash(previous: Option<u64>, local: u64) -> u64 {
    match previous {
        None => local,
        Some(prev) => {
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&prev.to_le_bytes());
            bytes[8..].copy_from_slice(&local.to_le_bytes());
            xxh3_64_with_seed(&bytes, BLOCK_HASH_SEED)
        }
    }
}

/// Sequence hashes of every full block of `tokens` (the partial trailing block is skipped).
pub fn sequence_block_hashes(tokens: &[u32], block_size: BlockSize) -> Vec<u64> {
    let mut hashes = Vec::new();
    extend_block_hashes(&mut hashes, tokens, block_size);
    hashes
}

/// Appends the sequence hashes of the full blocks of `tokens` that `hashes` does not cover yet.
pub(crate) fn extend_block_hashes(hashes: &mut Vec<u64>, tokens: &[u32], block_size: BlockSize) {
    let bs = block_size.get() as usize;
    let full = tokens.len() / bs;
    for j in hashes.len()..full {
        let local = local_block_hash(&tokens[j * bs..(j + 1) * bs]);
        let seq = chain_block_hash(hashes.last().copied(), local);
        hashes.push(seq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bs4() -> BlockSize {
        BlockSize::new(4).unwrap()
    }

    #[test]
    fn first_sequence_hash_is_the_local_hash_of_le_bytes() {
        let tokens = [1u32, 2, 3, 4];
        let bytes: Vec<u8> = [1u8, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0].to_vec();
        let hashes = sequence_block_hashes(&tokens, bs4());
        assert_eq!(hashes, vec![xxh3_64_with_seed(&bytes, 1337)]);
    }

    #[test]
    fn later_hashes_chain_previous_and_local() {
        let tokens: Vec<u32> = (0..10).collect();
        let hashes = sequence_block_hashes(&tokens, bs4());
        assert_eq!(hashes.len(), 2, "the partial trailing block is not hashed");
        let l0 = local_block_hash(&tokens[0..4]);
        let l1 = local_block_hash(&tokens[4..8]);
        let mut cat = l0.to_le_bytes().to_vec();
        cat.extend_from_slice(&l1.to_le_bytes());
        assert_eq!(hashes[1], xxh3_64_with_seed(&cat, 1337));
        // Same second block after a different first block hashes differently.
        let mut other = tokens;
        other[0] = 99;
        assert_ne!(sequence_block_hashes(&other, bs4())[1], hashes[1]);
    }

    #[test]
    fn long_blocks_hash_like_short_ones() {
        let tokens: Vec<u32> = (0..600).collect();
        let bytes: Vec<u8> = tokens.iter().flat_map(|t| t.to_le_bytes()).collect();
        assert_eq!(local_block_hash(&tokens), xxh3_64_with_seed(&bytes, 1337));
        assert_eq!(
            local_block_hash(&tokens[..64]),
            xxh3_64_with_seed(&bytes[..256], 1337)
        );
    }

    #[test]
    fn extending_matches_hashing_at_once() {
        let tokens: Vec<u32> = (0..37).map(|i| i * 7).collect();
        let mut hashes = sequence_block_hashes(&tokens[..13], bs4());
        extend_block_hashes(&mut hashes, &tokens, bs4());
        assert_eq!(hashes, sequence_block_hashes(&tokens, bs4()));
    }
}
