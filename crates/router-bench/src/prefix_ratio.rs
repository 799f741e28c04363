//! `prefix_ratio_benchmark.py`: TTFT and ITL as the share of each prompt that is a shared prefix
//! grows. For each ratio `r`, requests are a prefix of `int(isl·r)` tokens drawn from a pool of
//! `num_prefix_prompts` shared prefixes plus a unique part of mean `int(isl·(1−r))` tokens; the
//! seed grows by one per ratio. With several URLs the requests and concurrency are split over
//! them and run in parallel (the older script's behaviour); with none, each run gets a fresh
//! embedded cluster, under each router mode asked for.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use servebench_loadgen_core::CancelHandle;
use servebench_loadgen_core::bench::BenchLoad;
use servebench_loadgen_core::replay::SamplingStrategy;
use servebench_trace_formats::python_float_repr;

use crate::cluster::{Cluster, ClusterConfig, RouterChoice};
use crate::common::Common;
use crate::error::RouterBenchError;
use crate::point::{PointResult, RunStats, percent, run_point};
use crate::reuse::{AchievedReuse, TheoreticalReuse, WorkerReuse};

/// The benchmark's own settings, with Dynamo's defaults from [`PrefixRatioConfig::new`].
#[derive(Debug, Clone)]
pub struct PrefixRatioConfig {
    /// Model, tokenizer, seed and the rest of `common.py`.
    pub common: Common,
    /// `--output-dir` (`kv_router`).
    pub output_dir: PathBuf,
    /// `--num-prefix-prompts` (20).
    pub num_prefix_prompts: usize,
    /// `--isl` (14000).
    pub isl: u64,
    /// `--osl` (200).
    pub osl: u64,
    /// `--requests` (200).
    pub requests: u64,
    /// `--concurrency` (20).
    pub concurrency: usize,
    /// `--prefix-ratios` (0.1 0.3 0.5 0.7 0.9).
    pub prefix_ratios: Vec<f64>,
}

impl PrefixRatioConfig {
    /// Dynamo's defaults with `common`.
    pub fn new(common: Common) -> Self {
        Self {
            common,
            output_dir: "kv_router".into(),
            num_prefix_prompts: 20,
            isl: 14000,
            osl: 200,
            requests: 200,
            concurrency: 20,
            prefix_ratios: vec![0.1, 0.3, 0.5, 0.7, 0.9],
        }
    }

    /// `(prefix_len, synth_len)` of ratio `r`: `int(isl·r)` and `int(isl·(1−r))`.
    pub fn lengths(&self, r: f64) -> (u64, u64) {
        let isl = self.isl as f64;
        ((isl * r) as u64, (isl * (1.0 - r)) as u64)
    }

    fn validate(&self) -> Result<(), RouterBenchError> {
        if self.prefix_ratios.is_empty() {
            return Err(RouterBenchError::invalid(
                "--prefix-ratios",
                "give at least one ratio",
            ));
        }
        if let Some(r) = self.prefix_ratios.iter().find(|r| !(0.0..1.0).contains(*r)) {
            return Err(RouterBenchError::invalid(
                "--prefix-ratios",
                format!("{r} is outside [0, 1): each request needs a unique part"),
            ));
        }
        for (flag, v) in [
            ("--isl", self.isl),
            ("--osl", self.osl),
            ("--requests", self.requests),
            ("--concurrency", self.concurrency as u64),
            ("--num-prefix-prompts", self.num_prefix_prompts as u64),
        ] {
            if v == 0 {
                return Err(RouterBenchError::invalid(flag, "must be at least 1"));
            }
        }
        Ok(())
    }

    /// KV blocks per worker that put an embedded cluster of `workers` workers under cache
    /// pressure for this workload: 55 % of the largest ratio's prefix pool
    /// (`num_prefix_prompts · prefix_len` tokens), plus room for the unique parts and outputs of
    /// the requests a worker runs at once (1.5× their mean, for the spread).
    ///
    /// Why 55 %: a KV router partitions the pool, so each of two workers needs half of it, and
    /// the extra twentieth (a tenth of that half) absorbs an uneven split. Round-robin sends every
    /// prefix to every worker, whose cache then holds only 55 % of the pool: with uniformly drawn
    /// prefixes and LRU eviction, under 55 % of its requests (fewer, counting the first sight of
    /// each prefix) find their prefix cached, so its median request is a cache miss, while KV
    /// routing's is a hit. At 60 % and more round-robin's hit share came close to one half and
    /// its TTFT p50 fell on either side of the gap between hit and miss latencies from seed to
    /// seed (docs/router-bench.md).
    pub fn pressure_blocks(&self, workers: u32, block_size: u32) -> u32 {
        let bs = u64::from(block_size.max(1));
        let r = self.prefix_ratios.iter().copied().fold(0.0, f64::max);
        let (prefix, synth) = self.lengths(r);
        let pool = (self.num_prefix_prompts as u64 * prefix).div_ceil(bs);
        let per_worker = (self.concurrency as u64).div_ceil(u64::from(workers.max(1)));
        let private = ((synth + self.osl) * 3 / 2).div_ceil(bs);
        // A single request must always fit.
        let one = (self.isl + self.osl) * 3 / 2;
        let blocks = (pool * 11 / 20 + per_worker * private).max(one.div_ceil(bs));
        u32::try_from(blocks).unwrap_or(u32::MAX)
    }
}

/// What to run against.
#[derive(Debug, Clone)]
pub enum Target {
    /// Deployments at these URLs (several: requests and concurrency split over them).
    Urls {
        /// The URLs.
        urls: Vec<String>,
        /// The servers' KV block size, for the theoretical reuse.
        reuse_block_size: u64,
    },
    /// A fresh embedded cluster per run, once per router mode (several modes: a comparison).
    Embedded {
        /// The cluster (its router mode is replaced by each of `routers`).
        cluster: ClusterConfig,
        /// Router modes to run, in order.
        routers: Vec<RouterChoice>,
    },
}

/// One ratio's result (aggregated over URLs).
#[derive(Debug, Clone)]
pub struct RatioPoint {
    /// The prefix ratio.
    pub ratio: f64,
    /// Its seed.
    pub seed: u64,
    /// TTFT/ITL percentiles and throughput; over several URLs, percentiles are the mean of the
    /// URLs' and throughputs their sum (as the older multi-URL script aggregates).
    pub stats: RunStats,
    /// Theoretical reuse (mean over URLs weighted by requests).
    pub theoretical: Option<TheoreticalReuse>,
    /// Achieved reuse (tokens summed over URLs).
    pub achieved: Option<AchievedReuse>,
    /// Each URL's run.
    pub runs: Vec<PointResult>,
}

/// The results of one router mode (or of the URLs).
#[derive(Debug, Clone)]
pub struct ModeResults {
    /// The router mode, when run on the embedded cluster.
    pub router: Option<RouterChoice>,
    /// Where its runs, summary and plot are.
    pub dir: PathBuf,
    /// The ratios that succeeded, in order.
    pub points: Vec<RatioPoint>,
}

/// Runs the sweep; calls `log` with one line per run as it finishes. Failed runs are reported
/// through `log` and left out (their seed is still used up, as in the original).
///
/// # Errors
/// An invalid setting, a cluster that cannot start, or no run succeeding at all.
pub async fn run_prefix_ratio(
    config: &PrefixRatioConfig,
    target: &Target,
    cancel: &CancelHandle,
    log: &mut (dyn FnMut(&str) + Send),
) -> Result<Vec<ModeResults>, RouterBenchError> {
    config.validate()?;
    let modes: Vec<Option<RouterChoice>> = match target {
        Target::Urls { .. } => vec![None],
        Target::Embedded { routers, .. } if routers.is_empty() => {
            return Err(RouterBenchError::invalid(
                "--compare-routers",
                "give at least one mode",
            ));
        }
        Target::Embedded { routers, .. } => routers.iter().copied().map(Some).collect(),
    };
    let compare = modes.len() > 1;
    let mut out = Vec::new();
    for mode in modes {
        let dir = match (compare, mode) {
            (true, Some(m)) => config.output_dir.join(m.name()),
            _ => config.output_dir.clone(),
        };
        let mut points = Vec::new();
        // The seed grows by one per ratio, whether or not its run succeeds.
        for (seed, &ratio) in (config.common.seed..).zip(&config.prefix_ratios) {
            if cancel.is_cancelled() {
                break;
            }
            let run_dir = dir.join(format!(
                "prefix_ratio_{}_seed_{seed}",
                python_float_repr(ratio)
            ));
            match run_ratio(config, target, mode, ratio, seed, &run_dir, cancel).await {
                Ok(point) => {
                    log(&describe(mode, &point));
                    points.push(point);
                }
                Err(e) => log(&format!("ratio {ratio} seed {seed}: failed: {}", chain(&e))),
            }
        }
        out.push(ModeResults {
            router: mode,
            dir,
            points,
        });
    }
    if out.iter().all(|m| m.points.is_empty()) {
        return Err(RouterBenchError::NothingSucceeded);
    }
    Ok(out)
}

/// An error and its causes on one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

async fn run_ratio(
    config: &PrefixRatioConfig,
    target: &Target,
    mode: Option<RouterChoice>,
    ratio: f64,
    seed: u64,
    run_dir: &Path,
    cancel: &CancelHandle,
) -> Result<RatioPoint, RouterBenchError> {
    let (prefix_len, synth_len) = config.lengths(ratio);
    let mut nvext = Map::new();
    nvext.insert("ignore_eos".into(), json!(true));
    if config.common.use_expected_osl {
        nvext.insert("agent_hints".into(), json!({"osl": config.osl}));
    }
    let mut extra = Map::new();
    extra.insert("nvext".into(), Value::Object(nvext));

    // One (url, requests, concurrency, dir) per URL, split as the multi-URL script splits.
    let (cluster, urls, reuse_bs) = match (target, mode) {
        (Target::Embedded { cluster, .. }, Some(m)) => {
            let c = Cluster::start(&cluster.with_router(m), config.common.tokenizer.clone())?;
            let url = c.url().to_owned();
            let bs = u64::from(c.config().block_size);
            (Some(c), vec![url], bs)
        }
        (
            Target::Urls {
                urls,
                reuse_block_size,
            },
            _,
        ) => (None, urls.clone(), *reuse_block_size),
        (Target::Embedded { .. }, None) => {
            return Err(RouterBenchError::invalid(
                "--compare-routers",
                "no router mode",
            ));
        }
    };
    let n = urls.len() as u64;
    let mut tasks = tokio::task::JoinSet::new();
    for (i, url) in urls.into_iter().enumerate() {
        let requests = config.requests / n + u64::from((i as u64) < config.requests % n);
        if requests == 0 {
            continue;
        }
        let concurrency = (config.concurrency / n as usize).max(1);
        let dir = if n > 1 {
            PathBuf::from(format!("{}_url_{i}", run_dir.display()))
        } else {
            run_dir.to_owned()
        };
        let mut bench = config
            .common
            .benchmark(vec![url], extra.clone(), dir, seed)?;
        let s = &mut bench.dataset.synthetic;
        s.isl_mean = synth_len;
        s.isl_stddev = (synth_len as f64 / 4.0).round_ties_even();
        s.osl_mean = Some(config.osl);
        s.osl_stddev = (config.osl as f64 / 4.0).round_ties_even();
        s.num_entries = usize::try_from(requests).unwrap_or(usize::MAX);
        s.prefix_prompt_length = prefix_len;
        s.num_prefix_prompts = if prefix_len > 0 {
            config.num_prefix_prompts
        } else {
            0
        };
        bench.dataset.sampling = Some(SamplingStrategy::Shuffle);
        bench.load = BenchLoad::Concurrency(concurrency);
        bench.request_count = Some(requests);
        let cancel = cancel.clone();
        // The run's future is not `Send`: each URL's run gets a thread and runtime of its own.
        tasks.spawn_blocking(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let result = match rt {
                Ok(rt) => rt.block_on(run_point(bench, reuse_bs, cancel)),
                Err(e) => Err(RouterBenchError::io(
                    Path::new("tokio runtime"),
                    "cannot build",
                    e,
                )),
            };
            (i, result)
        });
    }
    let mut runs: Vec<(usize, PointResult)> = Vec::new();
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((i, Ok(r))) => runs.push((i, r)),
            Ok((_, Err(e))) => {
                first_error.get_or_insert(e);
            }
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    drop(cluster);
    if let Some(e) = first_error {
        return Err(e);
    }
    runs.sort_by_key(|(i, _)| *i);
    let runs: Vec<PointResult> = runs.into_iter().map(|(_, r)| r).collect();
    Ok(aggregate(ratio, seed, runs))
}

/// Several URLs' runs as one point.
fn aggregate(ratio: f64, seed: u64, runs: Vec<PointResult>) -> RatioPoint {
    let n = runs.len().max(1) as f64;
    let mean = |f: fn(&RunStats) -> f64| runs.iter().map(|r| f(&r.stats)).sum::<f64>() / n;
    let sum = |f: fn(&RunStats) -> f64| runs.iter().map(|r| f(&r.stats)).sum::<f64>();
    let stats = RunStats {
        ttft_p25: mean(|s| s.ttft_p25),
        ttft_p50: mean(|s| s.ttft_p50),
        ttft_p75: mean(|s| s.ttft_p75),
        ttft_p90: mean(|s| s.ttft_p90),
        ttft_avg: mean(|s| s.ttft_avg),
        itl_p25: mean(|s| s.itl_p25),
        itl_p50: mean(|s| s.itl_p50),
        itl_p75: mean(|s| s.itl_p75),
        output_token_throughput: sum(|s| s.output_token_throughput),
        request_throughput: sum(|s| s.request_throughput),
        request_count: sum(|s| s.request_count),
        error_count: sum(|s| s.error_count),
    };
    let theoretical = {
        let all: Vec<&TheoreticalReuse> =
            runs.iter().filter_map(|r| r.theoretical.as_ref()).collect();
        let requests: usize = all.iter().map(|t| t.requests).sum();
        (requests > 0).then(|| {
            let w = |f: fn(&TheoreticalReuse) -> f64| {
                all.iter().map(|t| f(t) * t.requests as f64).sum::<f64>() / requests as f64
            };
            TheoreticalReuse {
                requests,
                block_size: all[0].block_size,
                mean_hit_rate: w(|t| t.mean_hit_rate),
                token_hit_rate: w(|t| t.token_hit_rate),
            }
        })
    };
    let achieved = if runs.len() == 1 {
        runs[0].achieved.clone()
    } else {
        let all: Vec<(usize, &AchievedReuse)> = runs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.achieved.as_ref().map(|a| (i, a)))
            .collect();
        (!all.is_empty()).then(|| AchievedReuse {
            hits: all.iter().map(|(_, a)| a.hits).sum(),
            queries: all.iter().map(|(_, a)| a.queries).sum(),
            workers: all
                .iter()
                .flat_map(|(i, a)| {
                    a.workers.iter().map(move |w| WorkerReuse {
                        worker: format!("url{i}/{}", w.worker),
                        ..w.clone()
                    })
                })
                .collect(),
        })
    };
    RatioPoint {
        ratio,
        seed,
        stats,
        theoretical,
        achieved,
        runs,
    }
}

/// One line per finished run.
pub fn describe(mode: Option<RouterChoice>, p: &RatioPoint) -> String {
    let mode = mode.map_or_else(String::new, |m| format!(" [{}]", m.name()));
    let workers = p.achieved.as_ref().map_or_else(String::new, |a| {
        if a.workers.is_empty() {
            return String::new();
        }
        let each: Vec<String> = a
            .workers
            .iter()
            .map(|w| format!("w{} {}", w.worker, percent(Some(w.rate()))))
            .collect();
        format!(" ({})", each.join(", "))
    });
    format!(
        "ratio {} seed {}{mode}: TTFT p50 {:.1} ms, ITL p50 {:.2} ms, {:.0} tok/s, reuse \
         theoretical {} achieved {}{workers}",
        python_float_repr(p.ratio),
        p.seed,
        p.stats.ttft_p50,
        p.stats.itl_p50,
        p.stats.output_token_throughput,
        percent(p.theoretical.map(|t| t.token_hit_rate)),
        percent(p.achieved.as_ref().map(AchievedReuse::rate)),
    )
}
