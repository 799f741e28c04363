//! Trace preparation of `real_data_benchmark.py` (`common.py`'s `prepare_trace_dataset`: use the
//! trace as is, add the expected output length, or synthesize a new trace with `datagen
//! synthesize`'s options) and of `agent_benchmark.py` (the `--delay` override).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use servebench_trace_formats::{ErrorPolicy, MooncakeReader, MooncakeRecord, ReadOptions};
use servebench_workload::synthesize::{
    RequestFilters, Synthesizer, SynthesizerConfig, write_synthetic_jsonl,
};

use crate::error::RouterBenchError;

/// The file written when only the expected output length is added.
pub const EXPECTED_OSL_TRACE: &str = "trace_with_expected_osl.jsonl";
/// The file written when a trace is synthesized.
pub const SYNTHETIC_TRACE: &str = "synthetic_trace.jsonl";
/// The file written by the agent benchmark's `--delay` override.
pub const MODIFIED_TRACE: &str = "modified_trace.jsonl";

/// `common.py`'s synthesis arguments, with its defaults from [`SynthesisOptions::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct SynthesisOptions {
    /// `--input-dataset` (`mooncake_trace.jsonl`).
    pub input_dataset: PathBuf,
    /// `--num-requests` (`None`: the file's line count).
    pub num_requests: Option<usize>,
    /// `--speedup-ratio` (1.0).
    pub speedup_ratio: f64,
    /// `--prefix-len-multiplier` (1.0).
    pub prefix_len_multiplier: f64,
    /// `--prefix-root-multiplier` (1).
    pub prefix_root_multiplier: u32,
    /// `--prompt-len-multiplier` (1.0).
    pub prompt_len_multiplier: f64,
    /// `--max-isl`, `--min-isl`, `--min-osl`, `--max-osl` (none).
    pub filters: RequestFilters,
    /// `--osl-multiplier` (1.0).
    pub osl_multiplier: f64,
    /// `--block-size` (512): tokens per hash id.
    pub block_size: u64,
}

impl SynthesisOptions {
    /// `common.py`'s defaults with `input_dataset`.
    pub fn new(input_dataset: PathBuf) -> Self {
        Self {
            input_dataset,
            num_requests: None,
            speedup_ratio: 1.0,
            prefix_len_multiplier: 1.0,
            prefix_root_multiplier: 1,
            prompt_len_multiplier: 1.0,
            filters: RequestFilters::default(),
            osl_multiplier: 1.0,
            block_size: 512,
        }
    }

    /// Synthesis is needed when any synthesis argument differs from its default (the block size
    /// only describes the trace and does not count).
    pub fn needs_synthesis(&self) -> bool {
        self.num_requests.is_some()
            || self.speedup_ratio != 1.0
            || self.prefix_len_multiplier != 1.0
            || self.prefix_root_multiplier != 1
            || self.prompt_len_multiplier != 1.0
            || self.filters != RequestFilters::default()
            || self.osl_multiplier != 1.0
    }
}

/// Reads every record of a Mooncake trace (file:line:field errors).
///
/// # Errors
/// An unreadable file or a malformed record.
pub fn read_trace(path: &Path) -> Result<Vec<MooncakeRecord>, RouterBenchError> {
    let file =
        std::fs::File::open(path).map_err(|e| RouterBenchError::io(path, "cannot open", e))?;
    let options = ReadOptions::with_policy(ErrorPolicy::Stop)
        .monotonic_timestamps(false)
        .require_hash_ids(false);
    let mut reader = MooncakeReader::new(BufReader::new(file), path.display().to_string(), options);
    let mut out = Vec::new();
    while let Some(r) = reader.read_record().map_err(|e| RouterBenchError::Trace {
        context: format!("cannot read the trace {}", path.display()),
        source: Box::new(e),
    })? {
        out.push(r);
    }
    Ok(out)
}

fn create(path: &Path) -> Result<BufWriter<std::fs::File>, RouterBenchError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| RouterBenchError::io(parent, "cannot create the directory", e))?;
    }
    let f =
        std::fs::File::create(path).map_err(|e| RouterBenchError::io(path, "cannot create", e))?;
    Ok(BufWriter::new(f))
}

/// The trace to replay (`prepare_trace_dataset`): the input as is; or with `use_expected_osl`
/// only, a copy with each row's output length as `extra.nvext.agent_hints.osl`
/// (`trace_with_expected_osl.jsonl`); or a trace synthesized with `seed`
/// (`synthetic_trace.jsonl`, `--num-requests` defaulting to the input's line count), with the
/// hint added when asked. Written files go to `output_dir`.
///
/// Dynamo's script reads the hint from a field Mooncake rows do not have and so always writes 0;
/// servebench writes the row's `output_length`. The hint goes under `extra`, the field servebench's
/// replay merges into the request body.
///
/// # Errors
/// An unreadable or malformed trace, invalid synthesis options, or an unwritable output.
pub fn prepare_trace_dataset(
    options: &SynthesisOptions,
    seed: u64,
    use_expected_osl: bool,
    output_dir: &Path,
) -> Result<PathBuf, RouterBenchError> {
    if !options.needs_synthesis() && !use_expected_osl {
        return Ok(options.input_dataset.clone());
    }
    let records = read_trace(&options.input_dataset)?;
    let (path, rows): (PathBuf, Vec<Value>) = if options.needs_synthesis() {
        let config = SynthesizerConfig {
            block_size: options.block_size,
            speedup_ratio: options.speedup_ratio,
            prefix_root_multiplier: options.prefix_root_multiplier,
            prefix_len_multiplier: options.prefix_len_multiplier,
            prompt_len_multiplier: options.prompt_len_multiplier,
            osl_multiplier: options.osl_multiplier,
            seed,
            skip_invalid_rows: false,
        };
        let synth_err =
            |e: servebench_workload::synthesize::SynthesizeError| RouterBenchError::Trace {
                context: format!("cannot synthesize from {}", options.input_dataset.display()),
                source: Box::new(e),
            };
        let mut synth = Synthesizer::learn(&records, config).map_err(synth_err)?;
        let n = options.num_requests.unwrap_or(records.len());
        let requests = synth
            .synthesize_requests(n, &options.filters, &mut |_| {})
            .map_err(synth_err)?;
        let path = output_dir.join(SYNTHETIC_TRACE);
        if !use_expected_osl {
            let mut w = create(&path)?;
            write_synthetic_jsonl(&mut w, &requests)
                .map_err(|e| RouterBenchError::io(&path, "cannot write", e))?;
            return Ok(path);
        }
        let rows = requests
            .iter()
            .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
            .collect();
        (path, rows)
    } else {
        let rows = records
            .iter()
            .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
            .collect();
        (output_dir.join(EXPECTED_OSL_TRACE), rows)
    };
    let mut w = create(&path)?;
    for mut row in rows {
        let osl = row
            .get("output_length")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if let Value::Object(m) = &mut row {
            m.insert(
                "extra".into(),
                json!({"nvext": {"agent_hints": {"osl": osl}}}),
            );
        }
        writeln!(w, "{row}").map_err(|e| RouterBenchError::io(&path, "cannot write", e))?;
    }
    w.flush()
        .map_err(|e| RouterBenchError::io(&path, "cannot write", e))?;
    Ok(path)
}

/// `agent_benchmark.py`'s `--delay` override, written to `output_dir/modified_trace.jsonl`: the
/// first turn of each `session_id` loses its `delay`; later turns (and rows without a
/// `session_id`) get `delay_ms`, or lose the field when it is 0. Other fields are kept as
/// written.
///
/// # Errors
/// An unreadable input, a line that is not a JSON object (named `file:line`), or an unwritable
/// output.
pub fn override_delays(
    input: &Path,
    delay_ms: f64,
    output_dir: &Path,
) -> Result<PathBuf, RouterBenchError> {
    let file =
        std::fs::File::open(input).map_err(|e| RouterBenchError::io(input, "cannot open", e))?;
    let path = output_dir.join(MODIFIED_TRACE);
    let mut w = create(&path)?;
    let mut seen = std::collections::HashSet::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| RouterBenchError::io(input, "cannot read", e))?;
        if line.trim().is_empty() {
            continue;
        }
        let parse = |message: String| RouterBenchError::Parse {
            path: input.to_owned(),
            line: i + 1,
            message,
        };
        let mut v: Value = serde_json::from_str(&line).map_err(|e| parse(e.to_string()))?;
        let Value::Object(row) = &mut v else {
            return Err(parse("not a JSON object".into()));
        };
        let first = match row.get("session_id") {
            Some(Value::String(s)) => seen.insert(s.clone()),
            Some(other) => seen.insert(other.to_string()),
            None => false,
        };
        if first || delay_ms == 0.0 {
            row.remove("delay");
        } else {
            // Whole numbers stay integers, as Python writes an int `--delay`.
            let delay = if delay_ms.fract() == 0.0 && delay_ms.abs() < 9e15 {
                json!(delay_ms as i64)
            } else {
                json!(delay_ms)
            };
            row.insert("delay".into(), delay);
        }
        writeln!(w, "{v}").map_err(|e| RouterBenchError::io(&path, "cannot write", e))?;
    }
    w.flush()
        .map_err(|e| RouterBenchError::io(&path, "cannot write", e))?;
    Ok(path)
}

/// Non-empty lines of `path` (the agent benchmark's default request count).
///
/// # Errors
/// An unreadable file.
pub fn count_lines(path: &Path) -> Result<u64, RouterBenchError> {
    let file =
        std::fs::File::open(path).map_err(|e| RouterBenchError::io(path, "cannot open", e))?;
    let mut n = 0;
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|e| RouterBenchError::io(path, "cannot read", e))?;
        if !line.trim().is_empty() {
            n += 1;
        }
    }
    Ok(n)
}
