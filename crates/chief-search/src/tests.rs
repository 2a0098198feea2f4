use std::path::Path;

use chief_core::{
    Container, ContainerId, ContainerKind, Identity, IdentityKind, Item, ItemId, ItemKind, RefKind, Reference, Source,
    Timestamp,
};
use chief_store::Store;
use serde_json::json;

use crate::{CommitPolicy, Filters, SearchIndex, SearchRequest};

fn item(container: &str, n: u32, body: &str, refs: &[&str]) -> Item {
    Item {
        id: ItemId::new(Source::Slack, &format!("{container}:{n}.0")),
        source: Source::Slack,
        kind: ItemKind::Message,
        container: ContainerId::new(Source::Slack, container),
        author: Some(Identity::new(IdentityKind::Slack, &format!("U{}", n % 3))),
        participants: vec![],
        created: Timestamp(1_000_000 * n as i64),
        updated: Timestamp(1_000_000 * n as i64),
        title: String::new(),
        body: body.to_string(),
        url: None,
        parent: None,
        references: refs.iter().map(|r| Reference::new(RefKind::Ticket, *r)).collect(),
        is_bot: false,
        extra: json!(null),
    }
}

fn seed(path: &Path, items: &[Item]) -> Store {
    let mut store = Store::open(path).unwrap();
    let w = store.writer().unwrap();
    for (id, name) in [("C1", "#incidents"), ("C2", "#payments")] {
        w.upsert_container(&Container {
            id: ContainerId::new(Source::Slack, id),
            source: Source::Slack,
            kind: ContainerKind::Channel,
            name: name.into(),
            description: String::new(),
        })
        .unwrap();
    }
    for it in items {
        w.upsert_item(it).unwrap();
    }
    w.commit().unwrap();
    store
}

fn ids(index: &SearchIndex, store: &Store, text: &str, filters: Filters) -> Vec<String> {
    index
        .search(&SearchRequest { text: text.into(), filters, limit: 10, no_snippets: false }, store)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn index_catches_up_from_the_store_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let idx = dir.path().join("index");
    let mut store = seed(&db, &[item("C1", 1, "checkout latency spike", &[])]);
    SearchIndex::open(&idx, &db, CommitPolicy::default()).unwrap().close().unwrap();
    // The store moves on while no index writer runs (as after a crash between a
    // store commit and the index commit): the index's committed mark is now behind.
    let w = store.writer().unwrap();
    w.upsert_item(&item("C1", 2, "latency is back to normal", &[])).unwrap();
    w.commit().unwrap();
    let index = SearchIndex::open(&idx, &db, CommitPolicy::default()).unwrap();
    assert_eq!(index.flush().unwrap(), 2);
    assert_eq!(ids(&index, &store, "latency", Filters::default()).len(), 2);
    assert_eq!(index.status().unwrap().committed_seq, 2);
}

#[test]
fn deleted_items_leave_search_and_edits_replace() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let mut store = seed(&db, &[item("C1", 1, "rollback the deploy", &[]), item("C1", 2, "deploy went fine", &[])]);
    let index = SearchIndex::open(&dir.path().join("index"), &db, CommitPolicy::default()).unwrap();
    index.flush().unwrap();
    assert_eq!(ids(&index, &store, "deploy", Filters::default()).len(), 2);
    let w = store.writer().unwrap();
    w.delete_item(&ItemId::new(Source::Slack, "C1:1.0")).unwrap();
    w.upsert_item(&item("C1", 2, "release went fine", &[])).unwrap();
    w.commit().unwrap();
    index.flush().unwrap();
    assert!(ids(&index, &store, "deploy", Filters::default()).is_empty());
    assert_eq!(ids(&index, &store, "release", Filters::default()), vec!["slack:C1:2.0"]);
    assert_eq!(index.status().unwrap().documents, 1);
}

#[test]
fn filters_and_identifiers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let store = seed(
        &db,
        &[
            item("C1", 1, "payments outage, PAY-142 opened", &["PAY-142"]),
            item("C2", 2, "payments dashboard looks odd", &[]),
            item("C2", 3, "lunch order", &[]),
            item("C1", 4, "payments payments payments everywhere", &[]),
        ],
    );
    let index = SearchIndex::open(&dir.path().join("index"), &db, CommitPolicy::default()).unwrap();
    index.flush().unwrap();
    assert_eq!(
        ids(&index, &store, "payments", Filters { containers: vec!["#payments".into()], ..Default::default() }),
        vec!["slack:C2:2.0"]
    );
    assert_eq!(
        ids(
            &index,
            &store,
            "payments",
            Filters { since: Some(2_000_000), until: Some(4_000_000), ..Default::default() }
        ),
        vec!["slack:C2:2.0"]
    );
    assert_eq!(
        ids(&index, &store, "payments", Filters { people: vec![vec!["slack:U2".into()]], ..Default::default() }),
        vec!["slack:C2:2.0"]
    );
    assert!(
        ids(&index, &store, "payments", Filters { sources: vec!["github".into()], ..Default::default() }).is_empty()
    );
    // The exact identifier outranks a body that repeats the word many times.
    let hits = index
        .search(
            &SearchRequest {
                text: "PAY-142 payments".into(),
                filters: Filters::default(),
                limit: 5,
                no_snippets: false,
            },
            &store,
        )
        .unwrap();
    assert_eq!(hits[0].id, "slack:C1:1.0");
    assert!(hits[0].matched.contains(&"ref"), "a mention of the key");
    assert!(!hits[1].matched.contains(&"ref"));
    // Snippets highlight the matched word.
    let (s, e) = hits[0].highlights[0];
    assert!(
        hits[0].snippet[s..e].eq_ignore_ascii_case("payments") || hits[0].snippet[s..e].eq_ignore_ascii_case("pay")
    );
    // No words: newest first within the filters.
    assert_eq!(
        ids(&index, &store, "", Filters { containers: vec!["slack:C2".into()], ..Default::default() }),
        vec!["slack:C2:3.0", "slack:C2:2.0"]
    );
}

#[test]
fn a_corrupt_index_is_rebuilt_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let idx = dir.path().join("index");
    let store = seed(&db, &[item("C1", 1, "the database migration", &[])]);
    SearchIndex::open(&idx, &db, CommitPolicy::default()).unwrap().close().unwrap();
    std::fs::write(idx.join("meta.json"), b"{ this is not json").unwrap();
    let index = SearchIndex::open(&idx, &db, CommitPolicy::default()).unwrap();
    index.flush().unwrap();
    let status = index.status().unwrap();
    assert!(status.notes.iter().any(|n| n.contains("rebuilt")), "{:?}", status.notes);
    assert_eq!(ids(&index, &store, "migration", Filters::default()), vec!["slack:C1:1.0"]);
}

#[test]
fn an_index_from_another_version_is_replaced_not_kept_aside() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let idx = dir.path().join("index");
    let store = seed(&db, &[item("C1", 1, "the quarterly roadmap", &[])]);
    std::fs::create_dir_all(&idx).unwrap();
    let mut older = tantivy::schema::Schema::builder();
    older.add_text_field("id", tantivy::schema::STRING | tantivy::schema::STORED);
    tantivy::Index::create_in_dir(&idx, older.build()).unwrap();
    let index = SearchIndex::open(&idx, &db, CommitPolicy::default()).unwrap();
    index.flush().unwrap();
    let notes = index.status().unwrap().notes;
    assert!(notes.iter().any(|n| n.contains("another Chief version")), "{notes:?}");
    let siblings: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!siblings.iter().any(|n| n.contains("broken")), "{siblings:?}");
    assert_eq!(ids(&index, &store, "roadmap", Filters::default()), vec!["slack:C1:1.0"]);
}

#[test]
fn a_second_writer_opens_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let idx = dir.path().join("index");
    let store = seed(&db, &[item("C1", 1, "oncall handoff notes", &[])]);
    let first = SearchIndex::open(&idx, &db, CommitPolicy::default()).unwrap();
    first.flush().unwrap();
    let second = SearchIndex::open(&idx, &db, CommitPolicy::default()).unwrap();
    let status = second.status().unwrap();
    assert!(status.read_only);
    assert!(second.flush().is_err());
    assert_eq!(ids(&second, &store, "handoff", Filters::default()), vec!["slack:C1:1.0"]);
}

#[test]
fn rebuild_reindexes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let store = seed(&db, &[item("C1", 1, "alpha", &[]), item("C1", 2, "beta", &[])]);
    let index = SearchIndex::open(&dir.path().join("index"), &db, CommitPolicy::default()).unwrap();
    index.flush().unwrap();
    assert_eq!(index.rebuild().unwrap(), 2);
    assert_eq!(index.status().unwrap().documents, 2);
    assert_eq!(ids(&index, &store, "beta", Filters::default()), vec!["slack:C1:2.0"]);
}

#[test]
fn question_words_do_not_match_anything() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let store = seed(
        &db,
        &[
            item("C1", 1, "Did anyone else see deploys take 29 minutes today? Why is that", &[]),
            item("C1", 2, "checkout failed for some customers", &[]),
        ],
    );
    let index = SearchIndex::open(&dir.path().join("index"), &db, CommitPolicy::default()).unwrap();
    index.flush().unwrap();
    let hits = ids(&index, &store, "why did checkout fail", Filters::default());
    assert_eq!(hits, vec!["slack:C1:2.0".to_string()], "only the checkout message matches");
    // A query of question words alone still searches for them.
    assert_eq!(ids(&index, &store, "why", Filters::default()), vec!["slack:C1:1.0".to_string()]);
    let (_, highlights) = index.snippet("why did checkout fail", "Did the checkout fail").unwrap();
    assert_eq!(highlights.len(), 2, "checkout and fail, not Did");
}
