//! The daily briefing end to end on demo orgs loaded through the real connectors: what
//! it surfaces, that every citation resolves, the journal (a stopped run resumes
//! without repeating finished steps; a re-run summarizes nothing new), feedback that
//! moves the next ranking, the interest graph, who the user is, and the clock.

use std::collections::BTreeSet;

use chief_core::{ContainerId, Identity, IdentityKind, Item, ItemId, ItemKind, Source, Timestamp};
use chief_demo::GroundTruth;
use chief_engine::{BriefRequest, BriefStep, Briefing, Config, Engine, EngineError, ErrorClass};

fn no_embed() -> Vec<(String, String)> {
    vec![("CHIEF_EMBED_ENABLED".to_string(), "false".to_string())]
}

fn seeded(seed: u64) -> (tempfile::TempDir, Engine, GroundTruth) {
    let home = tempfile::tempdir().unwrap();
    let (engine, report) =
        chief_bench::demo::load_seeded(home.path(), seed, false, no_embed(), chief_engine::no_progress()).unwrap();
    (home, engine, report.truth)
}

fn offline() -> BriefRequest {
    BriefRequest { offline: true, ..BriefRequest::default() }
}

/// Keys of the ground-truth stories a briefing cites, by kind.
fn cited_kinds(b: &Briefing, truth: &GroundTruth) -> Vec<BTreeSet<String>> {
    b.stories
        .iter()
        .map(|s| {
            truth
                .stories
                .iter()
                .filter(|g| s.sources.iter().any(|src| g.items.contains(&src.id)))
                .map(|g| g.kind.clone())
                .collect()
        })
        .collect()
}

fn summarize_counts(engine: &Engine, run: i64) -> (u64, u64) {
    let (_, steps) = engine.run_detail(run).unwrap();
    let out = steps.iter().find(|s| s.idx == BriefStep::Summarize as i64).unwrap().output.clone().unwrap();
    (out["computed"].as_u64().unwrap(), out["cached"].as_u64().unwrap())
}

#[test]
fn the_briefing_surfaces_the_users_stories_with_resolving_citations() {
    for seed in [0u64, 7] {
        let (_home, engine, truth) = seeded(seed);
        let b = engine.brief(&offline()).unwrap();
        assert_eq!(b.stories.len(), 3, "seed {seed}: {b:#?}");
        assert_eq!(b.user, truth.me.name);
        let cited = cited_kinds(&b, &truth);
        let all: BTreeSet<&str> = cited.iter().flatten().map(String::as_str).collect();
        for kind in chief_demo::GOLD_KINDS {
            assert!(all.contains(kind), "seed {seed}: {kind} missing from {cited:?}");
        }
        for kind in ["irrelevant_busy", "absence", "prompt_injection", "older_resolved", "other_team"] {
            assert!(!all.contains(kind), "seed {seed}: distractor {kind} in the top 3: {cited:?}");
        }
        for s in &b.stories {
            assert!(!s.title.is_empty() && !s.summary.is_empty() && !s.why.is_empty(), "{s:#?}");
            let text = format!("{} {} {}", s.title, s.summary, s.why).to_lowercase();
            assert!(text.contains("you"), "second person: {text}");
            assert!(!text.contains(&truth.me.name.to_lowercase()), "names the user in the third person: {text}");
            for f in &truth.forbidden {
                assert!(!text.contains(&f.to_lowercase()), "forbidden {f:?} in {text}");
            }
            let sources: BTreeSet<&str> = s.sources.iter().map(|x| x.id.as_str()).collect();
            for sentence in &s.sentences {
                assert!(!sentence.sources.is_empty(), "uncited: {sentence:?}");
                for id in &sentence.sources {
                    assert!(sources.contains(id.as_str()), "{id} is cited but not among the story's sources");
                    engine.show(id).unwrap_or_else(|e| panic!("citation {id} does not resolve: {e}"));
                }
            }
        }
        // Stored, and the JSON has the documented shape.
        let v = serde_json::to_value(&engine.briefings(5).unwrap()[0]).unwrap();
        for key in ["date", "user", "run_id", "stories"] {
            assert!(v.get(key).is_some(), "{key} missing");
        }
        for key in ["id", "title", "summary", "why", "sources", "reasons"] {
            assert!(v["stories"][0].get(key).is_some(), "story {key} missing");
        }
        for key in ["id", "source", "url", "title"] {
            assert!(v["stories"][0]["sources"][0].get(key).is_some(), "source {key} missing");
        }
    }
}

#[test]
fn a_stopped_run_resumes_without_repeating_finished_steps() {
    let (home, engine, _) = seeded(3);
    let stopped = engine
        .brief(&BriefRequest { stop_after: Some(BriefStep::Consolidate), ..offline() })
        .expect_err("the run stops after consolidate");
    assert!(matches!(stopped, EngineError::Brain(chief_brain::BrainError::Stopped { .. })), "{stopped}");
    let runs = engine.runs(10).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, chief_engine::RunStatus::Failed);
    let (_, before) = engine.run_detail(runs[0].id).unwrap();
    assert_eq!(before.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["discussions", "summarize", "consolidate"]);

    // Resumed ten minutes later: the clock moved, the run and its window did not.
    let later = chief_core::Timestamp(engine.now().0 + 600_000);
    engine.close().unwrap();
    let engine =
        Engine::open(home.path(), Config::load(home.path(), no_embed()).unwrap()).unwrap().with_clock(Some(later));
    let b = engine.brief(&offline()).unwrap();
    assert_eq!(b.run_id, runs[0].id, "the same run resumed");
    assert_eq!(b.window.to_ms, later.0 - 600_000, "the resumed run keeps its window");
    let (run, after) = engine.run_detail(b.run_id).unwrap();
    assert_eq!(run.status, chief_engine::RunStatus::Done);
    assert_eq!(after.len(), 7);
    for (old, new) in before.iter().zip(&after) {
        assert_eq!((old.started_ms, &old.output), (new.started_ms, &new.output), "step {} ran again", old.name);
    }
    assert_eq!(engine.runs(10).unwrap().len(), 1);
}

#[test]
fn a_rerun_summarizes_nothing_and_new_data_only_what_changed() {
    let (_home, engine, truth) = seeded(5);
    let first = engine.brief(&offline()).unwrap();
    let (computed, cached) = summarize_counts(&engine, first.run_id);
    assert!(computed > 50 && cached == 0, "{computed} {cached}");
    let again = engine.brief(&offline()).unwrap();
    assert_ne!(again.run_id, first.run_id);
    assert_eq!(summarize_counts(&engine, again.run_id), (0, computed));
    assert_eq!(
        again.stories.iter().map(|s| &s.id).collect::<Vec<_>>(),
        first.stories.iter().map(|s| &s.id).collect::<Vec<_>>()
    );

    // A new reply in the incident's thread: only that discussion is summarized again.
    let incident = truth.stories.iter().find(|s| s.kind == "incident").unwrap();
    let root = engine.show(&incident.items[1]).unwrap().item.item.parent.unwrap();
    let shown = engine.show(root.as_str()).unwrap().item;
    let now = engine.now();
    let reply = Item {
        id: ItemId::new(
            Source::Slack,
            &format!("{}:{}.000100", shown.item.container.as_str().trim_start_matches("slack:"), now.0 / 1000 - 600),
        ),
        source: Source::Slack,
        kind: ItemKind::Message,
        container: ContainerId::parse(shown.item.container.as_str()).unwrap(),
        author: Some(Identity::new(IdentityKind::Slack, &truth.me.slack)),
        participants: vec![],
        created: Timestamp(now.0 - 600_000),
        updated: Timestamp(now.0 - 600_000),
        title: String::new(),
        body: "Thanks all, I read the timeline".into(),
        url: None,
        parent: Some(root.clone()),
        references: vec![],
        is_bot: false,
        extra: serde_json::json!({}),
    };
    engine.write(|w| w.upsert_item(&reply).map(|_| ())).unwrap();
    let third = engine.brief(&offline()).unwrap();
    assert_eq!(summarize_counts(&engine, third.run_id), (1, computed - 1));
}

#[test]
fn feedback_changes_the_next_ranking() {
    let (_home, engine, _) = seeded(11);
    let first = engine.brief(&offline()).unwrap();
    let top = first.stories[0].id.clone();
    let out = engine.feedback(&top, false, "not mine").unwrap();
    assert_eq!(out.vote, -1);
    assert!(!out.interests.is_empty());
    let next = engine.brief(&offline()).unwrap();
    let ids: Vec<&str> = next.stories.iter().map(|s| s.id.as_str()).collect();
    assert_ne!(ids.first().copied(), Some(top.as_str()), "a story rated down is not first again: {ids:?}");
    let (_, steps) = engine.run_detail(next.run_id).unwrap();
    let ranked = steps.iter().find(|s| s.idx == BriefStep::Rank as i64).unwrap().output.clone().unwrap();
    let reasons = ranked.as_array().unwrap().iter().find(|r| r["id"] == top.as_str()).unwrap()["reasons"].clone();
    assert!(reasons.as_array().unwrap().iter().any(|r| r["signal"] == "feedback"), "{reasons}");
    // The rated story's interests moved down in the graph.
    let g = engine.interests().unwrap();
    assert!(g.interests.iter().any(|i| i.evidence.iter().any(|e| e.what == "feedback")));

    let unknown = engine.feedback("s-0000000000", true, "").unwrap_err();
    assert_eq!(unknown.class(), ErrorClass::NotFound);
}

#[test]
fn interests_whoami_and_identities_recorded_by_sync() {
    let (home, engine, truth) = seeded(0);
    let g = engine.interests().unwrap();
    let top = g.top(10);
    assert!(!top.is_empty() && top.iter().all(|i| !i.evidence.is_empty()));
    let who = engine.whoami().unwrap();
    assert_eq!(who.name, truth.me.name);
    assert!(
        who.identities.iter().any(|i| i.kind == "slack" && i.value == truth.me.slack && i.via == "chief.toml [me]")
    );
    assert!(who.usual_start.iter().any(|u| u.time.is_some()));
    engine.close().unwrap();

    // Without [me], the identities come from what the sources said during sync.
    let cfg_path = home.path().join("chief.toml");
    let cfg = std::fs::read_to_string(&cfg_path).unwrap();
    let without_me: String = cfg
        .lines()
        .filter(|l| !["name =", "email =", "slack_id =", "github_login =", "[me]"].iter().any(|p| l.starts_with(p)))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&cfg_path, without_me).unwrap();
    let engine = Engine::open(home.path(), Config::load(home.path(), no_embed()).unwrap()).unwrap();
    let who = engine.whoami().unwrap();
    let via = |kind: &str| who.identities.iter().find(|i| i.kind == kind).map(|i| i.via.clone()).unwrap_or_default();
    assert_eq!(via("slack"), "slack auth.test", "{who:#?}");
    assert_eq!(via("github"), "github GET /user", "{who:#?}");
    assert_eq!(via("jira"), "jira GET /rest/api/3/myself", "{who:#?}");
    assert_eq!(via("email"), "google primary calendar", "{who:#?}");
    assert_eq!(who.name, truth.me.name, "the name comes from the merged person");
    let b = engine.brief(&offline()).unwrap();
    assert_eq!(b.stories.len(), 3);
}

#[test]
fn the_clock_sets_the_window() {
    let (home, engine, truth) = seeded(0);
    let incident: BTreeSet<&str> =
        truth.stories.iter().find(|s| s.kind == "incident").unwrap().items.iter().map(String::as_str).collect();
    let today = engine.brief(&offline()).unwrap();
    assert!(today.stories.iter().any(|s| s.sources.iter().any(|x| incident.contains(x.id.as_str()))));
    // What arrives after "now" does not change that day's briefing when it is replayed.
    let now = engine.now();
    let dm = engine.show(&truth.stories.iter().find(|s| s.kind == "question_to_me").unwrap().items[0]).unwrap();
    let later_ask = Item {
        id: ItemId::new(
            Source::Slack,
            &format!("{}:{}.000200", dm.item.item.container.as_str().trim_start_matches("slack:"), now.0 / 1000 + 3600),
        ),
        created: Timestamp(now.0 + 3_600_000),
        updated: Timestamp(now.0 + 3_600_000),
        body: "Can you also review the hiring budget by tomorrow? Urgent".into(),
        ..dm.item.item.clone()
    };
    engine.write(|w| w.upsert_item(&later_ask).map(|_| ())).unwrap();
    let replay =
        engine.brief(&BriefRequest { since_ms: Some(today.window.to_ms - today.window.from_ms), ..offline() }).unwrap();
    assert_eq!(replay.window, today.window);
    let ids = |b: &Briefing| b.stories.iter().map(|s| (s.id.clone(), s.summary.clone())).collect::<Vec<_>>();
    assert_eq!(ids(&replay), ids(&today), "the same briefing as on that day");
    engine.close().unwrap();
    // Two days later the incident has left the window.
    let later = Timestamp(Timestamp::parse_rfc3339(&truth.now).unwrap().0 + 2 * 86_400_000);
    let engine =
        Engine::open(home.path(), Config::load(home.path(), no_embed()).unwrap()).unwrap().with_clock(Some(later));
    let b = engine.brief(&BriefRequest { since_ms: Some(86_400_000), ..offline() }).unwrap();
    assert_eq!(b.window.to_ms, later.0);
    assert_eq!(b.window.from_ms, later.0 - 86_400_000);
    assert!(!b.stories.iter().any(|s| s.sources.iter().any(|x| incident.contains(x.id.as_str()))), "{b:#?}");
}

#[test]
fn no_identity_is_a_clear_error() {
    let (_home, engine) = crate::engine();
    let e = engine.brief(&offline()).unwrap_err();
    assert_eq!(e.class(), ErrorClass::UserInput);
    assert!(e.to_string().contains("[me]"), "{e}");
}

/// A real community workspace (a Slack export the generator never saw): the briefing
/// completes, cites only stored items whose text carries its facts, and never leads
/// with something only the user did.
#[test]
fn a_real_workspace_gets_a_grounded_briefing() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("chief.toml"), "[me]\nslack_id = \"U061A1R2R\"\n").unwrap();
    let engine = Engine::open(home.path(), Config::load(home.path(), no_embed()).unwrap()).unwrap();
    engine
        .import_slack_export(
            &chief_tests::shared_data("slack-exports/houstondatavis"),
            &chief_engine::ImportOptions::default(),
            &mut |_| {},
        )
        .unwrap();
    let me = engine.me().unwrap();
    assert!(me.identities.len() >= 2, "the store merged the user's email: {me:?}");
    let engine = engine.with_clock(Some(Timestamp::parse_rfc3339("2015-06-10T08:00:00Z").unwrap()));
    let b = engine.brief(&offline()).unwrap();
    assert!(!b.stories.is_empty() && b.stories.len() <= 3, "{b:#?}");
    for s in &b.stories {
        let others = s.sources.iter().any(|src| {
            let item = engine.show(&src.id).unwrap().item.item;
            item.author.map(|a| a.key()) != Some("slack:U061A1R2R".into())
        });
        assert!(others, "a story of only the user's own posts: {s:#?}");
        for sentence in &s.sentences {
            let cited: String = sentence
                .sources
                .iter()
                .map(|id| {
                    let d = engine.show(id).unwrap().item;
                    format!(
                        "{} {} {} {}",
                        d.author_name.unwrap_or_default(),
                        d.container_name,
                        d.item.title,
                        d.item.body
                    )
                })
                .collect::<Vec<_>>()
                .join(" ");
            let cited = chief_brain::text::normalize_for_facts(&cited);
            for fact in chief_brain::text::hard_facts(&sentence.text) {
                assert!(
                    chief_brain::text::fact_in(&fact, &cited) || me.name.to_lowercase().contains(&fact),
                    "{fact} in {sentence:?}"
                );
            }
        }
    }
}

/// Today's briefing is due an hour before the user's learned start on this weekday,
/// until one is stored for today.
#[test]
fn the_briefing_is_due_before_the_usual_start_until_prepared() {
    let (home, engine, truth) = seeded(5);
    let now = chief_core::Timestamp::parse_rfc3339(&truth.now).unwrap();
    let who = engine.whoami().unwrap();
    let day = 86_400_000;
    let weekday = ((now.0.div_euclid(day) + 3).rem_euclid(7)) as usize;
    let start = who.usual_start[weekday].time.clone().unwrap_or_else(|| "08:00".into());
    let (h, m) = start.split_once(':').unwrap();
    let start_ms =
        now.0 - now.0.rem_euclid(day) + (h.parse::<i64>().unwrap() * 60 + m.parse::<i64>().unwrap()) * 60_000;
    engine.close().unwrap();
    let at = |t: i64| {
        let cfg = chief_engine::Config::load(home.path(), no_embed()).unwrap();
        Engine::open(home.path(), cfg).unwrap().with_clock(Some(chief_core::Timestamp(t)))
    };
    assert!(!at(start_ms - 61 * 60_000).briefing_due().unwrap(), "not before an hour ahead of {start}");
    assert!(at(start_ms - 59 * 60_000).briefing_due().unwrap(), "due an hour ahead of {start}");
    let ready = at(start_ms - 59 * 60_000);
    ready.brief(&offline()).unwrap();
    assert!(!ready.briefing_due().unwrap(), "not again once today's is stored");
    drop(ready);
    // A set time wins over the learned one.
    std::fs::write(
        home.path().join("chief.toml"),
        format!(
            "{}\n[brain]\nbriefing_at = \"23:59\"\n",
            std::fs::read_to_string(home.path().join("chief.toml")).unwrap()
        ),
    )
    .unwrap();
    let other_day = start_ms + day;
    assert!(!at(other_day).briefing_due().unwrap(), "not before 23:59 when set");
    assert!(at(other_day - other_day.rem_euclid(day) + day - 30_000).briefing_due().unwrap(), "due at 23:59");
}
