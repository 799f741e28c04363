//! The embedded cluster: N simulated workers behind one router, served over HTTP on 127.0.0.1,
//! what every router benchmark runs against when it is given no `--url`.

use std::str::FromStr;
use std::sync::Arc;

use servebench_mocker::{
    BlockSize, EmbeddedServer, EngineConfig, EngineMetrics, EnginePool, EngineStats, PoolConfig,
    RouterConfig, RouterMode, ServerConfig, ServerRuntime, TokenizerSpec,
};
use servebench_tokenize::Tokenizer;

use crate::error::RouterBenchError;

/// A router mode as the benchmarks name it on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouterChoice(pub RouterMode);

impl RouterChoice {
    /// The short name used in flags, directory names and tables (`rr`, `random`,
    /// `least-loaded`, `kv`, `power-of-two`, `direct`, `device-aware-weighted`).
    pub fn name(self) -> &'static str {
        match self.0 {
            RouterMode::RoundRobin => "rr",
            RouterMode::Random => "random",
            RouterMode::LeastLoaded => "least-loaded",
            RouterMode::Kv => "kv",
            RouterMode::PowerOfTwo => "power-of-two",
            RouterMode::Direct => "direct",
            RouterMode::DeviceAwareWeighted => "device-aware-weighted",
        }
    }
}

impl FromStr for RouterChoice {
    type Err = String;

    /// `rr` / `round-robin`, `random`, `least-loaded` / `ll`, `kv`, `power-of-two` / `p2c`
    /// (case-insensitive). `direct` and `device-aware-weighted` need per-request worker names or
    /// CPU workers, which these benchmarks do not set up, so they are not offered.
    fn from_str(s: &str) -> Result<Self, String> {
        let mode = match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "rr" | "round-robin" | "roundrobin" => RouterMode::RoundRobin,
            "random" => RouterMode::Random,
            "least-loaded" | "ll" => RouterMode::LeastLoaded,
            "kv" => RouterMode::Kv,
            "power-of-two" | "p2c" => RouterMode::PowerOfTwo,
            _ => {
                return Err(format!(
                    "unknown router mode {s:?} (expected rr, random, least-loaded, kv or \
                     power-of-two)"
                ));
            }
        };
        Ok(Self(mode))
    }
}

/// Settings of an embedded cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterConfig {
    /// Workers (engines) behind the router.
    pub workers: u32,
    /// How the router picks a worker.
    pub router: RouterChoice,
    /// KV blocks per worker.
    pub num_gpu_blocks: u32,
    /// Tokens per KV block.
    pub block_size: u32,
    /// Divides every engine step time (0: no delays).
    pub speedup_ratio: f64,
    /// Model name served.
    pub model: String,
}

impl ClusterConfig {
    /// A cluster of `workers` workers with `router`, Dynamo mocker's engine defaults otherwise
    /// (16384 blocks of 64 tokens, speed-up 1).
    pub fn new(workers: u32, router: RouterChoice, model: impl Into<String>) -> Self {
        let engine = EngineConfig::default();
        Self {
            workers,
            router,
            num_gpu_blocks: engine.num_gpu_blocks,
            block_size: engine.block_size.get(),
            speedup_ratio: engine.speedup_ratio,
            model: model.into(),
        }
    }

    /// The same cluster with another router mode.
    #[must_use]
    pub fn with_router(&self, router: RouterChoice) -> Self {
        Self {
            router,
            ..self.clone()
        }
    }

    fn pool(&self) -> Result<PoolConfig, RouterBenchError> {
        let block_size = BlockSize::new(self.block_size).ok_or_else(|| {
            RouterBenchError::invalid("--mocker-block-size", "must be at least 1")
        })?;
        Ok(PoolConfig {
            engine: EngineConfig {
                block_size,
                num_gpu_blocks: self.num_gpu_blocks,
                speedup_ratio: self.speedup_ratio,
                ..EngineConfig::default()
            },
            num_workers: self.workers,
            router: RouterConfig {
                mode: self.router.0,
                ..RouterConfig::default()
            },
        })
    }
}

/// A running embedded cluster; stopped when dropped.
#[derive(Debug)]
pub struct Cluster {
    server: EmbeddedServer,
    pool: Arc<EnginePool>,
    config: ClusterConfig,
}

impl Cluster {
    /// Starts the workers and their HTTP server on an ephemeral 127.0.0.1 port, tokenizing
    /// prompts with `tokenizer` (the benchmark's own, so both count the same tokens).
    ///
    /// # Errors
    /// [`RouterBenchError::Cluster`]: a setting the engine rejects, or a server that cannot start.
    pub fn start(
        config: &ClusterConfig,
        tokenizer: Arc<dyn Tokenizer>,
    ) -> Result<Self, RouterBenchError> {
        let pool = Arc::new(EnginePool::start(&config.pool()?).map_err(|e| {
            RouterBenchError::Cluster(Box::new(servebench_mocker::SimulatedServerError::Engine(e)))
        })?);
        let stats: Arc<dyn EngineStats> = pool.clone();
        let server = ServerConfig {
            port: 0,
            model_name: config.model.clone(),
            tokenizer: TokenizerSpec::shared(tokenizer),
            ..ServerConfig::default()
        };
        let server = EmbeddedServer::start(
            server,
            pool.clone(),
            Some(stats),
            ServerRuntime::MultiThread,
        )
        .map_err(|e| RouterBenchError::Cluster(Box::new(e)))?;
        Ok(Self {
            server,
            pool,
            config: config.clone(),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        self.server.url()
    }

    /// The settings it was started with.
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// The engines' own counters, summed over workers (read directly, not over HTTP).
    pub fn metrics(&self) -> EngineMetrics {
        self.pool.metrics()
    }

    /// The engines' own counters, one snapshot per worker.
    pub fn worker_metrics(&self) -> Vec<EngineMetrics> {
        self.pool.worker_metrics()
    }
}
