//! The deployment a sweep measures: mode, tensor/data parallelism bookkeeping and the
//! `deployment_config.json` that `perf.sh` writes beside its runs (and `plot_pareto.py` reads to
//! count GPUs).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::Serialize;

use crate::SweepError;

/// The file name beside the runs of one `artifacts_N` directory.
pub const DEPLOYMENT_CONFIG_FILE: &str = "deployment_config.json";

/// How the deployment serves: one kind of worker, or prefill and decode workers apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Every worker prefills and decodes (`--tp` / `--dp` count the GPUs).
    Aggregated,
    /// Prefill and decode workers apart (the four `--prefill-*` / `--decode-*` values count them).
    Disaggregated,
}

impl Mode {
    /// The name `perf.sh` takes and writes (`aggregated`, `disaggregated`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Aggregated => "aggregated",
            Self::Disaggregated => "disaggregated",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = SweepError;

    fn from_str(s: &str) -> Result<Self, SweepError> {
        match s {
            "aggregated" => Ok(Self::Aggregated),
            "disaggregated" => Ok(Self::Disaggregated),
            other => Err(SweepError::Invalid {
                setting: "mode",
                message: format!(
                    "unknown mode `{other}`: expected `aggregated` or `disaggregated`"
                ),
            }),
        }
    }
}

/// Tensor and data parallelism as `perf.sh` records them (0 = not given).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Parallelism {
    /// Aggregated tensor parallelism (`--tp`).
    pub tp: u32,
    /// Aggregated data parallelism (`--dp`).
    pub dp: u32,
    /// Prefill workers' tensor parallelism (`--prefill-tp`).
    pub prefill_tp: u32,
    /// Prefill data parallelism (`--prefill-dp`).
    pub prefill_dp: u32,
    /// Decode workers' tensor parallelism (`--decode-tp`).
    pub decode_tp: u32,
    /// Decode data parallelism (`--decode-dp`).
    pub decode_dp: u32,
}

impl Parallelism {
    /// `perf.sh`'s check: aggregated needs `tp` or `dp`; disaggregated needs at least one of the
    /// four prefill/decode values. The values are not checked against the deployment.
    ///
    /// # Errors
    /// [`SweepError::Invalid`] naming the settings that are missing.
    pub fn validate(&self, mode: Mode) -> Result<(), SweepError> {
        match mode {
            Mode::Aggregated if self.tp == 0 && self.dp == 0 => Err(SweepError::Invalid {
                setting: "tensor_parallelism",
                message: "aggregated mode needs the tensor parallelism (--tp) and/or the data \
                          parallelism (--dp) of the deployment"
                    .into(),
            }),
            Mode::Disaggregated
                if self.prefill_tp == 0
                    && self.prefill_dp == 0
                    && self.decode_tp == 0
                    && self.decode_dp == 0 =>
            {
                Err(SweepError::Invalid {
                    setting: "prefill_tensor_parallelism",
                    message: "disaggregated mode needs the prefill and decode parallelism \
                              (--prefill-tp, --prefill-dp, --decode-tp, --decode-dp)"
                        .into(),
                })
            }
            _ => Ok(()),
        }
    }

    /// GPUs as `plot_pareto.py` counts them: `tp*dp` aggregated, else
    /// `prefill_tp*prefill_dp + decode_tp*decode_dp`.
    pub fn gpus(&self, mode: Mode) -> u64 {
        match mode {
            Mode::Aggregated => u64::from(self.tp) * u64::from(self.dp),
            Mode::Disaggregated => {
                u64::from(self.prefill_tp) * u64::from(self.prefill_dp)
                    + u64::from(self.decode_tp) * u64::from(self.decode_dp)
            }
        }
    }
}

/// `deployment_config.json`: the keys in `perf.sh`'s order (serialization follows field order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeploymentConfig {
    /// `--deployment-kind` (the plot series is `{kind}_{mode}`).
    pub kind: String,
    /// The model.
    pub model: String,
    /// Input tokens per request.
    pub input_sequence_length: u64,
    /// Output tokens per request.
    pub output_sequence_length: u64,
    /// `--tp`.
    pub tensor_parallelism: u32,
    /// `--dp`.
    pub data_parallelism: u32,
    /// `--prefill-tp`.
    pub prefill_tensor_parallelism: u32,
    /// `--prefill-dp`.
    pub prefill_data_parallelism: u32,
    /// `--decode-tp`.
    pub decode_tensor_parallelism: u32,
    /// `--decode-dp`.
    pub decode_data_parallelism: u32,
    /// `aggregated` or `disaggregated`.
    pub mode: Mode,
}

impl DeploymentConfig {
    /// The record of a sweep of `model` with the given lengths, parallelism, mode and kind.
    pub fn new(
        kind: &str,
        model: &str,
        isl: u64,
        osl: u64,
        parallelism: Parallelism,
        mode: Mode,
    ) -> Self {
        Self {
            kind: kind.to_owned(),
            model: model.to_owned(),
            input_sequence_length: isl,
            output_sequence_length: osl,
            tensor_parallelism: parallelism.tp,
            data_parallelism: parallelism.dp,
            prefill_tensor_parallelism: parallelism.prefill_tp,
            prefill_data_parallelism: parallelism.prefill_dp,
            decode_tensor_parallelism: parallelism.decode_tp,
            decode_data_parallelism: parallelism.decode_dp,
            mode,
        }
    }

    /// The parallelism values.
    pub fn parallelism(&self) -> Parallelism {
        Parallelism {
            tp: self.tensor_parallelism,
            dp: self.data_parallelism,
            prefill_tp: self.prefill_tensor_parallelism,
            prefill_dp: self.prefill_data_parallelism,
            decode_tp: self.decode_tensor_parallelism,
            decode_dp: self.decode_data_parallelism,
        }
    }

    /// GPUs as `plot_pareto.py` counts them (see [`Parallelism::gpus`]).
    pub fn gpus(&self) -> u64 {
        self.parallelism().gpus(self.mode)
    }

    /// The series label `plot_pareto.py` uses: `{kind}_{mode}`.
    pub fn label(&self) -> String {
        format!("{}_{}", self.kind, self.mode)
    }

    /// The JSON text: one object, keys in `perf.sh`'s order, two-space indented, ending in a
    /// newline.
    pub fn to_json(&self) -> String {
        // A struct of strings, integers and a unit enum always serializes.
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes `dir/deployment_config.json` (replacing any earlier one, as `perf.sh` does).
    ///
    /// # Errors
    /// [`SweepError::Write`] naming the file.
    pub fn write(&self, dir: &Path) -> Result<(), SweepError> {
        let path = dir.join(DEPLOYMENT_CONFIG_FILE);
        std::fs::write(&path, self.to_json()).map_err(|source| SweepError::Write { path, source })
    }

    /// Reads `dir/deployment_config.json`.
    ///
    /// # Errors
    /// [`SweepError::Read`] for an unreadable file, [`SweepError::Parse`] naming the file, line
    /// and field for malformed JSON, a missing key or a value of the wrong type.
    pub fn read(dir: &Path) -> Result<Self, SweepError> {
        let path = dir.join(DEPLOYMENT_CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| SweepError::Read {
            path: path.clone(),
            source,
        })?;
        Self::parse(&text, &path)
    }

    /// Parses the text of a `deployment_config.json` read from `path` (named in errors).
    ///
    /// # Errors
    /// [`SweepError::Parse`] naming the file, line and field.
    pub fn parse(text: &str, path: &Path) -> Result<Self, SweepError> {
        let fail = |line: usize, field: &str, message: String| SweepError::Parse {
            path: path.to_owned(),
            line,
            field: field.to_owned(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| fail(e.line(), "-", e.to_string()))?;
        let Some(object) = value.as_object() else {
            return Err(fail(1, "-", "not a JSON object".into()));
        };
        // The line a key is on (1 when it is absent).
        let line_of = |key: &str| {
            let quoted = format!("\"{key}\"");
            text.lines()
                .position(|l| l.contains(&quoted))
                .map_or(1, |i| i + 1)
        };
        let string = |key: &str| -> Result<String, SweepError> {
            match object.get(key) {
                Some(serde_json::Value::String(s)) => Ok(s.clone()),
                Some(other) => Err(fail(
                    line_of(key),
                    key,
                    format!("expected a string, found {other}"),
                )),
                None => Err(fail(1, key, "missing".into())),
            }
        };
        let int = |key: &str| -> Result<u64, SweepError> {
            match object.get(key) {
                Some(v) => v.as_u64().ok_or_else(|| {
                    fail(
                        line_of(key),
                        key,
                        format!("expected an integer >= 0, found {v}"),
                    )
                }),
                None => Err(fail(1, key, "missing".into())),
            }
        };
        let small = |key: &str| -> Result<u32, SweepError> {
            u32::try_from(int(key)?).map_err(|_| fail(line_of(key), key, "too large".into()))
        };
        Ok(Self {
            kind: string("kind")?,
            model: string("model")?,
            input_sequence_length: int("input_sequence_length")?,
            output_sequence_length: int("output_sequence_length")?,
            tensor_parallelism: small("tensor_parallelism")?,
            data_parallelism: small("data_parallelism")?,
            prefill_tensor_parallelism: small("prefill_tensor_parallelism")?,
            prefill_data_parallelism: small("prefill_data_parallelism")?,
            decode_tensor_parallelism: small("decode_tensor_parallelism")?,
            decode_data_parallelism: small("decode_data_parallelism")?,
            mode: string("mode")?
                .parse::<Mode>()
                .map_err(|e| fail(line_of("mode"), "mode", e.to_string()))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perf_sh_validation() {
        let none = Parallelism::default();
        assert!(none.validate(Mode::Aggregated).is_err());
        assert!(none.validate(Mode::Disaggregated).is_err());
        let tp_only = Parallelism { tp: 4, ..none };
        assert!(tp_only.validate(Mode::Aggregated).is_ok());
        // Aggregated values do not satisfy disaggregated mode.
        assert!(tp_only.validate(Mode::Disaggregated).is_err());
        let dp_only = Parallelism { dp: 2, ..none };
        assert!(dp_only.validate(Mode::Aggregated).is_ok());
        for one in [
            Parallelism {
                prefill_tp: 1,
                ..none
            },
            Parallelism {
                prefill_dp: 1,
                ..none
            },
            Parallelism {
                decode_tp: 1,
                ..none
            },
            Parallelism {
                decode_dp: 1,
                ..none
            },
        ] {
            assert!(one.validate(Mode::Disaggregated).is_ok(), "{one:?}");
            assert!(one.validate(Mode::Aggregated).is_err(), "{one:?}");
        }
    }

    #[test]
    fn gpu_counts_follow_plot_pareto() {
        let p = Parallelism {
            tp: 4,
            dp: 2,
            prefill_tp: 1,
            prefill_dp: 4,
            decode_tp: 4,
            decode_dp: 1,
        };
        assert_eq!(p.gpus(Mode::Aggregated), 8);
        // 1x4 prefill + 4x1 decode.
        assert_eq!(p.gpus(Mode::Disaggregated), 8);
        // tp without dp counts zero GPUs, as plot_pareto.py's product does.
        let tp_only = Parallelism {
            tp: 4,
            ..Parallelism::default()
        };
        assert_eq!(tp_only.gpus(Mode::Aggregated), 0);
    }

    #[test]
    fn modes_parse_by_perf_sh_names_only() {
        assert_eq!("aggregated".parse::<Mode>().ok(), Some(Mode::Aggregated));
        assert_eq!(
            "disaggregated".parse::<Mode>().ok(),
            Some(Mode::Disaggregated)
        );
        assert!("agg".parse::<Mode>().is_err());
        assert!("Aggregated".parse::<Mode>().is_err());
    }
}
