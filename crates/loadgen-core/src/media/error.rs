//! Errors of image synthesis and the media server.

/// A boxed encoder error (the encoders' own error types stay out of the public API).
type Source = Box<dyn std::error::Error + Send + Sync>;

/// Why images could not be made or served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// An image setting is out of range or inconsistent with another one.
    #[error("invalid image setting {field}: {reason}")]
    InvalidConfig {
        /// The setting, named as its command-line flag (`--image-width-mean`, ...).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The encoder rejected an image.
    #[error("failed to encode a {width}x{height} {format} image")]
    Encode {
        /// `PNG` or `JPEG`.
        format: &'static str,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The encoder's error.
        #[source]
        source: Source,
    },
    /// The media server could not start.
    #[error("failed to start the media server: {what}")]
    Server {
        /// The step that failed.
        what: &'static str,
        /// The I/O cause.
        #[source]
        source: std::io::Error,
    },
}
