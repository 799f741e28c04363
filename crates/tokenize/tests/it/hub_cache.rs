//! Hugging Face model ids resolved offline from a cache directory built by the test.

use std::path::{Path, PathBuf};

use servebench_tokenize::{Error, HubCache, LoadOptions, TokenizerSpec, load_with, tokenizer_file};

fn qwen3_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/tokenizers/qwen3"
    ))
}

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// `<root>/models--Qwen--Qwen3-0.6B/{refs/main, snapshots/<COMMIT>/tokenizer*.json}` with the
/// snapshot files symlinked to the shared Qwen3 files, as `huggingface_hub` lays it out.
fn build_cache(root: &Path) {
    let repo = root.join("models--Qwen--Qwen3-0.6B");
    let snapshot = repo.join("snapshots").join(COMMIT);
    std::fs::create_dir_all(&snapshot).expect("create the snapshot dir");
    std::fs::create_dir_all(repo.join("refs")).expect("create refs");
    std::fs::write(repo.join("refs/main"), COMMIT).expect("write refs/main");
    for file in ["tokenizer.json", "tokenizer_config.json"] {
        let target = std::fs::canonicalize(qwen3_dir().join(file)).expect("shared Qwen3 files");
        std::os::unix::fs::symlink(target, snapshot.join(file)).expect("symlink");
    }
}

fn options(root: &Path, revision: &str) -> LoadOptions {
    LoadOptions {
        revision: revision.into(),
        hub_cache: Some(HubCache::at(root)),
    }
}

#[test]
fn a_model_id_resolves_from_the_local_cache_without_network() {
    let cache = tempfile::tempdir().unwrap();
    build_cache(cache.path());
    let spec: TokenizerSpec = "Qwen/Qwen3-0.6B".parse().unwrap();
    let file = tokenizer_file(&spec, &options(cache.path(), "main"))
        .unwrap()
        .unwrap();
    assert_eq!(
        file,
        cache
            .path()
            .join("models--Qwen--Qwen3-0.6B/snapshots")
            .join(COMMIT)
            .join("tokenizer.json")
    );
    let tok = load_with(&spec, &options(cache.path(), "main")).unwrap();
    // Ids from Python `tokenizers` (see qwen3.rs).
    assert_eq!(tok.encode("Hello, world!"), [9707, 11, 1879, 0]);
    // A commit hash is a revision too.
    assert!(load_with(&spec, &options(cache.path(), COMMIT)).is_ok());
}

#[test]
fn an_unknown_revision_or_model_lists_where_it_looked() {
    let cache = tempfile::tempdir().unwrap();
    build_cache(cache.path());
    let spec: TokenizerSpec = "Qwen/Qwen3-0.6B".parse().unwrap();
    let err = load_with(&spec, &options(cache.path(), "v2")).unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("revision v2"), "{text}");
    assert!(text.contains("Qwen/Qwen3-0.6B"), "{text}");
    let ref_file = cache.path().join("models--Qwen--Qwen3-0.6B/refs/v2");
    assert!(text.contains(&ref_file.display().to_string()), "{text}");

    let err = load_with(
        &"Org/Missing".parse().unwrap(),
        &options(cache.path(), "main"),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains(
            &cache
                .path()
                .join("models--Org--Missing/refs/main")
                .display()
                .to_string()
        ),
        "{err}"
    );
}

#[test]
fn a_local_directory_wins_over_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    // Empty cache: a path that exists must not be looked up.
    let spec = TokenizerSpec::HfFile(qwen3_dir());
    let file = tokenizer_file(&spec, &options(cache.path(), "main"))
        .unwrap()
        .unwrap();
    assert_eq!(file, qwen3_dir().join("tokenizer.json"));
}
