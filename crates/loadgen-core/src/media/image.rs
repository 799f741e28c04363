//! Synthetic images: settings, pixels, PNG/JPEG encoding and `data:` URIs.

use std::fmt;

use base64::Engine as _;
use rand::RngExt;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

use crate::DatasetEntry;
use crate::media::MediaError;
use crate::prompts::seeded_rng;

/// Largest width or height of a generated image, in pixels (a sampled size is clipped to it).
pub const MAX_SIDE: u32 = 8192;

/// JPEG quality of generated images (the encoders' usual default).
const JPEG_QUALITY: u8 = 85;

/// How an image is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// PNG (lossless, 8-bit RGB).
    Png,
    /// Baseline JPEG (8-bit RGB, quality 85).
    Jpeg,
}

impl ImageFormat {
    /// The MIME type: `image/png` or `image/jpeg`.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
        }
    }

    /// The usual file extension: `png` or `jpg`.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpg",
        }
    }

    /// The format of a file extension (`png`, `jpg`, `jpeg`, any case).
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "png" => Some(ImageFormat::Png),
            "jpg" | "jpeg" => Some(ImageFormat::Jpeg),
            _ => None,
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Jpeg => "JPEG",
        })
    }
}

/// AIPerf's `--image-format`: one format for every image, or a random one per image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImageFormatChoice {
    /// Every image is PNG (AIPerf's default).
    #[default]
    Png,
    /// Every image is JPEG.
    Jpeg,
    /// Each image is PNG or JPEG with equal probability.
    Random,
}

/// Settings of synthetic images, with AIPerf's defaults (images off).
///
/// Images are on when both mean sizes (and the batch size) are above 0, as in AIPerf. Each
/// request then carries `batch_size` images whose width and height are drawn from normal
/// distributions (rounded, clipped to 1..=[`MAX_SIDE`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageConfig {
    /// Mean width in pixels (`--image-width-mean`); 0 turns images off. Default 0.
    pub width_mean: f64,
    /// Standard deviation of the width (`--image-width-stddev`). Default 0.
    pub width_stddev: f64,
    /// Mean height in pixels (`--image-height-mean`); 0 turns images off. Default 0.
    pub height_mean: f64,
    /// Standard deviation of the height (`--image-height-stddev`). Default 0.
    pub height_stddev: f64,
    /// Encoding (`--image-format`). Default PNG.
    pub format: ImageFormatChoice,
    /// Images per request (`--image-batch-size`). Default 1.
    pub batch_size: usize,
}

impl Default for ImageConfig {
    fn default() -> Self {
        Self {
            width_mean: 0.0,
            width_stddev: 0.0,
            height_mean: 0.0,
            height_stddev: 0.0,
            format: ImageFormatChoice::Png,
            batch_size: 1,
        }
    }
}

impl ImageConfig {
    /// Whether requests carry images: both mean sizes and the batch size above 0 (a batch size of
    /// 0 turns images off, as in AIPerf).
    pub fn enabled(&self) -> bool {
        self.width_mean > 0.0 && self.height_mean > 0.0 && self.batch_size > 0
    }

    /// Checks ranges and combinations.
    ///
    /// # Errors
    /// [`MediaError::InvalidConfig`] naming the flag: a negative or non-finite mean or standard
    /// deviation, a mean above [`MAX_SIDE`], only one of the two mean sizes set (a setting that
    /// would be ignored is rejected rather than silently dropped), or a standard deviation
    /// without its mean.
    pub fn validate(&self) -> Result<(), MediaError> {
        let invalid = |field, reason: String| Err(MediaError::InvalidConfig { field, reason });
        for (field, value) in [
            ("--image-width-mean", self.width_mean),
            ("--image-height-mean", self.height_mean),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return invalid(field, "must be a finite number >= 0".into());
            }
            if value > f64::from(MAX_SIDE) {
                return invalid(field, format!("must be at most {MAX_SIDE} pixels"));
            }
        }
        for (field, value, mean) in [
            ("--image-width-stddev", self.width_stddev, self.width_mean),
            (
                "--image-height-stddev",
                self.height_stddev,
                self.height_mean,
            ),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return invalid(field, "must be a finite number >= 0".into());
            }
            if value > 0.0 && mean == 0.0 {
                return invalid(
                    field,
                    "needs its mean (--image-width-mean / --image-height-mean)".into(),
                );
            }
        }
        match (self.width_mean > 0.0, self.height_mean > 0.0) {
            (true, false) => {
                return invalid("--image-width-mean", "needs --image-height-mean > 0".into());
            }
            (false, true) => {
                return invalid("--image-height-mean", "needs --image-width-mean > 0".into());
            }
            _ => {}
        }
        Ok(())
    }
}

/// One encoded image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedImage {
    /// Its encoding.
    pub format: ImageFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The encoded file.
    pub bytes: Vec<u8>,
}

impl EncodedImage {
    /// `data:image/png;base64,...` (or `image/jpeg`): the image as a `data:` URI.
    pub fn data_uri(&self) -> String {
        let prefix = format!("data:{};base64,", self.format.mime());
        let mut uri = String::with_capacity(prefix.len() + self.bytes.len().div_ceil(3) * 4);
        uri.push_str(&prefix);
        base64::engine::general_purpose::STANDARD.encode_string(&self.bytes, &mut uri);
        uri
    }
}

/// RGB pixels (3 bytes each, rows top to bottom) of a `width` × `height` pattern drawn with
/// `rng`: a gradient between two random colours, horizontal or vertical, with two to six filled
/// rectangles of random colours on top. The same generator state gives the same pixels.
pub fn render_pattern(width: u32, height: u32, rng: &mut StdRng) -> Vec<u8> {
    let (w, h) = (width.max(1) as usize, height.max(1) as usize);
    let mut color = || -> [u8; 3] { [rng.random(), rng.random(), rng.random()] };
    let (from, to) = (color(), color());
    let horizontal: bool = rng.random();
    let span = if horizontal { w } else { h }.saturating_sub(1).max(1) as u32;
    let shade = |i: usize| -> [u8; 3] {
        let t = (i as u32).min(span);
        std::array::from_fn(|c| {
            let (a, b) = (u32::from(from[c]), u32::from(to[c]));
            ((a * (span - t) + b * t) / span) as u8
        })
    };
    let mut pixels = vec![0u8; w * h * 3];
    let row_bytes = w * 3;
    if horizontal {
        // The colour changes across x: draw the first row, then copy it down.
        for (x, px) in pixels[..row_bytes].chunks_exact_mut(3).enumerate() {
            px.copy_from_slice(&shade(x));
        }
        for y in 1..h {
            pixels.copy_within(..row_bytes, y * row_bytes);
        }
    } else {
        for (y, row) in pixels.chunks_exact_mut(row_bytes).enumerate() {
            fill(row, shade(y));
        }
    }
    let rectangles = rng.random_range(2..=6);
    for _ in 0..rectangles {
        let (x0, x1) = ordered(rng.random_range(0..w), rng.random_range(0..w));
        let (y0, y1) = ordered(rng.random_range(0..h), rng.random_range(0..h));
        let colour = [rng.random(), rng.random(), rng.random()];
        for row in pixels.chunks_exact_mut(row_bytes).take(y1 + 1).skip(y0) {
            fill(&mut row[x0 * 3..(x1 + 1) * 3], colour);
        }
    }
    pixels
}

/// Fills `run` (a whole number of RGB pixels) with `colour`, doubling the copied span each step.
fn fill(run: &mut [u8], colour: [u8; 3]) {
    if run.len() < 3 {
        return;
    }
    run[..3].copy_from_slice(&colour);
    let mut done = 3;
    while done < run.len() {
        let n = done.min(run.len() - done);
        run.copy_within(..n, done);
        done += n;
    }
}

fn ordered(a: usize, b: usize) -> (usize, usize) {
    if a <= b { (a, b) } else { (b, a) }
}

/// Encodes RGB `pixels` (as [`render_pattern`] makes them) of a `width` × `height` image.
///
/// # Errors
/// [`MediaError::Encode`] if the encoder rejects the image (a size of 0, `pixels` too short,
/// or a side above 65,535 for JPEG).
pub fn encode(
    pixels: &[u8],
    width: u32,
    height: u32,
    format: ImageFormat,
) -> Result<Vec<u8>, MediaError> {
    let failed = |source: Box<dyn std::error::Error + Send + Sync>| MediaError::Encode {
        format: match format {
            ImageFormat::Png => "PNG",
            ImageFormat::Jpeg => "JPEG",
        },
        width,
        height,
        source,
    };
    let mut out = Vec::new();
    match format {
        ImageFormat::Png => {
            let mut encoder = png::Encoder::new(&mut out, width, height);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            encoder.set_compression(png::Compression::Fast);
            let mut writer = encoder.write_header().map_err(|e| failed(e.into()))?;
            writer
                .write_image_data(pixels)
                .map_err(|e| failed(e.into()))?;
            writer.finish().map_err(|e| failed(e.into()))?;
        }
        ImageFormat::Jpeg => {
            let (Ok(w), Ok(h)) = (u16::try_from(width), u16::try_from(height)) else {
                return Err(failed("JPEG sides are at most 65535 pixels".into()));
            };
            jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY)
                .encode(pixels, w, h, jpeg_encoder::ColorType::Rgb)
                .map_err(|e| failed(e.into()))?;
        }
    }
    Ok(out)
}

/// A `width` × `height` pattern drawn with `rng` ([`render_pattern`]), encoded as `format`.
///
/// # Errors
/// [`MediaError::Encode`] (see [`encode`]).
pub fn generate(
    width: u32,
    height: u32,
    format: ImageFormat,
    rng: &mut StdRng,
) -> Result<EncodedImage, MediaError> {
    let pixels = render_pattern(width, height, rng);
    let bytes = encode(&pixels, width, height, format)?;
    Ok(EncodedImage {
        format,
        width,
        height,
        bytes,
    })
}

/// A side length from the normal (`mean`, `stddev`), rounded and clipped to 1..=[`MAX_SIDE`].
fn sample_side(rng: &mut StdRng, mean: f64, stddev: f64) -> u32 {
    let x = match Normal::new(mean, stddev) {
        Ok(normal) if stddev > 0.0 => normal.sample(rng),
        _ => mean,
    };
    // `as` saturates; NaN cannot occur for a validated config.
    (x.round() as u32).clamp(1, MAX_SIDE)
}

/// The images of `count` requests: `config.batch_size` `data:` URIs each (empty lists when images
/// are off). Sizes, formats and pixels come from separate random streams of `seed`, so the same
/// seed and settings give the same images, and changing `--image-format` keeps the sizes.
///
/// # Errors
/// [`MediaError::InvalidConfig`] for a bad setting, [`MediaError::Encode`] if an encoder fails.
pub fn synthesize_images(
    config: &ImageConfig,
    count: usize,
    seed: u64,
) -> Result<Vec<Vec<String>>, MediaError> {
    config.validate()?;
    if !config.enabled() {
        return Ok(vec![Vec::new(); count]);
    }
    let mut size_rng = seeded_rng(seed, "image-size");
    let mut format_rng = seeded_rng(seed, "image-format");
    let mut pixel_rng = seeded_rng(seed, "image-pixels");
    (0..count)
        .map(|_| {
            (0..config.batch_size)
                .map(|_| {
                    let width = sample_side(&mut size_rng, config.width_mean, config.width_stddev);
                    let height =
                        sample_side(&mut size_rng, config.height_mean, config.height_stddev);
                    let format = match config.format {
                        ImageFormatChoice::Png => ImageFormat::Png,
                        ImageFormatChoice::Jpeg => ImageFormat::Jpeg,
                        ImageFormatChoice::Random if format_rng.random::<bool>() => {
                            ImageFormat::Jpeg
                        }
                        ImageFormatChoice::Random => ImageFormat::Png,
                    };
                    Ok(generate(width, height, format, &mut pixel_rng)?.data_uri())
                })
                .collect()
        })
        .collect()
}

/// Adds `config.batch_size` synthetic images ([`synthesize_images`]) to each entry, after any
/// images it already has. Does nothing when images are off.
///
/// # Errors
/// As [`synthesize_images`].
pub fn attach_images(
    entries: &mut [DatasetEntry],
    config: &ImageConfig,
    seed: u64,
) -> Result<(), MediaError> {
    if !config.enabled() {
        return config.validate();
    }
    let images = synthesize_images(config, entries.len(), seed)?;
    for (entry, uris) in entries.iter_mut().zip(images) {
        entry.images.extend(uris);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_uri(uri: &str) -> (ImageFormat, Vec<u8>) {
        let (head, data) = uri.split_once(',').unwrap();
        let format = match head {
            "data:image/png;base64" => ImageFormat::Png,
            "data:image/jpeg;base64" => ImageFormat::Jpeg,
            other => panic!("unexpected data URI head {other}"),
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        (format, bytes)
    }

    /// (width, height, RGB pixels) of a PNG, read with the png crate's decoder.
    fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    /// (width, height) of a JPEG, fully decoded with jpeg-decoder.
    fn decode_jpeg(bytes: &[u8]) -> (u32, u32) {
        let mut decoder = jpeg_decoder::Decoder::new(bytes);
        let pixels = decoder.decode().unwrap();
        let info = decoder.info().unwrap();
        assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24);
        let (w, h) = (u32::from(info.width), u32::from(info.height));
        assert_eq!(pixels.len(), (w * h * 3) as usize);
        (w, h)
    }

    fn sizes_and_formats(uris: &[Vec<String>]) -> Vec<(ImageFormat, u32, u32)> {
        uris.iter()
            .flatten()
            .map(|uri| {
                let (format, bytes) = decode_uri(uri);
                let (w, h) = match format {
                    ImageFormat::Png => {
                        let (w, h, _) = decode_png(&bytes);
                        (w, h)
                    }
                    ImageFormat::Jpeg => decode_jpeg(&bytes),
                };
                (format, w, h)
            })
            .collect()
    }

    fn config(w: f64, h: f64, format: ImageFormatChoice, batch: usize) -> ImageConfig {
        ImageConfig {
            width_mean: w,
            height_mean: h,
            format,
            batch_size: batch,
            ..ImageConfig::default()
        }
    }

    #[test]
    fn png_and_jpeg_decode_back_to_the_requested_size() {
        for (w, h) in [(1, 1), (2, 3), (64, 48), (333, 17), (640, 424)] {
            let png_image = generate(w, h, ImageFormat::Png, &mut seeded_rng(1, "t")).unwrap();
            let (pw, ph, pixels) = decode_png(&png_image.bytes);
            assert_eq!((pw, ph), (w, h));
            // PNG is lossless: the decoded pixels are the rendered ones.
            assert_eq!(
                pixels,
                render_pattern(w, h, &mut seeded_rng(1, "t")),
                "{w}x{h}"
            );
            let jpeg_image = generate(w, h, ImageFormat::Jpeg, &mut seeded_rng(2, "t")).unwrap();
            assert_eq!(decode_jpeg(&jpeg_image.bytes), (w, h));
        }
    }

    #[test]
    fn data_uris_carry_the_configured_format_size_and_batch() {
        let uris = synthesize_images(&config(64.0, 32.0, ImageFormatChoice::Png, 2), 3, 7).unwrap();
        assert_eq!(uris.len(), 3);
        assert!(uris.iter().all(|batch| batch.len() == 2));
        assert!(uris[0][0].starts_with("data:image/png;base64,iVBORw0KGgo"));
        assert_eq!(
            sizes_and_formats(&uris),
            vec![(ImageFormat::Png, 64, 32); 6]
        );
        let uris =
            synthesize_images(&config(40.0, 50.0, ImageFormatChoice::Jpeg, 1), 2, 7).unwrap();
        assert!(uris[0][0].starts_with("data:image/jpeg;base64,/9j/"));
        assert_eq!(
            sizes_and_formats(&uris),
            vec![(ImageFormat::Jpeg, 40, 50); 2]
        );
    }

    #[test]
    fn random_format_mixes_png_and_jpeg_and_keeps_the_sizes() {
        let random =
            synthesize_images(&config(16.0, 8.0, ImageFormatChoice::Random, 1), 40, 3).unwrap();
        let formats: Vec<ImageFormat> = sizes_and_formats(&random).iter().map(|t| t.0).collect();
        let jpegs = formats.iter().filter(|&&f| f == ImageFormat::Jpeg).count();
        // Binomial(40, 1/2): P(jpegs outside 8..=32) < 1e-4.
        assert!((8..=32).contains(&jpegs), "{jpegs} JPEGs of 40");

        let mut varied = config(100.0, 60.0, ImageFormatChoice::Png, 1);
        varied.width_stddev = 20.0;
        varied.height_stddev = 10.0;
        let png_sizes: Vec<(u32, u32)> =
            sizes_and_formats(&synthesize_images(&varied, 30, 5).unwrap())
                .iter()
                .map(|t| (t.1, t.2))
                .collect();
        varied.format = ImageFormatChoice::Jpeg;
        let jpeg_sizes: Vec<(u32, u32)> =
            sizes_and_formats(&synthesize_images(&varied, 30, 5).unwrap())
                .iter()
                .map(|t| (t.1, t.2))
                .collect();
        assert_eq!(png_sizes, jpeg_sizes);
    }

    #[test]
    fn sizes_follow_the_normal_and_stay_in_range() {
        let mut rng = seeded_rng(4, "t");
        let n = 4000;
        let xs: Vec<u32> = (0..n).map(|_| sample_side(&mut rng, 300.0, 50.0)).collect();
        let mean = xs.iter().map(|&x| f64::from(x)).sum::<f64>() / f64::from(n);
        // Standard error of the mean: 50 / sqrt(4000) = 0.8.
        assert!((mean - 300.0).abs() < 4.0, "mean {mean}");
        assert!(xs.iter().any(|&x| x != 300));
        // Draws below 0.5 are clipped to 1, above MAX_SIDE to MAX_SIDE.
        let wide: Vec<u32> = (0..1000)
            .map(|_| sample_side(&mut rng, 10.0, 20_000.0))
            .collect();
        assert!(wide.iter().all(|&x| (1..=MAX_SIDE).contains(&x)));
        assert!(wide.contains(&1) && wide.contains(&MAX_SIDE));
    }

    #[test]
    fn same_seed_same_images_other_seed_other_images() {
        let c = config(24.0, 24.0, ImageFormatChoice::Random, 2);
        let a = synthesize_images(&c, 5, 11).unwrap();
        assert_eq!(a, synthesize_images(&c, 5, 11).unwrap());
        let b = synthesize_images(&c, 5, 12).unwrap();
        assert_ne!(a, b);
        // Within a run, images differ from each other.
        let all: std::collections::HashSet<&String> = a.iter().flatten().collect();
        assert_eq!(all.len(), 10);
    }

    #[test]
    fn attach_appends_images_and_does_nothing_when_off() {
        let mut entries = vec![
            DatasetEntry {
                images: vec!["http://127.0.0.1:1/x.png".into()],
                ..DatasetEntry::default()
            },
            DatasetEntry::default(),
        ];
        attach_images(&mut entries, &ImageConfig::default(), 1).unwrap();
        assert_eq!(entries[0].images.len(), 1);
        assert!(entries[1].images.is_empty());
        attach_images(
            &mut entries,
            &config(8.0, 8.0, ImageFormatChoice::Png, 2),
            1,
        )
        .unwrap();
        assert_eq!(entries[0].images[0], "http://127.0.0.1:1/x.png");
        assert_eq!((entries[0].images.len(), entries[1].images.len()), (3, 2));
        assert!(
            entries[1]
                .images
                .iter()
                .all(|u| u.starts_with("data:image/png;base64,"))
        );
    }

    #[test]
    fn bad_settings_name_their_flag() {
        let on = config(64.0, 64.0, ImageFormatChoice::Png, 1);
        let cases = [
            (
                config(64.0, 0.0, ImageFormatChoice::Png, 1),
                "--image-width-mean",
            ),
            (
                config(0.0, 64.0, ImageFormatChoice::Png, 1),
                "--image-height-mean",
            ),
            (
                config(-1.0, 64.0, ImageFormatChoice::Png, 1),
                "--image-width-mean",
            ),
            (
                config(64.0, f64::NAN, ImageFormatChoice::Png, 1),
                "--image-height-mean",
            ),
            (
                config(9000.0, 64.0, ImageFormatChoice::Png, 1),
                "--image-width-mean",
            ),
            (
                ImageConfig {
                    width_stddev: -2.0,
                    ..on
                },
                "--image-width-stddev",
            ),
            (
                ImageConfig {
                    height_stddev: f64::INFINITY,
                    ..on
                },
                "--image-height-stddev",
            ),
            (
                ImageConfig {
                    width_stddev: 5.0,
                    ..ImageConfig::default()
                },
                "--image-width-stddev",
            ),
        ];
        for (c, field) in cases {
            let err = c.validate().unwrap_err();
            assert!(
                matches!(&err, MediaError::InvalidConfig { field: f, .. } if *f == field),
                "{c:?}: {err}"
            );
            assert!(err.to_string().contains(field), "{err}");
        }
        on.validate().unwrap();
        ImageConfig::default().validate().unwrap();
        // A batch size of 0 turns images off (AIPerf: no image payloads).
        let zero_batch = config(64.0, 64.0, ImageFormatChoice::Png, 0);
        zero_batch.validate().unwrap();
        assert!(!zero_batch.enabled() && on.enabled());
        let uris = synthesize_images(&zero_batch, 2, 1).unwrap();
        assert_eq!(uris, vec![Vec::<String>::new(); 2]);
    }
}
