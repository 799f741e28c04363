//! `aiperf_small_image.sh` (and its large-image sibling): a one-line dataset whose only content
//! is the same image URL repeated, served by a local media server on 127.0.0.1 (generated images
//! of the chosen size), or the image inlined as a `data:` URI; output length 1, so the run
//! measures what images cost the prefill.

use std::path::{Path, PathBuf};

use serde_json::{Map, json};
use servebench_loadgen_core::CancelHandle;
use servebench_loadgen_core::bench::BenchLoad;
use servebench_loadgen_core::media::{EncodedImage, ImageFormat, MediaServer, encode};
use servebench_loadgen_core::replay::DatasetType;

use crate::common::Common;
use crate::error::RouterBenchError;
use crate::point::{PointResult, run_point};

/// The model of the original script.
pub const DEFAULT_MODEL: &str = "Qwen/Qwen2.5-VL-7B-Instruct";

/// Which of the original scripts to mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSet {
    /// `aiperf_small_image.sh`: 12 copies of a 640×424 JPEG, 100 requests, `data_small.jsonl`.
    Small,
    /// `aiperf_large_image.sh`: 11 copies of a larger JPEG, 20 requests, `data_large.jsonl`.
    Large,
}

impl ImageSet {
    /// `(width, height, copies, requests, file name)`.
    pub fn defaults(self) -> (u32, u32, usize, u64, &'static str) {
        match self {
            Self::Small => (640, 424, 12, 100, "data_small.jsonl"),
            Self::Large => (1365, 2048, 11, 20, "data_large.jsonl"),
        }
    }
}

/// The image benchmark's settings.
#[derive(Debug, Clone)]
pub struct ImageBench {
    /// Model, tokenizer, seed.
    pub common: Common,
    /// `--concurrency` (1).
    pub concurrency: usize,
    /// Profiling requests.
    pub request_count: u64,
    /// Warm-up requests (2).
    pub warmup_requests: u64,
    /// Image copies per request.
    pub images_per_request: usize,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Image encoding.
    pub format: ImageFormat,
    /// Inline the image as a `data:` URI instead of serving it.
    pub data_uri: bool,
    /// Output length (1).
    pub osl: u64,
    /// Where the dataset file and `artifacts/` go.
    pub output_dir: PathBuf,
    /// The dataset file name.
    pub data_file: String,
}

impl ImageBench {
    /// The settings of `set` with `common` (concurrency 1, 2 warm-ups, OSL 1, JPEG, served URLs).
    pub fn new(common: Common, set: ImageSet) -> Self {
        let (width, height, copies, requests, file) = set.defaults();
        Self {
            common,
            concurrency: 1,
            request_count: requests,
            warmup_requests: 2,
            images_per_request: copies,
            width,
            height,
            format: ImageFormat::Jpeg,
            data_uri: false,
            osl: 1,
            output_dir: ".".into(),
            data_file: file.to_owned(),
        }
    }

    /// AIPerf's artifact directory for this run (no `--artifact-dir` given):
    /// `artifacts/<model with / → _>-openai-chat-concurrency<N>`.
    pub fn artifact_dir(&self) -> PathBuf {
        self.output_dir.join("artifacts").join(format!(
            "{}-openai-chat-concurrency{}",
            self.common.model.replace('/', "_"),
            self.concurrency
        ))
    }
}

/// What an image run produced.
#[derive(Debug)]
pub struct ImageOutcome {
    /// The dataset file written.
    pub data_file: PathBuf,
    /// The image URL every request carries (a `data:` URI is shortened to its header).
    pub image: String,
    /// The run.
    pub point: PointResult,
    /// Images the local media server served (0 with `data:` URIs).
    pub images_served: u64,
}

/// A picture of `width` × `height` (a diagonal gradient) encoded as `format`.
fn picture(width: u32, height: u32, format: ImageFormat) -> Result<EncodedImage, RouterBenchError> {
    let (w, h) = (width.max(1), height.max(1));
    let mut pixels = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h {
        for x in 0..w {
            pixels.extend([(x * 255 / w) as u8, (y * 255 / h) as u8, 128]);
        }
    }
    let bytes = encode(&pixels, w, h, format)
        .map_err(|e| RouterBenchError::invalid("--image-width/--image-height", e.to_string()))?;
    Ok(EncodedImage {
        format,
        width: w,
        height: h,
        bytes,
    })
}

fn write_dataset(path: &Path, url: &str, copies: usize) -> Result<(), RouterBenchError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| RouterBenchError::io(parent, "cannot create the directory", e))?;
    }
    let line = json!({ "images": vec![url; copies] });
    std::fs::write(path, format!("{line}\n"))
        .map_err(|e| RouterBenchError::io(path, "cannot write", e))
}

/// Writes the dataset, starts the media server (unless `data_uri`), and runs the benchmark
/// against `url`.
///
/// # Errors
/// Invalid settings, a media server that cannot start, an unwritable dataset, a failed run.
pub async fn run_image_bench(
    config: &ImageBench,
    url: String,
    cancel: CancelHandle,
) -> Result<ImageOutcome, RouterBenchError> {
    if config.images_per_request == 0 {
        return Err(RouterBenchError::invalid(
            "--images-per-request",
            "must be at least 1",
        ));
    }
    if config.concurrency == 0 || config.request_count == 0 || config.osl == 0 {
        return Err(RouterBenchError::invalid(
            "--concurrency/--request-count/--osl",
            "must be at least 1",
        ));
    }
    let (server, image) = if config.data_uri {
        (
            None,
            picture(config.width, config.height, config.format)?.data_uri(),
        )
    } else {
        let server = MediaServer::start()
            .map_err(|e| RouterBenchError::invalid("media server", e.to_string()))?;
        let url = server.image_url(config.width, config.height, 0, config.format);
        (Some(server), url)
    };
    let data_file = config.output_dir.join(&config.data_file);
    write_dataset(&data_file, &image, config.images_per_request)?;

    let mut bench = config.common.benchmark(
        vec![url],
        Map::new(),
        config.artifact_dir(),
        config.common.seed,
    )?;
    bench.dataset.input_file = Some(data_file.clone());
    bench.dataset.dataset_type = Some(DatasetType::SingleTurn);
    let s = &mut bench.dataset.synthetic;
    s.isl_mean = 1;
    s.isl_stddev = 0.0;
    s.osl_mean = Some(config.osl);
    bench.load = BenchLoad::Concurrency(config.concurrency);
    bench.request_count = Some(config.request_count);
    bench.warmup_requests = config.warmup_requests;
    // `--no-server-metrics`, as the original.
    bench.server_metrics_every = None;
    let point = run_point(bench, 64, cancel).await?;
    let images_served = server.as_ref().map_or(0, MediaServer::images_served);
    let shown = if config.data_uri {
        image.split(',').next().unwrap_or_default().to_owned() + ",..."
    } else {
        image
    };
    Ok(ImageOutcome {
        data_file,
        image: shown,
        point,
        images_served,
    })
}
