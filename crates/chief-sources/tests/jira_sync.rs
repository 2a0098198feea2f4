//! Jira sync against the stateful mock (`chief-mockapi`): full and incremental syncs
//! with comments beyond the embedded page and the changelog, edits, a moved issue, a
//! deleted comment, reconciliation, 429 with `Retry-After`, an expired page token, the
//! time-zone trap, a revoked token, and what the connector never relies on.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::time::Duration;

use chief_core::Timestamp;
use chief_mockapi::{MockApi, Synthetic, World};
use chief_sources::connector::{SourceReport, SyncOptions, no_progress};
use chief_sources::jira_sync::{JiraApi, JiraError, sync};
use chief_store::Store;
use serde_json::json;

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn world(issues: usize) -> World {
    let mut w = World::synthetic(&Synthetic {
        messages: 0,
        channels: 1,
        repos: 1,
        pulls: 0,
        issues: 0,
        jira_projects: 3,
        jira_issues: issues,
        comments_per_issue: 3,
        end_secs: now_secs() - 3_600,
        ..Synthetic::default()
    });
    // The search embeds one comment: the other two come from `/issue/{id}/comment`.
    w.jira.embedded_comments = 1;
    w
}

struct Env {
    mock: MockApi,
    store: Store,
    _dir: tempfile::TempDir,
}

async fn env(w: World) -> Env {
    let mock = MockApi::start(w).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("chief.db")).unwrap();
    Env { mock, store, _dir: dir }
}

impl Env {
    fn api(&self) -> JiraApi {
        let (email, token) = self.mock.world(|w| (w.jira.email.clone(), w.token.clone()));
        JiraApi::new(&self.mock.jira_base(), &email, &token).with_timeout(Duration::from_secs(5))
    }

    async fn sync_with(&mut self, projects: &[&str], reconcile: bool) -> Result<SourceReport, JiraError> {
        let api = self.api();
        let projects: Vec<String> = projects.iter().map(|p| p.to_string()).collect();
        let opts = SyncOptions { reconcile, ..SyncOptions::default() };
        sync(&mut self.store, &api, &projects, "https://acme.atlassian.net", &opts, &no_progress()).await
    }

    async fn sync(&mut self) -> SourceReport {
        self.sync_with(&[], false).await.unwrap()
    }

    /// (live issues, live comments) stored.
    fn counts(&self) -> (i64, i64) {
        let c = self.store.counts().unwrap();
        let n = |kind: &str| c.items.iter().find(|(s, k, _, _)| s == "jira" && k == kind).map_or(0, |x| x.2);
        (n("issue"), n("comment"))
    }

    fn item(&self, id: &str) -> chief_store::StoredItem {
        self.store.item(id).unwrap().unwrap_or_else(|| panic!("{id} is stored"))
    }

    /// The search requests since request number `from`.
    fn searches(&self, from: usize) -> Vec<chief_mockapi::Recorded> {
        self.mock.requests().into_iter().skip(from).filter(|r| r.path.ends_with("/search/jql")).collect()
    }
}

fn param<'a>(r: &'a chief_mockapi::Recorded, k: &str) -> Option<&'a str> {
    r.query.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
}

fn first_issue(w: &World) -> (String, String) {
    let (id, v) = w.jira.issues.iter().next().unwrap();
    (id.clone(), v["key"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_full_sync_then_deltas_follow_edits_comments_moves_and_deletions() {
    let mut e = env(world(230)).await;
    let report = e.sync().await;
    // 230 issues in pages of 100, each with 3 comments of which the search embedded 1.
    assert_eq!(e.counts(), (230, 690));
    assert_eq!(report.inserted, 920);
    assert_eq!(report.pages, 3);
    assert_eq!(report.containers, 3);
    assert!(!report.account.is_empty());
    let requests = e.mock.requests();
    assert_eq!(requests.iter().filter(|r| r.path.ends_with("/comment")).count(), 230);
    // The changelog came along: who moved each issue, to what.
    let (id, key) = e.mock.world(|w| first_issue(w));
    let stored = e.item(&format!("jira:{id}"));
    assert_eq!(stored.item.extra["changes"][0]["field"], "status");
    assert_eq!(stored.item.url.as_deref(), Some(format!("https://acme.atlassian.net/browse/{key}").as_str()));

    // A quiet delta reads one page: only what moved since the cursor (minus the overlap).
    let before = e.mock.requests().len();
    let quiet = e.sync().await;
    assert_eq!(quiet.inserted + quiet.updated, 0, "{quiet:?}");
    assert_eq!(e.searches(before).len(), 1);

    // Edits: a transition, a new comment, a deleted comment, a move to another project.
    let now = Timestamp::now().0;
    let (moved_id, deleted_comment, was) = e.mock.world(|w| {
        let me = w.jira.me.clone();
        let ids: Vec<String> = w.jira.issues.keys().cloned().collect();
        let was = w.jira.issues[&ids[0]]["fields"]["status"]["name"].as_str().unwrap().to_string();
        w.jira.transition(&ids[0], "Done", &me, now - 60_000);
        w.jira.comment(&ids[1], "990001", &me, "Shipped behind the flag; rolling out tomorrow", now - 50_000);
        let gone = w.jira.issues[&ids[2]]["fields"]["comment"]["comments"][1]["id"].as_str().unwrap().to_string();
        w.jira.edit(&ids[2], now - 40_000, |i| {
            i["fields"]["comment"]["comments"].as_array_mut().unwrap().remove(1);
        });
        let other = w.jira.projects[2].clone();
        w.jira.edit(&ids[3], now - 30_000, |i| {
            i["key"] = json!(format!("{}-999", other["key"].as_str().unwrap()));
            i["fields"]["project"] = json!({"key": other["key"], "name": other["name"]});
        });
        (ids[3].clone(), (ids[2].clone(), gone), was)
    });
    let before = e.mock.requests().len();
    let delta = e.sync().await;
    assert_eq!(e.searches(before).len(), 1, "a delta of four issues is one page");
    let ids: Vec<String> = e.mock.world(|w| w.jira.issues.keys().cloned().collect());
    let done = e.item(&format!("jira:{}", ids[0]));
    assert_eq!(done.item.extra["status"], "Done");
    let last = done.item.extra["changes"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["from"].as_str(), last["to"].as_str()), (Some(was.as_str()), Some("Done")));
    assert!(e.item(&format!("jira:{}/comment/990001", ids[1])).item.body.contains("rolling out tomorrow"));
    let (parent, comment) = deleted_comment;
    assert!(e.item(&format!("jira:{parent}/comment/{comment}")).deleted, "a comment gone from Jira is deleted");
    // A moved issue keeps its numeric id: same item, new key.
    let moved = e.item(&format!("jira:{moved_id}"));
    assert!(moved.item.title.contains("-999:"), "{}", moved.item.title);
    assert_eq!(e.counts(), (230, 690));
    assert!(delta.deleted >= 1 && delta.updated >= 4, "{delta:?}");

    // Deleted issues are simply absent from Jira: reconciliation finds them.
    let removed = e.mock.world(|w| {
        let id = w.jira.issues.keys().nth(5).unwrap().clone();
        w.jira.issues.remove(&id);
        id
    });
    let plain = e.sync().await;
    assert!(!e.item(&format!("jira:{removed}")).deleted, "a delta alone cannot see a deletion");
    assert_eq!(plain.deleted, 0);
    let rec = e.sync_with(&[], true).await.unwrap();
    assert!(rec.reconciled);
    assert!(e.item(&format!("jira:{removed}")).deleted);
    assert!(e.item(&format!("jira:{removed}/comment/{}", first_comment(&e, &removed))).deleted);
    assert_eq!(rec.deleted, 4, "the issue and its three comments");
    assert_eq!(e.counts(), (229, 687));

    // What the connector never relies on: the retired search, or a search without fields.
    for r in e.mock.requests() {
        assert!(!r.path.ends_with("/rest/api/3/search"), "the retired search was called");
        if r.path.ends_with("/search/jql") {
            let jql = param(&r, "jql").unwrap();
            assert!(jql.starts_with("updated >= ") && !jql.contains('"'), "{jql}");
            assert!(param(&r, "fields").is_some(), "every search names its fields: {r:?}");
        }
    }
}

fn first_comment(e: &Env, issue: &str) -> String {
    let stored = e.store.thread(&format!("jira:{issue}")).unwrap();
    let c = stored.iter().find(|s| s.item.parent.is_some()).unwrap();
    c.item.id.as_str().rsplit('/').next().unwrap().to_string()
}

#[tokio::test]
async fn an_update_in_the_minute_after_the_cursor_is_found_in_a_non_utc_profile() {
    let mut w = world(20);
    // The user's profile is at UTC-8: a quoted "yyyy-MM-dd HH:mm" would be read 8 hours late.
    w.jira.tz_offset_min = -480;
    w.jira.me["timeZone"] = json!("America/Los_Angeles");
    let mut e = env(w).await;
    let account = e.sync().await.account;
    let hwm = e.store.cursor("jira", &account, "_search").unwrap().unwrap()["hwm"].as_i64().unwrap();
    let id = e.mock.world(|w| {
        let id = w.jira.issues.keys().next().unwrap().clone();
        w.jira.edit(&id, hwm + 30_000, |i| i["fields"]["summary"] = json!("Edited in the minute after the cursor"));
        id
    });
    e.sync().await;
    assert_eq!(
        e.item(&format!("jira:{id}")).item.title.split_once(": ").unwrap().1,
        "Edited in the minute after the cursor"
    );
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after_and_an_expired_page_token_restarts_from_the_cursor() {
    let mut w = world(120);
    w.jira.max_results = 25;
    w.jira.embedded_comments = 10;
    let mut e = env(w).await;
    e.mock.faults(|f| {
        f.rate_limit_every = 4;
        f.retry_after_secs = 1;
        // After a few requests every page token handed out so far expires.
        f.expire_cursors_after = Some(3);
    });
    let started = std::time::Instant::now();
    let report = e.sync().await;
    assert_eq!(e.counts(), (120, 360), "{report:?}");
    let log = e.mock.requests();
    assert!(log.iter().any(|r| r.status == 429), "the mock answered 429");
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After was honoured");
    assert!(log.iter().any(|r| r.status == 400 && r.path.ends_with("/search/jql")), "a page token expired");
}

#[tokio::test]
async fn bad_credentials_pause_with_what_to_do_and_keep_what_is_stored() {
    let mut e = env(world(10)).await;
    e.sync().await;
    let api = e.api();
    e.mock.world(|w| w.token = "rotated".into());
    let err =
        sync(&mut e.store, &api, &[], "https://x.example", &SyncOptions::default(), &no_progress()).await.unwrap_err();
    assert!(matches!(err, JiraError::Auth(401)), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("chief connect jira") && !msg.contains("rotated"), "{msg}");
    assert!(matches!(
        chief_sources::connector::ConnectorError::from(err),
        chief_sources::connector::ConnectorError::Auth(_)
    ));
    assert_eq!(e.counts(), (10, 30));
}

#[tokio::test]
async fn configured_projects_narrow_the_search_and_bad_keys_are_refused() {
    let mut e = env(world(30)).await;
    let keys: Vec<String> =
        e.mock.world(|w| w.jira.projects.iter().map(|p| p["key"].as_str().unwrap().to_string()).collect());
    let report = e.sync_with(&[&keys[0].to_lowercase(), "NOPE"], false).await.unwrap();
    assert_eq!(report.containers, 1);
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert_eq!(e.counts().0, 10);
    let searches = e.searches(0);
    assert!(param(&searches[0], "jql").unwrap().contains(&format!("project in ({})", keys[0])));
    let err = e.sync_with(&["ENG) OR (project = X"], false).await.unwrap_err();
    assert!(err.to_string().contains("[sources.jira] projects"), "{err}");
    assert_eq!(e.counts().0, 10, "a refused configuration loses nothing");
}

#[tokio::test]
async fn a_search_answered_with_ids_only_is_not_what_the_connector_stores() {
    // A search without `fields` returns ids only; the connector asks for its fields,
    // so what it stores has titles and bodies.
    let e = env(world(5)).await;
    let api = e.api();
    let bare = api.get("/rest/api/3/search/jql", &[("jql", "updated >= 0".to_string())]).await.unwrap();
    assert!(bare["issues"][0].get("fields").is_none(), "{bare}");
    let mut e = e;
    e.sync().await;
    let (id, _) = e.mock.world(|w| first_issue(w));
    let stored = e.item(&format!("jira:{id}"));
    assert!(!stored.item.title.is_empty() && !stored.item.body.is_empty());
    let retired = api.get("/rest/api/3/search", &[]).await.unwrap_err();
    assert!(matches!(retired, JiraError::Http { status: 410, .. }), "the retired search is gone: {retired}");
}

#[tokio::test]
async fn an_unreadable_update_stays_a_failure_until_a_readable_one_replaces_it() {
    let mut e = env(world(8)).await;
    e.sync().await;
    let now = Timestamp::now().0;
    let id = e.mock.world(|w| {
        let id = w.jira.issues.keys().next().unwrap().clone();
        // A comment without an id: the issue cannot be converted.
        w.jira.edit(&id, now - 60_000, |i| {
            i["fields"]["summary"] = json!("Renamed while broken");
            i["fields"]["comment"]["comments"]
                .as_array_mut()
                .unwrap()
                .push(json!({"body": "no id", "created": "2026-11-20T10:00:00.000+0000"}));
        });
        id
    });
    let r = e.sync().await;
    assert_eq!((r.failed, r.recovered), (1, 0), "{r:?}");
    // The older, stored version does not make the newer failure "recovered".
    assert_eq!(e.store.sync_failures(Some("jira")).unwrap().len(), 1);
    assert!(!e.item(&format!("jira:{id}")).item.title.contains("Renamed"));
    e.mock.world(|w| {
        w.jira.edit(&id, now - 30_000, |i| {
            i["fields"]["comment"]["comments"].as_array_mut().unwrap().last_mut().unwrap()["id"] = json!("88001");
        })
    });
    let r = e.sync().await;
    assert!(e.item(&format!("jira:{id}")).item.title.contains("Renamed while broken"));
    assert!(e.store.sync_failures(Some("jira")).unwrap().is_empty(), "{r:?}");
}
