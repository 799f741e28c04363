//! Choosing the token source: mapping flags into the engine pool's configuration, or the
//! fixed-timing source.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use servebench_mocker::{
    EngineConfig, EnginePool, EngineStats, FixedTiming, FixedTimingConfig, PoolConfig,
    PreemptionMode, RouterConfig, RouterMode, TimingModel, TokenSource,
};

use crate::args::{Args, PreemptionChoice, RouterChoice, TimingChoice};

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
        TimingChoice::Engine => start_engine(pool_config(args)),
    }
}

fn millis(flag: &str, ms: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| {
        anyhow::anyhow!("{flag} must be a non-negative number of milliseconds, got {ms}")
    })
}

/// Starts the simulated engine pool: the token source and its `/metrics` counters.
fn start_engine(pool: PoolConfig) -> anyhow::Result<Source> {
    let engine =
        Arc::new(EnginePool::start(&pool).context("failed to start the simulated engine")?);
    let stats: Arc<dyn EngineStats> = engine.clone();
    Ok((engine, Some(stats)))
}

/// Maps Dynamo mocker's flags into the engine pool's configuration.
pub(crate) fn pool_config(args: &Args) -> PoolConfig {
    PoolConfig {
        engine: EngineConfig {
            block_size: args.block_size,
            num_gpu_blocks: args.num_gpu_blocks_override,
            max_num_seqs: args.max_num_seqs,
            max_num_batched_tokens: args.max_num_batched_tokens,
            enable_prefix_caching: !args.no_enable_prefix_caching,
            enable_chunked_prefill: !args.no_enable_chunked_prefill,
            preemption_mode: match args.preemption_mode {
                PreemptionChoice::Lifo => PreemptionMode::Lifo,
                PreemptionChoice::Fifo => PreemptionMode::Fifo,
            },
            speedup_ratio: args.speedup_ratio,
            decode_speedup_ratio: args.decode_speedup_ratio,
            timing: match &args.planner_profile_data {
                Some(path) => TimingModel::FromFile(path.clone()),
                None => TimingModel::Polynomial,
            },
            ..EngineConfig::default()
        },
        num_workers: args.num_workers,
        router: RouterConfig {
            mode: match args.router_mode {
                RouterChoice::RoundRobin => RouterMode::RoundRobin,
                RouterChoice::Random => RouterMode::Random,
                RouterChoice::LeastLoaded => RouterMode::LeastLoaded,
                RouterChoice::Kv => RouterMode::Kv,
            },
            overlap_score_weight: args.kv_overlap_score_weight,
            temperature: args.router_temperature,
            seed: args.seed,
        },
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn parse(flags: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("mocker").chain(flags.iter().copied())).unwrap()
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
        assert_eq!(pool.engine.block_size, 64);
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
                e.block_size,
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
                seed: 9
            }
        );
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
            ("least-loaded", RouterMode::LeastLoaded),
            ("kv", RouterMode::Kv),
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
        assert_eq!(parse(&[]).server_config().max_model_len, None);
        assert_eq!(
            parse(&["--model-path", "dir"]).tokenizer,
            servebench_tokenize::TokenizerSpec::HfFile("dir".into())
        );
    }

    #[test]
    fn fixed_timing_rejects_negative_durations_and_the_engine_starts() {
        let err = token_source(&parse(&["--timing-model", "fixed", "--fixed-itl-ms=-1"]))
            .err()
            .unwrap();
        assert!(err.to_string().contains("--fixed-itl-ms"), "{err}");
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
