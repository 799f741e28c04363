//! The dataset a run sends and how it is scheduled: synthetic prompts, synthetic sessions, or an
//! `--input-file` (with fixed-schedule replay when its entries have timestamps).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use servebench_loadgen_core::DatasetEntry;
use servebench_loadgen_core::prompts::synthesize;
use servebench_loadgen_core::replay::{
    DatasetType, FixedSchedule, ReplayOptions, SamplingStrategy, SessionConfig, load_dataset,
    synthetic_sessions,
};
use servebench_tokenize::Tokenizer;

use crate::args::Args;
use crate::compose;

/// What the run sends.
pub(crate) struct Workload {
    pub(crate) entries: Vec<DatasetEntry>,
    pub(crate) seed: u64,
    pub(crate) sampling: SamplingStrategy,
    /// Send offsets of a fixed-schedule replay (one per entry, in entry order).
    pub(crate) schedule: Option<Vec<Duration>>,
    /// Requests when no stop condition is given: every entry once (file or sessions), or `None`
    /// for AIPerf's default of 10.
    pub(crate) default_requests: Option<u64>,
    /// The `datasets` echo of `input_config`.
    pub(crate) echo: Value,
}

/// Builds the workload the flags describe.
pub(crate) fn build(args: &Args, tokenizer: &dyn Tokenizer) -> anyhow::Result<Workload> {
    let r = &args.replay;
    let explicit_sampling = r
        .dataset_sampling_strategy
        .as_deref()
        .map(str::parse::<SamplingStrategy>)
        .transpose()
        .map_err(anyhow::Error::msg)
        .context("invalid --dataset-sampling-strategy")?;
    let Some(path) = &r.input_file else {
        if r.custom_dataset_type.is_some() {
            bail!("--custom-dataset-type needs --input-file");
        }
        if r.fixed_schedule {
            bail!("--fixed-schedule needs an --input-file with timestamps");
        }
        return synthetic(args, tokenizer, explicit_sampling);
    };
    if r.conversation_num.is_some() && !path.is_dir() {
        bail!("--conversation-num with --input-file applies to random_pool directories only");
    }
    let kind = match &r.custom_dataset_type {
        Some(t) => t
            .parse::<DatasetType>()
            .map_err(anyhow::Error::msg)
            .context("invalid --custom-dataset-type")?,
        None => detect(path)?,
    };
    let seed = args.random_seed.unwrap_or_else(rand_seed);
    let mut options = ReplayOptions::new(seed);
    options.block_size = r.prompt_input_tokens_block_size;
    options.default_output_tokens = args.osl;
    options.pool_entries = r.conversation_num.unwrap_or(100);
    let data = load_dataset(path, kind, &options, tokenizer)
        .with_context(|| format!("failed to load --input-file {}", path.display()))?;
    let fixed = if r.no_fixed_schedule {
        false
    } else {
        r.fixed_schedule || data.has_timestamps
    };
    let echo = json!([{
        "name": path.display().to_string(),
        "type": kind.name(),
        "entries": data.entries.len(),
        "sessions": data.sessions,
        "random_seed": seed,
        "block_size": options.block_size,
    }]);
    if fixed {
        if data.sessions > 0 {
            bail!(
                "--fixed-schedule replays independent requests; {} holds multi-turn sessions \
                 (pass --no-fixed-schedule to run them under --concurrency)",
                path.display()
            );
        }
        let schedule = FixedSchedule {
            auto_offset: r.fixed_schedule_auto_offset,
            start_offset: r.fixed_schedule_start_offset.map(Duration::from_millis),
            end_offset: r.fixed_schedule_end_offset.map(Duration::from_millis),
            speedup: r.fixed_schedule_speedup,
        };
        let (entries, offsets) = schedule.apply(data.entries)?;
        return Ok(Workload {
            default_requests: Some(entries.len() as u64),
            entries,
            seed,
            sampling: SamplingStrategy::Sequential,
            schedule: Some(offsets),
            echo,
        });
    }
    let turns = data.entries.len() as u64;
    Ok(Workload {
        entries: data.entries,
        seed,
        sampling: explicit_sampling.unwrap_or(kind.default_sampling()),
        schedule: None,
        default_requests: Some(turns),
        echo,
    })
}

fn rand_seed() -> u64 {
    // Same source as the synthetic dataset's default seed.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ u64::from(std::process::id()).rotate_left(32)
}

/// Synthetic prompts, or synthetic sessions with `--conversation-num` / more than one turn.
fn synthetic(
    args: &Args,
    tokenizer: &dyn Tokenizer,
    sampling: Option<SamplingStrategy>,
) -> anyhow::Result<Workload> {
    let r = &args.replay;
    let config = compose::dataset(args);
    // AIPerf shuffles synthetic prompts.
    let sampling = sampling.unwrap_or(SamplingStrategy::Shuffle);
    if r.conversation_num.is_none()
        && r.conversation_turn_mean <= 1.0
        && r.conversation_turn_stddev == 0.0
    {
        let data = synthesize(&config, tokenizer).context("failed to build the dataset")?;
        return Ok(Workload {
            entries: data.entries,
            seed: data.seed,
            sampling,
            schedule: None,
            default_requests: None,
            echo: synthetic_echo(args, data.seed),
        });
    }
    let shape = SessionConfig {
        sessions: r.conversation_num.unwrap_or(args.num_dataset_entries),
        turn_mean: r.conversation_turn_mean,
        turn_stddev: r.conversation_turn_stddev,
        delay_mean_ms: r.conversation_turn_delay_mean,
        delay_stddev_ms: r.conversation_turn_delay_stddev,
        delay_ratio: r.conversation_turn_delay_ratio,
    };
    let (entries, seed) = synthetic_sessions(&config, &shape, tokenizer)
        .context("failed to build the synthetic conversations")?;
    let mut echo = synthetic_echo(args, seed);
    echo[0]["conversations"] = json!({
        "num": shape.sessions,
        "turn": {"mean": shape.turn_mean, "stddev": shape.turn_stddev},
        "delay": {"mean": shape.delay_mean_ms, "stddev": shape.delay_stddev_ms, "ratio": shape.delay_ratio},
    });
    Ok(Workload {
        default_requests: Some(entries.len() as u64),
        entries,
        seed,
        sampling,
        schedule: None,
        echo,
    })
}

fn synthetic_echo(args: &Args, seed: u64) -> Value {
    json!([{
        "name": "synthetic",
        "type": "synthetic",
        "entries": args.num_dataset_entries,
        "random_seed": seed,
        "prompts": {
            "isl": {"mean": args.isl, "stddev": args.isl_stddev},
            "osl": {"mean": args.osl, "stddev": args.osl_stddev},
            "prefix_prompt": {"pool_size": args.num_prefix_prompts, "length": args.prefix_prompt_length},
        },
    }])
}

/// The dataset type of a file without `--custom-dataset-type`.
fn detect(path: &Path) -> anyhow::Result<DatasetType> {
    if path.is_dir() {
        return Ok(DatasetType::RandomPool);
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        return Ok(DatasetType::BurstGptTrace);
    }
    let file = std::fs::File::open(path)
        .with_context(|| format!("failed to read --input-file {}", path.display()))?;
    let mut first = String::new();
    for line in BufReader::new(file).lines() {
        let line = line.with_context(|| format!("failed to read {}", path.display()))?;
        if !line.trim().is_empty() {
            first = line;
            break;
        }
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&first) else {
        // Not one JSON object on the first line: a whole JSON document.
        return Ok(DatasetType::InputsJson);
    };
    Ok(if map.contains_key("data") {
        DatasetType::InputsJson
    } else if map.contains_key("turns") {
        DatasetType::MultiTurn
    } else if map.contains_key("input_length")
        || map.contains_key("hash_ids")
        || map.contains_key("text_input")
    {
        DatasetType::MooncakeTrace
    } else {
        DatasetType::SingleTurn
    })
}

/// AIPerf's default artifact directory for the stimuli named here: `fixed_schedule` or
/// `user_centric-users<N>-qps<R>`; `None` for the others (or an explicit `--artifact-dir`).
pub(crate) fn artifact_dir(
    args: &Args,
    endpoint: &servebench_loadgen_core::EndpointConfig,
    fixed_schedule: bool,
) -> Option<std::path::PathBuf> {
    if args.artifact_dir.is_some() {
        return None;
    }
    let stimulus = if fixed_schedule {
        "fixed_schedule".to_owned()
    } else {
        let (rate, users) = args.replay.user_centric_rate.zip(args.replay.num_users)?;
        let rate = if rate.fract() == 0.0 && rate.abs() < 1e16 {
            format!("{rate:.1}")
        } else {
            format!("{rate}")
        };
        format!("user_centric-users{users}-qps{rate}")
    };
    let name = format!(
        "{}-openai-{}-{stimulus}",
        args.model.replace('/', "_"),
        endpoint.kind.name()
    );
    Some(std::path::Path::new("artifacts").join(name))
}
