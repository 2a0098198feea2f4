//! Google sync against the stateful mock: the loopback + PKCE consent, refreshes (a
//! rotated refresh token saved before use, `invalid_grant` pausing), Calendar with
//! sync tokens (410 → full resync), Drive changes with comment threads, Gmail backfill
//! and history (404 → one full resync, never a loop).

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chief_mockapi::{MockApi, Synthetic, World};
use chief_sources::connector::{ConnectorError, SourceReport, SyncOptions, no_progress};
use chief_sources::google_auth::{Credentials, OAuthClient, RefreshStore, TokenSource};
use chief_sources::google_sync::{GoogleApi, GoogleError, GoogleScope, sync};
use chief_store::Store;
use serde_json::json;

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn world() -> World {
    World::synthetic(&Synthetic {
        messages: 0,
        channels: 1,
        repos: 1,
        pulls: 0,
        issues: 0,
        jira_issues: 0,
        google_events: 30,
        google_docs: 4,
        google_messages: 30,
        days: 20,
        end_secs: now_secs() - 3_600,
        ..Synthetic::default()
    })
}

/// The keychain entry, in memory; records what was saved.
#[derive(Default)]
struct Keychain(Mutex<Option<String>>, Mutex<Vec<String>>);

impl RefreshStore for Keychain {
    fn load(&self) -> Result<Option<String>, String> {
        Ok(self.0.lock().unwrap().clone())
    }
    fn save(&self, token: &str) -> Result<(), String> {
        *self.0.lock().unwrap() = Some(token.to_string());
        self.1.lock().unwrap().push(token.to_string());
        Ok(())
    }
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
    fn client(&self) -> OAuthClient {
        let (auth_url, token_url) = self.mock.google_oauth();
        OAuthClient {
            client_id: self.mock.world(|w| w.google.client_id.clone()),
            client_secret: Some("not-confidential".into()),
            auth_url,
            token_url,
        }
    }

    fn fixed(&self) -> GoogleApi {
        let token = self.mock.world(|w| w.token.clone());
        GoogleApi::new(&self.mock.google_base(), TokenSource::new(Credentials::Access(token)))
            .with_timeout(Duration::from_secs(5))
    }

    fn refreshing(&self, keychain: Arc<Keychain>) -> GoogleApi {
        let creds = Credentials::Refresh { client: self.client(), store: keychain };
        GoogleApi::new(&self.mock.google_base(), TokenSource::new(creds)).with_timeout(Duration::from_secs(5))
    }

    async fn run(&mut self, api: &GoogleApi) -> Result<SourceReport, GoogleError> {
        sync(&mut self.store, api, &GoogleScope::default(), &SyncOptions::default(), &no_progress()).await
    }

    /// Live items per kind (google only).
    fn counts(&self) -> HashMap<String, i64> {
        let c = self.store.counts().unwrap();
        c.items.into_iter().filter(|(s, ..)| s == "google").map(|(_, k, live, _)| (k, live)).collect()
    }

    fn live(&self, id: &str) -> bool {
        self.store.item(id).unwrap().is_some_and(|s| !s.deleted)
    }

    fn calls(&self, suffix: &str) -> usize {
        self.mock.requests().iter().filter(|r| r.path.ends_with(suffix)).count()
    }
}

fn rfc822(id: &str, subject: &str, body: &str) -> String {
    format!(
        "From: Ana Lima <ana@example.com>\r\nTo: user0@example.com\r\nSubject: {subject}\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\nMessage-ID: <{id}@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

#[tokio::test]
async fn calendar_drive_and_gmail_sync_in_full_then_follow_changes() {
    let mut e = env(world()).await;
    let api = e.fixed();
    let first = e.run(&api).await.unwrap();
    assert_eq!(first.account, "user0@example.com");
    let c = e.counts();
    assert_eq!(c.get("event"), Some(&30), "{c:?}");
    assert_eq!((c.get("doc"), c.get("comment")), (Some(&4), Some(&8)), "{c:?}");
    assert_eq!(c.get("email"), Some(&30), "{c:?}");
    assert_eq!(first.containers, 2, "both calendars, the shared one's id has a # in it");
    // Mail threads are discussions: replies point at the thread's first message.
    let reply = e.store.item("google:mail/m1@example.com").unwrap().unwrap();
    assert_eq!(reply.item.parent.as_ref().map(|p| p.as_str()), Some("google:mail/m0@example.com"));
    assert_eq!(reply.item.extra["thread"], "t0");
    // A comment thread is one item under its Doc, replies included.
    let thread = e.store.item("google:drive/doc0/comment/c0-0").unwrap().unwrap();
    assert_eq!(thread.item.parent.as_ref().map(|p| p.as_str()), Some("google:drive/doc0"));
    assert!(thread.item.body.lines().count() >= 3, "quote, comment and reply: {}", thread.item.body);

    // A quiet second run reads the change feeds only.
    let before = e.mock.requests().len();
    let quiet = e.run(&api).await.unwrap();
    assert_eq!(quiet.inserted + quiet.updated + quiet.deleted, 0, "{quiet:?}");
    let requests = e.mock.requests();
    assert!(requests[before..].iter().all(|r| !r.path.ends_with("/export")), "no Doc re-read");
    assert!(requests[before..].iter().any(|r| r.query.iter().any(|(k, _)| k == "syncToken")));

    // Changes: an event moved, one cancelled; a comment added and one deleted; a Doc
    // removed; a message added, one deleted.
    let cal = "user0@example.com";
    e.mock.world(|w| {
        let g = &mut w.google;
        let mut ev = g.events[cal]["ev1"].clone();
        ev["summary"] = json!("Moved: architecture review");
        g.put_event(cal, ev);
        g.cancel_event(cal, "ev2");
        let mut c = g.files["doc1"]["_comments"][0].clone();
        c["id"] = json!("c-new");
        c["content"] = json!("Can we drop the legacy path before the freeze?");
        g.put_comment("doc1", c);
        let mut gone = g.files["doc1"]["_comments"][1].clone();
        gone["deleted"] = json!(true);
        g.put_comment("doc1", gone);
        g.remove_file("doc2");
        g.add_message(
            "new1",
            "tnew",
            &["INBOX", "IMPORTANT"],
            &rfc822("new1", "Budget sign-off", "Please approve by Friday."),
            1_795_600_000_000,
        );
        let first = g.messages.keys().next().unwrap().clone();
        g.delete_message(&first);
    });
    let delta = e.run(&api).await.unwrap();
    assert!(e.store.item("google:calendar/user0@example.com/ev1").unwrap().unwrap().item.title.starts_with("Moved"));
    assert!(!e.live("google:calendar/user0@example.com/ev2"), "a cancelled event is deleted");
    assert!(e.live("google:drive/doc1/comment/c-new"));
    assert!(!e.live("google:drive/doc1/comment/c1-1"), "a deleted comment is deleted");
    assert!(
        !e.live("google:drive/doc2") && !e.live("google:drive/doc2/comment/c2-0"),
        "a removed Doc goes with its comments"
    );
    let new = e.store.item("google:mail/new1@example.com").unwrap().unwrap();
    assert_eq!(new.item.extra["labels"], json!(["INBOX", "IMPORTANT"]));
    assert_eq!(new.item.url.as_deref(), Some("https://mail.google.com/mail/u/0/#all/new1"));
    assert!(!e.live("google:mail/m0@example.com"), "a deleted message is deleted");
    assert_eq!(delta.deleted, 6, "{delta:?}");
}

#[tokio::test]
async fn expired_sync_tokens_and_history_ids_resync_in_full_once() {
    let mut e = env(world()).await;
    let api = e.fixed();
    e.run(&api).await.unwrap();
    // While the tokens expire, an event and a message disappear without a trace (no
    // cancellation or history to see): only the full listings can find them gone.
    assert!(e.live("google:mail/m13@example.com"));
    e.mock.world(|w| {
        w.google.events.get_mut("user0@example.com").unwrap().remove("ev1");
        assert!(w.google.messages.remove(&format!("{:016x}", 13)).is_some());
        w.google.expire_tokens();
    });
    let profiles = e.calls("/profile");
    e.run(&api).await.unwrap();
    let log = e.mock.requests();
    assert!(log.iter().any(|r| r.status == 410 && r.path.ends_with("/events")), "the sync token expired");
    assert!(log.iter().any(|r| r.status == 404 && r.path.ends_with("/history")), "the history id expired");
    assert!(!e.live("google:calendar/user0@example.com/ev1"), "the full listing found it gone");
    assert!(!e.live("google:mail/m13@example.com"), "the Gmail backfill found it gone");
    assert_eq!(e.counts().get("email"), Some(&29));
    assert_eq!(e.calls("/profile") - profiles, 1, "one full resync of Gmail");
    // The new tokens work: the next run is incremental again.
    let before = e.mock.requests().len();
    e.run(&api).await.unwrap();
    assert!(e.mock.requests()[before..].iter().all(|r| r.status == 200), "{:?}", &e.mock.requests()[before..]);
}

#[tokio::test]
async fn consent_by_loopback_with_pkce_then_refreshes_rotate_and_invalid_grant_pauses() {
    let mut e = env(world()).await;
    let client = e.client();
    // The "browser": follows the consent page's redirect to the loopback listener.
    let browser = |url: &str| {
        let url = url.to_string();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async { reqwest::get(&url).await.map(|_| ()).map_err(|e| e.to_string()) })
        });
        Ok(())
    };
    let grant = client.authorize(&browser, Duration::from_secs(10)).await.unwrap();
    let refresh = grant.refresh_token.clone().unwrap();
    assert_eq!(refresh, e.mock.world(|w| w.google.refresh_token.clone()));
    let keychain = Arc::new(Keychain::default());
    keychain.save(&refresh).unwrap();

    // Rotation: each refresh hands out a new refresh token and kills the old one.
    e.mock.world(|w| {
        w.google.rotate_refresh = true;
        w.google.issued.clear();
    });
    let api = e.refreshing(keychain.clone());
    e.run(&api).await.unwrap();
    let rotated = keychain.0.lock().unwrap().clone().unwrap();
    assert_ne!(rotated, refresh);
    assert_eq!(rotated, e.mock.world(|w| w.google.refresh_token.clone()), "the rotated token was saved");
    // The access token in hand stops working (401): refreshed once, with the rotated
    // refresh token from the keychain, and the run goes on.
    e.mock.world(|w| w.google.issued.clear());
    e.run(&api).await.unwrap();
    assert!(e.mock.requests().iter().any(|r| r.status == 401), "a 401 was answered");
    assert_eq!(keychain.1.lock().unwrap().len(), 3, "the grant, the first refresh, the refresh after the 401");

    // The grant revoked: invalid_grant pauses Google with what to do.
    e.mock.world(|w| {
        w.google.refresh_token = "revoked".into();
        w.google.issued.clear();
    });
    let api = e.refreshing(keychain);
    let err = e.run(&api).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("invalid_grant") && msg.contains("chief connect google"), "{msg}");
    assert!(matches!(ConnectorError::from(err), ConnectorError::Auth(_)));
    assert!(e.counts().get("event").is_some_and(|n| *n > 0), "what was stored stays");
}

#[tokio::test]
async fn the_loopback_ignores_a_silent_connection_and_a_foreign_redirect_before_the_real_one() {
    let e = env(world()).await;
    let client = e.client();
    let browser = |url: &str| {
        let url = url.to_string();
        let redirect = url
            .split("redirect_uri=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .replace("%3A", ":")
            .replace("%2F", "/");
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                // A preconnect that never sends a request, then someone else's redirects
                // (another state, an error), then the browser's own.
                let addr = redirect.trim_start_matches("http://").to_string();
                let _silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
                let forged = reqwest::get(format!("{redirect}/?code=x&state=forged")).await.unwrap();
                assert!(forged.text().await.unwrap().contains("not started by Chief"));
                reqwest::get(format!("{redirect}/?error=access_denied&state=forged")).await.unwrap();
                reqwest::get(&url).await.map(|_| ())
            })
        });
        Ok(())
    };
    let grant = client.authorize(&browser, Duration::from_secs(20)).await.unwrap();
    assert!(grant.refresh_token.is_some());
}

#[tokio::test]
async fn a_revoked_google_grant_pauses_google_only() {
    use chief_sources::jira_sync::{JiraApi, JiraConnector};
    use chief_sources::scheduler::{Job, Scheduler};
    let mut w = world();
    w.jira = World::synthetic(&Synthetic { jira_issues: 12, messages: 0, ..Synthetic::default() }).jira;
    let e = env(w).await;
    let keychain = Arc::new(Keychain::default());
    keychain.save("1//revoked-long-ago").unwrap();
    let (email, token) = e.mock.world(|w| (w.jira.email.clone(), w.token.clone()));
    let jobs = vec![
        Job {
            connector: Arc::new(chief_sources::google_sync::GoogleConnector::new(
                e.refreshing(keychain),
                GoogleScope::default(),
            )),
            options: SyncOptions::default(),
            interval: Duration::from_secs(60),
        },
        Job {
            connector: Arc::new(JiraConnector::new(JiraApi::new(&e.mock.jira_base(), &email, &token), vec![], None)),
            options: SyncOptions::default(),
            interval: Duration::from_secs(60),
        },
    ];
    let db = e._dir.path().join("scheduled.db");
    let out = Scheduler::new(db.clone(), jobs).run_once(&no_progress(), true).await;
    let by = |s: &str| out.iter().find(|o| o.source == s).unwrap();
    assert!(matches!(by("google").result, Err(ConnectorError::Auth(_))), "{:?}", by("google").result);
    assert!(by("jira").result.is_ok(), "{:?}", by("jira").result);
    let store = Store::open(&db).unwrap();
    let google = store.source_status("google").unwrap().unwrap();
    assert_eq!(google.state, chief_store::SourceState::Paused);
    assert!(google.message.contains("chief connect google"), "{}", google.message);
    assert_eq!(store.source_status("jira").unwrap().unwrap().state, chief_store::SourceState::Ok);
}

#[tokio::test]
async fn mail_stored_by_a_backfill_cut_short_and_deleted_before_the_next_is_gone_even_at_the_window_edge() {
    // 120 messages over 20 days: the first ones lie in the window's last day, where a
    // backfill's own listing check leaves mail alone.
    let mut w = world();
    w.google = World::synthetic(&Synthetic {
        google_messages: 120,
        google_events: 0,
        google_docs: 0,
        days: 20,
        end_secs: now_secs() - 3_600,
        ..Synthetic::default()
    })
    .google;
    let token = w.token.clone();
    let mut e = env(w).await;
    let api = e.fixed();
    let scope = GoogleScope { calendars: Vec::new(), calendar: false, drive: false, gmail_days: 20 };
    // Profile, two listing pages, the first 50 messages (one commit), then the token is
    // revoked partway through the second 50: the backfill stops with mail stored.
    e.mock.faults(|f| f.revoke_after = Some(3 + 60));
    let cut = sync(&mut e.store, &api, &scope, &SyncOptions::default(), &no_progress()).await;
    assert!(cut.is_err(), "the backfill was cut short: {cut:?}");
    assert!(e.live("google:mail/m5@example.com"), "stored before the cut");
    assert!(!e.live("google:mail/m119@example.com"), "not reached before the cut");
    // Before the next backfill, a message it stored is deleted.
    e.mock.world(|w| {
        w.token = token.clone();
        assert!(w.google.delete_message(&format!("{:016x}", 5)));
    });
    sync(&mut e.store, &api, &scope, &SyncOptions::default(), &no_progress()).await.unwrap();
    assert!(!e.live("google:mail/m5@example.com"), "the history since the first backfill began reports it deleted");
    assert!(e.live("google:mail/m4@example.com") && e.live("google:mail/m119@example.com"));
    assert_eq!(e.counts().get("email"), Some(&119));
    let cursor = e.store.cursor("google", "user0@example.com", "gmail").unwrap().unwrap();
    assert!(cursor["history_id"].is_string() && cursor.get("backfill_from").is_none(), "{cursor}");
}
