//! Property tests: the fast scanner gives exactly serde's result whenever it answers, and it
//! answers for the common chunk shapes.

use proptest::prelude::*;

use super::fast::scan;
use super::{ChunkTemplate, ResponseChunk};

use super::chunk_gen::{ChunkWriter, Gen, generate};

/// When the scanner answers, serde must succeed with the same value.
fn assert_equivalent(json: &[u8]) -> bool {
    let Some(fast) = scan(json) else {
        return false;
    };
    let serde = ResponseChunk::parse_with_serde(json);
    let Ok(serde) = serde else {
        panic!(
            "fast path accepted what serde rejects ({}): {}",
            serde.err().map(|e| e.to_string()).unwrap_or_default(),
            String::from_utf8_lossy(json)
        );
    };
    assert_eq!(
        format!("{fast:?}"),
        format!("{serde:?}"),
        "input: {}",
        String::from_utf8_lossy(json)
    );
    assert_eq!(
        (fast.text(), fast.reasoning()),
        (serde.text(), serde.reasoning())
    );
    assert_eq!(fast.usage(), serde.usage());
    assert_eq!(fast.has_choices(), serde.has_choices());
    true
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn fast_path_equals_serde_on_generated_chunks(seed in any::<u64>(), exotic in any::<bool>()) {
        let json = generate(seed, exotic);
        assert_equivalent(json.as_bytes());
    }

    #[test]
    fn fast_path_equals_serde_on_damaged_chunks(
        seed in any::<u64>(),
        cut in any::<prop::sample::Index>(),
        byte in prop::sample::select(b"\"\\{}[],:0-.eE nul\x01\xc3\xff".to_vec()),
        mode in 0u8..3,
    ) {
        let mut json = generate(seed, false).into_bytes();
        let at = cut.index(json.len() + 1);
        match mode {
            0 => json.truncate(at),
            1 => json.insert(at, byte),
            _ => if at < json.len() { json.remove(at); },
        }
        assert_equivalent(&json);
    }
}

#[test]
fn fast_path_answers_for_common_shapes() {
    let answered = (1..=2000u64)
        .filter(|&seed| assert_equivalent(generate(seed, false).as_bytes()))
        .count();
    // Non-exotic chunks are all strictly valid and in recognised shapes.
    assert_eq!(answered, 2000);
}

#[test]
fn fast_path_declines_exotic_shapes_and_serde_decides() {
    let cases: &[&[u8]] = &[
        br#"{"error":{"message":"boom"}}"#,
        br#"{"data":[]}"#,
        br#"{"choices":[{"delta":{"content":"a","content":"b"}}]}"#,
        br#"{"choices":[{"delta":{"cont\u0065nt":"a"}}]}"#,
        br#"{"choices":[{"delta":{"content":"\ud800"}}]}"#,
        br#"{"usage":{"completion_tokens":5.0}}"#,
        br#"{"choices":[["x"]]}"#,
        br#"{"choices":[{"text":"a"}]} x"#,
        b"{\"choices\":[{\"text\":\"a\x01\"}]}",
    ];
    for json in cases {
        assert!(scan(json).is_none(), "{}", String::from_utf8_lossy(json));
    }
    let c = ResponseChunk::parse(br#"{"choices":[{"delta":{"cont\u0065nt":"a"}}]}"#).unwrap();
    assert_eq!(c.text(), "a");
}

#[test]
fn fast_path_unescapes_exactly() {
    let json = br#"{"choices":[{"delta":{"content":"a\"b\\c\/d\n\u00e9\uD83D\uDE00\u0001"}}]}"#;
    let c = scan(json).unwrap();
    assert_eq!(c.text(), "a\"b\\c/d\né😀\u{1}");
}

/// A stream of chunks: most share one shape (so the template applies), with their text varied,
/// interleaved with other generated chunks and damaged copies.
fn stream(seed: u64, len: usize) -> Vec<Vec<u8>> {
    let mut g = Gen(seed | 1);
    let shapes = [
        (
            "{\"id\":\"c-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":",
            "},\"logprobs\":null,\"finish_reason\":null}]}",
        ),
        (
            "{\"choices\":[{\"text\":",
            ",\"finish_reason\":null}], \"id\": \"x\"}",
        ),
        (
            "{\"choices\":[{\"delta\":{\"content\":null,\"reasoning_content\":",
            "}}]}",
        ),
        (
            "{\"choices\":[{\"delta\":{\"reasoning\":",
            ",\"role\":\"assistant\"},\"text\":null}]}",
        ),
    ];
    let (head, tail) = *g.pick(&shapes);
    (0..len)
        .map(|i| {
            let mut w = ChunkWriter {
                g: Gen(seed.wrapping_add(i as u64 * 7919) | 1),
                exotic: g.chance(20),
                out: String::new(),
            };
            let mut bytes = match g.below(10) {
                0 => w.chunk().into_bytes(),
                1 => {
                    w.string();
                    format!("{head}{}{tail}", w.out).into_bytes()
                }
                _ => {
                    w.exotic = false;
                    w.string();
                    format!("{head}{}{tail}", w.out).into_bytes()
                }
            };
            if g.chance(10) && !bytes.is_empty() {
                let at = g.below(bytes.len() as u64) as usize;
                match g.below(3) {
                    0 => bytes.truncate(at),
                    1 => bytes.insert(at, *g.pick(b"\"\\}] \x01")),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            bytes
        })
        .collect()
}

/// The template decoder gives serde's result (value or error) on every chunk of a stream.
fn assert_stream_equivalent(chunks: &[Vec<u8>]) -> usize {
    let mut template = ChunkTemplate::default();
    let mut reused = 0;
    for json in chunks {
        let learned = template.is_learned();
        let got = template.parse(json);
        let want = ResponseChunk::parse_with_serde(json);
        match (&got, &want) {
            (Ok(got), Ok(want)) => assert_eq!(
                format!("{got:?}"),
                format!("{want:?}"),
                "input: {}",
                String::from_utf8_lossy(json)
            ),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "template decoder and serde disagree ({:?} vs {:?}) on {}",
                got.is_ok(),
                want.is_ok(),
                String::from_utf8_lossy(json)
            ),
        }
        if learned && template.is_learned() {
            reused += 1;
        }
    }
    reused
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn template_decoder_equals_serde_on_streams(seed in any::<u64>()) {
        assert_stream_equivalent(&stream(seed, 40));
    }
}

#[test]
fn template_is_reused_on_plain_streams() {
    let chunks: Vec<Vec<u8>> = ["\"a\"", "\" b\"", "\"\\u00e9\\n\"", "\"\"", "\"x\\\"\""]
        .iter()
        .map(|text| {
            format!("{{\"id\":\"c\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{text}}},\"finish_reason\":null}}]}}")
                .into_bytes()
        })
        .collect();
    assert_eq!(assert_stream_equivalent(&chunks), chunks.len() - 1);
    let mut template = ChunkTemplate::default();
    let texts: Vec<String> = chunks
        .iter()
        .map(|c| template.parse(c).unwrap().text().to_owned())
        .collect();
    assert_eq!(texts, ["a", " b", "é\n", "", "x\""]);
}
