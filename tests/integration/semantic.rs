//! The embedding queue: deletes leave the vector index, unreadable vectors are
//! re-embedded from the store.

use chief_engine::{Config, Engine, SearchMode, SearchQuery};
use chief_sources::slack_export::ImportOptions;
use serde_json::json;

use crate::semantic_engine;

fn export(dir: &std::path::Path, messages: serde_json::Value) {
    std::fs::write(dir.join("channels.json"), json!([{"id": "C1", "name": "general"}]).to_string()).unwrap();
    std::fs::create_dir_all(dir.join("general")).unwrap();
    std::fs::write(dir.join("general/2026-01-01.json"), messages.to_string()).unwrap();
}

fn dense_ids(engine: &Engine, text: &str) -> Vec<String> {
    engine
        .search(&SearchQuery { text: text.into(), mode: SearchMode::Dense, limit: Some(5), ..Default::default() })
        .unwrap()
        .results
        .into_iter()
        .map(|r| r.id)
        .collect()
}

#[test]
fn deleted_items_leave_the_vector_index() {
    let (_home, engine) = semantic_engine();
    let dir = tempfile::tempdir().unwrap();
    let a = json!({"type": "message", "user": "U1", "ts": "1.000100", "text": "The database migration failed during the night"});
    let b = json!({"type": "message", "user": "U1", "ts": "2.000100", "text": "Lunch is pizza on Friday"});
    export(dir.path(), json!([a, b]));
    engine.import_slack_export(dir.path(), &ImportOptions::default(), &mut |_| {}).unwrap();
    engine.embed_wait(&mut |_| {}).unwrap();
    assert_eq!(dense_ids(&engine, "schema upgrade broke overnight")[0], "slack:C1:1.000100");
    let chunks = engine.status().unwrap().embeddings.chunks;
    let tomb = json!({"type": "message", "subtype": "tombstone", "hidden": true, "ts": "1.000100", "text": "This message was deleted."});
    export(dir.path(), json!([tomb, b]));
    engine.import_slack_export(dir.path(), &ImportOptions::default(), &mut |_| {}).unwrap();
    engine.embed_wait(&mut |_| {}).unwrap();
    assert_eq!(engine.status().unwrap().embeddings.chunks, chunks - 1);
    assert!(!dense_ids(&engine, "schema upgrade broke overnight").contains(&"slack:C1:1.000100".to_string()));
}

#[test]
fn unreadable_vectors_are_re_embedded_from_the_store() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    export(
        dir.path(),
        json!([{"type": "message", "user": "U1", "ts": "1.000100", "text": "Quarterly planning starts next week"}]),
    );
    {
        let engine = Engine::open(home.path(), Config::default()).unwrap();
        engine.import_slack_export(dir.path(), &ImportOptions::default(), &mut |_| {}).unwrap();
        engine.embed_wait(&mut |_| {}).unwrap();
        engine.close().unwrap();
    }
    let db = rusqlite::Connection::open(home.path().join("chief.db")).unwrap();
    db.execute("UPDATE chunks SET vector = x'00010203'", []).unwrap();
    drop(db);
    let engine = Engine::open(home.path(), Config::default()).unwrap();
    engine.embed_wait(&mut |_| {}).unwrap();
    let db = rusqlite::Connection::open(home.path().join("chief.db")).unwrap();
    let len: i64 = db.query_row("SELECT length(vector) FROM chunks", [], |r| r.get(0)).unwrap();
    assert_eq!(len, 4 + 384);
    assert_eq!(dense_ids(&engine, "planning for the next quarter"), vec!["slack:C1:1.000100"]);
}

fn dense_score(engine: &Engine, text: &str, id: &str) -> f32 {
    engine
        .search(&SearchQuery { text: text.into(), mode: SearchMode::Dense, limit: Some(5), ..Default::default() })
        .unwrap()
        .results
        .into_iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("{id} not found by meaning for {text:?}"))
        .score
}

#[test]
fn a_long_items_sentences_are_embedded_and_score_it_and_switching_them_off_re_embeds() {
    let dir = tempfile::tempdir().unwrap();
    let notes = "The offsite venue is booked for the second week of March. Catering for the team \
                 dinner is still open. After the outage the Redis connection pool was raised to \
                 sixty four. Travel budgets for the quarter were approved by finance.";
    export(
        dir.path(),
        json!([
            {"type": "message", "user": "U1", "ts": "1.000100", "text": notes},
            {"type": "message", "user": "U1", "ts": "2.000100", "text": "Lunch is pizza on Friday"},
        ]),
    );
    let query = "the Redis connection pool was raised after the outage";
    let (home, engine) = semantic_engine();
    engine.import_slack_export(dir.path(), &ImportOptions::default(), &mut |_| {}).unwrap();
    engine.embed_wait(&mut |_| {}).unwrap();
    // One passage each, plus the long message's four sentences.
    assert_eq!(engine.status().unwrap().embeddings.chunks, 2 + 4);
    let with_sentences = dense_score(&engine, query, "slack:C1:1.000100");
    engine.close().unwrap();

    let mut config = Config::load(home.path(), Vec::new()).unwrap();
    config.embed.sentences = false;
    let engine = Engine::open(home.path(), config).unwrap();
    engine.embed_wait(&mut |_| {}).unwrap();
    assert_eq!(engine.status().unwrap().embeddings.chunks, 2, "passages only once sentences are off");
    let passage_only = dense_score(&engine, query, "slack:C1:1.000100");
    // The sentence that says it lifts the item above its passage, which averages that
    // sentence with three about other things.
    assert!(with_sentences > passage_only + 0.05, "with sentences {with_sentences}, passage only {passage_only}");
    engine.close().unwrap();
}
