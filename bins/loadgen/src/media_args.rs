//! Flags for images and context prompts (AIPerf's `--image-*`, `--shared-system-prompt-length`,
//! `--user-context-prompt-length`, `--system-prompt[-file]`), mapped onto
//! [`servebench_loadgen_core::media::MediaSpec`], and their `input_config` echo.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::ValueEnum;
use serde_json::{Value, json};
use servebench_loadgen_core::media::{
    self, AugmentError, ImageConfig, ImageFormatChoice, MediaSpec,
};
use servebench_loadgen_core::prompts::ContextPromptConfig;
use servebench_loadgen_core::{DatasetEntry, EndpointConfig};
use servebench_tokenize::Tokenizer;

use crate::args::Args;

/// Image and context-prompt flags, flattened into [`Args`].
#[derive(Debug, clap::Args)]
pub(crate) struct MediaArgs {
    // ----- Images -----
    /// Mean width of synthetic images in pixels. Each chat request carries --image-batch-size
    /// generated images when both this and --image-height-mean are above 0 (0: no images).
    #[arg(long, default_value_t = 0.0, help_heading = "Images")]
    pub(crate) image_width_mean: f64,

    /// Standard deviation of the image width.
    #[arg(long, default_value_t = 0.0, help_heading = "Images")]
    pub(crate) image_width_stddev: f64,

    /// Mean height of synthetic images in pixels (0: no images).
    #[arg(long, default_value_t = 0.0, help_heading = "Images")]
    pub(crate) image_height_mean: f64,

    /// Standard deviation of the image height.
    #[arg(long, default_value_t = 0.0, help_heading = "Images")]
    pub(crate) image_height_stddev: f64,

    /// Encoding of synthetic images, sent as data: URIs.
    #[arg(long, value_enum, ignore_case = true, default_value_t = ImageFormatArg::Png, help_heading = "Images")]
    pub(crate) image_format: ImageFormatArg,

    /// Synthetic images per request.
    #[arg(
        long,
        alias = "batch-size-image",
        default_value_t = 1,
        help_heading = "Images"
    )]
    pub(crate) image_batch_size: usize,

    // ----- Context prompts -----
    /// Tokens of one synthetic system prompt sent (as a system message) with every chat request.
    /// Added on top of --isl and counted in the ISL.
    #[arg(long, help_heading = "Context prompts")]
    pub(crate) shared_system_prompt_length: Option<u64>,

    /// Tokens of a per-user context (a user message before the prompt), different for each
    /// dataset entry. Added on top of --isl and counted in the ISL.
    #[arg(long, help_heading = "Context prompts")]
    pub(crate) user_context_prompt_length: Option<u64>,

    /// A system prompt sent verbatim with every chat request (counted in the ISL).
    #[arg(
        long,
        conflicts_with = "system_prompt_file",
        help_heading = "Context prompts"
    )]
    pub(crate) system_prompt: Option<String>,

    /// A file whose contents are sent as the system prompt of every chat request.
    #[arg(long, help_heading = "Context prompts")]
    pub(crate) system_prompt_file: Option<PathBuf>,
}

/// `--image-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ImageFormatArg {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// PNG or JPEG, drawn per image.
    Random,
}

/// The synthetic image settings.
pub(crate) fn image_config(args: &MediaArgs) -> ImageConfig {
    ImageConfig {
        width_mean: args.image_width_mean,
        width_stddev: args.image_width_stddev,
        height_mean: args.image_height_mean,
        height_stddev: args.image_height_stddev,
        format: match args.image_format {
            ImageFormatArg::Png => ImageFormatChoice::Png,
            ImageFormatArg::Jpeg => ImageFormatChoice::Jpeg,
            ImageFormatArg::Random => ImageFormatChoice::Random,
        },
        batch_size: args.image_batch_size,
    }
}

/// The context-prompt settings, with `--system-prompt-file` read.
pub(crate) fn context_config(args: &MediaArgs) -> anyhow::Result<ContextPromptConfig> {
    let system_prompt = match (&args.system_prompt, &args.system_prompt_file) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(path)) => {
            if args.shared_system_prompt_length.is_some() {
                bail!(
                    "--system-prompt-file cannot be combined with --shared-system-prompt-length \
                     (both set the system message)"
                );
            }
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--system-prompt-file: cannot read {}", path.display()))?;
            if text.trim().is_empty() {
                bail!("--system-prompt-file: {} is empty", path.display());
            }
            Some(text)
        }
        (None, None) => None,
    };
    Ok(ContextPromptConfig {
        shared_system_prompt_length: args.shared_system_prompt_length,
        user_context_prompt_length: args.user_context_prompt_length,
        system_prompt,
    })
}

/// Adds the configured images and context prompts to `entries` (drawn from `seed`) through
/// [`servebench_loadgen_core::media::augment`], naming the flags at fault.
pub(crate) fn augment(
    args: &Args,
    endpoint: &EndpointConfig,
    entries: &mut [DatasetEntry],
    tokenizer: &dyn Tokenizer,
    seed: u64,
) -> anyhow::Result<()> {
    let spec = MediaSpec {
        images: image_config(&args.media),
        context: context_config(&args.media)?,
    };
    let context_flag = if args.media.shared_system_prompt_length.is_some() {
        "--shared-system-prompt-length"
    } else if args.media.user_context_prompt_length.is_some() {
        "--user-context-prompt-length"
    } else if args.media.system_prompt_file.is_some() {
        "--system-prompt-file"
    } else {
        "--system-prompt"
    };
    let prefix_prompts = args.num_prefix_prompts > 0 || args.prefix_prompt_length > 0;
    let result = media::augment(
        entries,
        &spec,
        endpoint.kind,
        prefix_prompts,
        tokenizer,
        seed,
    );
    match result {
        Ok(()) => Ok(()),
        Err(AugmentError::ImagesNeedChat { endpoint }) => bail!(
            "--image-width-mean/--image-height-mean: images need --endpoint-type chat (not \
             {endpoint})"
        ),
        Err(AugmentError::ContextNeedsChat { endpoint }) => bail!(
            "{context_flag}: context prompts are chat messages and need --endpoint-type chat \
             (not {endpoint})"
        ),
        Err(AugmentError::ContextWithPrefixPrompts) => bail!(
            "{context_flag} cannot be combined with --num-prefix-prompts/--prefix-prompt-length \
             (AIPerf treats them as exclusive ways to share a prefix)"
        ),
        Err(e) => Err(e.into()),
    }
}

/// Adds the image and context-prompt settings to the `input_config` echo (AIPerf's names).
pub(crate) fn echo(args: &MediaArgs, input_config: &mut Value) {
    let Some(dataset) = input_config
        .get_mut("datasets")
        .and_then(|d| d.get_mut(0))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if image_config(args).enabled() {
        dataset.insert(
            "images".into(),
            json!({
                "batch_size": args.image_batch_size,
                "width": {"mean": args.image_width_mean, "stddev": args.image_width_stddev},
                "height": {"mean": args.image_height_mean, "stddev": args.image_height_stddev},
                "format": format!("{:?}", args.image_format).to_lowercase(),
            }),
        );
    }
    if let Some(prefix) = dataset
        .get_mut("prompts")
        .and_then(|p| p.get_mut("prefix_prompt"))
        .and_then(Value::as_object_mut)
    {
        if let Some(n) = args.shared_system_prompt_length {
            prefix.insert("shared_system_length".into(), json!(n));
        }
        if let Some(n) = args.user_context_prompt_length {
            prefix.insert("user_context_length".into(), json!(n));
        }
    }
    if args.system_prompt.is_some() || args.system_prompt_file.is_some() {
        dataset.insert(
            "system_prompt_file".into(),
            json!(
                args.system_prompt_file
                    .as_ref()
                    .map(|p| p.display().to_string())
            ),
        );
        dataset.insert("system_prompt".into(), json!(args.system_prompt));
    }
}
