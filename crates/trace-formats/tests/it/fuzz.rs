//! Fuzz targets for every trace reader, on the stable toolchain: arbitrary bytes, and valid lines
//! with bytes flipped, cut or spliced in. No panic, no endless stream (a reader yields at most one
//! item per line, plus one), and every error names the source and a line inside the input.
//!
//! CI runs [`DEFAULT_CASES`] cases per target, and nextest's slow-timeout ends a hung one. A long
//! run, in the test profile so overflow checks stay on (`cargo test` has no time limit):
//! `PROPTEST_CASES=1000000 cargo test -p servebench-trace-formats --test it -- fuzz:: --test-threads 1`.
//! One million cases per target took 28 s (random pool) to 187 s (Mooncake) on a 2-core machine at
//! load 10 (2026-12-02), all passing; ten minutes per target is about 4M (Mooncake) to 20M
//! (random pool) cases.

use proptest::prelude::*;
use servebench_trace_formats::{
    AzureReader, BurstGptReader, Error, ErrorPolicy, MooncakeReader, MultiTurnReader,
    RandomPoolReader, ReadOptions, SingleTurnReader,
};

/// Cases per target unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 128;

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    ProptestConfig {
        cases,
        // Failures are reported with their input; no regression files written in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const NAME: &str = "fuzz.x";

const MOONCAKE: &[&str] = &[
    "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 5, \"hash_ids\": [0, 1]}",
    "{\"timestamp\":7,\"input_length\":3,\"output_length\":1,\"hash_ids\":[9],\"session_id\":\"s\",\"delay\":0.5}",
    "{\"input_length\": 5, \"output_length\": 1, \"text_input\": \"h\\u00e9\"}",
];
const SINGLE_TURN: &[&str] = &[
    "{\"text\": \"hello\"}",
    "{\"texts\": [{\"name\": \"q\", \"contents\": [\"a\", \"b\"]}], \"timestamp\": 5}",
    "{\"text\": \"x\", \"delay\": 10, \"output_length\": 3}",
];
const MULTI_TURN: &[&str] = &[
    "{\"session_id\": \"s\", \"turns\": [{\"text\": \"a\"}, {\"text\": \"b\", \"delay\": 5}]}",
    "{\"session_id\": \"t\", \"turns\": [{\"texts\": [{\"name\": \"q\", \"contents\": [\"c\"]}]}]}",
];
const RANDOM_POOL: &[&str] = &[
    "{\"type\": \"random_pool\", \"text\": \"a\"}",
    "{\"texts\": [\"b\", \"c\"]}",
];
const BURSTGPT: &[&str] = &[
    "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type",
    "5,ChatGPT,472,18,490,Conversation log",
    "45.5,GPT-4,1087,230,1317,API log",
];
const AZURE: &[&str] = &[
    "TIMESTAMP,ContextTokens,GeneratedTokens",
    "2023-11-16 18:15:46.6805900,374,44",
    "2023-11-16 18:15:50.9951690,396,109",
];

/// One line: a valid one, a valid one damaged, or arbitrary bytes.
fn line(valid: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let pick = proptest::sample::select(valid.to_vec());
    prop_oneof![
        3 => pick.clone().prop_map(|l| l.as_bytes().to_vec()),
        2 => (pick.clone(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(l, at, b)| {
            let mut bytes = l.as_bytes().to_vec();
            let i = at.index(bytes.len());
            bytes[i] = b;
            bytes
        }),
        2 => (pick.clone(), any::<prop::sample::Index>()).prop_map(|(l, at)| {
            let bytes = l.as_bytes();
            bytes[..at.index(bytes.len() + 1)].to_vec()
        }),
        1 => (pick, any::<prop::sample::Index>(), proptest::collection::vec(any::<u8>(), 0..8))
            .prop_map(|(l, at, junk)| {
                let mut bytes = l.as_bytes().to_vec();
                let i = at.index(bytes.len() + 1);
                bytes.splice(i..i, junk);
                bytes
            }),
        1 => proptest::collection::vec(any::<u8>(), 0..40),
    ]
}

/// A whole input: the first line is usually the valid first line (the CSV header), then damaged
/// and valid lines joined by `\n` or `\r\n`, with or without a final newline; or any bytes.
fn input(valid: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let lines = (
        any::<bool>(),
        proptest::collection::vec(line(valid), 0..12),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(header, body, crlf, final_newline)| {
            let mut all = Vec::new();
            if header {
                all.push(valid[0].as_bytes().to_vec());
            }
            all.extend(body);
            let mut bytes = all.join(if crlf { &b"\r\n"[..] } else { &b"\n"[..] });
            if final_newline {
                bytes.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
            bytes
        });
    prop_oneof![4 => lines, 1 => proptest::collection::vec(any::<u8>(), 0..600)]
}

/// Lines of `bytes` as a reader counts them (the last may lack its newline).
fn line_count(bytes: &[u8]) -> u64 {
    bytes.split(|b| *b == b'\n').count() as u64
}

/// Checks that `error` names the source and a line in `1..=lines`.
fn located(error: &Error, lines: u64) -> Result<(), TestCaseError> {
    let Error::Record(e) = error else {
        return Err(TestCaseError::fail(format!(
            "an in-memory input gave a non-record error: {error}"
        )));
    };
    prop_assert_eq!(&e.source_name, NAME);
    prop_assert!(
        (1..=lines).contains(&e.line),
        "line {} outside 1..={lines}: {e}",
        e.line
    );
    let text = e.to_string();
    let prefix = format!("{NAME}:{}: ", e.line);
    prop_assert!(text.starts_with(&prefix), "{} lacks {}", text, prefix);
    Ok(())
}

/// Drains `reader`, checking every error and that it ends within `lines + 1` items.
fn drain<T>(
    reader: impl Iterator<Item = Result<T, Error>>,
    lines: u64,
) -> Result<(), TestCaseError> {
    let mut items = 0u64;
    for item in reader {
        items += 1;
        prop_assert!(
            items <= lines + 1,
            "more items than lines: the reader does not advance"
        );
        if let Err(e) = item {
            located(&e, lines)?;
        }
    }
    Ok(())
}

fn policies() -> [ReadOptions; 2] {
    [
        ReadOptions::default(),
        ReadOptions::with_policy(ErrorPolicy::Skip).max_kept_errors(3),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_mooncake(bytes in input(MOONCAKE)) {
        let lines = line_count(&bytes);
        for options in policies() {
            drain(MooncakeReader::new(&bytes[..], NAME, options), lines)?;
        }
    }

    #[test]
    fn fuzz_aiperf_single_turn(bytes in input(SINGLE_TURN)) {
        let lines = line_count(&bytes);
        for options in policies() {
            drain(SingleTurnReader::new(&bytes[..], NAME, options), lines)?;
        }
    }

    #[test]
    fn fuzz_aiperf_multi_turn(bytes in input(MULTI_TURN)) {
        let lines = line_count(&bytes);
        for options in policies() {
            drain(MultiTurnReader::new(&bytes[..], NAME, options), lines)?;
        }
    }

    #[test]
    fn fuzz_aiperf_random_pool(bytes in input(RANDOM_POOL)) {
        let lines = line_count(&bytes);
        for options in policies() {
            drain(RandomPoolReader::new(&bytes[..], NAME, options), lines)?;
        }
    }

    #[test]
    fn fuzz_burstgpt(bytes in input(BURSTGPT)) {
        let lines = line_count(&bytes);
        for options in policies() {
            match BurstGptReader::new(&bytes[..], NAME, options) {
                Ok(reader) => drain(reader, lines)?,
                Err(e) => located(&e, lines)?,
            }
        }
    }

    #[test]
    fn fuzz_azure(bytes in input(AZURE)) {
        let lines = line_count(&bytes);
        for options in policies() {
            match AzureReader::new(&bytes[..], NAME, options) {
                Ok(reader) => drain(reader, lines)?,
                Err(e) => located(&e, lines)?,
            }
        }
    }
}
