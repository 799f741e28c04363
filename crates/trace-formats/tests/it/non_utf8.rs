//! Bytes that are not UTF-8, in every reader: an error naming the file and line (and under the
//! skip policy the next good record still arrives), never a panic.

use servebench_trace_formats::{
    AzureReader, BurstGptReader, Error, ErrorPolicy, MooncakeReader, MultiTurnReader,
    RandomPoolReader, ReadOptions, SingleTurnReader,
};

/// Checks `items` (a reader's whole output on `good, bad, good`): under Stop the second item is
/// an error at `bad.x:line`; under Skip the good records around it arrive.
fn check<T, E: std::fmt::Display>(
    stop: impl Iterator<Item = Result<T, E>>,
    skip: impl Iterator<Item = Result<T, E>>,
    line: u64,
) {
    let stop: Vec<Result<T, E>> = stop.collect();
    assert_eq!(stop.len(), 2, "Stop yields the good record and the error");
    assert!(stop[0].is_ok());
    let message = match &stop[1] {
        Err(e) => e.to_string(),
        Ok(_) => panic!("the line with bad bytes was accepted"),
    };
    assert!(
        message.starts_with(&format!("bad.x:{line}: ")),
        "{message} should name bad.x:{line}"
    );
    let kept = skip.filter(Result::is_ok).count();
    assert_eq!(kept, 2, "Skip keeps both good records");
}

fn skip() -> ReadOptions {
    ReadOptions::with_policy(ErrorPolicy::Skip)
}

#[test]
fn mooncake_jsonl() {
    let mut text =
        b"{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1, \"hash_ids\": [0]}\n"
            .to_vec();
    text.extend_from_slice(b"{\"timestamp\": 1, \"input_length\": 5, \"output_length\": 1, \"hash_ids\": [0], \"text_input\": \"a\xff\xfeb\"}\n");
    text.extend_from_slice(
        b"{\"timestamp\": 2, \"input_length\": 5, \"output_length\": 1, \"hash_ids\": [0]}\n",
    );
    check(
        MooncakeReader::new(&text[..], "bad.x", ReadOptions::default()),
        MooncakeReader::new(&text[..], "bad.x", skip()),
        2,
    );
    // Bad bytes outside any string, too.
    let text = b"{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1, \"hash_ids\": [0]}\n\xff\xff\n{\"timestamp\": 2, \"input_length\": 5, \"output_length\": 1, \"hash_ids\": [0]}\n";
    check(
        MooncakeReader::new(&text[..], "bad.x", ReadOptions::default()),
        MooncakeReader::new(&text[..], "bad.x", skip()),
        2,
    );
}

#[test]
fn aiperf_single_turn_multi_turn_and_random_pool() {
    let text = b"{\"text\": \"a\"}\n{\"text\": \"\xc3(\"}\n{\"text\": \"c\"}\n";
    check(
        SingleTurnReader::new(&text[..], "bad.x", ReadOptions::default()),
        SingleTurnReader::new(&text[..], "bad.x", skip()),
        2,
    );
    let text = b"{\"session_id\": \"s\", \"turns\": [{\"text\": \"a\"}]}\n{\"session_id\": \"\xe2\x82\", \"turns\": [{\"text\": \"b\"}]}\n{\"session_id\": \"u\", \"turns\": [{\"text\": \"c\"}]}\n";
    check(
        MultiTurnReader::new(&text[..], "bad.x", ReadOptions::default()),
        MultiTurnReader::new(&text[..], "bad.x", skip()),
        2,
    );
    let text = b"{\"text\": \"a\"}\n{\"text\": \"\x80\"}\n{\"text\": \"c\"}\n";
    check(
        RandomPoolReader::new(&text[..], "bad.x", ReadOptions::default()),
        RandomPoolReader::new(&text[..], "bad.x", skip()),
        2,
    );
}

#[test]
fn burstgpt_csv() {
    let text = b"Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n5,ChatGPT,4,1,5,API log\n6,Chat\xffGPT,4,1,5,API log\n7,ChatGPT,4,1,5,API log\n";
    check(
        BurstGptReader::new(&text[..], "bad.x", ReadOptions::default()).unwrap(),
        BurstGptReader::new(&text[..], "bad.x", skip()).unwrap(),
        3,
    );
    // In the header: an error at line 1 when the reader is made.
    let text = b"Timestamp,Model,Request tokens,Response tokens,Total tokens,Log \xffType\n";
    match BurstGptReader::new(&text[..], "bad.x", ReadOptions::default()) {
        Err(Error::Record(e)) => assert!(e.to_string().starts_with("bad.x:1: "), "{e}"),
        Err(e) => panic!("expected a record error at line 1, got {e}"),
        Ok(_) => panic!("a header with bad bytes was accepted"),
    }
}

#[test]
fn azure_csv() {
    let text = b"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:47.\xff,1,2\n2023-11-16 18:15:48.0000000,1,2\n";
    check(
        AzureReader::new(&text[..], "bad.x", ReadOptions::default()).unwrap(),
        AzureReader::new(&text[..], "bad.x", skip()).unwrap(),
        3,
    );
    let text = b"TIME\xffSTAMP,ContextTokens,GeneratedTokens\n";
    match AzureReader::new(&text[..], "bad.x", ReadOptions::default()) {
        Err(Error::Record(e)) => assert!(e.to_string().starts_with("bad.x:1: "), "{e}"),
        Err(e) => panic!("expected a record error at line 1, got {e}"),
        Ok(_) => panic!("a header with bad bytes was accepted"),
    }
}
