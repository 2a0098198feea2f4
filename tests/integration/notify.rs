//! The notifier on demo orgs: each gold question, review request and incident gets one
//! notification, distractors none; quiet hours hold and the hourly cap spreads them.

use chief_core::{ContainerId, Identity, IdentityKind, Item, ItemId, ItemKind, RefKind, Reference, Source, Timestamp};
use chief_engine::NotificationKind;

fn seeded(seed: u64) -> (tempfile::TempDir, chief_engine::Engine, chief_demo::GroundTruth) {
    let home = tempfile::tempdir().unwrap();
    let env = vec![("CHIEF_EMBED_ENABLED".to_string(), "false".to_string())];
    let (engine, report) =
        chief_bench::demo::load_seeded(home.path(), seed, false, env, chief_engine::no_progress()).unwrap();
    (home, engine, report.truth)
}

#[test]
fn gold_events_get_one_notification_each_and_distractors_none() {
    for seed in [0u64, 6] {
        let (_home, engine, truth) = seeded(seed);
        let sent = engine.notifications(None).unwrap();
        let citing = |items: &[String]| sent.iter().filter(|n| n.sources.iter().any(|s| items.contains(s))).count();
        for story in &truth.stories {
            match story.kind.as_str() {
                "incident" | "review_requested" => {
                    assert_eq!(citing(&story.items), 1, "seed {seed} {}: {sent:#?}", story.key)
                }
                "question_to_me" => {
                    for q in &story.items {
                        assert_eq!(citing(std::slice::from_ref(q)), 1, "seed {seed}: question {q}: {sent:#?}");
                    }
                }
                _ => assert_eq!(citing(&story.items), 0, "seed {seed}: distractor {} notified: {sent:#?}", story.key),
            }
        }
        assert!(sent.iter().any(|n| n.kind == NotificationKind::MeetingSoon), "the user's meetings are announced");
        for n in &sent {
            assert!(!n.line.to_lowercase().contains(&truth.me.name.to_lowercase()), "second person: {}", n.line);
        }
    }
}

#[test]
fn quiet_hours_hold_and_the_cap_spreads_them() {
    let (_home, engine, truth) = seeded(0);
    // Six people ask the user something between 23:00 and 23:50 the night before.
    let night = Timestamp::parse_rfc3339("2026-11-24T23:00:00Z").unwrap();
    let general = "C01GENERAL";
    let askers = ["U02RAVI", "U03SOFIA", "U04TOM", "U05AISHA", "U08DIEGO", "U13NOAH"];
    engine
        .write(|w| {
            for (k, who) in askers.iter().enumerate() {
                let at = Timestamp(night.0 + k as i64 * 600_000);
                w.upsert_item(&Item {
                    id: ItemId::new(Source::Slack, &format!("{general}:{}.000900", at.0 / 1000)),
                    source: Source::Slack,
                    kind: ItemKind::Message,
                    container: ContainerId::new(Source::Slack, general),
                    author: Some(Identity::new(IdentityKind::Slack, who)),
                    participants: vec![],
                    created: at,
                    updated: at,
                    title: String::new(),
                    body: format!("@{} could you approve the offsite budget line {k}?", truth.me.name),
                    url: None,
                    parent: None,
                    references: vec![Reference::new(RefKind::Person, format!("slack:{}", truth.me.slack))],
                    is_bot: false,
                    extra: serde_json::json!({}),
                })?;
            }
            Ok(())
        })
        .unwrap();
    let sent = engine.notifications(None).unwrap();
    let night_ones: Vec<_> = sent.iter().filter(|n| n.at_ms >= night.0 && n.at_ms < night.0 + 3_600_000).collect();
    assert_eq!(night_ones.len(), 6, "{sent:#?}");
    let eight = Timestamp::parse_rfc3339("2026-11-25T08:00:00Z").unwrap().0;
    for n in &night_ones {
        assert!(n.send_ms >= eight, "sent in quiet hours: {n:?}");
        assert!(n.held.is_some());
    }
    for n in &sent {
        let in_hour = sent.iter().filter(|m| m.send_ms > n.send_ms - 3_600_000 && m.send_ms <= n.send_ms).count();
        assert!(in_hour <= 4, "more than 4 in the hour before {}: {sent:#?}", n.send_ms);
    }
    assert!(night_ones.iter().filter(|n| n.send_ms == eight).count() <= 4);
}

/// The popup's explanation: cited, grounded, led by the item the text names, and
/// separate from the local lookup.
#[test]
fn context_explains_what_a_ticket_is_and_why_it_matters() {
    for seed in [0u64, 9] {
        let (_home, engine, truth) = seeded(seed);
        let incident = truth.stories.iter().find(|s| s.kind == "incident").unwrap();
        let jira = incident.items.iter().find(|i| i.starts_with("jira:") && !i.contains("/comment/")).unwrap();
        let key = engine.show(jira).unwrap().item.item.extra["key"].as_str().unwrap().to_string();
        let ctx = engine.context(&key, engine.clock()).unwrap();
        let e = engine.explain(&ctx).unwrap();
        assert!(e.sentences.len() >= 3, "seed {seed}: {e:#?}");
        assert_eq!(e.sentences[0].sources, vec![jira.clone()], "the ticket itself leads");
        assert!(e.sentences.iter().any(|s| s.text.contains("incident")), "why it matters: {e:#?}");
        // What happened around it: the pull request that fixes it, by its title.
        let pr = incident
            .items
            .iter()
            .find(|i| i.starts_with("github:") && !i.contains("/comment/") && !i.contains("/review/"))
            .unwrap();
        assert!(e.sentences.iter().any(|s| s.sources == vec![pr.clone()]), "seed {seed}: the fix {pr}: {e:#?}");
        for s in &e.sentences {
            assert!(!s.sources.is_empty());
            for id in &s.sources {
                assert!(incident.items.contains(id), "seed {seed}: {id} cited outside the incident: {s:?}");
            }
            assert!(!s.text.contains(&truth.me.name), "second person: {}", s.text);
        }
    }
    let (_home, engine, _) = seeded(0);
    let ctx = engine.context("zzzz qqqq nothing like this", engine.clock()).unwrap();
    assert!(engine.explain(&ctx).unwrap().sentences.is_empty());
}

/// What a notification's or a briefing source's click looks up is the item's id: it
/// brings the item's context, as its ticket key or its words would.
#[test]
fn an_items_id_is_looked_up_as_the_item() {
    for seed in [0u64, 9] {
        let (_home, engine, truth) = seeded(seed);
        let ids = |c: &chief_engine::ContextResponse| -> Vec<String> {
            c.groups.iter().flat_map(|g| g.items.iter().map(|r| r.id.clone())).collect()
        };
        let incident = truth.stories.iter().find(|s| s.kind == "incident").unwrap();
        let jira = incident.items.iter().find(|i| i.starts_with("jira:") && !i.contains("/comment/")).unwrap();
        let key = engine.show(jira).unwrap().item.item.extra["key"].as_str().unwrap().to_string();
        let by_id = engine.context(jira, engine.clock()).unwrap();
        let by_key = engine.context(&key, engine.clock()).unwrap();
        assert_eq!(by_id.text, key, "seed {seed}: the ticket is looked up by its key");
        assert_eq!(ids(&by_id), ids(&by_key));
        assert!(ids(&by_id).contains(jira), "seed {seed}: {:?}", ids(&by_id));

        // A message: its conversation, the message in it.
        let question = truth.stories.iter().find(|s| s.kind == "question_to_me").unwrap();
        let message = question.items.iter().find(|i| i.starts_with("slack:")).unwrap();
        let ctx = engine.context(message, engine.clock()).unwrap();
        let conversation = ctx
            .groups
            .iter()
            .find(|g| g.kind == chief_engine::GroupKind::Conversation)
            .unwrap_or_else(|| panic!("seed {seed}: {message} brings its conversation: {ctx:#?}"));
        assert!(conversation.items.iter().any(|r| &r.id == message), "seed {seed}: {conversation:#?}");
    }
    // An id of nothing stored is text like any other.
    let (_home, engine, _) = seeded(0);
    let ctx = engine.context("slack:C0NOPE:1.000001", engine.clock()).unwrap();
    assert_eq!(ctx.text, "slack:C0NOPE:1.000001");
}

/// Meeting prep: the postmortem brings its incident's ticket and PR; a 1:1 with the
/// manager brings the question the user has not answered.
#[test]
fn prep_cards_bring_related_items_and_open_questions() {
    for seed in [0u64, 8] {
        let (_home, engine, truth) = seeded(seed);
        let incident = truth.stories.iter().find(|s| s.kind == "incident").unwrap();
        let pm = incident.items.iter().find(|i| i.starts_with("google:")).unwrap();
        let card = engine.prep(Some(pm)).unwrap();
        assert!(card.attendees.len() >= 4, "{card:#?}");
        assert!(card.attendees.iter().all(|a| a.name != truth.me.name), "you are not your own attendee");
        let related: Vec<&str> = card.related.iter().map(|r| r.id.as_str()).collect();
        assert!(related.iter().any(|r| r.starts_with("jira:") && incident.items.iter().any(|i| i == r)), "{related:?}");

        // The manager's question (the first question item) comes up in their next 1:1.
        let question = &truth.stories.iter().find(|s| s.kind == "question_to_me").unwrap().items[0];
        let asker = engine.show(question).unwrap().item.author_name.unwrap();
        let first = asker.split_whitespace().next().unwrap().to_string();
        let q = chief_engine::SearchQuery {
            text: first.clone(),
            kinds: vec![ItemKind::Event],
            limit: Some(50),
            mode: chief_engine::SearchMode::Bm25,
            ..Default::default()
        };
        let now = engine.now().0;
        let one_on_one = engine
            .search(&q)
            .unwrap()
            .results
            .into_iter()
            .map(|r| engine.show(&r.id).unwrap().item)
            .filter(|s| s.item.created.0 > now && s.item.title.starts_with("1:1") && s.item.title.contains(&first))
            .min_by_key(|s| s.item.created.0)
            .expect("a coming 1:1 with the manager");
        let card = engine.prep(Some(one_on_one.item.id.as_str())).unwrap();
        let open: Vec<&str> = card.open_items.iter().flat_map(|o| o.sources.iter().map(String::as_str)).collect();
        assert!(open.contains(&question.as_str()), "seed {seed}: {card:#?}");
        assert!(card.open_items.iter().all(|o| !o.text.contains(&format!("@{}", truth.me.name))));
    }
}

/// The agents follow the change log from their own positions: a first round delivers
/// what is due and moves each agent to the head; a round with nothing new decides
/// nothing; a new question to the user is decided on and delivered by the next round.
#[test]
fn agents_follow_the_change_log_from_their_own_positions() {
    let (_home, engine, truth) = seeded(3);
    let first = engine.run_agents(&[]).unwrap();
    let due = engine.notifications(None).unwrap();
    let now = engine.clock().expect("a demo home has its own clock").0;
    // Due and still fresh: a meeting's until it starts (its 15-minute mark is `at_ms`,
    // however long it was held), anything else for six hours.
    let fresh = |n: &chief_engine::Notification| {
        n.send_ms <= now
            && if n.kind == NotificationKind::MeetingSoon {
                now < n.at_ms + 15 * 60_000
            } else {
                now - n.send_ms <= 6 * 3_600_000
            }
    };
    assert_eq!(first.delivered.len(), due.iter().filter(|n| fresh(n)).count(), "{first:#?}");
    assert!(first.decisions.iter().any(|d| d.what.contains("expired unsent")), "stale ones are recorded, not shown");
    assert!(!first.delivered.is_empty());
    let head = engine.status().unwrap().counts.max_seq;
    // The demo's load ran the extract agent already: it is at the head too.
    let names = ["interests", "notifier", "extract", "summaries"];
    assert_eq!(first.positions, names.map(|n| (n.to_string(), head)));
    assert!(first.decisions.iter().any(|d| d.agent == "interests"));
    // The summaries were made ahead: the briefing's summarize step finds every one cached.
    assert!(first.decisions.iter().any(|d| d.agent == "summaries" && d.what.contains("made ahead")), "{first:#?}");
    let b = engine.brief(&chief_engine::BriefRequest { offline: true, ..Default::default() }).unwrap();
    let (_, steps) = engine.run_detail(b.run_id).unwrap();
    let summarize = steps.iter().find(|s| s.name == "summarize").and_then(|s| s.output.clone()).unwrap();
    assert_eq!(summarize["computed"], 0, "{summarize:#}");
    assert!(summarize["cached"].as_u64().unwrap() > 0, "{summarize:#}");
    assert!(first.decisions.iter().filter(|d| d.agent == "notifier").count() > first.delivered.len());

    let quiet = engine.run_agents(&[]).unwrap();
    assert!(quiet.delivered.is_empty() && quiet.decisions.is_empty(), "{quiet:#?}");
    // The interest graph is read from the agent's view while it is current.
    assert!(!engine.interests().unwrap().interests.is_empty());

    // Someone who asked the user something before asks again, now.
    let gold = truth.stories.iter().find(|s| s.kind == "question_to_me").unwrap();
    let earlier = engine.show(&gold.items[0]).unwrap().item.item;
    let at = Timestamp(now - 120_000);
    let id = ItemId::new(
        Source::Slack,
        &format!("{}:{}.000777", earlier.container.as_str().trim_start_matches("slack:"), at.0 / 1000),
    );
    engine
        .write(|w| {
            w.upsert_item(&Item {
                id: id.clone(),
                created: at,
                updated: at,
                body: format!("@{} can you sign off the vendor contract renewal today?", truth.me.name),
                references: vec![Reference::new(RefKind::Person, format!("slack:{}", truth.me.slack))],
                parent: None,
                url: None,
                extra: serde_json::json!({}),
                ..earlier.clone()
            })
        })
        .unwrap();
    let next = engine.run_agents(&[]).unwrap();
    let decided = next.decisions.iter().find(|d| d.item.as_deref() == Some(id.as_str())).expect("decided on");
    assert!(decided.what.contains("question_to_me"), "{decided:?}");
    assert!(next.delivered.iter().any(|n| n.item == id.as_str()), "{next:#?}");
    assert!(next.decisions.iter().any(|d| d.agent == "summaries"), "its discussion is summarized ahead: {next:#?}");
    assert!(next.positions.iter().all(|(_, p)| *p == head + 1), "{:?}", next.positions);

    // What is only derived from an item (its propositions) is no news: no agent decides
    // anything on it, and the interest graph stays the agent's.
    engine
        .write(|w| {
            w.set_propositions(&id, &[("Someone asked for a sign-off on the renewal".into(), "rules".into())])?;
            Ok(())
        })
        .unwrap();
    let derived = engine.run_agents(&[]).unwrap();
    assert!(derived.delivered.is_empty() && derived.decisions.is_empty(), "{derived:#?}");
    assert!(derived.positions.iter().any(|(a, p)| a == "notifier" && *p == head + 1), "{:?}", derived.positions);
}

/// `[brain]` sets the kinds that notify, the quiet hours and the cap.
#[test]
fn the_notification_rules_follow_the_configuration() {
    let home = tempfile::tempdir().unwrap();
    let env = |extra: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut v = vec![("CHIEF_EMBED_ENABLED".to_string(), "false".to_string())];
        v.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        v
    };
    let (engine, _) =
        chief_bench::demo::load_seeded(home.path(), 6, false, env(&[]), chief_engine::no_progress()).unwrap();
    let all = engine.notifications(None).unwrap();
    assert!(
        all.iter().any(|n| n.kind == NotificationKind::MeetingSoon)
            && all.iter().any(|n| n.kind != NotificationKind::MeetingSoon)
    );
    engine.close().unwrap();
    let open = |extra: &[(&str, &str)]| {
        let cfg = chief_engine::Config::load(home.path(), env(extra)).unwrap();
        chief_engine::Engine::open(home.path(), cfg).unwrap()
    };
    let meetings = open(&[("CHIEF_BRAIN_NOTIFY", "meeting_soon")]).notifications(None).unwrap();
    assert!(!meetings.is_empty() && meetings.iter().all(|n| n.kind == NotificationKind::MeetingSoon), "{meetings:#?}");
    assert!(open(&[("CHIEF_BRAIN_NOTIFY", "")]).notifications(None).unwrap().is_empty(), "notify = [] turns them off");
    // No quiet hours and no cap to speak of: nothing is held.
    let free = open(&[("CHIEF_BRAIN_QUIET_HOURS", ""), ("CHIEF_BRAIN_NOTIFICATIONS_PER_HOUR", "100")])
        .notifications(None)
        .unwrap();
    assert!(free.iter().all(|n| n.held.is_none() && n.send_ms == n.at_ms), "{free:#?}");
}
