//! `datagen analyze` on the real conversation trace: invariants, and agreement with an
//! independent stdlib-only Python re-statement of Dynamo's `prefix_analyzer.py` (spec §6.2).

use servebench_workload::analyze::{ANALYSIS_METRICS, PrefixAnalyzer};

use crate::trace::{conversation_records, conversation_trace, datagen};

/// Spec §6.2 written again in plain Python (no numpy): repeated (position, hash_id) pairs,
/// per-row context / unique lengths with the all-repeated case, infinite-cache hit rates in
/// file order skipping empty rows, then mean, population std, min, linear P25/50/75, max.
const PYTHON_ANALYZER: &str = r#"
import json, math, sys
from collections import Counter

path, bs = sys.argv[1], int(sys.argv[2])
rows = [json.loads(line) for line in open(path) if line.strip()]
pairs = Counter((p, h) for r in rows for p, h in enumerate(r["hash_ids"]))
repeated = {k for k, c in pairs.items() if c > 1}
inp, ctx, uniq, out = [], [], [], []
for r in rows:
    n = r["input_length"]
    flags = [(p, h) in repeated for p, h in enumerate(r["hash_ids"])]
    if all(flags):
        pre, u = n, 0
    else:
        pre = sum(flags) * bs
        u = n - pre
    inp.append(n); ctx.append(pre); uniq.append(u); out.append(r["output_length"])
seen, hits = set(), []
for r in rows:
    ids = r["hash_ids"]
    if not ids:
        continue
    k = next((i for i, h in enumerate(ids) if h not in seen), len(ids))
    hits.append(k / len(ids))
    seen.update(ids)

def pct(s, q):
    h = (len(s) - 1) * q / 100.0
    lo = math.floor(h)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (h - lo) * (s[hi] - s[lo])

def stats(v):
    n = len(v)
    m = sum(v) / n
    sd = math.sqrt(sum((x - m) ** 2 for x in v) / n)
    s = sorted(v)
    return [m, sd, s[0], pct(s, 25), pct(s, 50), pct(s, 75), s[-1]]

names = ["Input Length", "Context Length", "Unique Prompt Length", "Output Length",
         "Theoretical Hit Rates"]
print(json.dumps({
    "rows": len(rows),
    "distinct_pairs": len(pairs),
    "repeated_pairs": len(repeated),
    "metrics": dict(zip(names, [stats(v) for v in [inp, ctx, uniq, out, hits]])),
}))
"#;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-3)
}

#[test]
#[cfg_attr(skip_python, ignore = "SERVEBENCH_SKIP_PYTHON=1")]
fn analyze_json_matches_an_independent_python_computation() {
    let trace = conversation_trace();
    let trace = trace.to_str().expect("utf-8 path");
    let (ok, stdout, stderr) = datagen(&["analyze", "--input-file", trace, "--json"]);
    assert!(ok, "datagen failed: {stderr}");
    let ours: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");

    let py = std::process::Command::new("python3")
        .args(["-c", PYTHON_ANALYZER, trace, "512"])
        .output()
        .expect("python3 is required for this comparison: install it, or set SERVEBENCH_SKIP_PYTHON=1 to skip it");
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let theirs: serde_json::Value = serde_json::from_slice(&py.stdout).expect("python JSON");

    for key in ["rows", "distinct_pairs", "repeated_pairs"] {
        assert_eq!(ours[key], theirs[key], "{key}");
    }
    assert_eq!(ours["rows"], 12031);
    let metrics = ours["metrics"].as_array().expect("metrics list");
    assert_eq!(metrics.len(), 5);
    for (metric, name) in metrics.iter().zip(ANALYSIS_METRICS) {
        assert_eq!(metric["name"], name);
        let s = &metric["stats"];
        let got = ["mean", "std_dev", "min", "p25", "median", "p75", "max"]
            .map(|k| s[k].as_f64().unwrap_or(f64::NAN));
        let want: Vec<f64> = theirs["metrics"][name]
            .as_array()
            .expect("python stats")
            .iter()
            .map(|v| v.as_f64().unwrap_or(f64::NAN))
            .collect();
        for (g, w) in got.iter().zip(&want) {
            assert!(close(*g, *w), "{name}: ours {got:?}, python {want:?}");
        }
    }
    // The README's published figures for this file: input min 891, max 126,195; output
    // min 1, max 2,000.
    assert_eq!(metrics[0]["stats"]["min"], 891.0);
    assert_eq!(metrics[0]["stats"]["max"], 126195.0);
    assert_eq!(metrics[3]["stats"]["min"], 1.0);
    assert_eq!(metrics[3]["stats"]["max"], 2000.0);
}

#[test]
fn analysis_invariants_hold_on_every_row() {
    let records = conversation_records();
    let mut analyzer = PrefixAnalyzer::new(512);
    for r in &records {
        analyzer.push(r);
    }
    let a = analyzer.finish();
    assert_eq!(a.rows, records.len());
    // Every row has blocks, so every row has a hit rate, and all are fractions.
    assert_eq!(a.hit_rates.len(), records.len());
    assert!(a.hit_rates.iter().all(|h| (0.0..=1.0).contains(h)));
    // The first row can hit nothing; every row starts with the globally shared block 0, so
    // every later row hits at least its first block.
    assert_eq!(a.hit_rates[0], 0.0);
    for (i, (r, h)) in records.iter().zip(&a.hit_rates).enumerate().skip(1) {
        assert!(*h >= 1.0 / r.hash_ids.len() as f64, "row {i}");
    }
    for i in 0..a.rows {
        let (input, ctx, unique) = (
            a.input_lengths[i],
            a.context_lengths[i],
            a.unique_prompt_lengths[i],
        );
        assert!(ctx <= input, "row {i}: context {ctx} > input {input}");
        assert!(unique >= 0, "row {i}");
        assert_eq!(ctx as i64 + unique, input as i64, "row {i}");
        assert!(ctx % 512 == 0 || ctx == input, "row {i}");
    }
    assert!(a.prefix_exceeds_input.is_empty() && a.too_few_blocks.is_empty());
    // Block 0 at position 0 is shared by all rows, so every row has context >= one block.
    assert!(a.context_lengths.iter().all(|&c| c >= 512));
    assert!(a.repeated_pairs > 0 && a.repeated_pairs < a.distinct_pairs);
}

#[test]
fn analyze_prints_the_pretty_table() {
    let trace = conversation_trace();
    let (ok, stdout, stderr) =
        datagen(&["analyze", "--input-file", trace.to_str().expect("utf-8")]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("Dataset loaded: 12031 examples"),
        "{stdout}"
    );
    let header = stdout
        .lines()
        .find(|l| l.contains("Std Dev"))
        .expect("table header");
    let cells: Vec<&str> = header.split('|').map(str::trim).collect();
    assert_eq!(
        cells,
        [
            "", "", "Mean", "Std Dev", "Min", "P25", "Median", "P75", "Max", ""
        ]
    );
    for name in ANALYSIS_METRICS {
        assert!(
            stdout.contains(&format!("| {name}")) || stdout.contains(name),
            "{name}"
        );
    }
    // Python float repr: integer-valued statistics print with ".0".
    assert!(
        stdout.contains(" 891.0 ") && stdout.contains(" 126195.0 "),
        "{stdout}"
    );
}
