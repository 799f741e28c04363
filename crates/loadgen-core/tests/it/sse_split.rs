//! Any split of a valid SSE byte stream into reads yields the same events.

use proptest::prelude::*;
use servebench_loadgen_core::SseParser;

#[derive(Debug, Clone)]
struct Event {
    name: Option<String>,
    data_lines: Vec<String>,
    comment_before: bool,
}

fn event() -> impl Strategy<Value = Event> {
    (
        proptest::option::of("[a-z]{1,6}"),
        proptest::collection::vec("[ a-zA-Z0-9{}\":,\\[\\]]{0,12}", 1..4),
        any::<bool>(),
    )
        .prop_map(|(name, data_lines, comment_before)| Event {
            name,
            data_lines,
            comment_before,
        })
}

/// Serializes with a per-line terminator chosen from LF / CRLF / CR. A CR followed by an empty
/// line ending in LF would read as one CRLF, so that combination is written as CRLF instead.
fn serialize(events: &[Event], endings: &[u8]) -> Vec<u8> {
    let mut lines: Vec<String> = Vec::new();
    for e in events {
        if e.comment_before {
            lines.push(": keep-alive".into());
        }
        if let Some(name) = &e.name {
            lines.push(format!("event: {name}"));
        }
        for d in &e.data_lines {
            lines.push(format!("data: {d}"));
        }
        lines.push(String::new());
    }
    let mut out = Vec::new();
    let mut previous_cr = false;
    for (i, line) in lines.iter().enumerate() {
        out.extend_from_slice(line.as_bytes());
        let mut ending: &[u8] = match endings[i % endings.len()] % 3 {
            0 => b"\n",
            1 => b"\r\n",
            _ => b"\r",
        };
        if previous_cr && line.is_empty() && ending == b"\n" {
            ending = b"\r\n";
        }
        previous_cr = ending == b"\r";
        out.extend_from_slice(ending);
    }
    out
}

fn parse(bytes: &[u8], cuts: &[usize]) -> Vec<(Vec<u8>, Vec<u8>)> {
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
    out
}

proptest! {
    #[test]
    fn any_split_yields_the_generated_events(
        events in proptest::collection::vec(event(), 1..8),
        endings in proptest::collection::vec(any::<u8>(), 1..16),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let bytes = serialize(&events, &endings);
        let expected: Vec<(Vec<u8>, Vec<u8>)> = events
            .iter()
            .map(|e| (
                e.name.clone().unwrap_or_default().into_bytes(),
                e.data_lines.join("\n").into_bytes(),
            ))
            .collect();
        prop_assert_eq!(&parse(&bytes, &[]), &expected);
        prop_assert_eq!(&parse(&bytes, &cuts), &expected);
        // Byte-by-byte, the worst split.
        let every: Vec<usize> = (0..bytes.len()).collect();
        prop_assert_eq!(&parse(&bytes, &every), &expected);
    }
}
