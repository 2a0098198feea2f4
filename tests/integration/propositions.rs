//! Propositions: the extract agent derives factoids from structured items, stores them
//! with a change-log entry, and search finds the item through them with the factoid as
//! the reason; an edit re-derives them, a deletion drops them, a quiet round writes
//! nothing, and `[brain] propositions = false` leaves them out.

use chief_core::Timestamp;
use chief_engine::{SearchMode, SearchQuery};

fn seeded(seed: u64, extra: &[(&str, &str)]) -> (tempfile::TempDir, chief_engine::Engine) {
    let home = tempfile::tempdir().unwrap();
    let mut env = vec![("CHIEF_EMBED_ENABLED".to_string(), "false".to_string())];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let (engine, _) =
        chief_bench::demo::load_seeded(home.path(), seed, false, env, chief_engine::no_progress()).unwrap();
    (home, engine)
}

fn search(engine: &chief_engine::Engine, text: &str) -> Vec<chief_engine::SearchResult> {
    engine.sync_index().unwrap();
    engine
        .search(&SearchQuery { text: text.into(), limit: Some(10), mode: SearchMode::Bm25, ..Default::default() })
        .unwrap()
        .results
}

/// A Jira ticket with an assignee, and the assignee's name from its proposition.
fn assigned_ticket(engine: &chief_engine::Engine) -> (String, String) {
    let tickets = engine
        .search(&SearchQuery {
            text: String::new(),
            limit: Some(200),
            sources: vec![chief_core::Source::Jira],
            kinds: vec![chief_core::ItemKind::Issue],
            ..Default::default()
        })
        .unwrap()
        .results;
    for t in tickets {
        let d = engine.show(&t.id).unwrap();
        if d.item.item.parent.is_some() {
            continue;
        }
        if let Some(p) = d.propositions.iter().find(|p| p.by == "rule:assignment") {
            let name = p.text.split(" is assigned ").next().unwrap().to_string();
            // The ticket's own text must not name its assignee, or words alone would find it.
            let own = format!("{} {}", d.item.item.title, d.item.item.body).to_lowercase();
            if !own.contains(&name.to_lowercase()) && !own.contains("assigned") {
                return (t.id, name);
            }
        }
    }
    panic!("the seeded demo has no assigned ticket");
}

#[test]
fn a_ticket_is_found_through_its_assignment_and_follows_its_edits() {
    let (_home, engine) = seeded(4, &[]);
    let (id, name) = assigned_ticket(&engine);
    let d = engine.show(&id).unwrap();
    let kinds: Vec<&str> = d.propositions.iter().map(|p| p.by.as_str()).collect();
    assert!(kinds.contains(&"rule:status"), "{kinds:?}");

    // "Who is assigned …?": the ticket's own text does not say; its proposition does.
    let title = d.item.item.title.split_once(": ").map_or(d.item.item.title.as_str(), |(_, t)| t).to_string();
    let query = format!("who is assigned {title}");
    let hits = search(&engine, &query);
    let rank = hits.iter().position(|r| r.id == id).unwrap_or_else(|| panic!("{query:?} misses {id}: {hits:#?}"));
    assert!(rank < 3, "{query:?}: {id} at {rank}");
    let hit = &hits[rank];
    assert!(hit.matched.contains(&"fact"), "{hit:?}");
    assert!(hit.reason.as_deref().unwrap().starts_with(&format!("{name} is assigned ")), "{hit:?}");

    // A quiet round derives nothing new and stays where it is.
    let quiet = engine.extract_propositions(&[]).unwrap();
    assert!(quiet.decisions.is_empty(), "{quiet:#?}");
    let head = engine.status().unwrap().counts.max_seq;
    assert_eq!(quiet.positions, [("extract".to_string(), head)]);

    // Reassigned: the proposition follows and search with it.
    let mut item = d.item.item.clone();
    item.extra["assignee"] = serde_json::json!("Quinn Zephyrine");
    item.extra["assignee_id"] = serde_json::json!("jira:qz-0001");
    item.updated = Timestamp(item.updated.0 + 60_000);
    engine.write(|w| w.upsert_item(&item)).unwrap();
    let round = engine.extract_propositions(&[]).unwrap();
    assert!(round.decisions.iter().any(|x| x.item.as_deref() == Some(id.as_str())), "{round:#?}");
    let now = engine.show(&id).unwrap().propositions;
    assert!(now.iter().any(|p| p.text.starts_with("Quinn Zephyrine is assigned ")), "{now:?}");
    assert!(!now.iter().any(|p| p.text.starts_with(&format!("{name} is assigned"))), "{now:?}");
    let hits = search(&engine, &query);
    let hit = hits.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("{query:?} misses {id}: {hits:#?}"));
    assert!(hit.reason.as_deref().unwrap().starts_with("Quinn Zephyrine is assigned "), "{hit:?}");

    // Deleted: its propositions go with it, and so does the hit.
    engine.write(|w| w.delete_item(&item.id)).unwrap();
    engine.extract_propositions(&[]).unwrap();
    assert!(engine.show(&id).unwrap().propositions.is_empty());
    assert!(!search(&engine, &query).iter().any(|r| r.id == id));
}

#[test]
fn reviews_and_merges_become_propositions_and_can_be_turned_off() {
    let (_home, engine) = seeded(7, &[]);
    // Any approving review: found by who approved what, with the PR's title.
    let reviews = engine
        .search(&SearchQuery {
            text: String::new(),
            limit: Some(500),
            sources: vec![chief_core::Source::Github],
            kinds: vec![chief_core::ItemKind::Review],
            ..Default::default()
        })
        .unwrap()
        .results;
    let (rid, fact) = reviews
        .iter()
        .find_map(|r| {
            let d = engine.show(&r.id).unwrap();
            d.propositions.iter().find(|p| p.by == "rule:review").map(|p| (r.id.clone(), p.text.clone()))
        })
        .expect("an approving or change-requesting review");
    let hits = search(&engine, &fact);
    let rank = hits.iter().position(|r| r.id == rid);
    assert!(rank.is_some_and(|r| r < 3), "{fact:?} → {hits:#?}");

    // The PR is renamed: its review's verdict follows, though the review did not change.
    let pr_id = engine.show(&rid).unwrap().item.item.parent.unwrap();
    let mut pr = engine.show(pr_id.as_str()).unwrap().item.item;
    pr.title = "Quartz flux capacitor rewrite".into();
    pr.updated = chief_core::Timestamp(pr.updated.0 + 60_000);
    engine.write(|w| w.upsert_item(&pr)).unwrap();
    engine.extract_propositions(&[]).unwrap();
    let now = engine.show(&rid).unwrap().propositions;
    assert!(now.iter().any(|p| p.text.ends_with(": Quartz flux capacitor rewrite")), "{now:?}");

    // Turned off: every proposition leaves the store and search.
    let home = engine.home().to_path_buf();
    engine.close().unwrap();
    let env = vec![
        ("CHIEF_EMBED_ENABLED".to_string(), "false".to_string()),
        ("CHIEF_BRAIN_PROPOSITIONS".to_string(), "false".to_string()),
    ];
    let off = chief_engine::Engine::open(&home, chief_engine::Config::load(&home, env).unwrap()).unwrap();
    let round = off.extract_propositions(&[]).unwrap();
    assert!(round.decisions.iter().any(|d| d.what.contains("propositions are off")), "{round:#?}");
    assert!(off.show(&rid).unwrap().propositions.is_empty());
    assert!(search(&off, &fact).iter().all(|r| r.reason.is_none()));
    // A second round has nothing left to remove.
    assert!(off.extract_propositions(&[]).unwrap().decisions.is_empty());
}
