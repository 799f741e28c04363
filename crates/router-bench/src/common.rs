//! What every router benchmark shares (Dynamo's `common.py`): the model, tokenizer, seed and
//! expected-OSL settings, and the chat endpoint every script profiles (`--endpoint-type chat
//! --streaming --extra-inputs ignore_eos:true -H 'Authorization: Bearer NOT USED' -H 'Accept:
//! text/event-stream'`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use servebench_loadgen_core::bench::Benchmark;
use servebench_loadgen_core::{EndpointConfig, EndpointKind, parse_header};
use servebench_tokenize::Tokenizer;

use crate::error::RouterBenchError;

/// Dynamo's default model of the router benchmarks.
pub const DEFAULT_MODEL: &str = "deepseek-ai/DeepSeek-R1-Distill-Llama-8B";
/// Dynamo's default server URL.
pub const DEFAULT_URL: &str = "http://localhost:8000";
/// The headers `common.py` sends.
const HEADERS: [&str; 2] = [
    "Authorization: Bearer NOT USED",
    "Accept: text/event-stream",
];

/// The shared arguments of the router benchmarks.
#[derive(Debug, Clone)]
pub struct Common {
    /// `--model`.
    pub model: String,
    /// `--tokenizer` as given (`None`: the model's).
    pub tokenizer_name: Option<String>,
    /// The tokenizer prompts are sized with.
    pub tokenizer: Arc<dyn Tokenizer>,
    /// `--seed`.
    pub seed: u64,
    /// `--use-expected-osl`: send `nvext.agent_hints.osl`.
    pub use_expected_osl: bool,
    /// Scrape the servers' `/metrics` every this long (and at the start and end of each run).
    pub server_metrics_every: Duration,
    /// The command line echoed into each run's `input_config`.
    pub cli_command: String,
    /// True when the server runs in this process (its CPU is then not the client's).
    pub embedded: bool,
}

impl Common {
    /// Defaults (Dynamo's model, seed 0, no expected OSL, a 1 s scrape) with `tokenizer`.
    pub fn new(tokenizer: Arc<dyn Tokenizer>) -> Self {
        Self {
            model: DEFAULT_MODEL.to_owned(),
            tokenizer_name: None,
            tokenizer,
            seed: 0,
            use_expected_osl: false,
            server_metrics_every: Duration::from_secs(1),
            cli_command: String::new(),
            embedded: false,
        }
    }

    /// The chat endpoint with `common.py`'s flags plus `extra` merged into the body.
    ///
    /// # Errors
    /// Never in practice (the fixed headers are valid); reported rather than unwrapped.
    pub fn endpoint(&self, extra: Map<String, Value>) -> Result<EndpointConfig, RouterBenchError> {
        let mut endpoint = EndpointConfig::new(EndpointKind::Chat, self.model.clone());
        endpoint.streaming = true;
        endpoint
            .extra_inputs
            .insert("ignore_eos".into(), json!(true));
        for (k, v) in extra {
            endpoint.extra_inputs.insert(k, v);
        }
        for h in HEADERS {
            let header =
                parse_header(h).map_err(|e| RouterBenchError::invalid("header", e.to_string()))?;
            endpoint.extra_headers.push(header);
        }
        Ok(endpoint)
    }

    /// A benchmark of `urls` with this endpoint, writing into `dir`, seeded with `seed`.
    ///
    /// # Errors
    /// As [`Common::endpoint`].
    pub fn benchmark(
        &self,
        urls: Vec<String>,
        extra: Map<String, Value>,
        dir: PathBuf,
        seed: u64,
    ) -> Result<Benchmark, RouterBenchError> {
        let mut bench = Benchmark::new(urls, self.endpoint(extra)?, self.tokenizer.clone(), dir);
        bench.dataset.synthetic.seed = Some(seed);
        bench.server_metrics_every = Some(self.server_metrics_every);
        bench.measure_process_cpu = !self.embedded;
        bench.cli_command.clone_from(&self.cli_command);
        Ok(bench)
    }

    /// The tokenizer name written into summaries: `--tokenizer`, else the model.
    pub fn tokenizer_label(&self) -> &str {
        self.tokenizer_name.as_deref().unwrap_or(&self.model)
    }
}
