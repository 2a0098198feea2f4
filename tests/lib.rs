//! Helpers shared by Chief's integration tests.

use std::path::PathBuf;

/// The shared data folder (`../shared` beside the repository, or `CHIEF_SHARED_DIR`).
/// Panics with a clear message when it is missing: tests that need it must not pass
/// silently without it.
pub fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("CHIEF_SHARED_DIR")
        .map(PathBuf::from)
        // `cargo test` sets CARGO_MANIFEST_DIR when it runs the tests; the compile-time
        // value is the fallback (it is stale when a build cache moves between clones).
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()))
                .join("../../shared")
        });
    assert!(dir.join("data").is_dir(), "the shared data folder is missing at {} (set CHIEF_SHARED_DIR)", dir.display());
    dir
}

/// A path inside `shared/data`.
pub fn shared_data(rel: &str) -> PathBuf {
    let p = shared_dir().join("data").join(rel);
    assert!(p.exists(), "shared test data {} is missing", p.display());
    p
}
