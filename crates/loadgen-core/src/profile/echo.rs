//! The `input_config` echo of the exports, shaped like AIPerf's resolved configuration, written
//! the same way by every tool that runs [`super::profile`].

use serde_json::{Value, json};

use servebench_metrics::RunClock;

use super::run::ProfileConfig;
use crate::arrivals::ArrivalMode;
use crate::prompts::SyntheticConfig;
use crate::runner::ModelStrategy;

/// Where the prompts came from.
#[derive(Debug, Clone, Copy)]
pub enum DatasetEcho<'a> {
    /// Synthetic prompts (AIPerf's `synthetic` dataset).
    Synthetic {
        /// Its settings.
        config: &'a SyntheticConfig,
        /// The seed actually used (drawn from the OS when the settings had none).
        seed: u64,
    },
    /// Any other source (dataset files, traces, synthetic sessions): the `datasets` array as
    /// the caller describes it.
    Described(&'a Value),
}

/// How the load was applied, with every default resolved (what the run actually used).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadEcho {
    /// Virtual users (closed loop) or the in-flight cap (open loop), if any.
    pub concurrency: Option<usize>,
    /// Requests per second (open loop).
    pub request_rate: Option<f64>,
    /// Inter-arrival distribution (open loop).
    pub request_rate_mode: Option<ArrivalMode>,
}

/// What [`input_config`] needs besides the [`ProfileConfig`].
#[derive(Debug, Clone, Copy)]
pub struct InputEcho<'a> {
    /// The dataset.
    pub dataset: DatasetEcho<'a>,
    /// The load.
    pub load: LoadEcho,
    /// The goodput SLOs as given, if any.
    pub goodput: Option<&'a str>,
}

/// The `datasets` item of `input_config` for synthetic prompts (AIPerf's `synthetic` dataset).
pub(crate) fn synthetic_dataset_echo(d: &SyntheticConfig, seed: u64) -> Value {
    json!({
        "name": "synthetic",
        "type": "synthetic",
        "entries": d.num_entries,
        "random_seed": seed,
        "prompts": {
            "isl": {"mean": d.isl_mean, "stddev": d.isl_stddev},
            "osl": {"mean": d.osl_mean, "stddev": d.osl_stddev},
            "prefix_prompt": {"pool_size": d.num_prefix_prompts, "length": d.prefix_prompt_length},
        },
    })
}

/// The `input_config` value of `profile_export_aiperf.json`: models, endpoint, datasets, phases,
/// artifacts, tokenizer and goodput. Settings that live in `config` are read from it, so the echo
/// always says what the run used.
pub fn input_config(config: &ProfileConfig, echo: &InputEcho<'_>) -> Value {
    let run = &config.run;
    let endpoint = &run.endpoint;
    let datasets: Vec<Value> = match echo.dataset {
        DatasetEcho::Synthetic { config: d, seed } => vec![synthetic_dataset_echo(d, seed)],
        DatasetEcho::Described(value) => match value {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        },
    };
    let load = echo.load;
    let models = match &run.models {
        Some(choice) if !choice.models.is_empty() => json!({
            "items": choice.models.iter().map(|m| json!({"name": m})).collect::<Vec<_>>(),
            "strategy": match choice.strategy {
                ModelStrategy::RoundRobin => "round_robin",
                ModelStrategy::Random => "random",
            },
        }),
        _ => json!({"items": [{"name": endpoint.model}]}),
    };
    let phase_type = if config.fixed_schedule {
        "fixed_schedule"
    } else if load.request_rate.is_some() {
        "request_rate"
    } else {
        "concurrency"
    };
    json!({
        "models": models,
        "endpoint": {
            "urls": run.urls,
            "type": endpoint.kind.name(),
            "path": endpoint.request_path(),
            "streaming": endpoint.streaming,
            "timeout": run.request_timeout.as_secs_f64(),
            "extra": Value::Object(endpoint.extra_inputs.clone()),
        },
        "datasets": datasets,
        "phases": [
            {"name": "warmup", "kind": "warmup", "requests": run.warmup_requests, "exclude_from_results": true},
            {
                "name": "profiling", "kind": "profiling",
                "type": phase_type,
                "requests": run.stop.request_count,
                "duration": run.stop.duration.map(|d| d.as_secs_f64()),
                "grace_period": run.stop.grace_period.as_secs_f64(),
                "concurrency": load.concurrency,
                "request_rate": load.request_rate,
                "request_rate_mode": load.request_rate_mode.map(ArrivalMode::name),
                "exclude_from_results": false,
            },
        ],
        "artifacts": {"dir": config.artifact_dir},
        "tokenizer": {"name": config.tokenizer.name()},
        "goodput": echo.goodput,
    })
}

/// A run's benchmark id, as every tool writes it: the wall-clock start of its `clock` in
/// nanoseconds, as 16 hex digits.
pub fn benchmark_id(clock: &RunClock) -> String {
    format!("{:016x}", clock.wall_start_ns())
}

/// The `run_info` value of the exports: benchmark id, seed, trial 0 and the (already redacted)
/// command line.
pub fn run_info(benchmark_id: &str, seed: u64, cli_command: &str) -> Value {
    json!({
        "benchmark_id": benchmark_id,
        "random_seed": seed,
        "trial": 0,
        "cli_command": cli_command,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use servebench_metrics::RunClock;
    use servebench_tokenize::BuiltinTokenizer;

    use super::*;
    use crate::{DatasetEntry, EndpointConfig, EndpointKind, RunConfig};

    #[test]
    fn the_echo_records_what_the_run_used() {
        let mut endpoint = EndpointConfig::new(EndpointKind::Chat, "m");
        endpoint.streaming = true;
        let run = RunConfig::new(RunClock::start(), vec!["http://h:1".into()], endpoint);
        let dataset: Arc<[DatasetEntry]> = Arc::from(Vec::new());
        let config = ProfileConfig::new(
            run,
            dataset,
            Arc::new(BuiltinTokenizer::new()),
            "out".into(),
        );
        let synthetic = SyntheticConfig::default();
        let echo = InputEcho {
            dataset: DatasetEcho::Synthetic {
                config: &synthetic,
                seed: 7,
            },
            load: LoadEcho {
                concurrency: Some(1),
                request_rate: None,
                request_rate_mode: None,
            },
            goodput: None,
        };
        let v = input_config(&config, &echo);
        let profiling = &v["phases"][1];
        assert_eq!(profiling["concurrency"], 1);
        assert_eq!(profiling["type"], "concurrency");
        assert_eq!(profiling["requests"], 10);
        assert_eq!(v["endpoint"]["timeout"], 600.0);
        assert_eq!(v["endpoint"]["path"], "/v1/chat/completions");
        assert_eq!(v["datasets"][0]["random_seed"], 7);
        assert_eq!(v["datasets"][0]["prompts"]["isl"]["mean"], 550);
        assert_eq!(v["models"]["items"][0]["name"], "m");
    }
}
