//! Cross-crate integration tests: real SQLite files and a real tantivy index in
//! temporary homes, driven through the engine API.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

mod bad_input;
mod brief;
mod brief_llm;
mod concurrency;
mod demo;
mod notify;
mod privacy;
mod propositions;
mod semantic;
mod slack_exports;

use chief_engine::{Config, Engine};

/// Default configuration with semantic search off.
pub fn bm25_config() -> Config {
    let mut c = Config::default();
    c.embed.enabled = false;
    c
}

/// A fresh engine in a temporary home, BM25 only (tests about semantic search use
/// [`semantic_engine`]; embedding everything in every test would only slow CI).
pub fn engine() -> (tempfile::TempDir, Engine) {
    let home = tempfile::tempdir().expect("temp dir");
    let env = vec![("CHIEF_EMBED_ENABLED".to_string(), "false".to_string())];
    let engine = Engine::open(home.path(), Config::load(home.path(), env).expect("config")).expect("engine opens");
    (home, engine)
}

/// A fresh engine with semantic search; fails loudly when the model is missing.
pub fn semantic_engine() -> (tempfile::TempDir, Engine) {
    let home = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(home.path(), Config::load(home.path(), Vec::new()).expect("default config"))
        .expect("engine opens");
    assert!(
        engine.has_semantic(),
        "semantic search must be available: {:?}",
        engine.status().unwrap().embeddings.problem
    );
    (home, engine)
}

/// Ids of a search's results.
pub fn search_ids(engine: &Engine, text: &str) -> Vec<String> {
    engine.sync_index().expect("index catches up");
    engine
        .search(&chief_engine::SearchQuery {
            text: text.into(),
            limit: Some(50),
            mode: chief_engine::SearchMode::Bm25,
            ..Default::default()
        })
        .expect("search works")
        .results
        .into_iter()
        .map(|r| r.id)
        .collect()
}
