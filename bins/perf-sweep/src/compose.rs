//! Turns the flags (and, with --utils-wrapper, the CONCURRENCIES / REQUEST_COUNT environment
//! variables) into the sweep crate's plan; every check `perf.sh` makes, with the flag named.

use std::path::PathBuf;

use anyhow::{Context, bail};
use servebench_sweep::concurrency::{parse_list, utils_concurrencies, utils_request_count_env};
use servebench_sweep::layout::check_benchmark_name;
use servebench_sweep::{DeploymentConfig, Flavour, Mode, Parallelism, SweepPlan};

use crate::args::{Args, PERF_SH_MODEL, UTILS_MODEL};

/// The environment variables the wrapper reads.
pub(crate) struct WrapperEnv {
    /// `CONCURRENCIES`.
    pub(crate) concurrencies: Option<String>,
    /// `REQUEST_COUNT`.
    pub(crate) request_count: Option<String>,
}

impl WrapperEnv {
    /// From this process's environment.
    pub(crate) fn from_process() -> Self {
        Self {
            concurrencies: std::env::var("CONCURRENCIES").ok(),
            request_count: std::env::var("REQUEST_COUNT").ok(),
        }
    }
}

/// A checked sweep: the plan, its output root and the warnings to print before it starts.
pub(crate) struct Composed {
    /// What runs.
    pub(crate) plan: SweepPlan,
    /// `--artifacts-root-dir` or its default.
    pub(crate) root: PathBuf,
    /// Lines for stderr.
    pub(crate) warnings: Vec<String>,
}

/// Checks the flags and builds the plan.
///
/// # Errors
/// A bad concurrency list, mode, parallelism, benchmark name, length or percentage, naming the
/// flag.
pub(crate) fn compose(args: &Args, env: &WrapperEnv) -> anyhow::Result<Composed> {
    if !(args.max_error_rate.is_finite() && (0.0..=100.0).contains(&args.max_error_rate)) {
        bail!("--max-error-rate must be a percentage from 0 to 100");
    }
    if !(args.mocker_speedup_ratio.is_finite() && args.mocker_speedup_ratio >= 0.0) {
        bail!("--mocker-speedup-ratio must be a finite number >= 0 (0 = no delays)");
    }
    let utils = args.utils_wrapper;
    let isl = args.isl.unwrap_or(if utils { 2000 } else { 3000 });
    let osl = args.osl.unwrap_or(if utils { 256 } else { 150 });
    if isl == 0 {
        bail!("--input-sequence-length must be at least 1");
    }
    if osl == 0 {
        bail!("--output-sequence-length must be at least 1");
    }
    let isl_stddev = args.isl_stddev.unwrap_or(if utils { 10.0 } else { 0.0 });
    if !(isl_stddev.is_finite() && isl_stddev >= 0.0) {
        bail!("--isl-stddev must be a finite number >= 0");
    }
    let model = args
        .model
        .clone()
        .unwrap_or_else(|| (if utils { UTILS_MODEL } else { PERF_SH_MODEL }).to_owned());
    let mut warnings = Vec::new();
    let (concurrencies, flavour, deployment) = if utils {
        let (concurrencies, warn) = utils_concurrencies(env.concurrencies.as_deref());
        warnings.extend(warn);
        let (request_count, warn) = utils_request_count_env(env.request_count.as_deref());
        warnings.extend(warn);
        let name = args.benchmark_name.clone().unwrap_or_default();
        check_benchmark_name(&name).context("--benchmark-name")?;
        (
            concurrencies,
            Flavour::Utils {
                benchmark_name: name,
                request_count,
            },
            None,
        )
    } else {
        let concurrencies = parse_list(&args.concurrency).context("--concurrency")?;
        let mode: Mode = args.mode.parse().context("--mode")?;
        let parallelism = Parallelism {
            tp: args.tp,
            dp: args.dp,
            prefill_tp: args.prefill_tp,
            prefill_dp: args.prefill_dp,
            decode_tp: args.decode_tp,
            decode_dp: args.decode_dp,
        };
        parallelism.validate(mode)?;
        warnings.push(
            "note: the tensor/data parallelism values are recorded in deployment_config.json, \
             not checked against the deployment"
                .to_owned(),
        );
        let deployment =
            DeploymentConfig::new(&args.deployment_kind, &model, isl, osl, parallelism, mode);
        (concurrencies, Flavour::PerfSh, Some(deployment))
    };
    let root = args.artifacts_root_dir.clone().unwrap_or_else(|| {
        PathBuf::from(if utils {
            "benchmarks/results"
        } else {
            "artifacts_root"
        })
    });
    Ok(Composed {
        plan: SweepPlan {
            model,
            isl,
            isl_stddev,
            osl,
            concurrencies,
            flavour,
            deployment,
        },
        root,
        warnings,
    })
}
