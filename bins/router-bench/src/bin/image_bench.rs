//! `image-bench`: Dynamo's `aiperf_small_image.sh` / `aiperf_large_image.sh`. Every request
//! carries the same image several times (served by a local media server, or inlined as a data
//! URI), output length 1; with no --url, against an embedded simulated cluster.

#[path = "../shared.rs"]
mod shared;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use servebench_cli_support::exit;
use servebench_cli_support::logging::{self, LogLevel};
use servebench_loadgen_core::media::ImageFormat;
use servebench_router_bench::image::{DEFAULT_MODEL, ImageBench, ImageSet, run_image_bench};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Set {
    /// aiperf_small_image.sh: 12 × 640x424 JPEG, 100 requests.
    Small,
    /// aiperf_large_image.sh: 11 × 1365x2048 JPEG, 20 requests.
    Large,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Jpeg,
    Png,
}

/// Repeated-image benchmark (a drop-in for aiperf_small_image.sh).
///
/// Writes data_small.jsonl (or data_large.jsonl) and AIPerf's artifacts/MODEL-openai-chat-concurrencyN/
/// under --output-dir.
#[derive(Debug, Parser)]
#[command(name = "image-bench", version, about, long_about)]
struct Args {
    /// Model name sent in requests.
    #[arg(long, default_value = DEFAULT_MODEL)]
    model: String,
    /// Concurrent requests.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Which original script to mirror.
    #[arg(long, value_enum, default_value_t = Set::Small)]
    set: Set,
    /// Server URL [default: an embedded simulated cluster].
    #[arg(long)]
    url: Option<String>,
    /// Tokenizer [default: the model's, else builtin].
    #[arg(long)]
    tokenizer: Option<String>,
    /// Image width in pixels [default: the set's].
    #[arg(long)]
    image_width: Option<u32>,
    /// Image height in pixels [default: the set's].
    #[arg(long)]
    image_height: Option<u32>,
    /// Image encoding.
    #[arg(long, value_enum, default_value_t = Format::Jpeg)]
    image_format: Format,
    /// Copies of the image per request [default: the set's].
    #[arg(long)]
    images_per_request: Option<usize>,
    /// Inline the image as a data: URI instead of serving it from the local media server.
    #[arg(long)]
    data_uri: bool,
    /// Profiling requests [default: the set's].
    #[arg(long)]
    request_count: Option<u64>,
    /// Warm-up requests.
    #[arg(long, default_value_t = 2)]
    warmup_request_count: u64,
    /// Where the dataset file and artifacts/ go.
    #[arg(long, default_value = ".")]
    output_dir: PathBuf,
    #[command(flatten)]
    log: servebench_cli_support::logging::LogArgs,
    #[command(flatten)]
    cluster: shared::ClusterArgs,
}

fn run(args: Args) -> anyhow::Result<()> {
    const TOOL: &str = "image-bench";
    let common_args = shared::CommonArgs {
        model: args.model.clone(),
        tokenizer: args.tokenizer.clone(),
        url: args.url.iter().cloned().collect(),
        seed: 0,
        use_expected_osl: false,
        server_block_size: 64,
        log: args.log.clone(),
    };
    let common = shared::common(TOOL, &common_args)?;
    let set = match args.set {
        Set::Small => ImageSet::Small,
        Set::Large => ImageSet::Large,
    };
    let mut config = ImageBench::new(common, set);
    config.concurrency = args.concurrency;
    config.warmup_requests = args.warmup_request_count;
    config.output_dir = args.output_dir;
    config.data_uri = args.data_uri;
    config.format = match args.image_format {
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Png => ImageFormat::Png,
    };
    if let Some(w) = args.image_width {
        config.width = w;
    }
    if let Some(h) = args.image_height {
        config.height = h;
    }
    if let Some(n) = args.images_per_request {
        config.images_per_request = n;
    }
    if let Some(n) = args.request_count {
        config.request_count = n;
    }
    let cluster = match &args.url {
        None => Some(shared::embedded_cluster(
            TOOL,
            &args.cluster,
            &config.common,
        )?),
        Some(_) => None,
    };
    let url = match (&cluster, &args.url) {
        (Some(c), _) => c.url().to_owned(),
        (None, Some(u)) => u.clone(),
        (None, None) => anyhow::bail!("no server"),
    };
    println!(
        "WARNING: the same image URL is repeated in every request; a server that caches images \
         or their encodings will look faster than with distinct images"
    );
    let cancel = shared::watch_interrupts(TOOL)?;
    let out = shared::runtime()?.block_on(run_image_bench(&config, url, cancel))?;
    println!(
        "{} requests with {} × {} each: TTFT p50 {:.1} ms, p90 {:.1} ms; {} images served locally",
        out.point.stats.request_count,
        config.images_per_request,
        out.image,
        out.point.stats.ttft_p50,
        out.point.stats.ttft_p90,
        out.images_served
    );
    if let Some(c) = &cluster {
        let m = c.metrics();
        println!(
            "embedded cluster counted {} prompt tokens ({} requests incl. warm-up)",
            m.prompt_tokens_total, m.requests_finished_total
        );
    }
    println!("dataset: {}", out.data_file.display());
    println!("artifacts: {}", out.point.artifact_dir.display());
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    logging::init(&args.log, LogLevel::Warn);
    exit::report("image-bench", run(args))
}
