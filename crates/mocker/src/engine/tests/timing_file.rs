//! Engines timed by a measured timing file.

use std::io::Write;
use std::time::Duration;

use super::*;
use crate::engine::{Engine, EngineConfig, EngineError, TimingModel};

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(text.as_bytes()).expect("write");
    f
}

#[test]
fn steps_follow_the_interpolated_curves() {
    let f = file(
        r#"{"prefill_isl": [0, 1000], "prefill_ttft_ms": [10.0, 30.0],
            "decode_active_kv_tokens": [0, 1600], "decode_context_length": [0, 200],
            "decode_itl": [[2.0, 4.0], [10.0, 12.0]]}"#,
    );
    let mut e = engine(EngineConfig {
        block_size: bs(16),
        num_gpu_blocks: 100,
        speedup_ratio: 2.0,
        timing: TimingModel::FromFile(f.path().to_path_buf()),
        ..EngineConfig::default()
    });
    e.add_request(1, request(prompt(0, 100), 2), Duration::ZERO);
    let (events, _) = run(&mut e, Duration::ZERO);
    let times = token_times(&events, 1);
    // Prefill of 100 tokens: 10 + 20 * 100/1000 = 12 ms, / 2.
    assert_close(ms(times[0]), 6.0);
    // Decode computing token 101: 7 blocks = 112 active KV tokens, context 101.
    // Along kv at ctx 0: 2 + 8 * 112/1600 = 2.56; at ctx 200: 4 + 8 * 0.07 = 4.56;
    // along ctx: 2.56 + 2 * 101/200 = 3.57 ms, / 2.
    assert_close(ms(times[1] - times[0]), 3.57 / 2.0);
}

#[test]
fn a_malformed_timing_file_names_file_and_field() {
    let f = file(
        r#"{"prefill_isl": [0, 1000], "prefill_ttft_ms": [10.0, "x"],
            "decode_active_kv_tokens": [0, 1], "decode_context_length": [0, 1],
            "decode_itl": [[1, 1], [1, 1]]}"#,
    );
    let config = EngineConfig {
        timing: TimingModel::FromFile(f.path().to_path_buf()),
        ..EngineConfig::default()
    };
    let err = Engine::new(&config, 0).expect_err("malformed");
    assert!(matches!(err, EngineError::TimingFileParse { .. }));
    assert!(err.to_string().contains(&f.path().display().to_string()));
    let source = std::error::Error::source(&err)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(source.contains("line 1"), "{source}");
}
