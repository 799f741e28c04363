//! Property fuzzing of the byte parsers on arbitrary input (stable toolchain, proptest).
//!
//! The default case count is small so the suite stays quick; a long run sets `PROPTEST_CASES`,
//! e.g. `PROPTEST_CASES=200000 cargo nextest run -p servebench-loadgen-core -E 'test(fuzz::)'`.

use proptest::prelude::*;
use servebench_loadgen_core::{ChunkTemplate, ResponseChunk, SseParser};

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

/// Bytes that are mostly arbitrary but often contain the SSE syntax, so lines, fields, comments
/// and the three line endings are exercised, split anywhere (including inside CRLF).
fn sse_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..8),
        Just(b"data:".to_vec()),
        Just(b"data: ".to_vec()),
        Just(b"event: error".to_vec()),
        Just(b": comment".to_vec()),
        Just(b"id: 1".to_vec()),
        Just(b"retry: 5".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b"[DONE]".to_vec()),
        Just("é\u{0}\u{feff}".as_bytes().to_vec()),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

type Events = Vec<(Vec<u8>, Vec<u8>)>;

/// Feeds `bytes` cut at `cuts` (sorted, clamped) and returns the events and recognised lines.
fn parse_split(bytes: &[u8], cuts: &[usize]) -> (Events, u64) {
    let mut parser = SseParser::new();
    let mut out = Vec::new();
    let mut on_event =
        |e: servebench_loadgen_core::SseEvent<'_>| out.push((e.event.to_vec(), e.data.to_vec()));
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut start = 0;
    for p in points {
        parser.feed(&bytes[start..p], &mut on_event);
        start = p;
    }
    parser.feed(&bytes[start..], &mut on_event);
    parser.finish(&mut on_event);
    let lines = parser.recognised_lines();
    (out, lines)
}

/// The decoded fields of a chunk, for comparing decoders.
fn fields(chunk: &ResponseChunk<'_>) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}|{:?}",
        chunk.text(),
        chunk.reasoning(),
        chunk.finish_reason(),
        chunk.usage(),
        chunk.error(),
        chunk.has_choices(),
        chunk.has_data(),
        chunk.server_timing()
    )
}

/// JSON values shaped like OpenAI chunks: objects with the recognised keys at the right depths
/// and arbitrary values everywhere, so both decoders see near-misses of every shape.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        ".{0,6}".prop_map(Value::String),
    ];
    let keys = prop_oneof![
        Just("choices"),
        Just("delta"),
        Just("message"),
        Just("content"),
        Just("reasoning_content"),
        Just("reasoning"),
        Just("text"),
        Just("finish_reason"),
        Just("usage"),
        Just("prompt_tokens"),
        Just("completion_tokens"),
        Just("total_tokens"),
        Just("prompt_tokens_details"),
        Just("cached_tokens"),
        Just("error"),
        Just("data"),
        Just("id"),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::vec((keys.clone(), inner), 0..5).prop_map(|members| {
                Value::Object(
                    members
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            }),
        ]
    })
}

/// Every decoder on `json`: no panic; the public parse, the template decoder (fresh and after
/// learning a shape) and serde alone agree whenever serde accepts.
fn check_decoders(json: &[u8]) {
    let serde = ResponseChunk::parse_with_serde(json);
    let fast = ResponseChunk::parse(json);
    let mut template = ChunkTemplate::default();
    let first = template.parse(json).map(|c| fields(&c));
    let again = template.parse(json).map(|c| fields(&c));
    match &serde {
        Ok(chunk) => {
            let want = fields(chunk);
            assert_eq!(fast.as_ref().map(fields).ok(), Some(want.clone()));
            assert_eq!(first.as_ref().ok(), Some(&want));
            assert_eq!(again.as_ref().ok(), Some(&want));
        }
        Err(_) => {
            // What serde refuses, no faster path may accept.
            assert!(fast.is_err() && first.is_err() && again.is_err());
        }
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn fuzz_sse_any_bytes_any_split_equals_the_unsplit_parse(
        bytes in sse_like_bytes(),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
    ) {
        let whole = parse_split(&bytes, &[]);
        prop_assert_eq!(&parse_split(&bytes, &cuts), &whole);
        let every: Vec<usize> = (0..bytes.len()).collect();
        prop_assert_eq!(&parse_split(&bytes, &every), &whole);
    }

    #[test]
    fn fuzz_chunk_decoders_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        check_decoders(&bytes);
    }

    #[test]
    fn fuzz_chunk_decoders_on_arbitrary_json(value in json_value(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&value)
        } else {
            serde_json::to_string(&value)
        }
        .unwrap();
        check_decoders(text.as_bytes());
    }
}

/// A learned template never decodes a later chunk differently from serde: a stream of chunks
/// that share a shape but differ in one field.
#[test]
fn fuzz_template_after_learning_a_shape_matches_serde() {
    let shapes = [
        r#"{"id":"c","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}"#,
        r#"{"id":"c","choices":[{"index":0,"delta":{"content":"b"},"finish_reason":"abort"}]}"#,
        r#"{"id":"c","choices":[{"index":0,"delta":{"content":"\u00e9"},"finish_reason":null}]}"#,
        r#"{"id":"c","choices":[{"index":0,"delta":{"content":5},"finish_reason":null}]}"#,
        r#"{"id":"c","choices":[{"index":0,"delta":{"content":"c"},"finish_reason":null}]}x"#,
    ];
    let mut template = ChunkTemplate::default();
    for json in shapes {
        let got = template.parse(json.as_bytes()).map(|c| fields(&c)).ok();
        let want = ResponseChunk::parse_with_serde(json.as_bytes())
            .map(|c| fields(&c))
            .ok();
        assert_eq!(got, want, "{json}");
    }
}
