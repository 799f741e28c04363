//! The dataset a run sends and how it is scheduled, from a plain-data [`DatasetSpec`]: synthetic
//! prompts, synthetic multi-turn sessions, or an input file (its type given or detected, with a
//! fixed-schedule replay when its entries have timestamps). [`build_dataset`] returns the entries,
//! the sampling strategy, the send offsets of a fixed schedule and the `datasets` echo of AIPerf's
//! `input_config`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use servebench_tokenize::Tokenizer;

use super::{
    DatasetType, FixedSchedule, ReplayError, ReplayOptions, SamplingStrategy, SessionConfig,
    load_dataset, synthetic_sessions,
};
use crate::DatasetEntry;
use crate::prompts::{SynthesisError, SyntheticConfig, synthesize};

/// Random-pool entries drawn when `conversation_num` is not given (AIPerf's default).
const DEFAULT_POOL_ENTRIES: usize = 100;

/// Everything that decides a run's dataset (AIPerf's input flags, as plain data).
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetSpec {
    /// Synthetic prompt settings (also the seed and the default output length of file entries).
    pub synthetic: SyntheticConfig,
    /// `--input-file`: a file or a random-pool directory; `None` for synthetic data.
    pub input_file: Option<PathBuf>,
    /// `--custom-dataset-type`; `None` detects it from the file.
    pub dataset_type: Option<DatasetType>,
    /// `--dataset-sampling-strategy`; `None` uses the dataset's default.
    pub sampling: Option<SamplingStrategy>,
    /// `--prompt-input-tokens-block-size`: tokens per trace hash id.
    pub block_size: u64,
    /// `--fixed-schedule`: replay the file's timestamps (required to have them).
    pub fixed_schedule: bool,
    /// `--no-fixed-schedule`: never replay timestamps, even when the file has them.
    pub no_fixed_schedule: bool,
    /// Offsets and speed-up of a fixed-schedule replay.
    pub schedule: FixedSchedule,
    /// `--conversation-num`: synthetic sessions, or random-pool draws of a directory.
    pub conversation_num: Option<usize>,
    /// `--conversation-turn-mean`.
    pub turn_mean: f64,
    /// `--conversation-turn-stddev`.
    pub turn_stddev: f64,
    /// `--conversation-turn-delay-mean`, milliseconds.
    pub delay_mean_ms: f64,
    /// `--conversation-turn-delay-stddev`, milliseconds.
    pub delay_stddev_ms: f64,
    /// `--conversation-turn-delay-ratio`.
    pub delay_ratio: f64,
}

impl Default for DatasetSpec {
    /// AIPerf's defaults: synthetic prompts, one turn, no fixed schedule.
    fn default() -> Self {
        Self {
            synthetic: SyntheticConfig::default(),
            input_file: None,
            dataset_type: None,
            sampling: None,
            block_size: super::DEFAULT_BLOCK_SIZE,
            fixed_schedule: false,
            no_fixed_schedule: false,
            schedule: FixedSchedule {
                auto_offset: false,
                start_offset: None,
                end_offset: None,
                speedup: 1.0,
            },
            conversation_num: None,
            turn_mean: 1.0,
            turn_stddev: 0.0,
            delay_mean_ms: 0.0,
            delay_stddev_ms: 0.0,
            delay_ratio: 1.0,
        }
    }
}

/// What a run sends.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedDataset {
    /// The entries (turns of sessions in order).
    pub entries: Vec<DatasetEntry>,
    /// The seed used (given or drawn).
    pub seed: u64,
    /// How entries are picked.
    pub sampling: SamplingStrategy,
    /// Send offsets of a fixed-schedule replay, in entry order: one per entry, or, for a dataset
    /// of multi-turn sessions, one per session (when its first turn is sent).
    pub schedule: Option<Vec<Duration>>,
    /// Requests when no stop condition is given: every entry once (file or sessions), or `None`
    /// for AIPerf's default of 10.
    pub default_requests: Option<u64>,
    /// The `datasets` echo of `input_config`.
    pub echo: Value,
}

/// Why the dataset could not be built. Messages name AIPerf's flags.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatasetError {
    /// A dataset type was given without an input file.
    #[error("--custom-dataset-type needs --input-file")]
    TypeWithoutFile,
    /// A fixed schedule was asked for without an input file.
    #[error("--fixed-schedule needs an --input-file with timestamps")]
    ScheduleWithoutFile,
    /// `conversation_num` with an input file that is not a directory.
    #[error("--conversation-num with --input-file applies to random_pool directories only")]
    ConversationNumNeedsDirectory,
    /// The input file could not be read to detect its type.
    #[error("failed to read --input-file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The input file could not be loaded.
    #[error("failed to load --input-file {}", path.display())]
    Load {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: ReplayError,
    },
    /// The fixed schedule could not be applied.
    #[error(transparent)]
    Schedule(ReplayError),
    /// The synthetic prompts could not be built.
    #[error("failed to build the dataset")]
    Synthesis(#[source] SynthesisError),
    /// The synthetic sessions could not be built.
    #[error("failed to build the synthetic conversations")]
    Sessions(#[source] ReplayError),
}

/// Builds the dataset `spec` describes, counting tokens with `tokenizer`.
///
/// # Errors
/// [`DatasetError`]: inconsistent settings, an unreadable or invalid input file, a fixed schedule
/// that cannot be applied, or synthetic data that cannot be built.
pub fn build_dataset(
    spec: &DatasetSpec,
    tokenizer: &dyn Tokenizer,
) -> Result<PreparedDataset, DatasetError> {
    let Some(path) = &spec.input_file else {
        if spec.dataset_type.is_some() {
            return Err(DatasetError::TypeWithoutFile);
        }
        if spec.fixed_schedule {
            return Err(DatasetError::ScheduleWithoutFile);
        }
        return synthetic(spec, tokenizer);
    };
    if spec.conversation_num.is_some() && !path.is_dir() {
        return Err(DatasetError::ConversationNumNeedsDirectory);
    }
    let kind = match spec.dataset_type {
        Some(t) => t,
        None => detect_dataset_type(path)?,
    };
    let seed = spec.synthetic.seed.unwrap_or_else(rand_seed);
    let mut options = ReplayOptions::new(seed);
    options.block_size = spec.block_size;
    options.default_output_tokens = spec.synthetic.osl_mean;
    options.pool_entries = spec.conversation_num.unwrap_or(DEFAULT_POOL_ENTRIES);
    let data =
        load_dataset(path, kind, &options, tokenizer).map_err(|source| DatasetError::Load {
            path: path.clone(),
            source,
        })?;
    let fixed = !spec.no_fixed_schedule && (spec.fixed_schedule || data.has_timestamps);
    let echo = json!([{
        "name": path.display().to_string(),
        "type": kind.name(),
        "entries": data.entries.len(),
        "sessions": data.sessions,
        "random_seed": seed,
        "block_size": options.block_size,
    }]);
    if fixed {
        // Sessions start at their first turn's timestamp; later turns follow their delays.
        let (entries, offsets) = if data.sessions > 0 {
            spec.schedule.apply_sessions(data.entries)
        } else {
            spec.schedule.apply(data.entries)
        }
        .map_err(DatasetError::Schedule)?;
        return Ok(PreparedDataset {
            default_requests: Some(entries.len() as u64),
            entries,
            seed,
            sampling: SamplingStrategy::Sequential,
            schedule: Some(offsets),
            echo,
        });
    }
    let turns = data.entries.len() as u64;
    Ok(PreparedDataset {
        entries: data.entries,
        seed,
        sampling: spec.sampling.unwrap_or(kind.default_sampling()),
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

/// Synthetic prompts, or synthetic sessions with `conversation_num` / more than one turn.
fn synthetic(
    spec: &DatasetSpec,
    tokenizer: &dyn Tokenizer,
) -> Result<PreparedDataset, DatasetError> {
    let config = &spec.synthetic;
    // AIPerf shuffles synthetic prompts.
    let sampling = spec.sampling.unwrap_or(SamplingStrategy::Shuffle);
    if spec.conversation_num.is_none() && spec.turn_mean <= 1.0 && spec.turn_stddev == 0.0 {
        let data = synthesize(config, tokenizer).map_err(DatasetError::Synthesis)?;
        return Ok(PreparedDataset {
            entries: data.entries,
            seed: data.seed,
            sampling,
            schedule: None,
            default_requests: None,
            echo: synthetic_echo(config, data.seed),
        });
    }
    let shape = SessionConfig {
        sessions: spec.conversation_num.unwrap_or(config.num_entries),
        turn_mean: spec.turn_mean,
        turn_stddev: spec.turn_stddev,
        delay_mean_ms: spec.delay_mean_ms,
        delay_stddev_ms: spec.delay_stddev_ms,
        delay_ratio: spec.delay_ratio,
    };
    let (entries, seed) =
        synthetic_sessions(config, &shape, tokenizer).map_err(DatasetError::Sessions)?;
    let mut echo = synthetic_echo(config, seed);
    echo[0]["conversations"] = json!({
        "num": shape.sessions,
        "turn": {"mean": shape.turn_mean, "stddev": shape.turn_stddev},
        "delay": {"mean": shape.delay_mean_ms, "stddev": shape.delay_stddev_ms, "ratio": shape.delay_ratio},
    });
    Ok(PreparedDataset {
        default_requests: Some(entries.len() as u64),
        entries,
        seed,
        sampling,
        schedule: None,
        echo,
    })
}

fn synthetic_echo(config: &SyntheticConfig, seed: u64) -> Value {
    Value::Array(vec![crate::profile::synthetic_dataset_echo(config, seed)])
}

/// The dataset type of an input file given without a type, as AIPerf detects it: a directory is a
/// random pool, `.csv` a BurstGPT trace; otherwise the first non-empty line decides (`data` →
/// inputs JSON, `turns` → multi-turn, `input_length` / `hash_ids` / `text_input` → Mooncake trace,
/// another object → single-turn, not one JSON object → inputs JSON).
///
/// # Errors
/// [`DatasetError::Read`]: the file cannot be read.
pub fn detect_dataset_type(path: &Path) -> Result<DatasetType, DatasetError> {
    if path.is_dir() {
        return Ok(DatasetType::RandomPool);
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        return Ok(DatasetType::BurstGptTrace);
    }
    let read_error = |source| DatasetError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut first = String::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(read_error)?;
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

#[cfg(test)]
mod tests {
    use servebench_tokenize::BuiltinTokenizer;

    use super::*;

    fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn types_are_detected_as_aiperf_does() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let cases = [
            ("a.jsonl", "\n{\"text\": \"hi\"}\n", DatasetType::SingleTurn),
            ("b.jsonl", "{\"turns\": []}", DatasetType::MultiTurn),
            ("c.jsonl", "{\"hash_ids\": [1]}", DatasetType::MooncakeTrace),
            ("d.json", "{\"data\": []}", DatasetType::InputsJson),
            ("e.json", "[\n1\n]", DatasetType::InputsJson),
            ("f.CSV", "whatever", DatasetType::BurstGptTrace),
        ];
        for (name, text, want) in cases {
            assert_eq!(
                detect_dataset_type(&file(d, name, text)).unwrap(),
                want,
                "{name}"
            );
        }
        assert_eq!(detect_dataset_type(d).unwrap(), DatasetType::RandomPool);
        assert!(matches!(
            detect_dataset_type(&d.join("absent.jsonl")),
            Err(DatasetError::Read { .. })
        ));
    }

    #[test]
    fn synthetic_prompts_are_shuffled_with_no_default_request_count() {
        let spec = DatasetSpec {
            synthetic: SyntheticConfig {
                isl_mean: 16,
                num_entries: 3,
                seed: Some(7),
                ..SyntheticConfig::default()
            },
            ..DatasetSpec::default()
        };
        let data = build_dataset(&spec, &BuiltinTokenizer::new()).unwrap();
        assert_eq!(data.entries.len(), 3);
        assert!(data.entries.iter().all(|e| e.input_tokens == 16));
        assert_eq!(data.seed, 7);
        assert_eq!(data.sampling, SamplingStrategy::Shuffle);
        assert_eq!(data.default_requests, None);
        assert!(data.schedule.is_none());
        assert_eq!(data.echo[0]["type"], "synthetic");
        assert_eq!(data.echo[0]["prompts"]["isl"]["mean"], 16);
        assert_eq!(data.echo[0]["random_seed"], 7);
    }

    #[test]
    fn sessions_are_built_with_more_than_one_turn() {
        let spec = DatasetSpec {
            synthetic: SyntheticConfig {
                isl_mean: 8,
                seed: Some(1),
                ..SyntheticConfig::default()
            },
            conversation_num: Some(2),
            turn_mean: 3.0,
            ..DatasetSpec::default()
        };
        let data = build_dataset(&spec, &BuiltinTokenizer::new()).unwrap();
        assert_eq!(data.entries.len(), 6);
        assert_eq!(data.default_requests, Some(6));
        assert_eq!(data.echo[0]["conversations"]["num"], 2);
    }

    #[test]
    fn timestamps_give_a_fixed_schedule_unless_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(
            dir.path(),
            "t.jsonl",
            "{\"text\": \"a b\", \"timestamp\": 0}\n{\"text\": \"c d\", \"timestamp\": 250}\n",
        );
        let spec = DatasetSpec {
            input_file: Some(path),
            synthetic: SyntheticConfig {
                seed: Some(3),
                ..SyntheticConfig::default()
            },
            ..DatasetSpec::default()
        };
        let tok = BuiltinTokenizer::new();
        let data = build_dataset(&spec, &tok).unwrap();
        assert_eq!(
            data.schedule,
            Some(vec![Duration::ZERO, Duration::from_millis(250)])
        );
        assert_eq!(data.sampling, SamplingStrategy::Sequential);
        assert_eq!(data.default_requests, Some(2));
        assert_eq!(data.echo[0]["type"], "single_turn");
        let data = build_dataset(
            &DatasetSpec {
                no_fixed_schedule: true,
                ..spec
            },
            &tok,
        )
        .unwrap();
        assert!(data.schedule.is_none());
    }

    #[test]
    fn inconsistent_settings_are_refused() {
        let tok = BuiltinTokenizer::new();
        let typed = DatasetSpec {
            dataset_type: Some(DatasetType::SingleTurn),
            ..DatasetSpec::default()
        };
        assert!(matches!(
            build_dataset(&typed, &tok),
            Err(DatasetError::TypeWithoutFile)
        ));
        let fixed = DatasetSpec {
            fixed_schedule: true,
            ..DatasetSpec::default()
        };
        assert!(matches!(
            build_dataset(&fixed, &tok),
            Err(DatasetError::ScheduleWithoutFile)
        ));
        let dir = tempfile::tempdir().unwrap();
        let pool = DatasetSpec {
            input_file: Some(file(dir.path(), "x.jsonl", "{\"text\": \"a\"}")),
            conversation_num: Some(2),
            ..DatasetSpec::default()
        };
        assert!(matches!(
            build_dataset(&pool, &tok),
            Err(DatasetError::ConversationNumNeedsDirectory)
        ));
    }
}
