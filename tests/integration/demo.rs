//! The demo workspace loads through the real connectors (Slack and GitHub synced from
//! a local mock API) and importers (Jira, Calendar), and its stories are findable.

use std::collections::BTreeMap;

use chief_demo::GroundTruth;
use chief_engine::{EntityKind, GroupKind, SearchMode, SearchQuery, SourceState};

use crate::search_ids;

/// A temporary home holding the demo workspace, BM25 only unless `semantic`.
pub fn load_demo(semantic: bool) -> (tempfile::TempDir, chief_engine::Engine, chief_bench::demo::DemoReport) {
    let home = tempfile::tempdir().unwrap();
    let env: Vec<(String, String)> =
        if semantic { Vec::new() } else { vec![("CHIEF_EMBED_ENABLED".into(), "false".into())] };
    let (engine, report) = chief_bench::demo::load(home.path(), false, env, chief_engine::no_progress()).unwrap();
    if semantic {
        assert!(
            engine.has_semantic(),
            "semantic search must be available: {:?}",
            engine.status().unwrap().embeddings.problem
        );
    }
    (home, engine, report)
}

fn load_with(semantic: bool) -> (tempfile::TempDir, chief_engine::Engine, GroundTruth) {
    let (home, engine, report) = load_demo(semantic);
    assert!(report.rest.failures.is_empty(), "{:?}", report.rest.failures);
    let synced: Vec<(&str, SourceState)> = report.sync.iter().map(|o| (o.source.as_str(), o.state)).collect();
    let all = [
        ("slack", SourceState::Ok),
        ("github", SourceState::Ok),
        ("jira", SourceState::Ok),
        ("google", SourceState::Ok),
    ];
    assert_eq!(synced, all);
    for o in &report.sync {
        let r = o.report.as_ref().unwrap();
        assert!(r.inserted > 20 && r.failed == 0, "{} {r:?}", o.source);
    }
    let truth: GroundTruth =
        serde_json::from_slice(&std::fs::read(home.path().join("demo-data/ground_truth.json")).unwrap()).unwrap();
    (home, engine, truth)
}

fn load() -> (tempfile::TempDir, chief_engine::Engine, GroundTruth) {
    load_with(false)
}

#[test]
fn demo_counts_match_the_ground_truth_and_every_story_item_exists() {
    let (_home, engine, truth) = load();
    let status = engine.status().unwrap();
    let mut per_source: BTreeMap<String, usize> = BTreeMap::new();
    for (source, _, live, deleted) in &status.counts.items {
        *per_source.entry(source.clone()).or_default() += (live + deleted) as usize;
    }
    assert_eq!(per_source, truth.expected_counts);
    assert!(per_source.values().sum::<usize>() >= 1500);
    assert!(status.counts.people >= 12);
    assert_eq!(status.index.documents as i64, status.counts.items.iter().map(|c| c.2).sum::<i64>());
    for story in &truth.stories {
        for id in &story.items {
            let shown = engine.show(id).unwrap_or_else(|e| panic!("story {} item {id}: {e}", story.key));
            assert!(!shown.item.deleted);
        }
    }
    // People are merged across Slack, GitHub, Jira and Calendar by email.
    let tom = engine
        .search(&SearchQuery {
            person: Some("Tom Becker".into()),
            limit: Some(500),
            mode: SearchMode::Bm25,
            ..Default::default()
        })
        .unwrap();
    let sources: std::collections::BTreeSet<&str> = tom.results.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(sources.into_iter().collect::<Vec<_>>(), vec!["github", "google", "jira", "slack"]);
}

#[test]
fn the_incident_is_found_across_channels_and_tools() {
    let (_home, engine, truth) = load();
    let incident = truth.stories.iter().find(|s| s.kind == "incident").unwrap();
    let found = search_ids(&engine, "connection pool");
    let containers: std::collections::BTreeSet<String> = found
        .iter()
        .filter(|id| incident.items.contains(id))
        .map(|id| engine.show(id).unwrap().item.container_name)
        .collect();
    assert!(containers.contains("#incidents") && containers.contains("#payments-eng"), "{containers:?}");
    assert!(containers.contains("kestrel/payments-api"), "{containers:?}");
    // The ticket key finds the Jira issue first.
    let pay142 = engine
        .search(&SearchQuery { text: "PAY-142".into(), limit: Some(10), mode: SearchMode::Bm25, ..Default::default() })
        .unwrap();
    assert_eq!(pay142.results[0].source, "jira");
    assert!(pay142.results[0].title.starts_with("PAY-142"));
    assert!(pay142.results[0].matched.contains(&"id"));
}

/// Recall@5 and MRR over the demo's ground-truth queries, per mode. Printed for the
/// issue notes; asserted against floors that a regression would break.
#[test]
fn workplace_retrieval_eval() {
    let (_home, engine, truth) = load_with(true);
    assert_eq!(engine.status().unwrap().embeddings.lag, 0, "the demo is fully embedded");
    let bm25 = eval_mode(&engine, &truth, SearchMode::Bm25);
    let hybrid = eval_mode(&engine, &truth, SearchMode::Hybrid);
    let dense = eval_mode(&engine, &truth, SearchMode::Dense);
    println!("workplace eval: bm25 {bm25:?}, dense {dense:?}, hybrid {hybrid:?} (recall@5, MRR)");
    assert!(hybrid.1 >= 0.8, "hybrid MRR {}", hybrid.1);
    assert!(hybrid.0 >= 0.7, "hybrid recall@5 {}", hybrid.0);
    assert!(bm25.1 >= 0.8 && bm25.0 >= 0.7, "bm25 {bm25:?}");
    // Identifier queries rank their item first in every mode that reads words.
    for mode in [SearchMode::Bm25, SearchMode::Hybrid] {
        let r =
            engine.search(&SearchQuery { text: "PAY-142".into(), mode, limit: Some(3), ..Default::default() }).unwrap();
        assert!(r.results[0].title.starts_with("PAY-142"), "{mode:?}: {}", r.results[0].title);
        let r = engine
            .search(&SearchQuery { text: "kestrel/web-app#214".into(), mode, limit: Some(3), ..Default::default() })
            .unwrap();
        assert_eq!(r.results[0].id, "github:kestrel/web-app#214", "{mode:?}");
    }
    // Meaning without shared words: the flu message is found by "ill" and "absent".
    let r = engine
        .search(&SearchQuery {
            text: "who is ill and will be absent tomorrow".into(),
            mode: SearchMode::Dense,
            limit: Some(3),
            ..Default::default()
        })
        .unwrap();
    let flu = &truth.stories.iter().find(|s| s.kind == "absence").unwrap().items[0];
    assert!(r.results.iter().any(|x| &x.id == flu), "{:?}", r.results.iter().map(|x| &x.title).collect::<Vec<_>>());
    // The first results do not depend on how many are asked for, in any mode.
    let ids = |text: &str, mode: SearchMode, limit: usize| -> Vec<String> {
        let q = SearchQuery { text: text.into(), mode, limit: Some(limit), ..Default::default() };
        engine.search(&q).unwrap().results.into_iter().map(|r| r.id).collect()
    };
    let queries =
        ["who is ill and will be absent tomorrow"].into_iter().chain(truth.queries.iter().map(|q| q.query.as_str()));
    for text in queries {
        for mode in SearchMode::ALL {
            let (few, many) = (ids(text, mode, 3), ids(text, mode, 20));
            assert_eq!(few[..], many[..few.len().min(many.len())], "{mode:?} {text:?}");
        }
    }
}

fn eval_mode(engine: &chief_engine::Engine, truth: &GroundTruth, mode: SearchMode) -> (f64, f64) {
    let mut sums = chief_bench::search_eval::Sums::default();
    chief_bench::search_eval::score_home(engine, truth, mode, &mut sums, &mut |q, recall, rr| {
        println!("{mode:?} {q:<32} recall@5 {recall:.2}  rr {rr:.2}");
    })
    .unwrap();
    let s = sums.score();
    (s.recall_at_5, s.mrr_at_10)
}

#[test]
fn context_for_a_ticket_key_names_it_and_groups_its_threads_ticket_and_pr() {
    let (_home, engine, truth) = load();
    let incident = truth.stories.iter().find(|s| s.kind == "incident").unwrap();
    let ctx = engine.context("  PAY-142  ", engine.clock()).unwrap();
    assert_eq!(ctx.text, "PAY-142");
    let ticket = ctx.entities.iter().find(|e| e.kind == EntityKind::Ticket).unwrap();
    assert_eq!(ticket.value, "PAY-142");
    let own = ticket.item_id.as_deref().unwrap();
    assert!(incident.items.iter().any(|i| i == own), "the entity is the incident's ticket");
    assert!(ticket.label.contains("Checkout 502s"), "{}", ticket.label);
    let kinds: Vec<GroupKind> = ctx.groups.iter().map(|g| g.kind).collect();
    assert_eq!(&kinds[..3], [GroupKind::Threads, GroupKind::Tickets, GroupKind::Code], "{kinds:?}");
    let ids = |kind: GroupKind| -> Vec<String> {
        ctx.groups.iter().filter(|g| g.kind == kind).flat_map(|g| g.items.iter().map(|i| i.id.clone())).collect()
    };
    assert!(ids(GroupKind::Threads).iter().any(|id| incident.items.contains(id)), "{:?}", ids(GroupKind::Threads));
    assert!(
        ids(GroupKind::Code).iter().any(|id| incident.items.contains(id) && id.contains('#')),
        "the fixing PR: {:?}",
        ids(GroupKind::Code)
    );
    assert!(ctx.groups.iter().all(|g| g.items.len() <= 8));
    // People named in the text are entities too; empty text is a clear error.
    let ctx = engine.context("Tom Becker said the refund worker exhausted the pool", engine.clock()).unwrap();
    assert!(ctx.entities.iter().any(|e| e.kind == EntityKind::Person && e.value == "Tom Becker"), "{:?}", ctx.entities);
    let err = engine.context("   ", None).unwrap_err();
    assert_eq!(err.code(), "invalid_input");
}

/// FOUND.md: weekly template messages and recurring meetings no longer fill the popup;
/// each shows once with how many it stands for.
#[test]
fn near_duplicates_and_recurring_meetings_collapse_in_the_popup() {
    let (_home, engine, truth) = load();
    let ctx = engine.context("checkout incident", engine.clock()).unwrap();
    for g in &ctx.groups {
        let titles: Vec<String> = g.items.iter().map(|r| r.title.to_lowercase()).collect();
        let unique: std::collections::BTreeSet<&String> = titles.iter().collect();
        assert_eq!(unique.len(), titles.len(), "{:?} repeats a row: {titles:?}", g.kind);
        let templated = g.items.iter().filter(|r| r.title.starts_with("Post-incident review")).count();
        assert!(templated <= 1, "{titles:?}");
    }
    assert!(ctx.groups.iter().any(|g| g.like_it.values().any(|n| *n >= 2)), "{ctx:#?}");
    let me = truth.me.name.split_whitespace().next().unwrap();
    let ctx = engine.context(&format!("1:1 {me}"), engine.clock()).unwrap();
    let meetings = ctx.groups.iter().find(|g| g.kind == GroupKind::Events).expect("meetings");
    let titles: Vec<&str> = meetings.items.iter().map(|r| r.title.as_str()).collect();
    let unique: std::collections::BTreeSet<&&str> = titles.iter().collect();
    assert_eq!(unique.len(), titles.len(), "a recurring meeting shows once: {titles:?}");
    assert!(meetings.like_it.values().any(|n| *n >= 2), "{meetings:#?}");
}

/// Click-to-context: a captured message brings its whole thread, in order, first.
#[test]
fn captured_message_text_brings_its_conversation() {
    let (_home, engine, truth) = load();
    let incident = truth.stories.iter().find(|s| s.kind == "incident").unwrap();
    let reply = engine.show(&incident.items[2]).unwrap().item;
    let root = reply.item.parent.clone().unwrap();
    // What a user would select: a piece of the message, with the chat's own spacing.
    let words: Vec<&str> = reply.item.body.split_whitespace().collect();
    let captured = format!("  {}  ", words[2..words.len().min(12)].join("  "));
    let ctx = engine.context(&captured, engine.clock()).unwrap();
    let first = &ctx.groups[0];
    assert_eq!(first.kind, GroupKind::Conversation, "{ctx:#?}");
    let ids: Vec<&str> = first.items.iter().map(|r| r.id.as_str()).collect();
    let thread = engine.show(root.as_str()).unwrap().thread;
    let expected: Vec<&str> = thread.iter().map(|s| s.item.id.as_str()).collect();
    assert_eq!(ids, expected, "the whole thread, root first, in order");
    assert!(ctx.groups[1..].iter().all(|g| g.items.iter().all(|r| !ids.contains(&r.id.as_str()))));
    // An identifier is a lookup, not a captured message.
    let ctx = engine.context("PAY-142", engine.clock()).unwrap();
    assert!(ctx.groups.iter().all(|g| g.kind != GroupKind::Conversation));
}
