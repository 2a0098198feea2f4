use chief_core::{
    Container, ContainerId, ContainerKind, Identity, IdentityKind, Item, ItemId, ItemKind, PersonRecord, RefKind,
    Reference, Source, Timestamp,
};
use serde_json::json;

use crate::{Store, Upsert};

fn channel() -> Container {
    Container {
        id: ContainerId::new(Source::Slack, "C1"),
        source: Source::Slack,
        kind: ContainerKind::Channel,
        name: "#ops".into(),
        description: String::new(),
    }
}

fn msg(ts: &str, body: &str) -> Item {
    Item {
        id: ItemId::new(Source::Slack, &format!("C1:{ts}")),
        source: Source::Slack,
        kind: ItemKind::Message,
        container: ContainerId::new(Source::Slack, "C1"),
        author: Some(Identity::new(IdentityKind::Slack, "U1")),
        participants: vec![],
        created: Timestamp(1000),
        updated: Timestamp(1000),
        title: String::new(),
        body: body.into(),
        url: None,
        parent: None,
        references: vec![Reference::new(RefKind::Ticket, "PAY-1")],
        is_bot: false,
        extra: json!({}),
    }
}

#[test]
fn upsert_is_idempotent_and_edits_update_in_place() {
    let mut store = Store::open_in_memory().unwrap();
    let w = store.writer().unwrap();
    w.upsert_container(&channel()).unwrap();
    assert_eq!(w.upsert_item(&msg("1.0", "hello")).unwrap(), Upsert::Inserted);
    assert_eq!(w.upsert_item(&msg("1.0", "hello")).unwrap(), Upsert::Unchanged);
    assert_eq!(w.upsert_item(&msg("1.0", "hello, edited")).unwrap(), Upsert::Updated);
    w.commit().unwrap();
    let events = store.events_since(0, 10).unwrap();
    assert_eq!(
        events.iter().map(|e| e.change).collect::<Vec<_>>(),
        vec![crate::Change::Created, crate::Change::Updated]
    );
    let item = store.item("slack:C1:1.0").unwrap().unwrap();
    assert_eq!(item.item.body, "hello, edited");
    assert_eq!(item.seq, events[1].seq);
    assert_eq!(store.items_referencing(&Reference::new(RefKind::Ticket, "PAY-1")).unwrap(), vec!["slack:C1:1.0"]);
}

#[test]
fn delete_is_a_tombstone_that_wipes_text() {
    let mut store = Store::open_in_memory().unwrap();
    let w = store.writer().unwrap();
    w.upsert_container(&channel()).unwrap();
    w.upsert_item(&msg("1.0", "secret plan")).unwrap();
    assert!(w.delete_item(&ItemId::new(Source::Slack, "C1:1.0")).unwrap());
    assert!(!w.delete_item(&ItemId::new(Source::Slack, "C1:1.0")).unwrap());
    w.commit().unwrap();
    let item = store.item("slack:C1:1.0").unwrap().unwrap();
    assert!(item.deleted);
    assert_eq!(item.item.body, "");
    assert!(store.items_referencing(&Reference::new(RefKind::Ticket, "PAY-1")).unwrap().is_empty());
    let recs = store.index_records_since(0, 10).unwrap();
    assert!(recs[0].deleted);
}

#[test]
fn uncommitted_writer_leaves_store_unchanged() {
    let mut store = Store::open_in_memory().unwrap();
    {
        let w = store.writer().unwrap();
        w.upsert_container(&channel()).unwrap();
        w.upsert_item(&msg("1.0", "x")).unwrap();
        w.set_cursor("slack", "acct", "C1", &json!({"hwm": "1.0"})).unwrap();
        // dropped without commit
    }
    assert!(store.item("slack:C1:1.0").unwrap().is_none());
    assert!(store.cursor("slack", "acct", "C1").unwrap().is_none());
    assert_eq!(store.max_seq().unwrap(), 0);
}

#[test]
fn people_merge_across_sources_by_email() {
    let mut store = Store::open_in_memory().unwrap();
    let w = store.writer().unwrap();
    let a = w
        .upsert_person(&PersonRecord {
            display_name: "Ana Ruiz".into(),
            identities: vec![
                Identity::new(IdentityKind::Slack, "U1"),
                Identity::new(IdentityKind::Email, "Ana@Kestrel.example"),
            ],
            title: String::new(),
            is_bot: false,
        })
        .unwrap();
    let b = w
        .upsert_person(&PersonRecord {
            display_name: "anaruiz".into(),
            identities: vec![Identity::new(IdentityKind::Github, "AnaRuiz")],
            title: String::new(),
            is_bot: false,
        })
        .unwrap();
    assert_ne!(a, b);
    // A record that links the GitHub login to the email merges the two people.
    let c = w
        .upsert_person(&PersonRecord {
            display_name: "anaruiz".into(),
            identities: vec![
                Identity::new(IdentityKind::Github, "anaruiz"),
                Identity::new(IdentityKind::Email, "ana@kestrel.example"),
            ],
            title: String::new(),
            is_bot: false,
        })
        .unwrap();
    w.commit().unwrap();
    assert_eq!(c, a);
    let people = store.find_people("ana").unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].display_name, "Ana Ruiz");
    assert_eq!(people[0].identities.len(), 3);
}

#[test]
fn reopening_a_file_store_keeps_data_and_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chief.db");
    {
        let mut store = Store::open(&path).unwrap();
        let w = store.writer().unwrap();
        w.upsert_container(&channel()).unwrap();
        w.upsert_item(&msg("2.0", "kept")).unwrap();
        w.commit().unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), crate::migrations::LATEST);
    assert_eq!(store.item("slack:C1:2.0").unwrap().unwrap().item.body, "kept");
    assert!(store.quick_check().unwrap().is_ok());
}

#[test]
fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chief.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = Store::open(&path).err().expect("garbage must not open");
    assert!(err.to_string().contains("cannot open the store"), "{err}");
}

#[test]
fn items_involving_matches_identities_literally() {
    let mut store = Store::open_in_memory().unwrap();
    let mut a = msg("1700000000.000100", "planning");
    a.participants = vec![Identity::new(IdentityKind::Email, "first_last@x.com")];
    let mut b = msg("1700000001.000100", "lookalike");
    b.participants = vec![Identity::new(IdentityKind::Email, "firstxlast@x.com")];
    let w = store.writer().unwrap();
    w.upsert_container(&channel()).unwrap();
    w.upsert_item(&a).unwrap();
    w.upsert_item(&b).unwrap();
    w.commit().unwrap();
    let found = store.items_involving(&["email:first_last@x.com".to_string()], Timestamp(0), 10).unwrap();
    let bodies: Vec<&str> = found.iter().map(|s| s.item.body.as_str()).collect();
    assert_eq!(bodies, ["planning"], "`_` is a literal underscore, not a wildcard");
}

#[test]
fn retention_drops_failures_and_expired_llm_answers_are_purged() {
    let mut store = Store::open_in_memory().unwrap();
    let w = store.writer().unwrap();
    w.upsert_container(&channel()).unwrap();
    w.record_failure("slack", "T1", "C1", "1.0", "bad", &json!({"text": "private words"})).unwrap();
    w.commit().unwrap();
    assert_eq!(store.sync_failures(Some("slack")).unwrap().len(), 1);
    let w = store.writer().unwrap();
    w.expire_before("slack", Timestamp(Timestamp::now().0 + 60_000)).unwrap();
    w.commit().unwrap();
    assert!(store.sync_failures(Some("slack")).unwrap().is_empty(), "a failure's payload ages out with the items");

    store.llm_cache_put("old", "p", "m", "answer", 0, 1_000).unwrap();
    store.llm_cache_put("new", "p", "m", "answer", 0, i64::MAX / 2).unwrap();
    assert_eq!(store.llm_cache_purge(10_000).unwrap(), 1);
    assert!(store.llm_cache_get("old", 0).unwrap().is_none());
    assert!(store.llm_cache_get("new", 0).unwrap().is_some());
}

#[test]
fn processes_opening_a_new_home_at_once_migrate_it_once() {
    // The CLI and the desktop opening the same new database together: every opener
    // succeeds and the schema is applied exactly once. The connections are opened
    // first so that the migrations themselves race (opening serialises on the WAL switch).
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chief.db");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut conn = rusqlite::Connection::open(&path).unwrap();
                    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
                    barrier.wait();
                    crate::migrations::apply(&mut conn, &path)
                        .map(|()| conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).unwrap())
                })
            })
            .collect();
        for h in handles {
            let version = h.join().unwrap().unwrap_or_else(|e| panic!("round {round}: concurrent open failed: {e}"));
            assert_eq!(version, crate::migrations::LATEST);
        }
        Store::open(&path).expect("the migrated home opens");
    }
}

#[test]
fn derived_propositions_are_their_own_change_kind_and_an_old_log_keeps_its_entries() {
    // A home made before the `derived` kind existed (schema 8) with a logged item.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        for sql in &crate::migrations::MIGRATIONS[..8] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 8).unwrap();
        conn.execute("INSERT INTO item_events (item_id, change, at_ms) VALUES ('slack:C1:0.5', 'created', 1)", [])
            .unwrap();
    }
    let mut store = Store::open(&db).unwrap();
    let old = store.events_since(0, 10).unwrap();
    assert_eq!(old.len(), 1);
    assert_eq!((old[0].item_id.as_str(), old[0].change), ("slack:C1:0.5", crate::Change::Created));
    let w = store.writer().unwrap();
    w.upsert_container(&channel()).unwrap();
    w.upsert_item(&msg("1.0", "Ana merged the fix")).unwrap();
    let id = chief_core::ItemId::parse("slack:C1:1.0").unwrap();
    assert!(w.set_propositions(&id, &[("Ana merged the fix".into(), "rules".into())]).unwrap());
    w.commit().unwrap();
    let changes: Vec<_> = store.events_since(0, 10).unwrap().into_iter().map(|e| e.change).collect();
    assert_eq!(changes, vec![crate::Change::Created, crate::Change::Created, crate::Change::Derived]);
    // The item's position moved with its propositions, so the index and the vectors take them in.
    let seq = store.events_since(0, 10).unwrap()[2].seq;
    assert_eq!(store.item("slack:C1:1.0").unwrap().unwrap().seq, seq);
}
