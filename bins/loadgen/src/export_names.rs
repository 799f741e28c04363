//! `--profile-export-prefix`: the exports renamed to AIPerf's prefixed names once written.

use std::path::Path;

use anyhow::{Context, bail};

/// Suffixes stripped from a prefix given as a file name (`foo.json` → `foo`), longest first.
const KNOWN_SUFFIXES: [&str; 8] = [
    "_server_metrics.json",
    "_server_metrics.csv",
    "_timeslices.json",
    "_timeslices.csv",
    ".jsonl",
    ".json",
    ".csv",
    "_aiperf",
];

/// The base name of `prefix` (known export suffixes stripped).
pub(crate) fn base(prefix: &str) -> anyhow::Result<String> {
    let mut b = prefix.trim();
    for suffix in KNOWN_SUFFIXES {
        b = b.strip_suffix(suffix).unwrap_or(b);
    }
    if b.is_empty() || b.contains(['/', '\\']) {
        bail!("--profile-export-prefix {prefix:?}: give a file base name, not a path");
    }
    Ok(b.to_owned())
}

/// Every export's default file name, with its `base`-prefixed name.
pub(crate) fn renames(base: &str) -> [(&'static str, String); 7] {
    [
        ("profile_export_aiperf.json", format!("{base}.json")),
        ("profile_export_aiperf.csv", format!("{base}.csv")),
        ("profile_export.jsonl", format!("{base}.jsonl")),
        (
            servebench_metrics::timeslices::JSON_FILE,
            format!("{base}_timeslices.json"),
        ),
        (
            servebench_metrics::timeslices::CSV_FILE,
            format!("{base}_timeslices.csv"),
        ),
        (
            "server_metrics_export.json",
            format!("{base}_server_metrics.json"),
        ),
        (
            "server_metrics_export.csv",
            format!("{base}_server_metrics.csv"),
        ),
    ]
}

/// Renames the exports in `dir` that exist to their `base`-prefixed names.
///
/// # Errors
/// A rename failed.
pub(crate) fn apply(dir: &Path, base: &str) -> anyhow::Result<()> {
    for (from, to) in renames(base) {
        let from = dir.join(from);
        if from.exists() {
            let to = dir.join(to);
            std::fs::rename(&from, &to)
                .with_context(|| format!("renaming {} to {}", from.display(), to.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_lose_known_suffixes_and_paths_are_refused() {
        assert_eq!(base("run1").unwrap(), "run1");
        assert_eq!(base("run1.json").unwrap(), "run1");
        assert_eq!(base("run1_aiperf.csv").unwrap(), "run1");
        assert_eq!(base("run1_timeslices.json").unwrap(), "run1");
        assert!(base("a/b").is_err());
        assert!(base(".json").is_err());
    }
}
