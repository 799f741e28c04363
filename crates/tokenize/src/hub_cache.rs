//! Offline lookup of Hugging Face model ids in the local Hugging Face cache.
//!
//! The cache layout (as written by `huggingface_hub`): `<root>/models--ORG--NAME/refs/<revision>`
//! holds a commit hash, and `<root>/models--ORG--NAME/snapshots/<hash>/` holds the files of that
//! commit. A revision that is itself a commit hash names its snapshot directly. Nothing is ever
//! downloaded.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The revision used when none is given (`main`, as AIPerf's `--tokenizer-revision`).
pub const DEFAULT_REVISION: &str = "main";

/// A local Hugging Face hub cache directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubCache {
    root: PathBuf,
}

/// Where a model id was looked for in a [`HubCache`], and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubLookup {
    /// The snapshot directory of the revision.
    Found(PathBuf),
    /// Not in the cache; the paths that were checked, in order.
    Missing(Vec<PathBuf>),
}

impl HubCache {
    /// A cache rooted at `root` (the directory holding the `models--*` directories).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The cache the Hugging Face libraries use: `HF_HUB_CACHE`, else `HF_HOME/hub`, else
    /// `~/.cache/huggingface/hub`. `None` when none of these can be formed (no `HOME`).
    pub fn from_env() -> Option<Self> {
        Self::from_vars(|name| std::env::var_os(name))
    }

    /// [`HubCache::from_env`] with the environment given as a lookup function (for tests and
    /// for callers with their own environment).
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Option<Self> {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        if let Some(dir) = set("HF_HUB_CACHE") {
            return Some(Self::at(dir));
        }
        if let Some(home) = set("HF_HOME") {
            return Some(Self::at(Path::new(&home).join("hub")));
        }
        set("HOME").map(|home| Self::at(Path::new(&home).join(".cache/huggingface/hub")))
    }

    /// The cache's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of `repo_id` (`models--ORG--NAME`).
    pub fn repo_dir(&self, repo_id: &str) -> PathBuf {
        self.root
            .join(format!("models--{}", repo_id.replace('/', "--")))
    }

    /// The snapshot directory of `repo_id` at `revision` (a branch or tag name with a
    /// `refs/<revision>` file, or a commit hash).
    pub fn lookup(&self, repo_id: &str, revision: &str) -> HubLookup {
        let repo = self.repo_dir(repo_id);
        let ref_file = repo.join("refs").join(revision);
        let mut looked = vec![ref_file.clone()];
        if let Ok(text) = std::fs::read_to_string(&ref_file) {
            let commit = text.trim();
            if is_commit_hash(commit) {
                let snapshot = repo.join("snapshots").join(commit);
                if snapshot.is_dir() {
                    return HubLookup::Found(snapshot);
                }
                looked.push(snapshot);
            }
        }
        if is_commit_hash(revision) {
            let snapshot = repo.join("snapshots").join(revision);
            if snapshot.is_dir() {
                return HubLookup::Found(snapshot);
            }
            looked.push(snapshot);
        }
        HubLookup::Missing(looked)
    }
}

/// A 40-digit lowercase hex git commit hash.
fn is_commit_hash(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `name` has the shape of a Hugging Face repo id (`NAME` or `ORG/NAME`, made of ASCII
/// letters, digits, `-`, `_` and `.`, not starting with `.` or `-`, no `..`).
pub fn is_repo_id(name: &str) -> bool {
    let mut parts = name.split('/');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && p.len() <= 96
                && !p.starts_with(['.', '-'])
                && !p.contains("..")
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
    };
    let first = parts.next();
    let second = parts.next();
    parts.next().is_none() && ok(first) && (second.is_none() || ok(second))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids_and_paths_are_told_apart() {
        for id in [
            "Qwen/Qwen3-0.6B",
            "gpt2",
            "meta-llama/Llama-3.1-8B-Instruct",
            "a_b/c.d",
        ] {
            assert!(is_repo_id(id), "{id}");
        }
        for not in [
            "",
            "/abs/path",
            "./rel",
            "../up",
            "a/b/c",
            "a//b",
            "dir/",
            "~/x",
            "a\\b",
            ".hidden",
            "org/..",
            "with space",
        ] {
            assert!(!is_repo_id(not), "{not}");
        }
    }

    #[test]
    fn cache_root_follows_the_hugging_face_precedence() {
        fn env(pairs: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| OsString::from(v))
            }
        }
        let all = [("HF_HUB_CACHE", "/c"), ("HF_HOME", "/h"), ("HOME", "/u")];
        assert_eq!(HubCache::from_vars(env(&all)), Some(HubCache::at("/c")));
        assert_eq!(
            HubCache::from_vars(env(&[
                ("HF_HUB_CACHE", ""),
                ("HF_HOME", "/h"),
                ("HOME", "/u")
            ])),
            Some(HubCache::at("/h/hub"))
        );
        assert_eq!(
            HubCache::from_vars(env(&[("HOME", "/u")])),
            Some(HubCache::at("/u/.cache/huggingface/hub"))
        );
        assert_eq!(HubCache::from_vars(env(&[])), None);
    }

    #[test]
    fn repo_dir_uses_double_dashes() {
        assert_eq!(
            HubCache::at("/c").repo_dir("Qwen/Qwen3-0.6B"),
            PathBuf::from("/c/models--Qwen--Qwen3-0.6B")
        );
    }
}
