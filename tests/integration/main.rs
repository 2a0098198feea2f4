//! Cross-crate integration tests: real SQLite files and a real tantivy index in
//! temporary homes, driven through the engine API.

mod bad_input;
mod demo;
mod slack_exports;

use chief_engine::{Config, Engine};

/// A fresh engine in a temporary home.
pub fn engine() -> (tempfile::TempDir, Engine) {
    let home = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(home.path(), Config::load(home.path(), Vec::new()).expect("default config")).expect("engine opens");
    (home, engine)
}

/// Ids of a search's results.
pub fn search_ids(engine: &Engine, text: &str) -> Vec<String> {
    engine.sync_index().expect("index catches up");
    engine
        .search(&chief_engine::SearchQuery { text: text.into(), limit: Some(50), ..Default::default() })
        .expect("search works")
        .results
        .into_iter()
        .map(|r| r.id)
        .collect()
}
