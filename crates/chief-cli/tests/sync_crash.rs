//! Crash test v2: `chief sync` killed (SIGKILL) at 20 pseudo-random points and
//! restarted each time, while the mock's data changes between runs (new messages,
//! edits, deletions, a re-titled issue, Jira transitions and comments added and
//! deleted), GitHub's repositories are found only by the
//! user's search, and 429s and 5xx bursts are injected. Then it runs to the end, and
//! every table — live items, people, identities, containers, references, cursors,
//! failures — and the index's document set match a clean sync of the final data.

#![allow(clippy::unwrap_used)] // a test fails by panicking

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chief_mockapi::{MockApi, Synthetic, World};

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// A home syncing Slack, GitHub and Jira from the mock; GitHub has no repositories
/// configured, so they come from the user's search.
fn home_with_config(mock: &MockApi) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("chief.toml"),
        format!(
            "[embed]\nenabled = false\n[sources.slack]\nenabled = true\napi_base = {:?}\n\
             [sources.github]\nenabled = true\napi_base = {:?}\n\
             [sources.jira]\nenabled = true\napi_base = {:?}\nemail = {:?}\n\
             [sources.google]\nenabled = true\napi_base = {:?}\n",
            mock.slack_base(),
            mock.github_base(),
            mock.jira_base(),
            mock.world(|w| w.jira.email.clone()),
            mock.google_base(),
        ),
    )
    .unwrap();
    home
}

fn sync_cmd(home: &Path, token: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chief"));
    c.args(["sync", "--json"])
        .env("CHIEF_HOME", home)
        .env("CHIEF_SLACK_TOKEN", token)
        .env("CHIEF_GITHUB_TOKEN", token)
        .env("CHIEF_JIRA_TOKEN", token)
        .env("CHIEF_GOOGLE_TOKEN", token)
        .env_remove("CHIEF_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Everything a sync writes, in a form two homes can be compared by.
#[derive(Debug, PartialEq)]
struct Snapshot {
    live: Vec<Vec<String>>,
    deleted: BTreeSet<String>,
    people: Vec<Vec<String>>,
    identities: Vec<Vec<String>>,
    containers: Vec<Vec<String>>,
    refs: Vec<Vec<String>>,
    cursors: Vec<Vec<String>>,
    failures: Vec<Vec<String>>,
    index: BTreeSet<String>,
}

fn rows(db: &rusqlite::Connection, sql: &str) -> Vec<Vec<String>> {
    let mut stmt = db.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| {
                Ok(match r.get::<_, rusqlite::types::Value>(i)? {
                    rusqlite::types::Value::Text(t) => t,
                    rusqlite::types::Value::Null => "NULL".into(),
                    rusqlite::types::Value::Integer(n) => n.to_string(),
                    other => format!("{other:?}"),
                })
            })
            .collect::<Result<Vec<String>, _>>()
    })
    .unwrap()
    .collect::<Result<Vec<_>, _>>()
    .unwrap()
}

/// The ids of every document in the home's search index.
fn index_ids(home: &Path) -> BTreeSet<String> {
    let index = tantivy::Index::open_in_dir(home.join("index")).unwrap();
    let id = index.schema().get_field("id").unwrap();
    let searcher = index.reader().unwrap().searcher();
    let docs = searcher.search(&tantivy::query::AllQuery, &tantivy::collector::DocSetCollector).unwrap();
    docs.into_iter()
        .map(|addr| {
            let doc: tantivy::TantivyDocument = searcher.doc(addr).unwrap();
            tantivy::schema::Value::as_str(&doc.get_first(id).unwrap()).unwrap().to_string()
        })
        .collect()
}

fn snapshot(home: &Path) -> Snapshot {
    let db = rusqlite::Connection::open(home.join("chief.db")).unwrap();
    let dups =
        rows(&db, "SELECT item_id FROM item_events WHERE change = 'created' GROUP BY item_id HAVING COUNT(*) > 1");
    assert!(dups.is_empty(), "items created twice: {dups:?}");
    // Cursors hold where each stream stands. What differs by nature is left out: the
    // wall-clock moments they were written (a search's `since`, `*_at`, `*_ms`) and
    // the ETag of the last request, with the URL it was for (which carries `since`).
    let mut cursors = rows(&db, "SELECT source, account, container, cursor_json FROM sync_state ORDER BY 1, 2, 3");
    for c in &mut cursors {
        let mut v: serde_json::Value = serde_json::from_str(&c[3]).unwrap();
        let workspace_wide = c[2].starts_with('_');
        if let Some(o) = v.as_object_mut() {
            o.retain(|k, _| {
                !(k.ends_with("_at")
                    || k.ends_with("_ms")
                    || k == "etag"
                    || k == "url"
                    || workspace_wide && k == "since")
            });
        }
        c[3] = v.to_string();
    }
    Snapshot {
        live: rows(
            &db,
            "SELECT id, hash, title, body, parent_id, container_id, url, author, refs_json FROM items WHERE deleted = 0 ORDER BY id",
        ),
        deleted: rows(&db, "SELECT id FROM items WHERE deleted = 1").into_iter().map(|r| r[0].clone()).collect(),
        people: rows(&db, "SELECT display_name, title, is_bot FROM people ORDER BY 1, 2, 3"),
        identities: rows(
            &db,
            "SELECT i.kind, i.value, p.display_name FROM identities i JOIN people p ON p.id = i.person_id ORDER BY 1, 2",
        ),
        containers: rows(&db, "SELECT id, source, kind, name, description FROM containers ORDER BY id"),
        refs: rows(
            &db,
            "SELECT i.id, r.kind, r.value FROM item_refs r JOIN items i ON i.rid = r.item_rid WHERE i.deleted = 0 ORDER BY 1, 2, 3",
        ),
        cursors,
        failures: rows(&db, "SELECT source, account, container, item_key FROM sync_failures ORDER BY 1, 2, 3, 4"),
        index: index_ids(home),
    }
}

/// Changes the mock's data the way a working day does, differently each round.
fn change_the_world(w: &mut World, round: u64) {
    let channels: Vec<String> = w.slack.messages.keys().cloned().collect();
    let ch = channels[round as usize % channels.len()].clone();
    let now = now_secs();
    w.slack.post(
        &ch,
        serde_json::json!({"type": "message", "user": "U000001", "ts": format!("{}.{:06}", now - 30, round),
            "text": format!("round {round}: the rollout continues")}),
    );
    // Recent top-level messages without replies: edited, and every third round one is deleted.
    let lone: Vec<String> = w
        .slack
        .top_level(&ch)
        .iter()
        .filter(|m| m.get("reply_count").is_none() && m["subtype"].is_null())
        .map(|m| m["ts"].as_str().unwrap().to_string())
        .filter(|ts| chief_mockapi::ts_key(ts).0 + 3 * 86_400 > now)
        .collect();
    if let Some(ts) = lone.iter().rev().nth(1 + round as usize % 5) {
        w.slack.edit(&ch, ts, &format!("edited in round {round}"));
    }
    if round.is_multiple_of(3)
        && let Some(ts) = lone.iter().rev().nth(8 + round as usize % 7)
    {
        w.slack.delete(&ch, ts);
    }
    let repo = w.github.repos.keys().nth(round as usize % w.github.repos.len()).unwrap().clone();
    let r = w.github.repos.get_mut(&repo).unwrap();
    let n = *r.issues.keys().nth(round as usize % r.issues.len()).unwrap();
    let issue = r.issues.get_mut(&n).unwrap();
    issue["title"] = serde_json::json!(format!("retitled in round {round}"));
    issue["updated_at"] = serde_json::json!(chief_core::Timestamp::now().to_rfc3339());
    // Jira: a transition, a comment, and every fourth round a comment deleted.
    let ids: Vec<String> = w.jira.issues.keys().cloned().collect();
    let me = w.jira.me.clone();
    let at = chief_core::Timestamp::now().0;
    let id = &ids[round as usize % ids.len()];
    let status = ["In Progress", "In Review", "Done"][round as usize % 3];
    w.jira.transition(id, status, &me, at);
    w.jira.comment(
        &ids[(round as usize * 7) % ids.len()],
        &format!("77{round:04}"),
        &me,
        &format!("round {round}: noted"),
        at,
    );
    // Google: an event moved and one cancelled, a comment thread added, mail added and deleted.
    let g = &mut w.google;
    let cal = g.calendars[0]["id"].as_str().unwrap().to_string();
    let events: Vec<String> = g.events[&cal].keys().cloned().collect();
    let mut ev = g.events[&cal][&events[round as usize % events.len()]].clone();
    ev["summary"] = serde_json::json!(format!("moved in round {round}"));
    g.put_event(&cal, ev);
    if round.is_multiple_of(5) {
        g.cancel_event(&cal, &events[(round as usize * 3) % events.len()]);
    }
    let docs: Vec<String> = g.files.keys().cloned().collect();
    let doc = &docs[round as usize % docs.len()];
    g.put_comment(doc, serde_json::json!({"id": format!("k{round}"), "content": format!("round {round}: looks good"), "author": {"displayName": "User 3", "emailAddress": "user3@example.com"}, "createdTime": "2026-11-20T10:00:00Z", "modifiedTime": "2026-11-20T10:00:00Z", "resolved": false, "deleted": false, "replies": []}));
    let mail = format!(
        "From: User 2 <user2@example.com>\r\nTo: user0@example.com\r\nSubject: round {round}\r\nDate: Fri, 20 Nov 2026 10:00:00 +0000\r\nMessage-ID: <round{round}@example.com>\r\n\r\nround {round}\r\n"
    );
    g.add_message(&format!("round{round:04}"), &format!("tr{round}"), &["INBOX"], &mail, 1_795_600_000_000);
    if round.is_multiple_of(3) {
        let victim = g.messages.keys().nth(round as usize % 20).unwrap().clone();
        g.delete_message(&victim);
    }
    if round.is_multiple_of(4) {
        let victim = &ids[(round as usize * 11) % ids.len()];
        w.jira.edit(victim, at, |i| {
            if let Some(list) = i["fields"]["comment"]["comments"].as_array_mut() {
                list.pop();
            }
        });
    }
}

#[test]
fn killed_twenty_times_while_the_data_changes_then_finished_matches_a_clean_sync() {
    let mut world = World::synthetic(&Synthetic {
        channels: 6,
        messages: 2_400,
        thread_every: 5,
        replies_per_thread: 3,
        repos: 2,
        pulls: 50,
        issues: 20,
        comments_per_pull: 2,
        jira_projects: 2,
        jira_issues: 60,
        comments_per_issue: 2,
        google_events: 60,
        google_docs: 6,
        google_messages: 90,
        days: 30,
        end_secs: now_secs() - 3_600,
        seed: 5,
    });
    // The token's user (user0) is involved in every issue and PR, so search finds both repositories.
    for r in world.github.repos.values_mut() {
        for v in r.issues.values_mut().chain(r.pulls.values_mut()) {
            v["user"] = serde_json::json!({"login": "user0", "type": "User"});
        }
    }
    let token = world.token.clone();
    let mock = MockApi::start_background(world).unwrap();
    // A little latency per request, so a kill lands mid-sync.
    mock.faults(|f| f.latency = Duration::from_millis(2));

    let crashed = home_with_config(&mock);
    let db = crashed.path().join("chief.db");
    let changes = |db: &Path| -> i64 {
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT COALESCE(MAX(seq), 0) FROM item_events", [], |r| r.get(0)))
            .unwrap_or(0)
    };
    let total = 3_000u64;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut kills, mut attempts) = (0, 0);
    let t = Instant::now();
    while kills < 20 && attempts < 80 {
        attempts += 1;
        mock.world(|w| change_the_world(w, attempts));
        // Faults: every 9th request rate limited (Retry-After: 1), and a 5xx burst.
        mock.faults(|f| {
            f.rate_limit_every = 9;
            f.retry_after_secs = 1;
            f.server_errors = (attempts % 3) as u32;
        });
        let before = changes(&db);
        let mut child = sync_cmd(crashed.path(), &token).spawn().unwrap();
        // The first kills land during start-up (store migrations, index open); the
        // rest after a random number of stored changes, mid-page.
        let (deadline, threshold) = if attempts <= 2 {
            (Duration::from_millis(15 + 40 * attempts), u64::MAX)
        } else {
            (Duration::from_secs(60), 1 + next() % (total / 25))
        };
        let t = Instant::now();
        let killed = loop {
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            if t.elapsed() >= deadline || (changes(&db) - before) as u64 >= threshold {
                child.kill().unwrap();
                break true;
            }
            std::thread::sleep(Duration::from_millis(1 + next() % 4));
        };
        let _ = child.wait();
        kills += usize::from(killed);
    }
    assert_eq!(kills, 20, "20 runs killed mid-sync in {attempts} attempts");
    let crash_phase = t.elapsed();
    // Run to the end (faults still on); a cut-short window's deletions are found by
    // the next whole read of the window, so the next interval's sync runs too.
    for _ in 0..2 {
        let out = sync_cmd(crashed.path(), &token).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    mock.faults(|f| *f = chief_mockapi::Faults { latency: Duration::from_millis(2), ..Default::default() });
    let clean = home_with_config(&mock);
    let out = sync_cmd(clean.path(), &token).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (after, reference) = (snapshot(crashed.path()), snapshot(clean.path()));
    assert!(reference.live.len() > 2_500, "{}", reference.live.len());
    assert!(reference.live.iter().any(|r| r[0].contains("github:synth/repo-1#")), "repositories found by search");
    assert!(reference.live.iter().any(|r| r[0].starts_with("jira:") && r[3].contains(": noted")), "Jira synced");
    assert!(reference.live.iter().any(|r| r[0].starts_with("google:mail/round")), "Gmail synced");
    assert!(reference.live.iter().any(|r| r[0].starts_with("google:drive/") && r[3].contains("looks good")), "Drive");
    assert!(reference.live.iter().any(|r| r[2].contains("retitled in round") || r[3].contains("edited in round")));
    assert!(!after.deleted.is_empty(), "deletions reached the crashed home");
    assert!(after.deleted.iter().all(|id| !reference.live.iter().any(|r| &r[0] == id)), "deleted means gone");
    assert_eq!(reference.index.len(), reference.live.len(), "the clean index holds every live item");
    fn same<T: PartialEq + std::fmt::Debug>(name: &str, a: &[T], b: &[T]) {
        let first = a.iter().zip(b).position(|(x, y)| x != y);
        assert!(
            a.len() == b.len() && first.is_none(),
            "{name} differ from the clean sync ({} vs {} rows); first difference: {:?} vs {:?}",
            a.len(),
            b.len(),
            first.map(|k| &a[k]),
            first.map(|k| &b[k])
        );
    }
    same("live items", &after.live, &reference.live);
    same("people", &after.people, &reference.people);
    same("identities", &after.identities, &reference.identities);
    same("containers", &after.containers, &reference.containers);
    same("references", &after.refs, &reference.refs);
    same("cursors", &after.cursors, &reference.cursors);
    same("failures", &after.failures, &reference.failures);
    let index: (Vec<_>, Vec<_>) = (after.index.iter().collect(), reference.index.iter().collect());
    same("index documents", &index.0, &index.1);
    eprintln!(
        "crash test v2: 20 kills in {attempts} runs ({crash_phase:?}), {} live items, {} deleted, {} index documents",
        after.live.len(),
        after.deleted.len(),
        after.index.len()
    );
}
