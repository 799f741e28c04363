//! Round-trip property tests: write → read gives back the same records, for every format.

use proptest::prelude::*;
use servebench_trace_formats::{
    AzureReader, AzureRecord, AzureTimestamp, AzureWriter, BurstGptReader, BurstGptRecord,
    BurstGptWriter, ContentItem, JsonStyle, MooncakeReader, MooncakeRecord, MooncakeWriter,
    MultiTurn, MultiTurnReader, MultiTurnWriter, RandomPoolEntry, RandomPoolReader,
    RandomPoolWriter, ReadOptions, SingleTurn, SingleTurnReader, SingleTurnWriter,
};

fn relaxed() -> ReadOptions {
    ReadOptions::default()
        .monotonic_timestamps(false)
        .require_hash_ids(false)
}

fn text() -> impl Strategy<Value = String> {
    // printable and non-printable, ASCII and beyond the BMP, quotes and backslashes
    "(\\PC|[\"\\\\\n\t\u{1}\u{7f}é😀]){0,12}"
}

fn mooncake() -> impl Strategy<Value = MooncakeRecord> {
    (
        proptest::option::of(any::<u64>()),
        any::<u64>(),
        any::<u64>(),
        proptest::collection::vec(any::<u64>(), 0..20),
        proptest::option::of(text()),
        proptest::option::of(prop_oneof![
            0.0..1e12f64,
            (0u32..100_000).prop_map(f64::from),
            0.0..1e-6f64
        ]),
        proptest::option::of(text()),
    )
        .prop_map(|(ts, isl, osl, ids, session, delay, text)| {
            let mut r = MooncakeRecord::new(ts, isl, osl, ids);
            r.session_id = session;
            r.delay = delay;
            r.text_input = text;
            r
        })
}

fn content_list() -> impl Strategy<Value = Vec<ContentItem>> {
    proptest::collection::vec(
        prop_oneof![
            text().prop_map(ContentItem::Plain),
            (text(), proptest::collection::vec(text(), 0..3))
                .prop_map(|(name, contents)| ContentItem::Named { name, contents }),
        ],
        1..4,
    )
}

fn single_turn() -> impl Strategy<Value = SingleTurn> {
    (
        prop_oneof![
            "[a-z]{1,8}".prop_map(|t| (Some(t), None)),
            content_list().prop_map(|l| (None, Some(l))),
        ],
        proptest::option::of("[a-z:/.]{1,10}"),
        proptest::option::of(content_list()),
        proptest::option::of(any::<u64>()),
        proptest::bool::ANY,
        proptest::option::of(text()),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(|((t, ts), image, audios, time, as_delay, role, osl)| {
            let mut turn = SingleTurn::default();
            turn.text = t;
            turn.texts = ts;
            turn.image = image;
            turn.audios = audios;
            if as_delay {
                turn.delay = time;
            } else {
                turn.timestamp = time;
            }
            turn.role = role;
            turn.output_length = osl;
            turn
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn mooncake_round_trips_in_both_styles(records in proptest::collection::vec(mooncake(), 0..20), compact in any::<bool>()) {
        let style = if compact { JsonStyle::Compact } else { JsonStyle::Python };
        let mut w = MooncakeWriter::new(Vec::new(), "mem", style);
        for r in &records { w.write(r).unwrap(); }
        let bytes = w.finish().unwrap();
        // every line is also valid JSON to serde_json, with the same values
        for (line, r) in bytes.split(|b| *b == b'\n').zip(&records) {
            let parsed: MooncakeRecord = serde_json::from_slice(line).unwrap();
            prop_assert_eq!(&parsed, r);
        }
        let back: Vec<MooncakeRecord> = MooncakeReader::new(&bytes[..], "mem", relaxed()).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(back, records);
    }

    #[test]
    fn single_turn_round_trips(records in proptest::collection::vec(single_turn(), 0..10)) {
        let mut w = SingleTurnWriter::new(Vec::new(), "mem");
        for r in &records { w.write(r).unwrap(); }
        let bytes = w.finish().unwrap();
        let back: Vec<SingleTurn> = SingleTurnReader::new(&bytes[..], "mem", relaxed()).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(back, records);
    }

    #[test]
    fn multi_turn_round_trips(sessions in proptest::collection::vec((proptest::option::of(text()), proptest::collection::vec(single_turn(), 1..4)), 0..6)) {
        let records: Vec<MultiTurn> = sessions.into_iter().map(|(id, turns)| MultiTurn::new(id, turns)).collect();
        let mut w = MultiTurnWriter::new(Vec::new(), "mem");
        for r in &records { w.write(r).unwrap(); }
        let bytes = w.finish().unwrap();
        let back: Vec<MultiTurn> = MultiTurnReader::new(&bytes[..], "mem", relaxed()).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(back, records);
    }

    #[test]
    fn random_pool_round_trips(entries in proptest::collection::vec((text(), proptest::option::of(content_list())), 0..10)) {
        let records: Vec<RandomPoolEntry> = entries.into_iter().map(|(t, images)| {
            let mut e = RandomPoolEntry::text(format!("q{t}"));
            e.images = images;
            e
        }).collect();
        let mut w = RandomPoolWriter::new(Vec::new(), "mem");
        for r in &records { w.write(r).unwrap(); }
        let bytes = w.finish().unwrap();
        let back: Vec<RandomPoolEntry> = RandomPoolReader::new(&bytes[..], "mem", relaxed()).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(back, records);
    }

    #[test]
    fn burstgpt_round_trips(rows in proptest::collection::vec((
        prop_oneof![0.0..1e9f64, (0u32..10_000_000).prop_map(f64::from)],
        "[A-Za-z0-9 ,\"-]{0,10}",
        0u64..1_000_000_000,
        0u64..1_000_000_000,
        "[A-Za-z ,\"]{1,16}",
    ), 0..20)) {
        let records: Vec<BurstGptRecord> = rows.into_iter().map(|(ts, m, a, b, l)| BurstGptRecord::new(ts, m, a, b, l)).collect();
        let mut w = BurstGptWriter::new(Vec::new(), "mem").unwrap();
        for r in &records { w.write(r).unwrap(); }
        let bytes = w.finish().unwrap();
        let back: Vec<BurstGptRecord> = BurstGptReader::new(&bytes[..], "mem", relaxed()).unwrap().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(back, records);
    }

    #[test]
    fn azure_round_trips(mut rows in proptest::collection::vec((
        prop_oneof![(0i64..40_000_000_000_000_000).prop_map(|t| t * 100), 0i64..4_000_000_000_000_000_000],
        any::<u64>(),
        any::<u64>(),
    ), 0..20)) {
        rows.sort_by_key(|r| r.0);
        let records: Vec<AzureRecord> = rows.into_iter().map(|(ns, a, b)| AzureRecord::new(AzureTimestamp::from_unix_nanos(ns), a, b)).collect();
        let mut w = AzureWriter::new(Vec::new(), "mem").unwrap();
        for r in &records { w.write(r).unwrap(); }
        let bytes = w.finish().unwrap();
        prop_assert!(!bytes.ends_with(b"\n"));
        let back: Vec<AzureRecord> = AzureReader::new(&bytes[..], "mem", ReadOptions::default()).unwrap().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(back, records);
    }
}
