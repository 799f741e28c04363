//! Runs against the embedded cluster: achieved reuse equals the engines' own counters, images are
//! counted by the mocker, and the workload arithmetic of the prefix-ratio sweep.

use std::sync::Arc;

use serde_json::Map;
use servebench_loadgen_core::CancelHandle;
use servebench_loadgen_core::bench::BenchLoad;
use servebench_loadgen_core::replay::SamplingStrategy;
use servebench_router_bench::cluster::{Cluster, ClusterConfig, RouterChoice};
use servebench_router_bench::common::Common;
use servebench_router_bench::image::{ImageBench, ImageSet, run_image_bench};
use servebench_router_bench::point::run_point;
use servebench_router_bench::prefix_ratio::PrefixRatioConfig;
use servebench_tokenize::{BuiltinTokenizer, Tokenizer};

fn common() -> Common {
    let mut c = Common::new(Arc::new(BuiltinTokenizer::new()));
    c.model = "m".into();
    c.embedded = true;
    c
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn achieved_reuse_equals_the_engines_own_counters_for_the_run() {
    let common = common();
    let mut config = ClusterConfig::new(2, "kv".parse().unwrap(), "m");
    config.speedup_ratio = 0.0;
    config.num_gpu_blocks = 200;
    let cluster = Cluster::start(&config, common.tokenizer.clone()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut bench = common
        .benchmark(
            vec![cluster.url().to_owned()],
            Map::new(),
            dir.path().join("run"),
            7,
        )
        .unwrap();
    let s = &mut bench.dataset.synthetic;
    s.isl_mean = 200;
    s.osl_mean = Some(4);
    s.num_entries = 40;
    s.prefix_prompt_length = 640;
    s.num_prefix_prompts = 5;
    bench.dataset.sampling = Some(SamplingStrategy::Shuffle);
    bench.load = BenchLoad::Concurrency(4);
    bench.request_count = Some(40);
    let point = runtime()
        .block_on(run_point(bench, 64, CancelHandle::new()))
        .unwrap();
    let own = cluster.metrics();
    let achieved = point
        .achieved
        .expect("the mocker reports prefix-cache counters");
    assert!(own.prefix_cache_queries_tokens > 0);
    assert_eq!(achieved.hits, own.prefix_cache_hits_tokens as f64);
    assert_eq!(achieved.queries, own.prefix_cache_queries_tokens as f64);
    let workers = cluster.worker_metrics();
    assert_eq!(achieved.workers.len(), 2);
    for (w, m) in achieved.workers.iter().zip(&workers) {
        assert_eq!(w.hits, m.prefix_cache_hits_tokens as f64);
        assert_eq!(w.queries, m.prefix_cache_queries_tokens as f64);
    }
    // 40 requests over 5 prefixes of 10 blocks: all but the first of each prefix can hit.
    let t = point.theoretical.unwrap();
    assert_eq!(t.requests, 40);
    assert!(t.token_hit_rate > 0.5 && t.token_hit_rate < 0.8, "{t:?}");
    assert_eq!(point.stats.request_count, 40.0);
}

#[test]
fn image_bench_sends_every_image_and_the_mocker_counts_their_tokens() {
    let common = common();
    let mut config = ClusterConfig::new(1, "rr".parse().unwrap(), "m");
    config.speedup_ratio = 0.0;
    let cluster = Cluster::start(&config, common.tokenizer.clone()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut bench = ImageBench::new(common, ImageSet::Small);
    bench.output_dir = dir.path().to_owned();
    bench.request_count = 10;
    let out = runtime()
        .block_on(run_image_bench(
            &bench,
            cluster.url().to_owned(),
            CancelHandle::new(),
        ))
        .unwrap();
    // The dataset line: 12 copies of one served URL and nothing else.
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&out.data_file).unwrap().trim()).unwrap();
    let images = line["images"].as_array().unwrap();
    assert_eq!(images.len(), 12);
    assert!(
        images
            .iter()
            .all(|u| u.as_str() == Some(out.image.as_str()))
    );
    assert!(
        out.image.starts_with("http://127.0.0.1:") && out.image.ends_with("/img/640x424/0.jpg")
    );
    assert_eq!(out.data_file, dir.path().join("data_small.jsonl"));
    assert_eq!(
        out.point.artifact_dir,
        dir.path()
            .join("artifacts")
            .join("m-openai-chat-concurrency1")
    );
    // 10 profiling + 2 warm-up requests, each 12 images of 576 placeholder tokens plus its text.
    let m = cluster.metrics();
    let sent = 12u64;
    let text_tokens = m.prompt_tokens_total - sent * 12 * 576;
    assert!(m.prompt_tokens_total >= sent * 12 * 576, "{m:?}");
    assert_eq!(
        text_tokens % sent,
        0,
        "every request carries the same prompt"
    );
    assert!(
        text_tokens / sent < 16,
        "the text part is tiny: {}",
        text_tokens / sent
    );
    assert_eq!(m.requests_finished_total, sent);
}

#[test]
fn data_uri_mode_inlines_the_image() {
    let common = common();
    let mut config = ClusterConfig::new(1, "rr".parse().unwrap(), "m");
    config.speedup_ratio = 0.0;
    let cluster = Cluster::start(&config, common.tokenizer.clone()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut bench = ImageBench::new(common, ImageSet::Small);
    bench.output_dir = dir.path().to_owned();
    bench.request_count = 3;
    bench.warmup_requests = 0;
    bench.data_uri = true;
    bench.images_per_request = 2;
    let out = runtime()
        .block_on(run_image_bench(
            &bench,
            cluster.url().to_owned(),
            CancelHandle::new(),
        ))
        .unwrap();
    let text = std::fs::read_to_string(&out.data_file).unwrap();
    assert!(
        text.contains("data:image/jpeg;base64,/9j/"),
        "a JPEG data URI"
    );
    assert_eq!(out.images_served, 0);
    assert!(cluster.metrics().prompt_tokens_total >= 3 * 2 * 576);
}

#[test]
fn prefix_lengths_truncate_like_python_int() {
    let c = PrefixRatioConfig::new(common());
    // Python: int(14000 * 0.7) = 9800, int(14000 * (1 - 0.7)) = int(4200.000000000001) = 4200.
    assert_eq!(c.lengths(0.7), (9800, 4200));
    assert_eq!(c.lengths(0.1), (1400, 12600));
    // int(14000 * (1 - 0.9)) = int(1399.9999999999998) = 1399.
    assert_eq!(c.lengths(0.9), (12600, 1399));
}

#[test]
fn default_cluster_capacity_is_smaller_than_the_prefix_pool() {
    let c = PrefixRatioConfig::new(common());
    let blocks = c.pressure_blocks(2, 64);
    // Prefix pool at ratio 0.9: 20 prefixes of 12600 tokens = 3938 blocks of 64. 55 % of it is
    // 2165 blocks; each of the 10 requests a worker runs holds its unique part and output,
    // 1.5 × (1399 + 200) tokens = 38 blocks: 2165 + 380.
    let pool = (20 * 12600u64).div_ceil(64) as u32;
    assert_eq!(blocks, 2545);
    assert!(blocks < pool, "{blocks} < {pool}");
    // Without the running requests' room a worker holds 55 % of the pool (round-robin's lot),
    // yet more than one worker's half of it (KV routing's).
    let prefixes = blocks - 380;
    assert!(
        prefixes > pool / 2 && prefixes < pool * 3 / 5,
        "{prefixes} of {pool}"
    );
    // And any single request fits.
    assert!(u64::from(blocks) * 64 > 14200);
}

#[test]
fn router_names_parse_and_print() {
    for (s, name) in [
        ("rr", "rr"),
        ("round-robin", "rr"),
        ("KV", "kv"),
        ("least_loaded", "least-loaded"),
        ("random", "random"),
        ("p2c", "power-of-two"),
    ] {
        let r: RouterChoice = s.parse().unwrap();
        assert_eq!(r.name(), name);
    }
    assert!("nope".parse::<RouterChoice>().is_err());
    let _ = BuiltinTokenizer::new().encode("x");
}
