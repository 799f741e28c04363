//! Where a sweep's runs go. `perf.sh`: `root/artifacts_N/` with the smallest free `N`, one
//! directory per concurrency named as AIPerf names it (`<model>-openai-chat-concurrency<C>`, the
//! `-concurrency<C>` that `plot_pareto.py` needs), and `deployment_config.json`. The
//! `benchmarks/utils` wrapper: `root/<benchmark name>/c<C>/`, which `plot.py` reads.
//!
//! AIPerf computes the `<model>-openai-chat-concurrency<C>` name only when `--artifact-dir` is not
//! given; `perf.sh` passes the same `--artifact-dir artifacts_N` to every run, so under current
//! AIPerf each concurrency would write straight into `artifacts_N/` over the previous one.
//! genai-perf (the script's first backend) always added the sub-directory, and Dynamo's
//! `benchmarks/llm/README.md` documents `artifacts_N/<...>-concurrency<C>/`, the path
//! `plot_pareto.py` needs: this crate writes that documented tree.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use servebench_loadgen_core::profile::default_artifact_dir;

use crate::SweepError;
use crate::deployment::DEPLOYMENT_CONFIG_FILE;

/// The prefix of `perf.sh`'s numbered directories.
pub const ARTIFACTS_PREFIX: &str = "artifacts_";

/// A new `root/artifacts_N` directory (root created if missing) and its index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactsDir {
    /// `N`.
    pub index: usize,
    /// `root/artifacts_N`.
    pub path: PathBuf,
}

/// Creates `root` if missing and then `root/artifacts_N` for the smallest `N` whose directory
/// does not exist yet (as `perf.sh` does; a directory created meanwhile by another sweep is
/// skipped, not shared).
///
/// # Errors
/// [`SweepError::Write`] naming the directory that could not be created.
pub fn create_next(root: &Path) -> Result<ArtifactsDir, SweepError> {
    std::fs::create_dir_all(root).map_err(|source| SweepError::Write {
        path: root.to_owned(),
        source,
    })?;
    let mut index = 0;
    loop {
        let path = root.join(format!("{ARTIFACTS_PREFIX}{index}"));
        if !path.exists() {
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(ArtifactsDir { index, path }),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(source) => return Err(SweepError::Write { path, source }),
            }
        }
        index += 1;
    }
}

/// The `deployment_config.json` files of `root/artifacts_0` .. `root/artifacts_{index-1}`, in
/// order: each path with its text, or the error reading it (a directory without one, say).
pub fn earlier_configs(
    root: &Path,
    index: usize,
) -> Vec<(PathBuf, Result<String, std::io::Error>)> {
    (0..index)
        .map(|i| {
            let path = root
                .join(format!("{ARTIFACTS_PREFIX}{i}"))
                .join(DEPLOYMENT_CONFIG_FILE);
            let text = std::fs::read_to_string(&path);
            (path, text)
        })
        .collect()
}

/// The directory AIPerf computes for a chat run of `model` at concurrency `c`
/// (`Qwen/Qwen3-0.6B`, 8 → `Qwen_Qwen3-0.6B-openai-chat-concurrency8`).
pub fn run_dir_name(model: &str, c: u64) -> String {
    let c = usize::try_from(c).unwrap_or(usize::MAX);
    default_artifact_dir(model, "chat", Some(c), None)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The wrapper's run directory: `root/<name>/c<C>`.
pub fn utils_run_dir(root: &Path, name: &str, c: u64) -> PathBuf {
    root.join(name).join(format!("c{c}"))
}

/// Checks a wrapper benchmark name: `^[a-zA-Z0-9_-]+$`, and not `plots` (the plot directory).
///
/// # Errors
/// [`SweepError::Invalid`] saying why.
pub fn check_benchmark_name(name: &str) -> Result<(), SweepError> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        return Err(SweepError::Invalid {
            setting: "benchmark_name",
            message: format!("benchmark name `{name}` must be letters, digits, `_` and `-` only"),
        });
    }
    if name == "plots" {
        return Err(SweepError::Invalid {
            setting: "benchmark_name",
            message: "benchmark name `plots` is reserved for the plot directory".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_dirs_are_named_as_aiperf_names_them() {
        assert_eq!(
            run_dir_name("Qwen/Qwen3-0.6B", 8),
            "Qwen_Qwen3-0.6B-openai-chat-concurrency8"
        );
        assert_eq!(
            run_dir_name("neuralmagic/DeepSeek-R1-Distill-Llama-70B-FP8-dynamic", 256),
            "neuralmagic_DeepSeek-R1-Distill-Llama-70B-FP8-dynamic-openai-chat-concurrency256"
        );
        assert_eq!(
            utils_run_dir(Path::new("out"), "vllm", 5),
            PathBuf::from("out/vllm/c5")
        );
    }

    #[test]
    fn benchmark_names() {
        assert!(check_benchmark_name("agg_tp4-dp2").is_ok());
        for bad in ["", "plots", "a b", "a/b", "é"] {
            assert!(check_benchmark_name(bad).is_err(), "{bad:?}");
        }
    }
}
