//! Images for multimodal benchmarks.
//!
//! * [`ImageConfig`] and [`attach_images`]: AIPerf's synthetic images (`--image-width-mean`,
//!   `--image-height-mean` and their stddevs, `--image-format png|jpeg|random`,
//!   `--image-batch-size`), generated locally and deterministically from the run's seed and sent
//!   as `data:image/png;base64,...` / `data:image/jpeg;base64,...` URIs in chat content parts.
//! * [`MediaSpec`] and [`augment`]: images and context prompts added to a dataset, checked
//!   against the endpoint and prefix prompts.
//! * [`MediaServer`]: a local HTTP server on 127.0.0.1 serving generated images at stable URLs
//!   (`/img/<w>x<h>/<n>.png`), so a dataset can reference the same image URL many times, as
//!   Dynamo's image benchmark does with its local media server.
//!
//! Images are simple patterns (a two-colour gradient and a few filled rectangles with random
//! colours), not photographs: what a benchmark needs is the right dimensions, format and payload
//! size, and distinct images where they should differ.

mod augment;
mod error;
mod image;
mod server;

pub use augment::{AugmentError, MediaSpec, augment};
pub use error::MediaError;
pub use image::{
    EncodedImage, ImageConfig, ImageFormat, ImageFormatChoice, MAX_SIDE, attach_images, encode,
    generate, render_pattern, synthesize_images,
};
pub use server::MediaServer;
