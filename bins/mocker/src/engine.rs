//! Choosing the token source: mapping flags into the engine pool's configuration, or the
//! fixed-timing source.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use servebench_mocker::{
    ClusterLayout, EngineError, EnginePool, EngineStats, FixedTiming, FixedTimingConfig,
    PoolConfig, TokenSource,
};

use crate::args::{Args, TimingChoice};

/// A token source and, for the engine, its metrics.
pub(crate) type Source = (Arc<dyn TokenSource>, Option<Arc<dyn EngineStats>>);

/// The token source the flags ask for.
pub(crate) fn token_source(args: &Args) -> anyhow::Result<Source> {
    match args.timing_model {
        TimingChoice::Fixed => {
            let config = FixedTimingConfig {
                ttft: millis("--fixed-ttft-ms", args.fixed_ttft_ms)?,
                itl: millis("--fixed-itl-ms", args.fixed_itl_ms)?,
            };
            let source =
                FixedTiming::new(config).context("failed to start the fixed-timing source")?;
            Ok((Arc::new(source), None))
        }
        TimingChoice::Engine => {
            let pool = pool_config(args);
            pool.validate().map_err(with_flag)?;
            start_engine(pool, &args.engine.layout())
        }
    }
}

/// An engine error, with the flag named when a setting is at fault.
fn with_flag(e: EngineError) -> anyhow::Error {
    if let EngineError::Config { field, reason } = &e
        && let Some(flag) = servebench_mocker::cli::flag_of(field)
    {
        return anyhow::anyhow!("invalid {flag}: {reason}");
    }
    anyhow::Error::new(e)
}

/// Longest fixed TTFT or gap: one hour (stream deadlines are `now + ttft + k·gap`).
const MAX_FIXED_MS: f64 = 3_600_000.0;

fn millis(flag: &str, ms: f64) -> anyhow::Result<Duration> {
    if !(0.0..=MAX_FIXED_MS).contains(&ms) {
        anyhow::bail!("invalid {flag}: must be within [0, {MAX_FIXED_MS}] milliseconds, got {ms}");
    }
    Duration::try_from_secs_f64(ms / 1000.0)
        .map_err(|_| anyhow::anyhow!("invalid {flag}: not a duration: {ms}"))
}

/// Starts the simulated engine pool: the token source and its `/metrics` counters.
fn start_engine(pool: PoolConfig, layout: &ClusterLayout) -> anyhow::Result<Source> {
    let engine = Arc::new(
        EnginePool::start_with_layout(&pool, layout)
            .map_err(|e| with_flag(e).context("failed to start the simulated engine"))?,
    );
    let stats: Arc<dyn EngineStats> = engine.clone();
    Ok((engine, Some(stats)))
}

/// The engine pool the flags describe (the decode workers when disaggregated).
pub(crate) fn pool_config(args: &Args) -> PoolConfig {
    args.engine.pool_config(args.seed)
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use servebench_mocker::{
        EngineConfig, PreemptionMode, QueuePolicy, RouterConfig, RouterMode, ServerConfig,
        TimingModel,
    };

    use super::*;

    fn parse(flags: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("mocker").chain(flags.iter().copied())).unwrap()
    }

    #[test]
    fn data_parallel_size_starts_one_engine_per_rank() {
        let args = parse(&["--num-workers", "2", "--data-parallel-size", "3"]);
        assert_eq!(args.engine.data_parallel_size, 3);
        let (_, stats) = token_source(&args).unwrap();
        assert_eq!(stats.unwrap().snapshot().num_workers, 6);
        assert!(
            Args::try_parse_from(["mocker", "--data-parallel-size", "0"]).is_err(),
            "0 ranks is refused"
        );
    }

    #[test]
    fn disaggregated_flags_start_prefill_and_decode_engines() {
        let args = parse(&[
            "--num-prefill-workers",
            "2",
            "--num-decode-workers",
            "3",
            "--kv-bytes-per-token",
            "1000",
            "--kv-transfer-bandwidth",
            "0.5",
        ]);
        assert_eq!(pool_config(&args).num_workers, 3, "decode workers");
        let layout = args.engine.layout();
        let disagg = layout.disagg.expect("disaggregated");
        assert_eq!(
            (
                disagg.prefill_workers,
                disagg.kv_bytes_per_token,
                disagg.transfer_bandwidth
            ),
            (2, 1000, 0.5e9)
        );
        let (_, stats) = token_source(&args).unwrap();
        assert_eq!(
            stats.unwrap().worker_roles(),
            ["decode", "decode", "decode", "prefill", "prefill"]
        );
        // Both counts or neither, each at least 1; a bad bandwidth names its flag.
        for bad in [
            &["--num-prefill-workers", "1"][..],
            &["--num-decode-workers", "1"],
            &["--num-prefill-workers", "0", "--num-decode-workers", "1"],
            &["--num-prefill-workers", "1", "--num-decode-workers", "0"],
        ] {
            assert!(
                Args::try_parse_from(std::iter::once("mocker").chain(bad.iter().copied())).is_err(),
                "{bad:?}"
            );
        }
        let args = parse(&[
            "--num-prefill-workers",
            "1",
            "--num-decode-workers",
            "1",
            "--kv-transfer-bandwidth",
            "0",
        ]);
        let err = format!("{:#}", token_source(&args).err().expect("refused"));
        assert!(err.contains("--kv-transfer-bandwidth"), "{err}");
        // sim-replay's spelling of FIFO preemption works here too (one flag group for both).
        let args = parse(&["--preempt-fifo"]);
        assert_eq!(
            pool_config(&args).engine.preemption_mode,
            PreemptionMode::Fifo
        );
    }

    #[test]
    fn defaults_are_dynamos() {
        let pool = pool_config(&parse(&[]));
        assert_eq!(
            pool,
            PoolConfig {
                engine: EngineConfig::default(),
                num_workers: 1,
                router: RouterConfig::default(),
            }
        );
        // Spelled out, so a change of the contract's defaults is noticed here too.
        assert_eq!(pool.engine.block_size.get(), 64);
        assert_eq!(pool.engine.num_gpu_blocks, 16384);
        assert_eq!(pool.engine.max_num_seqs, 256);
        assert_eq!(pool.engine.max_num_batched_tokens, 8192);
        assert!(pool.engine.enable_prefix_caching && pool.engine.enable_chunked_prefill);
        assert_eq!(pool.engine.preemption_mode, PreemptionMode::Lifo);
        assert_eq!(
            (pool.engine.speedup_ratio, pool.engine.decode_speedup_ratio),
            (1.0, 1.0)
        );
        assert_eq!(pool.router.mode, RouterMode::RoundRobin);
        assert_eq!(
            (pool.router.overlap_score_weight, pool.router.temperature),
            (1.0, 0.0)
        );
    }

    #[test]
    fn every_engine_and_router_flag_maps() {
        let args = parse(&[
            "--block-size",
            "16",
            "--num-gpu-blocks-override",
            "100",
            "--max-num-seqs",
            "8",
            "--max-num-batched-tokens",
            "512",
            "--no-enable-prefix-caching",
            "--no-enable-chunked-prefill",
            "--preemption-mode",
            "fifo",
            "--speedup-ratio",
            "10",
            "--decode-speedup-ratio",
            "2",
            "--num-workers",
            "4",
            "--router-mode",
            "kv",
            "--kv-overlap-score-weight",
            "0.5",
            "--router-temperature",
            "0.3",
            "--seed",
            "9",
            "--planner-profile-data",
            "prof.json",
        ]);
        let pool = pool_config(&args);
        let e = &pool.engine;
        assert_eq!(
            (
                e.block_size.get(),
                e.num_gpu_blocks,
                e.max_num_seqs,
                e.max_num_batched_tokens
            ),
            (16, 100, 8, 512)
        );
        assert!(!e.enable_prefix_caching && !e.enable_chunked_prefill);
        assert_eq!(e.preemption_mode, PreemptionMode::Fifo);
        assert_eq!((e.speedup_ratio, e.decode_speedup_ratio), (10.0, 2.0));
        assert_eq!(e.timing, TimingModel::FromFile("prof.json".into()));
        assert_eq!(e.watermark, EngineConfig::default().watermark);
        assert_eq!(pool.num_workers, 4);
        assert_eq!(
            pool.router,
            RouterConfig {
                mode: RouterMode::Kv,
                overlap_score_weight: 0.5,
                temperature: 0.3,
                seed: 9,
                ..RouterConfig::default()
            }
        );
    }

    #[test]
    fn router_index_queue_and_device_flags_map_with_dynamos_defaults() {
        let r = pool_config(&parse(&[])).router;
        // Dynamo's defaults, spelled out: events on, TTL 120 s, tree 2^20 pruned to 0.8, queue
        // threshold 4.0 with fcfs, device ratio 8.
        assert!(r.use_kv_events);
        assert_eq!(r.ttl, Duration::from_secs(120));
        assert_eq!((r.max_tree_size, r.prune_target_ratio), (1_048_576, 0.8));
        assert_eq!(
            (r.queue_threshold, r.queue_policy),
            (Some(4.0), QueuePolicy::Fcfs)
        );
        assert_eq!((r.cpu_workers, r.non_cpu_to_cpu_ratio), (0, 8));
        let r = pool_config(&parse(&[
            "--no-router-kv-events",
            "--router-ttl-secs",
            "2.5",
            "--router-max-tree-size",
            "100",
            "--router-prune-target-ratio",
            "0.5",
            "--router-queue-threshold",
            "none",
            "--router-queue-policy",
            "wspt",
            "--num-workers",
            "3",
            "--num-cpu-workers",
            "1",
            "--cuda-to-cpu-ratio",
            "4",
            "--kv-overlap-score-weight",
            "2",
        ]))
        .router;
        assert!(!r.use_kv_events);
        assert_eq!(r.ttl, Duration::from_millis(2500));
        assert_eq!((r.max_tree_size, r.prune_target_ratio), (100, 0.5));
        assert_eq!(
            (r.queue_threshold, r.queue_policy),
            (None, QueuePolicy::Wspt)
        );
        assert_eq!((r.cpu_workers, r.non_cpu_to_cpu_ratio), (1, 4));
        assert_eq!(r.overlap_score_weight, 2.0);
        let q = pool_config(&parse(&["--router-queue-threshold", "0.5"])).router;
        assert_eq!(q.queue_threshold, Some(0.5));
        for bad in [
            &["--router-queue-threshold", "-1"][..],
            &["--router-ttl-secs", "0"],
            &["--router-ttl-secs", "NaN"],
            &["--startup-time", "-2"],
            &["--reasoning-share", "0.3"],
        ] {
            assert!(
                Args::try_parse_from(std::iter::once("mocker").chain(bad.iter().copied())).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn startup_and_reasoning_flags_map_into_the_server_config() {
        let c = parse(&["--startup-time", "1.5", "--reasoning"]).server_config();
        assert_eq!(c.startup_time, Duration::from_millis(1500));
        assert_eq!(c.reasoning_share, Some(0.5));
        let c = parse(&["--reasoning", "--reasoning-share", "0.25"]).server_config();
        assert_eq!(c.reasoning_share, Some(0.25));
        let c = parse(&[]).server_config();
        assert_eq!((c.startup_time, c.reasoning_share), (Duration::ZERO, None));
    }

    #[test]
    fn the_last_of_a_flag_pair_wins() {
        let off_on = parse(&["--no-enable-prefix-caching", "--enable-prefix-caching"]);
        assert!(pool_config(&off_on).engine.enable_prefix_caching);
        let on_off = parse(&["--enable-chunked-prefill", "--no-enable-chunked-prefill"]);
        assert!(!pool_config(&on_off).engine.enable_chunked_prefill);
    }

    #[test]
    fn router_modes_parse_with_dynamo_spellings() {
        for (flag, mode) in [
            ("round-robin", RouterMode::RoundRobin),
            ("random", RouterMode::Random),
            ("power-of-two", RouterMode::PowerOfTwo),
            ("kv", RouterMode::Kv),
            ("direct", RouterMode::Direct),
            ("least-loaded", RouterMode::LeastLoaded),
            ("device-aware-weighted", RouterMode::DeviceAwareWeighted),
        ] {
            assert_eq!(
                pool_config(&parse(&["--router-mode", flag])).router.mode,
                mode
            );
        }
        assert!(Args::try_parse_from(["mocker", "--router-mode", "nearest"]).is_err());
    }

    #[test]
    fn server_flags_map_into_the_server_config() {
        let args = parse(&[
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--model-name",
            "m",
            "--tokenizer",
            "tok.json",
            "--fault-429-rate",
            "0.25",
            "--fault-stall-ms",
            "50",
            "--tokens-per-image",
            "64",
            "--max-model-len",
            "100",
            "--max-body-bytes",
            "2048",
            "--header-read-timeout-secs",
            "3",
            "--body-read-timeout-secs",
            "4",
        ]);
        let c = args.server_config();
        assert_eq!(
            (c.host.as_str(), c.port, c.model_name.as_str()),
            ("0.0.0.0", 0, "m")
        );
        assert_eq!(
            c.tokenizer,
            servebench_tokenize::TokenizerSpec::HfFile("tok.json".into())
        );
        assert_eq!(c.faults.http_429_rate, 0.25);
        assert_eq!(c.faults.stall, Duration::from_millis(50));
        assert_eq!(c.tokens_per_image, 64);
        assert_eq!(c.max_model_len, Some(100));
        assert_eq!(c.max_body_bytes, 2048);
        assert_eq!(c.header_read_timeout, Duration::from_secs(3));
        assert_eq!(c.body_read_timeout, Duration::from_secs(4));
        // Nagle: Dynamo's frontend behaviour with the engine, off when the timing is a known
        // truth; `--nagle` alone means on.
        assert!(c.nagle, "Nagle on by default with the simulated engine");
        assert!(parse(&["--nagle"]).server_config().nagle);
        assert!(!parse(&["--nagle", "off"]).server_config().nagle);
        assert!(!parse(&["--nagle=false"]).server_config().nagle);
        let fixed = parse(&["--timing-model", "fixed"]).server_config();
        assert!(!fixed.nagle, "TCP_NODELAY by default with fixed timing");
        assert_eq!(fixed.frontend_overhead, Duration::ZERO);
        let fixed_asked = parse(&[
            "--timing-model",
            "fixed",
            "--nagle",
            "on",
            "--frontend-overhead-ms",
            "2",
        ])
        .server_config();
        assert!(fixed_asked.nagle);
        assert_eq!(fixed_asked.frontend_overhead, Duration::from_millis(2));
        let defaults = parse(&[]).server_config();
        let library = ServerConfig::default();
        assert_eq!(
            (
                defaults.max_body_bytes,
                defaults.header_read_timeout,
                defaults.body_read_timeout
            ),
            (
                library.max_body_bytes,
                library.header_read_timeout,
                library.body_read_timeout
            )
        );
        assert_eq!(parse(&[]).server_config().max_model_len, None);
        // The tokenization cache: on with Dynamo's 50 MB budget unless set.
        assert_eq!(defaults.tokenizer_cache_bytes, 50_000_000);
        assert_eq!(
            defaults.tokenizer_cache_bytes,
            library.tokenizer_cache_bytes
        );
        assert_eq!(defaults.frontend_overhead, Duration::from_millis(2));
        assert_eq!(
            parse(&["--frontend-overhead-ms", "0"])
                .server_config()
                .frontend_overhead,
            Duration::ZERO
        );
        for bad in ["-1", "NaN", "3600001"] {
            let e = Args::try_parse_from(["mocker", &format!("--frontend-overhead-ms={bad}")])
                .expect_err(bad)
                .to_string();
            assert!(e.contains("--frontend-overhead-ms"), "{e}");
        }
        assert_eq!(
            parse(&["--tokenizer-cache-bytes", "0"])
                .server_config()
                .tokenizer_cache_bytes,
            0
        );
        assert_eq!(parse(&["--http-port", "9001"]).server_config().port, 9001);
        assert_eq!(
            parse(&["--model-path", "dir"]).tokenizer,
            servebench_tokenize::TokenizerSpec::HfFile("dir".into())
        );
    }

    fn refusal(flags: &[&str]) -> String {
        match token_source(&parse(flags)) {
            Ok(_) => panic!("{flags:?} was accepted"),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn out_of_range_engine_values_are_refused_naming_the_flag() {
        for (flags, flag) in [
            (&["--speedup-ratio", "1e-300"][..], "--speedup-ratio"),
            (&["--speedup-ratio=-1"], "--speedup-ratio"),
            (&["--speedup-ratio", "NaN"], "--speedup-ratio"),
            (&["--speedup-ratio", "inf"], "--speedup-ratio"),
            (&["--decode-speedup-ratio", "1e9"], "--decode-speedup-ratio"),
            (&["--router-temperature=-0.5"], "--router-temperature"),
            (&["--router-temperature", "NaN"], "--router-temperature"),
            (
                &["--kv-overlap-score-weight=-1"],
                "--router-kv-overlap-score-weight",
            ),
            (
                &["--num-gpu-blocks-override", "0"],
                "--num-gpu-blocks-override",
            ),
            (&["--max-num-seqs", "0"], "--max-num-seqs"),
            (&["--num-workers", "5000"], "--num-workers"),
            (
                &["--router-prune-target-ratio", "1.5"],
                "--router-prune-target-ratio",
            ),
            (&["--num-cpu-workers", "2"], "--num-cpu-workers"),
            (&["--cuda-to-cpu-ratio", "0"], "--cuda-to-cpu-ratio"),
        ] {
            let message = refusal(flags);
            assert!(
                message.starts_with(&format!("invalid {flag}: ")),
                "{flags:?}: {message}"
            );
        }
        // Zero workers and zero-token blocks are refused by the parser, which names the flag.
        for (flags, flag) in [
            (&["--num-workers", "0"][..], "--num-workers"),
            (&["--block-size", "0"], "--block-size"),
        ] {
            let err = Args::try_parse_from(std::iter::once("mocker").chain(flags.iter().copied()))
                .unwrap_err()
                .to_string();
            assert!(err.contains(flag), "{err}");
        }
    }

    #[tokio::test]
    async fn out_of_range_server_values_are_refused_naming_the_flag() {
        for (flags, flag) in [
            (&["--fault-500-rate", "2"][..], "--fault-500-rate"),
            (&["--fault-stall-rate", "NaN"], "--fault-stall-rate"),
            (&["--mean-output-tokens", "0.5"], "--mean-output-tokens"),
            (&["--default-max-tokens", "0"], "--default-max-tokens"),
            (&["--max-model-len", "0"], "--max-model-len"),
            (&["--tokens-per-image", "2000000"], "--tokens-per-image"),
            (&["--max-model-len", "2000000"], "--max-model-len"),
            (
                &["--reasoning", "--reasoning-share", "1.5"],
                "--reasoning-share",
            ),
        ] {
            let args = parse(&[&["--port", "0", "--speedup-ratio", "0"], flags].concat());
            let (source, stats) = token_source(&args).unwrap();
            let err = match servebench_mocker::spawn(args.server_config(), source, stats).await {
                Ok(_) => panic!("{flags:?} was accepted"),
                Err(e) => crate::args::server_error_with_flag(e.into()).to_string(),
            };
            assert!(
                err.starts_with(&format!("invalid {flag}: ")),
                "{flags:?}: {err}"
            );
        }
    }

    #[test]
    fn fixed_timing_rejects_negative_durations_and_the_engine_starts() {
        for bad in ["-1", "NaN", "inf", "1e300"] {
            let flag = format!("--fixed-itl-ms={bad}");
            let err = token_source(&parse(&["--timing-model", "fixed", &flag]))
                .err()
                .unwrap();
            assert!(
                err.to_string().starts_with("invalid --fixed-itl-ms"),
                "{err}"
            );
        }
        assert!(
            token_source(&parse(&[
                "--timing-model",
                "fixed",
                "--fixed-itl-ms",
                "2.5"
            ]))
            .is_ok()
        );
        let (_, stats) = token_source(&parse(&["--speedup-ratio", "0"])).unwrap();
        let stats = stats.expect("the engine reports its counters");
        assert_eq!(stats.snapshot().requests_running, 0);
    }
}
