//! Prefix reuse of a run, two ways: the theoretical share of the prompts an infinite cache could
//! have served (Dynamo's `datagen analyze` computation over the requests actually sent, tokenized
//! into blocks of the server's block size), and the share the server reports it served
//! (`vllm:prefix_cache_hits_total` / `vllm:prefix_cache_queries_total` over the run, and per
//! worker from `servebench:worker_prefix_cache_*_total{worker}` or vLLM's `engine` label).
//!
//! The two differ when caches are too small to keep every shared prefix, or when a router
//! spreads requests that share a prefix over workers that each must fill their own cache.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use servebench_loadgen_core::DatasetEntry;
use servebench_loadgen_core::server_metrics::{EndpointMetrics, ServerMetrics};
use servebench_tokenize::Tokenizer;
use servebench_trace_formats::{MooncakeRecord, token_ids_to_hash_ids};
use servebench_workload::analyze::PrefixAnalyzer;

use crate::error::RouterBenchError;

/// vLLM's pool-wide prefix-cache hit counter (tokens).
pub const HITS: &str = "vllm:prefix_cache_hits_total";
/// vLLM's pool-wide prefix-cache query counter (tokens).
pub const QUERIES: &str = "vllm:prefix_cache_queries_total";
/// The servebench mocker's per-worker hit counter (label `worker`).
pub const WORKER_HITS: &str = "servebench:worker_prefix_cache_hits_total";
/// The servebench mocker's per-worker query counter (label `worker`).
pub const WORKER_QUERIES: &str = "servebench:worker_prefix_cache_queries_total";

/// The theoretical reuse of the requests a run sent (infinite cache, send order).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TheoreticalReuse {
    /// Requests analysed.
    pub requests: usize,
    /// Tokens per block of the analysis (the server's KV block size).
    pub block_size: u64,
    /// Mean of the per-request hit rates (the "Theoretical Hit Rates" mean of `datagen analyze`).
    pub mean_hit_rate: f64,
    /// Hit tokens (leading blocks seen before, times the block size) over prompt tokens: the
    /// figure to hold against the server's token counters.
    pub token_hit_rate: f64,
}

/// Prefix-cache tokens of one worker over a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerReuse {
    /// The worker's label value (`worker` or vLLM's `engine`).
    pub worker: String,
    /// Prompt tokens served from its cache.
    pub hits: f64,
    /// Prompt tokens it looked up.
    pub queries: f64,
}

impl WorkerReuse {
    /// `hits / queries` (0 when nothing was looked up).
    pub fn rate(&self) -> f64 {
        if self.queries > 0.0 {
            self.hits / self.queries
        } else {
            0.0
        }
    }
}

/// The reuse a server reported over a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AchievedReuse {
    /// Prompt tokens served from the prefix cache.
    pub hits: f64,
    /// Prompt tokens looked up.
    pub queries: f64,
    /// Per worker, when the server labels its counters by worker (empty otherwise).
    pub workers: Vec<WorkerReuse>,
}

impl AchievedReuse {
    /// `hits / queries`.
    pub fn rate(&self) -> f64 {
        if self.queries > 0.0 {
            self.hits / self.queries
        } else {
            0.0
        }
    }

    /// The run's reuse from a server-metrics scrape; `None` when no server reports vLLM's
    /// prefix-cache counters or nothing was looked up.
    pub fn from_scrape(scrape: &ServerMetrics) -> Option<Self> {
        let pool = scrape.prefix_cache_hit_rate()?;
        Some(Self {
            hits: pool.hits,
            queries: pool.queries,
            workers: worker_reuse(scrape),
        })
    }
}

/// Per-worker reuse: the mocker's `servebench:worker_prefix_cache_*` series by `worker`, else
/// vLLM's `vllm:prefix_cache_*` series by `engine` when more than one engine reports. Several
/// endpoints prefix the label with the endpoint's position (`1/0`).
fn worker_reuse(scrape: &ServerMetrics) -> Vec<WorkerReuse> {
    let many = scrape.endpoints.len() > 1;
    let mut out = Vec::new();
    for (e, endpoint) in scrape.endpoints.iter().enumerate() {
        let mut hits = labelled_delta(endpoint, WORKER_HITS, "worker");
        let mut queries = labelled_delta(endpoint, WORKER_QUERIES, "worker");
        if queries.is_empty() {
            hits = labelled_delta(endpoint, HITS, "engine");
            queries = labelled_delta(endpoint, QUERIES, "engine");
            if queries.len() < 2 {
                continue;
            }
        }
        for (label, q) in queries {
            let worker = if many { format!("{e}/{label}") } else { label };
            let h = hits
                .get(worker.rsplit('/').next().unwrap_or(&worker))
                .copied();
            out.push(WorkerReuse {
                worker,
                hits: h.unwrap_or(0.0),
                queries: q,
            });
        }
    }
    out.sort_by_key(|w| natural_key(&w.worker));
    out
}

/// Sorts `10` after `9`.
fn natural_key(s: &str) -> Vec<(u64, String)> {
    s.split('/')
        .map(|p| (p.parse().unwrap_or(u64::MAX), p.to_owned()))
        .collect()
}

/// Delta of counter `name` between the first and last scrape, per value of `label`.
fn labelled_delta(endpoint: &EndpointMetrics, name: &str, label: &str) -> BTreeMap<String, f64> {
    let totals = |samples: &[servebench_loadgen_core::server_metrics::Sample]| {
        let mut m: BTreeMap<String, f64> = BTreeMap::new();
        for s in samples.iter().filter(|s| s.name == name) {
            if let Some(v) = s.labels.get(label) {
                *m.entry(v.clone()).or_default() += s.value;
            }
        }
        m
    };
    let (Some(first), Some(last)) = (endpoint.snapshots.first(), endpoint.snapshots.last()) else {
        return BTreeMap::new();
    };
    let first = totals(&first.1);
    totals(&last.1)
        .into_iter()
        .map(|(k, last)| {
            let first = first.get(&k).copied().unwrap_or(0.0);
            // A counter that went down was reset: count from zero.
            let d = if last >= first { last - first } else { last };
            (k, d)
        })
        .collect()
}

/// The prompt text a chat server sees for `entry`, as the servebench mocker joins it: system
/// prompt, user context and prompt (or verbatim messages) separated by single spaces; a prompt
/// made of trace blocks is rendered.
pub fn entry_text(entry: &DatasetEntry) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(s) = &entry.system_prompt {
        parts.push(s.to_string());
    }
    if let Some(c) = &entry.user_context {
        parts.push(c.to_string());
    }
    let extras = entry.extras.as_deref();
    if let Some(messages) = extras.and_then(|e| e.messages.as_ref()) {
        for m in messages {
            if let Some(Value::String(c)) = m.get("content") {
                parts.push(c.clone());
            }
        }
    } else if entry.prompt.is_empty()
        && let Some(blocks) = extras.and_then(|e| e.blocks.as_ref())
    {
        parts.push(blocks.render());
    } else {
        parts.push(entry.prompt.clone());
    }
    parts.join(" ")
}

/// The theoretical reuse of `prompts` (token ids, in send order) with blocks of `block_size`
/// tokens: `datagen analyze`'s hit rate of an infinite cache over the prompts' chained block ids.
///
/// # Errors
/// A zero block size.
pub fn theoretical_reuse(
    prompts: &[Vec<u32>],
    block_size: u64,
) -> Result<TheoreticalReuse, RouterBenchError> {
    let bs = usize::try_from(block_size)
        .ok()
        .filter(|&b| b > 0)
        .ok_or_else(|| RouterBenchError::invalid("block size", "must be at least 1"))?;
    let ids = token_ids_to_hash_ids(prompts, bs)
        .map_err(|e| RouterBenchError::invalid("block size", e.to_string()))?;
    let mut analyzer = PrefixAnalyzer::new(block_size);
    let mut hit_tokens = 0u64;
    let mut total_tokens = 0u64;
    let mut seen = std::collections::HashSet::new();
    for (tokens, hash_ids) in prompts.iter().zip(ids) {
        let len = tokens.len() as u64;
        total_tokens += len;
        let first_unseen = hash_ids
            .iter()
            .position(|id| !seen.contains(id))
            .unwrap_or(hash_ids.len());
        hit_tokens += (first_unseen as u64 * block_size).min(len);
        seen.extend(hash_ids.iter().copied());
        analyzer.push(&MooncakeRecord::new(None, len, 0, hash_ids));
    }
    let analysis = analyzer.finish();
    let rates = &analysis.hit_rates;
    let mean = if rates.is_empty() {
        0.0
    } else {
        rates.iter().sum::<f64>() / rates.len() as f64
    };
    Ok(TheoreticalReuse {
        requests: prompts.len(),
        block_size,
        mean_hit_rate: mean,
        token_hit_rate: if total_tokens > 0 {
            hit_tokens as f64 / total_tokens as f64
        } else {
            0.0
        },
    })
}

/// One request a run sent, as `profile_export.jsonl` records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentRequest {
    /// The dataset entry (single-turn) or session number (multi-turn).
    pub session: u64,
    /// Turn within the session (0 for single-turn).
    pub turn: u32,
    /// When it was sent (ns since the epoch).
    pub start_ns: u64,
}

/// The requests of `profile_export.jsonl` (warm-up and profiling), in send order.
///
/// # Errors
/// An unreadable file, or a line that is not a record with `metadata.session_num`,
/// `turn_index` and `request_start_ns` (named `file:line: field`).
pub fn sent_requests(path: &Path) -> Result<Vec<SentRequest>, RouterBenchError> {
    let file =
        std::fs::File::open(path).map_err(|e| RouterBenchError::io(path, "cannot open", e))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| RouterBenchError::io(path, "cannot read", e))?;
        if line.trim().is_empty() {
            continue;
        }
        let parse = |message: String| RouterBenchError::Parse {
            path: path.to_owned(),
            line: i + 1,
            message,
        };
        let v: Value = serde_json::from_str(&line).map_err(|e| parse(e.to_string()))?;
        let field = |name: &str| {
            v.get("metadata")
                .and_then(|m| m.get(name))
                .and_then(Value::as_u64)
                .ok_or_else(|| parse(format!("field metadata.{name}: missing or not an integer")))
        };
        out.push(SentRequest {
            session: field("session_num")?,
            turn: u32::try_from(field("turn_index")?).unwrap_or(u32::MAX),
            start_ns: field("request_start_ns")?,
        });
    }
    out.sort_by_key(|r| r.start_ns);
    Ok(out)
}

/// The prompt tokens of each sent request: the entry's text for single-turn data; for sessions,
/// the texts of the session's turns up to this one joined with spaces (the assistant replies a
/// multi-turn request also carries are not known in advance and are left out). Requests that
/// name no entry are skipped.
pub fn sent_prompts(
    sent: &[SentRequest],
    entries: &[DatasetEntry],
    tokenizer: &dyn Tokenizer,
) -> Vec<Vec<u32>> {
    let sessions = entries.iter().any(|e| e.session().is_some());
    let mut by_session: BTreeMap<(u64, u32), usize> = BTreeMap::new();
    if sessions {
        for (i, e) in entries.iter().enumerate() {
            if let Some(s) = e.session() {
                by_session.insert((s.session, s.turn), i);
            }
        }
    }
    sent.iter()
        .filter_map(|r| {
            if sessions {
                let texts: Option<Vec<String>> = (0..=r.turn)
                    .map(|t| {
                        by_session
                            .get(&(r.session, t))
                            .map(|&i| entry_text(&entries[i]))
                    })
                    .collect();
                texts.map(|t| tokenizer.encode(&t.join(" ")))
            } else {
                let i = usize::try_from(r.session).ok()?;
                entries.get(i).map(|e| tokenizer.encode(&entry_text(e)))
            }
        })
        .collect()
}
