//! The Slack and GitHub connectors against the stateful mock API (`chief-mockapi`):
//! after each fault — rate limits, 5xx bursts, stalled requests, expired page
//! cursors, a token revoked mid-sync, an exhausted quota — the store holds exactly the
//! mock's data; changes between syncs (edits, deletes, replies under old threads,
//! renames) arrive; retention and live mode keep what they promise.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chief_mockapi::{MockApi, Synthetic, World};
use chief_sources::connector::{Connector, SourceReport, SyncOptions, no_progress};
use chief_sources::github_sync::{GithubApi, GithubConnector};
use chief_sources::scheduler::{Job, Scheduler};
use chief_sources::slack::message_id;
use chief_sources::slack_sync::{self, SlackApi, SlackConnector};
use chief_store::Store;

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn world() -> World {
    World::synthetic(&Synthetic {
        channels: 3,
        messages: 1_500,
        thread_every: 6,
        replies_per_thread: 3,
        repos: 2,
        pulls: 30,
        issues: 12,
        comments_per_pull: 2,
        days: 30,
        end_secs: now_secs() - 3_600,
        seed: 11,
        ..Synthetic::default()
    })
}

fn slack(mock: &MockApi, token: &str) -> SlackConnector {
    SlackConnector::new(SlackApi::new(&mock.slack_base(), token).with_timeout(Duration::from_millis(800)), None)
}

fn github(mock: &MockApi, token: &str) -> GithubConnector {
    let repos = mock.world(|w| w.github.repos.keys().cloned().collect());
    GithubConnector::new(GithubApi::new(&mock.github_base(), token).with_timeout(Duration::from_millis(800)), repos)
}

fn job(c: impl Connector + 'static, options: SyncOptions) -> Job {
    Job { connector: Arc::new(c), options, interval: Duration::from_secs(600) }
}

/// Runs both connectors once through the scheduler; returns (slack, github) results.
async fn sync_both(
    db: &std::path::Path,
    mock: &MockApi,
    options: SyncOptions,
) -> HashMap<String, Result<SourceReport, String>> {
    let token = mock.world(|w| w.token.clone());
    let s = Scheduler::new(
        db.to_path_buf(),
        vec![job(slack(mock, &token), options.clone()), job(github(mock, &token), options)],
    );
    s.run_once(&no_progress(), true)
        .await
        .into_iter()
        .map(|o| (o.source, o.result.map_err(|e| e.to_string())))
        .collect()
}

/// The store holds exactly the mock's messages (text included) and GitHub records.
fn assert_exact(store: &Store, mock: &MockApi) {
    let counts = store.counts().unwrap();
    let live = |src: &str| counts.items.iter().filter(|c| c.0 == src).map(|c| c.2).sum::<i64>();
    mock.world(|w| {
        let mut expected = 0;
        for (ch, msgs) in &w.slack.messages {
            for m in msgs.values() {
                let ts = m["ts"].as_str().unwrap();
                let stored = store.item(message_id(ch, ts).as_str()).unwrap();
                if m["subtype"] == "tombstone" {
                    assert!(stored.is_some_and(|s| s.deleted), "tombstone {ch}:{ts}");
                    continue;
                }
                expected += 1;
                let stored = stored.unwrap_or_else(|| panic!("message {ch}:{ts} missing"));
                assert!(!stored.deleted, "{ch}:{ts} deleted");
                assert_eq!(stored.item.body, m["text"].as_str().unwrap(), "{ch}:{ts}");
            }
        }
        assert_eq!(live("slack"), expected, "slack items");
        assert_eq!(live("github") as usize, w.github.item_count(), "github items");
        for (repo, r) in &w.github.repos {
            for (n, p) in &r.pulls {
                let item =
                    store.item(&format!("github:{repo}#{n}")).unwrap().unwrap_or_else(|| panic!("{repo}#{n} missing"));
                assert_eq!(item.item.title, p["title"].as_str().unwrap());
                assert_eq!(item.item.kind.as_str(), "pull_request");
            }
        }
    });
}

#[tokio::test]
async fn exact_after_rate_limits_5xx_stalls_and_expired_cursors() {
    let mock = MockApi::start(world()).await.unwrap();
    let faults = |expire: Option<u32>| {
        mock.faults(|f| {
            f.rate_limit_every = 9;
            f.retry_after_secs = 0;
            f.server_errors = 3;
            f.stalls = 2;
            f.stall_for = Duration::from_secs(2);
            f.expire_cursors_after = expire;
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let token = mock.world(|w| w.token.clone());
    // Slack alone first, so the cursor expiry lands after the first history page.
    faults(Some(7));
    let out = Scheduler::new(db.clone(), vec![job(slack(&mock, &token), SyncOptions::default())])
        .run_once(&no_progress(), true)
        .await;
    assert!(out[0].result.is_ok(), "{:?}", out[0].result);
    assert!(
        mock.requests().iter().any(|r| r.error.as_deref() == Some("invalid_cursor")),
        "a page cursor expired mid-window"
    );
    faults(None);
    let out = sync_both(&db, &mock, SyncOptions::default()).await;
    for (src, r) in &out {
        assert!(r.is_ok(), "{src}: {r:?}");
    }
    let statuses: Vec<u16> = mock.requests().iter().map(|r| r.status).collect();
    assert!(
        statuses.contains(&429) && statuses.contains(&503) && statuses.contains(&403),
        "faults happened: {statuses:?}"
    );
    let store = Store::open(&db).unwrap();
    assert_exact(&store, &mock);

    // A second run over unchanged data writes nothing; GitHub answers 304s.
    mock.faults(|f| *f = Default::default());
    let seq = store.max_seq().unwrap();
    let again = sync_both(&db, &mock, SyncOptions::default()).await;
    assert_eq!(store.max_seq().unwrap(), seq, "{again:?}");
    let gh = again["github"].as_ref().unwrap();
    assert!(gh.not_modified > 0, "{gh:?}");
}

#[tokio::test]
async fn edits_deletes_late_replies_and_renames_arrive() {
    let mock = MockApi::start(world()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let first = sync_both(&db, &mock, SyncOptions::default()).await;
    assert!(first.values().all(Result::is_ok), "{first:?}");
    let now = now_secs();

    let (edited, deleted, old_thread, old_lonely, tombstoned) = mock.world(|w| {
        let ch = "C0000000".to_string();
        let top: Vec<(String, bool, u64)> = w.slack.top_level(&ch).iter().map(|m| {
            let ts = m["ts"].as_str().unwrap().to_string();
            let threaded = !w.slack.replies(&ch, &ts).is_empty();
            (ts.clone(), threaded, chief_mockapi::ts_key(&ts).0)
        }).collect();
        let recent: Vec<&(String, bool, u64)> = top.iter().filter(|t| now - t.2 < 3 * 86_400).collect();
        let old: Vec<&(String, bool, u64)> = top.iter().filter(|t| now - t.2 > 20 * 86_400).collect();
        let edited = recent.iter().find(|t| !t.1).unwrap().0.clone();
        let deleted = recent.iter().filter(|t| !t.1).nth(1).unwrap().0.clone();
        let tombstoned = recent.iter().find(|t| t.1).unwrap().0.clone();
        let old_thread = old.iter().find(|t| t.1).unwrap().0.clone();
        let old_lonely = old.iter().find(|t| !t.1).unwrap().0.clone();
        assert!(w.slack.edit(&ch, &edited, "edited: the rollback is done"));
        assert!(w.slack.delete(&ch, &deleted));
        assert!(w.slack.delete(&ch, &tombstoned));
        assert!(w.slack.delete(&ch, &old_lonely));
        w.slack.post(&ch, serde_json::json!({"type": "message", "user": "U000003", "text": "late reply under an old thread", "ts": format!("{now}.000001"), "thread_ts": old_thread}));
        assert!(w.slack.rename(&ch, "renamed-team"));
        (edited, deleted, old_thread, old_lonely, tombstoned)
    });
    let second = sync_both(&db, &mock, SyncOptions::default()).await;
    let store = Store::open(&db).unwrap();
    let get = |ts: &str| store.item(message_id("C0000000", ts).as_str()).unwrap().unwrap();
    assert_eq!(get(&edited).item.body, "edited: the rollback is done");
    assert!(get(&deleted).deleted, "deleted inside the overlap window");
    assert!(get(&tombstoned).deleted, "parent became a tombstone");
    let late = store
        .item(message_id("C0000000", &format!("{now}.000001")).as_str())
        .unwrap()
        .expect("search.messages found the reply under a 20-day-old thread");
    assert_eq!(late.item.parent.unwrap().as_str(), message_id("C0000000", &old_thread).as_str());
    assert_eq!(late.container_name, "#renamed-team");
    assert!(second["slack"].as_ref().unwrap().threads_refreshed >= 1);
    // A deletion older than the overlap window is only seen by reconciliation.
    assert!(!get(&old_lonely).deleted);
    let third = sync_both(&db, &mock, SyncOptions { reconcile: true, ..SyncOptions::default() }).await;
    assert!(third["slack"].as_ref().unwrap().reconciled);
    assert!(get(&old_lonely).deleted, "reconciliation found the old deletion");
    assert_exact(&store, &mock);
}

#[tokio::test]
async fn a_revoked_token_pauses_only_its_source_and_a_reconnect_resumes_exactly() {
    let mock = MockApi::start(world()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let token = mock.world(|w| w.token.clone());
    // Slack's token is revoked after 15 requests; GitHub's token never worked.
    mock.faults(|f| f.revoke_after = Some(15));
    let s = Scheduler::new(db.clone(), vec![job(slack(&mock, &token), SyncOptions::default())]);
    let out = s.run_once(&no_progress(), true).await;
    let err = out[0].result.as_ref().unwrap_err().to_string();
    assert!(err.contains("token_revoked") && err.contains("chief connect slack") && !err.contains(&token), "{err}");
    let store = Store::open(&db).unwrap();
    assert_eq!(store.source_status("slack").unwrap().unwrap().state, chief_store::SourceState::Paused);

    // Reconnected (the token works again): the next run completes exactly.
    mock.world(|w| w.token = token.clone());
    let s = Scheduler::new(
        db.clone(),
        vec![
            job(slack(&mock, &token), SyncOptions::default()),
            job(github(&mock, "ghp_wrong"), SyncOptions::default()),
        ],
    );
    let out = s.run_once(&no_progress(), true).await;
    let by: HashMap<_, _> = out.iter().map(|o| (o.source.as_str(), &o.result)).collect();
    assert!(by["slack"].is_ok());
    assert!(by["github"].as_ref().unwrap_err().to_string().contains("401"));
    assert_eq!(store.source_status("slack").unwrap().unwrap().state, chief_store::SourceState::Ok);
    assert_eq!(store.source_status("github").unwrap().unwrap().state, chief_store::SourceState::Paused);
    let counts = store.counts().unwrap();
    assert!(counts.items.iter().all(|c| c.0 != "github"));
    mock.world(|w| {
        let expected = w.slack.message_count() as i64;
        assert_eq!(counts.items.iter().filter(|c| c.0 == "slack").map(|c| c.2).sum::<i64>(), expected);
    });
}

#[tokio::test]
async fn an_exhausted_quota_parks_github_while_slack_goes_on() {
    let mock = MockApi::start(world()).await.unwrap();
    mock.faults(|f| f.github_quota_until = Some(now_secs() + 3_600));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let out = sync_both(&db, &mock, SyncOptions::default()).await;
    assert!(out["slack"].is_ok());
    assert!(out["github"].as_ref().unwrap_err().contains("rate limit"), "{out:?}");
    let store = Store::open(&db).unwrap();
    let gh = store.source_status("github").unwrap().unwrap();
    assert_eq!(gh.state, chief_store::SourceState::Parked);
    let resume = gh.resume_at.unwrap().0 / 1000;
    assert!((now_secs() as i64 + 3_000..now_secs() as i64 + 3_700).contains(&resume), "resume_at {resume}");
    // Not forced: the parked source is not retried before its time.
    let s =
        Scheduler::new(db.clone(), vec![job(github(&mock, &mock.world(|w| w.token.clone())), SyncOptions::default())]);
    let before = mock.request_count();
    let again = s.run_once(&no_progress(), false).await;
    assert!(again[0].result.is_err());
    assert_eq!(mock.request_count(), before, "no request while parked");
}

/// Syncs Slack once into a new home in live mode with a 10-day window.
async fn live_sync(mock: &MockApi) -> (tempfile::TempDir, std::path::PathBuf, Result<SourceReport, String>) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let token = mock.world(|w| w.token.clone());
    let opts = SyncOptions { keep_days: Some(10), live: true, ..SyncOptions::default() };
    let s = Scheduler::new(db.clone(), vec![job(slack(mock, &token), opts)]);
    let out = s.run_once(&no_progress(), true).await;
    let result = out.into_iter().next().unwrap().result.map_err(|e| e.to_string());
    (dir, db, result)
}

#[tokio::test]
async fn retention_keeps_the_window_and_live_mode_keeps_no_text() {
    let mock = MockApi::start(world()).await.unwrap();
    let (_dir, db, result) = live_sync(&mock).await;
    assert!(result.is_ok(), "{result:?}");
    let store = Store::open(&db).unwrap();
    let cutoff = now_secs() - 10 * 86_400;
    let (mut recent, mut old_stored) = (0, 0);
    mock.world(|w| {
        for (ch, msgs) in &w.slack.messages {
            for m in msgs.values() {
                let ts = m["ts"].as_str().unwrap();
                let stored = store.item(message_id(ch, ts).as_str()).unwrap();
                if chief_mockapi::ts_key(ts).0 >= cutoff + 60 {
                    let s = stored.unwrap_or_else(|| panic!("{ch}:{ts} inside the window"));
                    assert!(s.item.body.is_empty() && s.item.extra["live"] == true, "live mode keeps no text");
                    assert!(s.item.url.is_some(), "permalink kept");
                    recent += 1;
                } else if chief_mockapi::ts_key(ts).0 < cutoff - 600 && stored.is_some_and(|s| !s.deleted) {
                    old_stored += 1;
                }
            }
        }
    });
    assert!(recent > 100);
    assert_eq!(old_stored, 0, "nothing older than keep_days is kept");
    // Text is fetched at use time.
    let (ch, ts, text) = mock.world(|w| {
        let (ch, msgs) = w.slack.messages.iter().next().unwrap();
        let m = msgs.values().last().unwrap();
        (ch.clone(), m["ts"].as_str().unwrap().to_string(), m["text"].as_str().unwrap().to_string())
    });
    let thread =
        mock.world(|w| w.slack.messages[&ch][&chief_mockapi::ts_key(&ts)]["thread_ts"].as_str().map(str::to_string));
    let fetched = slack_sync::fetch_text(
        &SlackApi::new(&mock.slack_base(), &mock.world(|w| w.token.clone())),
        &ch,
        &ts,
        thread.as_deref(),
        &HashMap::new(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(fetched.as_deref(), Some(text.as_str()));
}

#[tokio::test]
async fn live_mode_keeps_no_text_in_its_failure_records() {
    // A message that cannot be converted is kept for retry; in live mode its record
    // says where it is and who wrote it, never what it says.
    let mock = MockApi::start(world()).await.unwrap();
    let marker = "LIVE-FAILURE-MARKER confidential reorg plan";
    let ch = mock.world(|w| {
        let (ch, msgs) = w.slack.messages.iter_mut().next().unwrap();
        let ts = format!("{}.00x100", now_secs() - 1_800);
        let user = msgs.values().next().unwrap()["user"].clone();
        let m = serde_json::json!({"type": "message", "ts": ts, "user": user, "text": marker,
            "blocks": [{"type": "rich_text", "elements": [{"type": "text", "text": marker}]}]});
        msgs.insert(chief_mockapi::ts_key(&ts), m);
        ch.clone()
    });
    let (dir, db, result) = live_sync(&mock).await;
    let report = result.as_ref().unwrap();
    assert_eq!(report.failed, 1, "{report:?}");
    let store = Store::open(&db).unwrap();
    let failures = store.sync_failures(Some("slack")).unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].container, ch);
    assert!(failures[0].payload["ts"].is_string() && failures[0].payload["user"].is_string(), "where and who kept");
    assert!(failures[0].payload.get("text").is_none() && failures[0].payload.get("blocks").is_none());
    drop(store);
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("LIVE-FAILURE-MARKER"), "live-mode text on disk");
    }
}

#[tokio::test]
async fn an_unreadable_record_is_kept_for_retry_and_stored_once_fixed() {
    let mock = MockApi::start(world()).await.unwrap();
    let (repo, n) = mock.world(|w| {
        let (repo, r) = w.github.repos.iter_mut().next().unwrap();
        let (n, issue) = r.issues.iter_mut().find(|(_, i)| i.get("pull_request").is_none()).unwrap();
        issue.as_object_mut().unwrap().remove("created_at");
        (repo.clone(), *n)
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let out = sync_both(&db, &mock, SyncOptions::default()).await;
    let gh = out["github"].as_ref().unwrap();
    assert_eq!(gh.failed, 1, "{gh:?}");
    let store = Store::open(&db).unwrap();
    let failures = store.sync_failures(Some("github")).unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].item_key, format!("issues:{n}"));
    assert!(failures[0].payload["title"].is_string(), "the raw record is kept");
    assert!(store.item(&format!("github:{repo}#{n}")).unwrap().is_none());
    // Still broken: still recorded, still not stored, nothing else disturbed.
    sync_both(&db, &mock, SyncOptions::default()).await;
    assert_eq!(store.sync_failures(Some("github")).unwrap().len(), 1);
    assert!(store.item(&format!("github:{repo}#{n}")).unwrap().is_none());
    // Fixed upstream (and so updated): stored, and the failure is gone.
    mock.world(|w| {
        let issue = w.github.repos.get_mut(&repo).unwrap().issues.get_mut(&n).unwrap();
        issue["created_at"] = serde_json::json!("2026-11-01T10:00:00Z");
        issue["updated_at"] = serde_json::json!(chief_core::Timestamp::now().to_rfc3339());
    });
    let out = sync_both(&db, &mock, SyncOptions::default()).await;
    assert_eq!(out["github"].as_ref().unwrap().recovered, 1);
    assert!(store.sync_failures(None).unwrap().is_empty());
    assert!(store.item(&format!("github:{repo}#{n}")).unwrap().is_some());
    assert_exact(&store, &mock);
}

#[tokio::test]
async fn without_configured_repos_github_syncs_the_repos_the_user_is_involved_in() {
    let mock = MockApi::start(world()).await.unwrap();
    let token = mock.world(|w| w.token.clone());
    // Only repo-1 involves user0 (the token's user).
    mock.world(|w| {
        for (name, r) in w.github.repos.iter_mut() {
            for v in r.issues.values_mut().chain(r.pulls.values_mut()) {
                let other = if name.ends_with("repo-1") { "user0" } else { "user9" };
                v["user"] = serde_json::json!({"login": other, "type": "User"});
                v["requested_reviewers"] = serde_json::json!([]);
                v["body"] = serde_json::json!("no mentions");
            }
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let c = GithubConnector::new(GithubApi::new(&mock.github_base(), &token), vec![]);
    let out = Scheduler::new(db.clone(), vec![job(c, SyncOptions::default())]).run_once(&no_progress(), true).await;
    let r = out[0].result.as_ref().unwrap();
    assert_eq!(r.containers, 1, "{r:?}");
    let store = Store::open(&db).unwrap();
    assert!(store.item("github:synth/repo-1#1").unwrap().is_some());
    assert!(store.item("github:synth/repo-0#1").unwrap().is_none());
    // People behind the logins come from /users/{login}, with their email.
    let people = store.find_people("User 0").unwrap();
    assert!(!people.is_empty(), "user0 resolved to a person");
}

/// An export's history that the API no longer serves (a free plan hides old messages)
/// survives a reconciliation; a deletion among what live sync stored is still found.
#[tokio::test]
async fn reconciliation_never_deletes_history_imported_from_an_export() {
    let mock = MockApi::start(world()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    sync_both(&db, &mock, SyncOptions::default()).await;
    // Old history, as an export import stores it, that the API does not serve.
    let ch = "C0000000";
    let old_secs = now_secs() - 25 * 86_400;
    let imported: Vec<String> = (0..5).map(|k| format!("{}.00090{k}", old_secs + k)).collect();
    {
        let mut store = Store::open(&db).unwrap();
        let w = store.writer().unwrap();
        for ts in &imported {
            let msg = serde_json::json!({"type": "message", "user": "U000001", "text": "from the export", "ts": ts});
            let users = HashMap::new();
            let ctx = chief_sources::slack::MessageContext { channel_id: ch, users: &users, workspace_url: None };
            let chief_sources::slack::Converted::Item(mut item) =
                chief_sources::slack::convert_message(&msg, &ctx).unwrap()
            else {
                panic!("a plain message converts to an item")
            };
            item.extra["imported"] = serde_json::json!(true);
            w.upsert_item(&item).unwrap();
        }
        w.commit().unwrap();
    }
    let gone = mock.world(|w| {
        let lone: Vec<String> = w
            .slack
            .top_level(ch)
            .iter()
            .filter(|m| m.get("reply_count").is_none() && m.get("thread_ts").is_none())
            .map(|m| m["ts"].as_str().unwrap().to_string())
            .collect();
        let gone = lone[lone.len() / 2].clone();
        assert!(w.slack.delete(ch, &gone));
        gone
    });
    let out = sync_both(&db, &mock, SyncOptions { reconcile: true, ..SyncOptions::default() }).await;
    assert!(out["slack"].as_ref().unwrap().reconciled);
    let store = Store::open(&db).unwrap();
    let get = |ts: &str| store.item(message_id(ch, ts).as_str()).unwrap().unwrap();
    for ts in &imported {
        assert!(!get(ts).deleted, "{ts}: imported history is kept");
    }
    assert!(get(&gone).deleted, "a deletion among what live sync stored is still found");
}

#[tokio::test]
async fn a_reconciling_sync_keeps_every_message_of_an_imported_export() {
    // The houstondatavis export (years old), then a live sync of its #general from an
    // API that serves only the last 7 days (as a free plan does), with reconciliation.
    let root = std::env::var_os("CHIEF_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let export = root.join("data/slack-exports/houstondatavis");
    assert!(export.is_dir(), "the shared export {} is required", export.display());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let general = "C061A2UGJ";
    let container = chief_core::ContainerId::new(chief_core::Source::Slack, general);
    let all = || {
        Store::open(&db)
            .unwrap()
            .live_ids_in(container.as_str(), chief_core::Timestamp(0), chief_core::Timestamp(i64::MAX))
            .unwrap()
    };
    {
        let mut store = Store::open(&db).unwrap();
        let opts = chief_sources::slack_export::ImportOptions::default();
        chief_sources::slack_export::import(&mut store, &export, &opts, &mut |_| {}).unwrap();
    }
    let imported = all();
    assert!(imported.len() > 100, "#general imported: {}", imported.len());

    let mut world = world();
    let recent = now_secs() - 7 * 86_400;
    let (template, msgs) = {
        let (ch, msgs) = world.slack.messages.iter().next().unwrap();
        let template = world.slack.conversations.iter().find(|c| c["id"] == ch.as_str()).unwrap().clone();
        let msgs: Vec<serde_json::Value> = msgs
            .values()
            .filter(|m| m.get("thread_ts").is_none() && chief_mockapi::ts_key(m["ts"].as_str().unwrap()).0 > recent)
            .cloned()
            .collect();
        (template, msgs)
    };
    let mut conv = template;
    conv["id"] = serde_json::json!(general);
    conv["name"] = serde_json::json!("general");
    world.slack.conversations = vec![conv];
    world.slack.messages.clear();
    for m in &msgs {
        world.slack.post(general, m.clone());
    }
    let mock = MockApi::start(world).await.unwrap();
    let token = mock.world(|w| w.token.clone());
    let opts = SyncOptions { reconcile: true, ..SyncOptions::default() };
    let s = Scheduler::new(db.clone(), vec![job(slack(&mock, &token), opts)]);
    let out = s.run_once(&no_progress(), true).await;
    let report = out[0].result.as_ref().unwrap();
    assert!(report.reconciled, "{report:?}");
    let after: std::collections::HashSet<String> = all().into_iter().collect();
    let kept = imported.iter().filter(|id| after.contains(*id)).count();
    assert_eq!(kept, imported.len(), "every imported message is still there");
    assert_eq!(after.len(), imported.len() + msgs.len(), "and the recent week was added");
}

/// A home both sources have synced into from a fresh mock.
async fn synced_home() -> (MockApi, tempfile::TempDir, std::path::PathBuf) {
    let mock = MockApi::start(world()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chief.db");
    let out = sync_both(&db, &mock, SyncOptions::default()).await;
    assert!(out.values().all(|r| r.is_ok()), "{out:?}");
    (mock, dir, db)
}

/// Rewrites a source's stored state, as a previous process could have left it.
fn set_status(
    store: &mut Store,
    source: &str,
    state: chief_store::SourceState,
    last_attempt: Option<chief_core::Timestamp>,
) {
    let mut st = store.source_status(source).unwrap().unwrap();
    (st.state, st.last_attempt) = (state, last_attempt);
    let w = store.writer().unwrap();
    w.set_source_status(&st).unwrap();
    w.commit().unwrap();
}

/// A source whose token was rejected is not retried at every start (the desktop
/// starts its background loop at each handover), nor is one that failed a moment ago;
/// a reconnect (which clears `last_attempt`) syncs it at once.
#[tokio::test]
async fn a_restart_leaves_a_paused_source_alone_until_it_is_reconnected() {
    let (mock, _dir, db) = synced_home().await;
    let mut store = Store::open(&db).unwrap();
    let long_ago = Some(chief_core::Timestamp(chief_core::Timestamp::now().0 - 86_400_000));
    set_status(&mut store, "slack", chief_store::SourceState::Paused, long_ago);
    set_status(&mut store, "github", chief_store::SourceState::Failed, Some(chief_core::Timestamp::now()));
    let token = mock.world(|w| w.token.clone());
    // Runs the schedule for 0.8 s, or (`until_slack_synced`) until Slack has synced.
    let run_a_while = |db: std::path::PathBuf, until_slack_synced: bool| {
        let (mock, token) = (&mock, token.clone());
        async move {
            let s = Scheduler::new(
                db.clone(),
                vec![
                    job(slack(mock, &token), SyncOptions::default()),
                    job(github(mock, &token), SyncOptions::default()),
                ],
            );
            let (stop_tx, stop) = tokio::sync::watch::channel(false);
            let stopper = async move {
                tokio::time::sleep(Duration::from_millis(800)).await;
                let store = Store::open(&db).unwrap();
                for _ in 0..400 {
                    let slack = store.source_status("slack").unwrap().unwrap();
                    if !until_slack_synced
                        || (slack.state == chief_store::SourceState::Ok && slack.last_attempt.is_some())
                    {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                stop_tx.send(true).unwrap();
            };
            let before = mock.requests().len();
            let progress = no_progress();
            tokio::join!(s.run_forever(&progress, stop), stopper);
            mock.requests().into_iter().skip(before).map(|r| r.service).collect::<Vec<_>>()
        }
    };
    let asked = run_a_while(db.clone(), false).await;
    assert!(asked.is_empty(), "neither the paused nor the just-failed source is asked: {asked:?}");
    assert_eq!(store.source_status("slack").unwrap().unwrap().state, chief_store::SourceState::Paused);

    // Reconnected (as `chief connect` does): the next start syncs it.
    set_status(&mut store, "slack", chief_store::SourceState::Ok, None);
    let asked = run_a_while(db.clone(), true).await;
    assert!(asked.contains(&"slack"), "{asked:?}");
    assert!(asked.iter().all(|s| *s != "github"), "the failure waits for its interval: {asked:?}");
}

/// The desktop hands over between its two binaries and `chief watch` restarts: the
/// background schedule carries over. A source synced a minute ago waits for the rest
/// of its interval; one a previous process left `running` mid-sync syncs at once and
/// ends up `ok`.
#[tokio::test]
async fn a_restarted_schedule_waits_for_what_just_synced_and_resumes_what_was_cut_short() {
    let (mock, _dir, db) = synced_home().await;
    // The previous process ended during a GitHub sync.
    let mut store = Store::open(&db).unwrap();
    let attempted = store.source_status("github").unwrap().unwrap().last_attempt;
    set_status(&mut store, "github", chief_store::SourceState::Running, attempted);
    let before = mock.requests().len();

    let token = mock.world(|w| w.token.clone());
    let s = Scheduler::new(
        db.clone(),
        vec![job(slack(&mock, &token), SyncOptions::default()), job(github(&mock, &token), SyncOptions::default())],
    );
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let watcher = {
        let db = db.clone();
        async move {
            let store = Store::open(&db).unwrap();
            for _ in 0..200 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if store.source_status("github").unwrap().unwrap().state == chief_store::SourceState::Ok {
                    break;
                }
            }
            // Long enough for a Slack run to have started had it been due.
            tokio::time::sleep(Duration::from_millis(500)).await;
            stop_tx.send(true).unwrap();
        }
    };
    let progress = no_progress();
    tokio::join!(s.run_forever(&progress, stop), watcher);
    let after: Vec<_> = mock.requests().into_iter().skip(before).collect();
    assert!(after.iter().any(|r| r.service == "github"), "the cut-short GitHub sync ran again");
    assert!(
        after.iter().all(|r| r.service != "slack"),
        "Slack, synced just now, waits: {:?}",
        after.iter().filter(|r| r.service == "slack").map(|r| &r.path).collect::<Vec<_>>()
    );
    assert_eq!(store.source_status("github").unwrap().unwrap().state, chief_store::SourceState::Ok);
}
