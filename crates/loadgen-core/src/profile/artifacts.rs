use std::path::PathBuf;

/// AIPerf's default artifact directory: `artifacts/<model>-openai-<endpoint>-<stimulus>`, with `/`
/// in the model name replaced by `_` and the stimulus `concurrency<N>`, `request_rate<R>` or both
/// joined by `-`.
pub fn default_artifact_dir(
    model: &str,
    endpoint: &str,
    concurrency: Option<usize>,
    request_rate: Option<f64>,
) -> PathBuf {
    let mut stimulus = Vec::new();
    if let Some(c) = concurrency {
        stimulus.push(format!("concurrency{c}"));
    }
    if let Some(r) = request_rate {
        stimulus.push(format!("request_rate{}", python_float(r)));
    }
    let name = format!(
        "{}-openai-{}-{}",
        model.replace('/', "_"),
        endpoint,
        stimulus.join("-")
    );
    PathBuf::from("artifacts").join(name)
}

/// A rate as Python's `str(float)` prints it (`10.0`, `2.5`).
fn python_float(r: f64) -> String {
    if r.fract() == 0.0 && r.abs() < 1e16 {
        format!("{r:.1}")
    } else {
        format!("{r}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_aiperf_examples() {
        assert_eq!(
            default_artifact_dir("Qwen/Qwen3-0.6B", "chat", Some(8), None),
            PathBuf::from("artifacts/Qwen_Qwen3-0.6B-openai-chat-concurrency8")
        );
        assert_eq!(
            default_artifact_dir("m", "completions", Some(4), Some(10.0)),
            PathBuf::from("artifacts/m-openai-completions-concurrency4-request_rate10.0")
        );
        assert_eq!(
            default_artifact_dir("m", "chat", None, Some(2.5)),
            PathBuf::from("artifacts/m-openai-chat-request_rate2.5")
        );
    }
}
