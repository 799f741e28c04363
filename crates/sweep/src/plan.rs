//! What one sweep runs: the settings shared by every point and, per concurrency, the request,
//! warm-up and dataset counts, seed and artifact directory of `perf.sh` or of the
//! `benchmarks/utils` wrapper; and the [`Benchmark`] each point becomes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use servebench_loadgen_core::bench::{BenchLoad, Benchmark};
use servebench_loadgen_core::{EndpointConfig, EndpointKind, parse_extra_inputs, parse_header};
use servebench_tokenize::Tokenizer;

use crate::SweepError;
use crate::concurrency::utils_request_count;
use crate::deployment::DeploymentConfig;
use crate::layout::{run_dir_name, utils_run_dir};

/// `perf.sh`'s `--random-seed`.
pub const PERF_SH_SEED: u64 = 100;

/// The headers `perf.sh` sends with every request.
pub const PERF_SH_HEADERS: [&str; 2] = [
    "Authorization: Bearer NOT USED",
    "Accept: text/event-stream",
];

/// Which script's rules a sweep follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flavour {
    /// `benchmarks/llm/perf.sh`: 10xC requests, 2xC warm-up, 12xC dataset entries, seed 100, the
    /// `ignore_eos` extras (also under `nvext`) and two headers; runs in `artifacts_N/`.
    PerfSh,
    /// The `benchmarks/utils` wrapper: `max(3C, 10)` requests (or the fixed count), no warm-up,
    /// AIPerf's default dataset size and a drawn seed, no `nvext` extra, no headers; runs in
    /// `root/<benchmark_name>/c<C>/`.
    Utils {
        /// The series name (see [`crate::layout::check_benchmark_name`]).
        benchmark_name: String,
        /// `REQUEST_COUNT` when set above 0.
        request_count: Option<u64>,
    },
}

/// A sweep's settings shared by every point.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPlan {
    /// Model name sent in every body.
    pub model: String,
    /// Input tokens per request (mean).
    pub isl: u64,
    /// Standard deviation of the input length (0 for `perf.sh`).
    pub isl_stddev: f64,
    /// Output tokens per request (`max_tokens` = `min_tokens`).
    pub osl: u64,
    /// The concurrencies, in the order they run.
    pub concurrencies: Vec<u64>,
    /// The rules followed.
    pub flavour: Flavour,
    /// `deployment_config.json` (written for `perf.sh` sweeps).
    pub deployment: Option<DeploymentConfig>,
}

/// One concurrency of a sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointPlan {
    /// Virtual users.
    pub concurrency: u64,
    /// Profiling requests.
    pub request_count: u64,
    /// Warm-up requests before them.
    pub warmup: u64,
    /// Synthetic dataset entries (`None`: AIPerf's default).
    pub dataset_entries: Option<u64>,
    /// Dataset seed (`None`: drawn).
    pub seed: Option<u64>,
    /// Where its exports go.
    pub artifact_dir: PathBuf,
    /// A warning to print about the point (a fixed request count below the concurrency).
    pub warning: Option<String>,
}

impl SweepPlan {
    /// The points, in order, with their exports under `base` (`root/artifacts_N` for
    /// `perf.sh`, the wrapper's output root otherwise).
    pub fn points(&self, base: &Path) -> Vec<PointPlan> {
        self.concurrencies
            .iter()
            .map(|&c| match &self.flavour {
                Flavour::PerfSh => PointPlan {
                    concurrency: c,
                    request_count: 10 * c,
                    warmup: 2 * c,
                    dataset_entries: Some(12 * c),
                    seed: Some(PERF_SH_SEED),
                    artifact_dir: base.join(run_dir_name(&self.model, c)),
                    warning: None,
                },
                Flavour::Utils {
                    benchmark_name,
                    request_count,
                } => {
                    let (count, warning) = utils_request_count(c, *request_count);
                    PointPlan {
                        concurrency: c,
                        request_count: count,
                        warmup: 0,
                        dataset_entries: None,
                        seed: None,
                        artifact_dir: utils_run_dir(base, benchmark_name, c),
                        warning,
                    }
                }
            })
            .collect()
    }

    /// The endpoint every point uses: streamed chat at `/v1/chat/completions` with
    /// `max_tokens`, `min_tokens` and `ignore_eos` as extra inputs (plus `nvext.ignore_eos` and
    /// the two headers for `perf.sh`).
    ///
    /// # Errors
    /// None in practice (the extras and headers are fixed); [`SweepError::Invalid`] if one did
    /// not parse.
    pub fn endpoint(&self) -> Result<EndpointConfig, SweepError> {
        let mut endpoint = EndpointConfig::new(EndpointKind::Chat, self.model.clone());
        endpoint.streaming = true;
        endpoint.path = Some("/v1/chat/completions".into());
        let osl = self.osl;
        let mut extras = vec![
            format!("max_tokens:{osl}"),
            format!("min_tokens:{osl}"),
            "ignore_eos:true".to_owned(),
        ];
        let invalid = |e: &dyn std::fmt::Display| SweepError::Invalid {
            setting: "extra_inputs",
            message: e.to_string(),
        };
        if self.flavour == Flavour::PerfSh {
            extras.push(r#"{"nvext":{"ignore_eos":true}}"#.to_owned());
            endpoint.extra_headers = PERF_SH_HEADERS
                .iter()
                .map(|h| parse_header(h))
                .collect::<Result<_, _>>()
                .map_err(|e| invalid(&e))?;
        }
        endpoint.extra_inputs = parse_extra_inputs(&extras).map_err(|e| invalid(&e))?;
        Ok(endpoint)
    }

    /// The benchmark of `point` against `urls`, with `endpoint` from [`SweepPlan::endpoint`].
    pub fn benchmark(
        &self,
        point: &PointPlan,
        urls: Vec<String>,
        endpoint: EndpointConfig,
        tokenizer: Arc<dyn Tokenizer>,
    ) -> Benchmark {
        let mut bench = Benchmark::new(urls, endpoint, tokenizer, point.artifact_dir.clone());
        let synthetic = &mut bench.dataset.synthetic;
        synthetic.isl_mean = self.isl;
        synthetic.isl_stddev = self.isl_stddev;
        synthetic.osl_mean = Some(self.osl);
        synthetic.osl_stddev = 0.0;
        if let Some(n) = point.dataset_entries {
            synthetic.num_entries = usize::try_from(n).unwrap_or(usize::MAX);
        }
        synthetic.seed = point.seed;
        bench.load =
            BenchLoad::Concurrency(usize::try_from(point.concurrency).unwrap_or(usize::MAX));
        bench.request_count = Some(point.request_count);
        bench.warmup_requests = point.warmup;
        bench
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(flavour: Flavour) -> SweepPlan {
        SweepPlan {
            model: "Qwen/Qwen3-0.6B".into(),
            isl: 3000,
            isl_stddev: 0.0,
            osl: 150,
            concurrencies: vec![1, 4],
            flavour,
            deployment: None,
        }
    }

    #[test]
    fn perf_sh_counts() {
        let points = plan(Flavour::PerfSh).points(Path::new("root/artifacts_0"));
        let p = &points[1];
        assert_eq!(
            (
                p.concurrency,
                p.request_count,
                p.warmup,
                p.dataset_entries,
                p.seed
            ),
            (4, 40, 8, Some(48), Some(100))
        );
        assert_eq!(
            p.artifact_dir,
            PathBuf::from("root/artifacts_0/Qwen_Qwen3-0.6B-openai-chat-concurrency4")
        );
    }

    #[test]
    fn utils_counts() {
        let points = plan(Flavour::Utils {
            benchmark_name: "agg".into(),
            request_count: None,
        })
        .points(Path::new("out"));
        let counts: Vec<_> = points.iter().map(|p| (p.request_count, p.warmup)).collect();
        assert_eq!(counts, [(10, 0), (12, 0)]);
        assert_eq!(points[1].artifact_dir, PathBuf::from("out/agg/c4"));
        assert_eq!(points[1].dataset_entries, None);
    }

    #[test]
    fn perf_sh_endpoint_extras_and_headers() {
        let e = plan(Flavour::PerfSh)
            .endpoint()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(e.streaming);
        assert_eq!(e.request_path(), "/v1/chat/completions");
        assert_eq!(e.extra_inputs["max_tokens"], 150);
        assert_eq!(e.extra_inputs["min_tokens"], 150);
        assert_eq!(e.extra_inputs["ignore_eos"], true);
        assert_eq!(e.extra_inputs["nvext"]["ignore_eos"], true);
        let names: Vec<_> = e.extra_headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["authorization", "accept"]);
        let utils = plan(Flavour::Utils {
            benchmark_name: "a".into(),
            request_count: None,
        })
        .endpoint()
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!utils.extra_inputs.contains_key("nvext"));
        assert!(utils.extra_headers.is_empty());
    }
}
