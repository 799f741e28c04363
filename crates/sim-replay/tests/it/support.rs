//! A small Mooncake trace with shared prefixes and the engine it runs on.

use std::path::{Path, PathBuf};

use servebench_mocker::{BlockSize, EngineConfig, PoolConfig, RouterConfig, RouterMode};

/// `(timestamp ms, input_length, output_length, hash_ids)`; 512-token trace blocks. Arrivals are
/// spaced so that none lands within a few ms of another request's step boundary on its worker,
/// and requests 2, 4 and 6 reuse earlier prefixes.
pub(crate) const TRACE: &[(u64, u64, u64, &[u64])] = &[
    (0, 1000, 8, &[1, 2]),
    (13, 400, 8, &[3]),
    (150, 1400, 8, &[1, 2, 4]),
    (161, 900, 6, &[5, 6]),
    (400, 1000, 4, &[1, 2]),
    (470, 1500, 10, &[7, 8, 9]),
    (640, 1300, 5, &[5, 6, 10]),
    (820, 300, 12, &[11]),
];

pub(crate) fn write_trace(dir: &Path) -> PathBuf {
    let path = dir.join("trace.jsonl");
    let mut text = String::new();
    for (t, input, output, ids) in TRACE {
        let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
        text.push_str(&format!(
            "{{\"timestamp\": {t}, \"input_length\": {input}, \"output_length\": {output}, \
             \"hash_ids\": [{}]}}\n",
            ids.join(", ")
        ));
    }
    std::fs::write(&path, text).expect("write the trace");
    path
}

/// Two workers, KV routing, Dynamo's engine defaults (block 64) at speed-up 1.
pub(crate) fn kv_pool() -> PoolConfig {
    PoolConfig {
        engine: EngineConfig {
            block_size: BlockSize::new(64).expect("non-zero"),
            ..EngineConfig::default()
        },
        num_workers: 2,
        router: RouterConfig {
            mode: RouterMode::Kv,
            seed: 3,
            ..RouterConfig::default()
        },
    }
}

/// One request of a `profile_export.jsonl`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    pub(crate) session: u64,
    /// Client-measured TTFT, ms.
    pub(crate) ttft: f64,
    /// The server's own TTFT (arrival at the server to first token handed to HTTP), ms.
    pub(crate) server_ttft: f64,
    pub(crate) osl: f64,
}

/// The records of a `profile_export.jsonl`, by session number.
pub(crate) fn lines(jsonl: &Path) -> Vec<Line> {
    let text = std::fs::read_to_string(jsonl).expect("read the records");
    let mut out: Vec<Line> = text
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let number = |x: &serde_json::Value| x.as_f64().expect("a number");
            Line {
                session: v["metadata"]["session_num"].as_u64().expect("session_num"),
                ttft: number(&v["metrics"]["time_to_first_token"]["value"]),
                server_ttft: number(&v["metadata"]["server_timing"]["ttft_ms"]),
                osl: number(&v["metrics"]["output_sequence_length"]["value"]),
            }
        })
        .collect();
    out.sort_by_key(|r| r.session);
    out
}
