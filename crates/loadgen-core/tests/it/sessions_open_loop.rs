//! Multi-turn sessions under an open loop (a request rate or a fixed schedule with the first
//! turns' timestamps) and the connection-reuse strategies, against the in-process scripted server
//! that records each request's arrival time and the client port of its connection.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use servebench_loadgen_core::replay::{DatasetSpec, DatasetType, build_dataset};
use servebench_loadgen_core::{CancelHandle, ConnectionReuse, DatasetEntry, LoadMode};
use servebench_metrics::RequestRecord;
use servebench_tokenize::BuiltinTokenizer;

use crate::support::server::{RequestLog, Script, ScriptedServer};
use crate::support::{config, run_with};

fn stream(tokens: usize) -> Script {
    Script::Stream {
        ttft: Duration::from_millis(2),
        gap: Duration::from_millis(1),
        tokens,
    }
}

/// The messages of a logged request.
fn messages(log: &RequestLog) -> Vec<Value> {
    let body: Value = serde_json::from_slice(&log.body).unwrap();
    body["messages"].as_array().unwrap().clone()
}

/// The text of the last (newest) user message of a logged request.
fn newest_text(log: &RequestLog) -> String {
    messages(log)
        .last()
        .unwrap()
        .get("content")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned()
}

/// Writes a multi_turn file of sessions `a`, `b`, `c`, ...: turn texts `<s> zero`, `<s> one`, ...
/// The first turn has `timestamp` `first_ms[i]` when given; later turns have `delay` ms.
fn write_sessions(path: &Path, sessions: usize, turns: usize, first_ms: &[u64], delay: u64) {
    let words = ["zero", "one", "two"];
    let mut text = String::new();
    for s in 0..sessions {
        let name = char::from(b'a' + s as u8);
        let mut parts = Vec::new();
        for (t, word) in words.iter().enumerate().take(turns) {
            let timing = match (t, first_ms.get(s)) {
                (0, Some(ms)) => format!(", \"timestamp\": {ms}"),
                (0, None) => String::new(),
                _ => format!(", \"delay\": {delay}"),
            };
            parts.push(format!("{{\"text\": \"{name} {word}\"{timing}}}"));
        }
        text.push_str(&format!(
            "{{\"session_id\": \"{name}\", \"turns\": [{}]}}\n",
            parts.join(", ")
        ));
    }
    std::fs::write(path, text).unwrap();
}

fn load(path: &Path) -> (Vec<DatasetEntry>, Option<Vec<Duration>>) {
    let spec = DatasetSpec {
        input_file: Some(path.to_owned()),
        dataset_type: Some(DatasetType::MultiTurn),
        ..DatasetSpec::default()
    };
    let data = build_dataset(&spec, &BuiltinTokenizer::new()).unwrap();
    (data.entries, data.schedule)
}

/// The logged requests of session `name`, in arrival order.
fn turns_of(logs: &[RequestLog], name: char) -> Vec<RequestLog> {
    let mut turns: Vec<RequestLog> = logs
        .iter()
        .filter(|l| newest_text(l).starts_with(&format!("{name} ")))
        .cloned()
        .collect();
    turns.sort_by_key(|l| l.received);
    turns
}

/// The record of a logged request (its first content chunk names the server's sequence number).
fn record_of<'r>(records: &'r [RequestRecord], log: &RequestLog) -> &'r RequestRecord {
    records
        .iter()
        .find(|r| {
            r.chunks
                .first()
                .is_some_and(|c| c.text == format!("r{}t0 ", log.seq))
        })
        .unwrap()
}

/// Checks an open-loop session run: session `k`'s first turn reaches the server at its offset
/// (never early, late by less than 25 ms of scheduling noise on a loaded machine), the second turn
/// after the first one's reply ended plus the delay, with the first turn and the reply received
/// in its messages; the first turn's record carries its due time.
fn check_open_loop_sessions(
    server: &ScriptedServer,
    records: &[RequestRecord],
    start: Instant,
    clock: servebench_metrics::RunClock,
    offsets: &[Duration],
    delay: Duration,
) {
    let logs = server.requests();
    assert_eq!(logs.len(), 2 * offsets.len(), "every turn sent once");
    for (k, offset) in offsets.iter().enumerate() {
        let name = char::from(b'a' + k as u8);
        let turns = turns_of(&logs, name);
        assert_eq!(turns.len(), 2, "session {name}");
        let due = start + *offset;
        assert!(
            turns[0].received + Duration::from_micros(500) >= due,
            "session {name} started early"
        );
        let late = turns[0].received.saturating_duration_since(due);
        assert!(
            late < Duration::from_millis(25),
            "session {name} started {late:?} late"
        );
        assert_eq!(newest_text(&turns[0]), format!("{name} zero"));
        let first = record_of(records, &turns[0]);
        let intended = clock.instant_at(first.intended_send_ns.expect("scheduled first turn"));
        assert!(
            intended.max(due) - intended.min(due) < Duration::from_micros(2),
            "session {name}: first turn due at its offset"
        );
        assert_eq!(first.turn_index, 0);
        let second = record_of(records, &turns[1]);
        assert_eq!(second.turn_index, 1);
        assert_eq!(
            second.intended_send_ns, None,
            "later turns follow completion"
        );
        let first_end = clock.instant_at(first.end_ns);
        assert!(
            turns[1].received >= first_end + delay,
            "session {name}: second turn {:?} after the first reply ended",
            turns[1].received.saturating_duration_since(first_end)
        );
        let msgs = messages(&turns[1]);
        assert_eq!(msgs.len(), 3, "session {name}: history");
        assert_eq!(msgs[0]["content"], format!("{name} zero"));
        let reply: String = (0..2).map(|i| format!("r{}t{i} ", turns[0].seq)).collect();
        assert_eq!(msgs[1]["role"], "assistant");
        assert_eq!(msgs[1]["content"], reply);
        assert_eq!(msgs[2]["content"], format!("{name} one"));
    }
}

/// `--request-rate` over a multi_turn file: a new session starts at every arrival (0, 30, 60 ms)
/// whatever the sessions already running do; each second turn follows its first turn's reply plus
/// the 40 ms delay. Session b starts before session a's second turn: the rate is not held back by
/// the conversations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_under_a_request_rate_start_at_the_arrivals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mt.jsonl");
    write_sessions(&path, 3, 2, &[], 40);
    let (entries, schedule) = load(&path);
    assert!(schedule.is_none());
    let offsets: Vec<Duration> = [0, 30, 60].map(Duration::from_millis).to_vec();
    let server = ScriptedServer::start(|_| stream(2)).await;
    let run_config = config(vec![server.url()], 6);
    let clock = run_config.clock;
    let load = LoadMode::OpenLoop {
        arrivals: Box::new(offsets.clone().into_iter()),
        max_in_flight: None,
    };
    let (report, records) = run_with(run_config, entries.into(), load, CancelHandle::new()).await;
    assert_eq!(report.profiling.succeeded, 6);
    let start = clock.instant_at(report.profiling_start_ns);
    check_open_loop_sessions(
        &server,
        &records,
        start,
        clock,
        &offsets,
        Duration::from_millis(40),
    );
    let logs = server.requests();
    let b_first = turns_of(&logs, 'b')[0].received;
    let a_second = turns_of(&logs, 'a')[1].received;
    assert!(b_first < a_second, "session b did not wait for session a");
}

/// A multi_turn file whose first turns carry timestamps replays as a fixed schedule of sessions:
/// sessions ordered by their first turn's timestamp (c at 0, a at 50, b at 100 ms, auto-offset
/// from 1000 ms), turns kept together, each session starting at its timestamp and its later turn
/// following the reply plus its delay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_with_timestamps_replay_as_a_fixed_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mt.jsonl");
    write_sessions(&path, 3, 2, &[1050, 1100, 1000], 30);
    let mut spec = DatasetSpec {
        input_file: Some(path.clone()),
        dataset_type: Some(DatasetType::MultiTurn),
        ..DatasetSpec::default()
    };
    spec.schedule.auto_offset = true;
    let data = build_dataset(&spec, &BuiltinTokenizer::new()).unwrap();
    let offsets = data.schedule.clone().expect("a fixed schedule");
    assert_eq!(offsets, [0, 50, 100].map(Duration::from_millis).to_vec());
    let order: Vec<String> = data
        .entries
        .iter()
        .map(|e| e.prompt_text().into_owned())
        .collect();
    assert_eq!(
        order,
        ["c zero", "c one", "a zero", "a one", "b zero", "b one"]
    );
    assert_eq!(data.default_requests, Some(6));

    let server = ScriptedServer::start(|_| stream(2)).await;
    let run_config = config(vec![server.url()], 6);
    let clock = run_config.clock;
    let load = LoadMode::OpenLoop {
        arrivals: Box::new(offsets.clone().into_iter()),
        max_in_flight: None,
    };
    let (report, records) =
        run_with(run_config, data.entries.into(), load, CancelHandle::new()).await;
    assert_eq!(report.profiling.succeeded, 6);
    let start = clock.instant_at(report.profiling_start_ns);
    // Session k of the schedule is c, a, b: rename the offsets by file name.
    let logs = server.requests();
    for (name, offset) in [('c', 0), ('a', 50), ('b', 100)] {
        let turns = turns_of(&logs, name);
        let due = start + Duration::from_millis(offset);
        assert!(turns[0].received + Duration::from_micros(500) >= due);
        let late = turns[0].received.saturating_duration_since(due);
        assert!(late < Duration::from_millis(25), "{name}: {late:?} late");
        let first_end = clock.instant_at(record_of(&records, &turns[0]).end_ns);
        assert!(turns[1].received >= first_end + Duration::from_millis(30));
        assert_eq!(messages(&turns[1]).len(), 3, "{name}: history");
    }
}

/// `pooled` (one user at a time) sends every request on one connection; `never` opens one per
/// request; `sticky-user-sessions` gives each session its own connection for all its turns. The
/// server records the client port of each request's connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_reuse_strategies_place_requests_as_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mt.jsonl");
    write_sessions(&path, 3, 3, &[], 0);
    let (entries, _) = load(&path);
    let mut ports = BTreeMap::new();
    for reuse in [
        ConnectionReuse::Pooled,
        ConnectionReuse::Never,
        ConnectionReuse::StickyUserSessions,
    ] {
        let server = ScriptedServer::start(|_| stream(1)).await;
        let mut run_config = config(vec![server.url()], 9);
        run_config.connection_reuse = reuse;
        let (report, _) = run_with(
            run_config,
            entries.clone().into(),
            LoadMode::Concurrency(1),
            CancelHandle::new(),
        )
        .await;
        assert_eq!(report.profiling.succeeded, 9, "{reuse:?}");
        let logs = server.requests();
        let per_session: Vec<Vec<u16>> = ['a', 'b', 'c']
            .iter()
            .map(|&s| turns_of(&logs, s).iter().map(|l| l.peer_port).collect())
            .collect();
        ports.insert(reuse.name(), per_session);
    }
    let distinct = |sessions: &[Vec<u16>]| {
        sessions
            .iter()
            .flatten()
            .copied()
            .collect::<BTreeSet<u16>>()
            .len()
    };
    assert_eq!(distinct(&ports["pooled"]), 1, "{ports:?}");
    assert_eq!(distinct(&ports["never"]), 9, "{ports:?}");
    let sticky = &ports["sticky-user-sessions"];
    assert_eq!(distinct(sticky), 3, "{ports:?}");
    for session in sticky {
        assert_eq!(session.len(), 3);
        assert!(
            session.iter().all(|p| *p == session[0]),
            "a session's turns on one connection: {ports:?}"
        );
    }
}

#[test]
fn connection_reuse_strategies_parse_aiperf_spellings() {
    for (text, reuse) in [
        ("pooled", ConnectionReuse::Pooled),
        ("never", ConnectionReuse::Never),
        ("sticky-user-sessions", ConnectionReuse::StickyUserSessions),
        ("STICKY_USER_SESSIONS", ConnectionReuse::StickyUserSessions),
    ] {
        assert_eq!(text.parse::<ConnectionReuse>(), Ok(reuse));
    }
    assert!("sometimes".parse::<ConnectionReuse>().is_err());
}
