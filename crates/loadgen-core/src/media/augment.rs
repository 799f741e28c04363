//! Images and context prompts added to a dataset, after checking that they fit the endpoint and
//! the rest of the dataset.

use servebench_tokenize::Tokenizer;

use super::{ImageConfig, MediaError, attach_images};
use crate::prompts::{ContextPromptConfig, SynthesisError, add_context_prompts};
use crate::{DatasetEntry, EndpointKind};

/// What [`augment`] adds to each entry.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaSpec {
    /// Synthetic images per chat request.
    pub images: ImageConfig,
    /// Shared system prompt, per-user contexts, verbatim system prompt.
    pub context: ContextPromptConfig,
}

/// Why [`augment`] refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AugmentError {
    /// Images were asked for on an endpoint other than chat.
    #[error("images need a chat endpoint (not {endpoint})")]
    ImagesNeedChat {
        /// The endpoint's name.
        endpoint: &'static str,
    },
    /// Context prompts were asked for on an endpoint other than chat.
    #[error("context prompts are chat messages and need a chat endpoint (not {endpoint})")]
    ContextNeedsChat {
        /// The endpoint's name.
        endpoint: &'static str,
    },
    /// Context prompts together with prefix prompts.
    #[error(
        "context prompts cannot be combined with prefix prompts (AIPerf treats them as exclusive \
         ways to share a prefix)"
    )]
    ContextWithPrefixPrompts,
    /// The images could not be made.
    #[error(transparent)]
    Images(MediaError),
    /// The context prompts could not be made.
    #[error("failed to build the context prompts")]
    Context(#[source] SynthesisError),
}

/// Adds `spec`'s images and context prompts to `entries` (drawn from `seed`), after checking that
/// they fit the endpoint `kind` (both need chat) and that no prefix prompts are in use
/// (`prefix_prompts`: AIPerf's `--num-prefix-prompts` / `--prefix-prompt-length` set).
///
/// # Errors
/// [`AugmentError`]: a setting that does not fit, or images / prompts that cannot be made.
pub fn augment(
    entries: &mut [DatasetEntry],
    spec: &MediaSpec,
    kind: EndpointKind,
    prefix_prompts: bool,
    tokenizer: &dyn Tokenizer,
    seed: u64,
) -> Result<(), AugmentError> {
    if kind != EndpointKind::Chat {
        if spec.images.enabled() {
            return Err(AugmentError::ImagesNeedChat {
                endpoint: kind.name(),
            });
        }
        if !spec.context.is_empty() {
            return Err(AugmentError::ContextNeedsChat {
                endpoint: kind.name(),
            });
        }
    }
    if !spec.context.is_empty() && prefix_prompts {
        return Err(AugmentError::ContextWithPrefixPrompts);
    }
    attach_images(entries, &spec.images, seed).map_err(AugmentError::Images)?;
    add_context_prompts(entries, &spec.context, tokenizer, seed).map_err(AugmentError::Context)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use servebench_tokenize::BuiltinTokenizer;

    use super::*;
    use crate::media::ImageFormatChoice;

    fn spec(images: bool, shared_system: Option<u64>) -> MediaSpec {
        MediaSpec {
            images: ImageConfig {
                width_mean: if images { 8.0 } else { 0.0 },
                width_stddev: 0.0,
                height_mean: if images { 8.0 } else { 0.0 },
                height_stddev: 0.0,
                format: ImageFormatChoice::Png,
                batch_size: 1,
            },
            context: ContextPromptConfig {
                shared_system_prompt_length: shared_system,
                user_context_prompt_length: None,
                system_prompt: None,
            },
        }
    }

    fn entries() -> Vec<DatasetEntry> {
        vec![DatasetEntry {
            prompt: "hello".into(),
            input_tokens: 1,
            ..DatasetEntry::default()
        }]
    }

    #[test]
    fn chat_entries_get_images_and_context() {
        let tok = BuiltinTokenizer::new();
        let mut e = entries();
        augment(
            &mut e,
            &spec(true, Some(5)),
            EndpointKind::Chat,
            false,
            &tok,
            1,
        )
        .unwrap();
        assert_eq!(e[0].images.len(), 1);
        assert_eq!(e[0].input_tokens, 1 + 5);
    }

    #[test]
    fn misfits_are_refused() {
        let tok = BuiltinTokenizer::new();
        let mut e = entries();
        let completions = EndpointKind::Completions;
        assert!(matches!(
            augment(&mut e, &spec(true, None), completions, false, &tok, 1),
            Err(AugmentError::ImagesNeedChat {
                endpoint: "completions"
            })
        ));
        assert!(matches!(
            augment(&mut e, &spec(false, Some(5)), completions, false, &tok, 1),
            Err(AugmentError::ContextNeedsChat { .. })
        ));
        assert!(matches!(
            augment(
                &mut e,
                &spec(false, Some(5)),
                EndpointKind::Chat,
                true,
                &tok,
                1
            ),
            Err(AugmentError::ContextWithPrefixPrompts)
        ));
        // Nothing asked for: nothing checked, nothing added.
        augment(&mut e, &spec(false, None), completions, true, &tok, 1).unwrap();
        assert!(e[0].images.is_empty());
        assert_eq!(e[0].input_tokens, 1);
    }
}
