//! Dynamo's router and image benchmarks (`benchmarks/router/*.py`,
//! `benchmarks/multimodal/image/aiperf_*_image.sh`) as a library, run in-process through
//! [`servebench_loadgen_core::bench`]:
//!
//! * [`prefix_ratio`]: TTFT and ITL as the shared-prefix share of each prompt grows
//!   (`prefix_ratio_benchmark.py`), against URLs or an embedded cluster, optionally under several
//!   router modes for a comparison ([`summary`] writes `results_summary.json`, the plot and the
//!   comparison table);
//! * [`replay`] and [`trace`]: the real-data trace replay (with `datagen synthesize`'s options)
//!   and the agent-session replay (with its `--delay` override), each also under several router
//!   modes ([`replay::run_trace_comparison`]);
//! * [`compare`]: the router comparison table, CSV and JSON shared by all of them;
//! * [`image`]: the repeated-image benchmark with a local media server;
//! * [`reuse`]: what servebench adds to every result, the theoretical prefix reuse of the requests
//!   sent next to the reuse the server achieved (overall and per worker);
//! * [`cluster`]: the embedded N-worker simulated cluster used when no URL is given.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use servebench_loadgen_core::CancelHandle;
//! use servebench_router_bench::cluster::{ClusterConfig, RouterChoice};
//! use servebench_router_bench::common::Common;
//! use servebench_router_bench::prefix_ratio::{PrefixRatioConfig, Target, run_prefix_ratio};
//! use servebench_tokenize::BuiltinTokenizer;
//!
//! # async fn example() -> Result<(), servebench_router_bench::RouterBenchError> {
//! let mut config = PrefixRatioConfig::new(Common::new(Arc::new(BuiltinTokenizer::new())));
//! config.prefix_ratios = vec![0.9];
//! let mut cluster = ClusterConfig::new(2, "kv".parse().map_err(|e: String| {
//!     servebench_router_bench::RouterBenchError::invalid("--router-mode", e)
//! })?, "m");
//! cluster.num_gpu_blocks = config.pressure_blocks(2, cluster.block_size);
//! let routers: Vec<RouterChoice> = vec!["rr".parse().unwrap(), "kv".parse().unwrap()];
//! let target = Target::Embedded { cluster, routers };
//! let modes = run_prefix_ratio(&config, &target, &CancelHandle::new(), &mut |l| println!("{l}")).await?;
//! servebench_router_bench::summary::write_outputs(&config, &modes)?;
//! # Ok(())
//! # }
//! ```

pub mod cluster;
pub mod common;
pub mod compare;
mod error;
pub mod image;
pub mod point;
pub mod prefix_ratio;
pub mod replay;
pub mod reuse;
pub mod summary;
pub mod trace;

pub use error::RouterBenchError;
