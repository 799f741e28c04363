//! Turning a parsed prompt into the token ids handed to the token source.

use servebench_tokenize::Tokenizer;

use super::prompt_cache::PromptCache;
use super::request::Prompt;

/// Lowest id of image placeholder tokens; far above any real or built-in vocabulary word.
const IMAGE_ID_BASE: u32 = 0x8000_0000;

/// Prompt token ids: the text encoded by `tokenizer`, then `tokens_per_image` placeholder ids per
/// image, in order. With `cache`, the text's ids come from it when this text was encoded
/// before (the same ids a fresh encode gives). Placeholders are a hash of the image URL (and position within the image), so
/// the same image gives the same ids and shares prefix-cache blocks across requests.
pub(crate) fn prompt_tokens(
    tokenizer: &dyn Tokenizer,
    cache: Option<&PromptCache>,
    prompt: &Prompt,
    tokens_per_image: u32,
) -> Vec<u32> {
    match prompt {
        Prompt::Tokens(ids) => ids.clone(),
        Prompt::Text { text, images } => {
            let mut ids = match cache {
                Some(cache) => cache.encode(tokenizer, text),
                None => tokenizer.encode(text),
            };
            ids.reserve(images.len() * tokens_per_image as usize);
            for url in images {
                let h = fnv1a(url.as_bytes());
                ids.extend((0..tokens_per_image).map(|k| image_token(h, k)));
            }
            ids
        }
    }
}

fn image_token(url_hash: u64, k: u32) -> u32 {
    let x = url_hash ^ u64::from(k).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let x = (x ^ (x >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    IMAGE_ID_BASE | ((x >> 33) as u32 & !IMAGE_ID_BASE)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use servebench_tokenize::BuiltinTokenizer;

    use super::*;

    #[test]
    fn text_then_image_placeholders() {
        let tok = BuiltinTokenizer::new();
        let text = tok.synthetic_text(3, 10);
        let p = |images: Vec<&str>| Prompt::Text {
            text: text.clone(),
            images: images.into_iter().map(str::to_owned).collect(),
        };
        let a = prompt_tokens(&tok, None, &p(vec!["img-a", "img-b"]), 4);
        assert_eq!(a.len(), 10 + 8);
        assert_eq!(&a[..10], tok.encode(&text).as_slice());
        assert!(a[10..].iter().all(|&id| id >= IMAGE_ID_BASE));
        // Same image, same ids; a different image, different ids.
        let b = prompt_tokens(&tok, None, &p(vec!["img-a", "img-c"]), 4);
        assert_eq!(a[..14], b[..14]);
        assert_ne!(a[14..], b[14..]);
    }

    #[test]
    fn token_prompts_pass_through() {
        let tok = BuiltinTokenizer::new();
        assert_eq!(
            prompt_tokens(&tok, None, &Prompt::Tokens(vec![5, 6]), 4),
            vec![5, 6]
        );
    }
}
