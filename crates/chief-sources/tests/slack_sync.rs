//! Slack sync against a stateful mock of the Web API: pagination, 429 with
//! Retry-After, not_in_channel, revoked tokens, idempotent re-syncs, and a reply that
//! arrives under a thread after its parent was synced.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chief_sources::connector::{Limits, SyncOptions, no_progress};
use chief_sources::slack_sync::{SlackApi, SyncError, sync};
use chief_store::Store;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn ok(v: Value) -> ResponseTemplate {
    let mut v = v;
    v["ok"] = json!(true);
    ResponseTemplate::new(200).set_body_json(v)
}

/// conversations.history for C1: two pages; the first call is rate limited once.
/// `phase` 0: the thread root has one reply; phase 1: it has two.
struct History {
    calls: AtomicUsize,
    phase: Arc<AtomicUsize>,
}

impl Respond for History {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n == 0 {
            return ResponseTemplate::new(429).insert_header("retry-after", "1");
        }
        let cursor = req.url.query_pairs().find(|(k, _)| k == "cursor").map(|(_, v)| v.to_string());
        let latest = if self.phase.load(Ordering::SeqCst) == 0 { "1700000110.000100" } else { "1700000500.000100" };
        match cursor.as_deref() {
            None => ok(json!({"messages": [
                {"type": "message", "user": "U1", "ts": "1700000300.000100", "text": "checkout is down, PAY-142"},
                {"type": "message", "user": "U2", "ts": "1700000200.000100", "text": "looking"}
            ], "has_more": true, "response_metadata": {"next_cursor": "page2"}})),
            Some(_) => ok(json!({"messages": [
                {"type": "message", "user": "U1", "ts": "1700000100.000100", "text": "deploy at noon", "thread_ts": "1700000100.000100", "reply_count": 1, "latest_reply": latest}
            ], "has_more": false, "response_metadata": {"next_cursor": ""}})),
        }
    }
}

struct Replies(Arc<AtomicUsize>);

impl Respond for Replies {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut msgs = vec![
            json!({"type": "message", "user": "U1", "ts": "1700000100.000100", "text": "deploy at noon", "thread_ts": "1700000100.000100"}),
            json!({"type": "message", "user": "U2", "ts": "1700000110.000100", "text": "ack", "thread_ts": "1700000100.000100"}),
        ];
        if self.0.load(Ordering::SeqCst) == 1 {
            msgs.push(json!({"type": "message", "user": "U1", "ts": "1700000500.000100", "text": "moved to 2pm", "thread_ts": "1700000100.000100"}));
        }
        ok(json!({"messages": msgs, "response_metadata": {"next_cursor": ""}}))
    }
}

async fn mock() -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let phase = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path("/auth.test"))
        .respond_with(ok(
            json!({"team": "Kestrel", "team_id": "T1", "user_id": "U1", "url": "https://kestrel.slack.com/"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/users.list")).and(query_param("cursor", "u2"))
        .respond_with(ok(json!({"members": [{"id": "U2", "name": "tom", "real_name": "Tom Becker", "profile": {"email": "tom@kestrel.example"}}], "response_metadata": {"next_cursor": ""}})))
        .mount(&server).await;
    Mock::given(method("GET")).and(path("/users.list"))
        .respond_with(ok(json!({"members": [{"id": "U1", "name": "maya", "real_name": "Maya Chen", "profile": {"email": "maya@kestrel.example"}}], "response_metadata": {"next_cursor": "u2"}})))
        .mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/search.messages"))
        .respond_with(ok(
            json!({"messages": {"matches": [], "pagination": {"page": 1, "page_count": 1, "total_count": 0}}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/users.conversations"))
        .respond_with(ok(json!({"channels": [{"id": "C1", "name": "incidents"}, {"id": "C2", "name": "secret"}], "response_metadata": {"next_cursor": ""}})))
        .mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/conversations.history"))
        .and(query_param("channel", "C2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": false, "error": "not_in_channel"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/conversations.history"))
        .and(query_param("channel", "C1"))
        .respond_with(History { calls: AtomicUsize::new(0), phase: phase.clone() })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/conversations.replies"))
        .respond_with(Replies(phase.clone()))
        .mount(&server)
        .await;
    (server, phase)
}

#[tokio::test]
async fn pages_rate_limits_threads_and_idempotent_resync() {
    let (server, phase) = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("chief.db")).unwrap();
    let api = SlackApi::new(&server.uri(), "xoxp-test-token");
    let t = Instant::now();
    let r = sync(&mut store, &api, None, &SyncOptions::default(), &no_progress()).await.unwrap();
    assert!(t.elapsed() >= Duration::from_secs(1), "Retry-After was honoured");
    assert_eq!(r.people, 2, "both pages of users.list");
    assert_eq!(r.inserted, 4, "3 history messages across 2 pages + 1 reply: {r:?}");
    assert_eq!(r.skipped, vec![("C2".to_string(), "not_in_channel".to_string())]);
    let reply = store.item("slack:C1:1700000110.000100").unwrap().unwrap();
    assert_eq!(reply.item.parent.unwrap().as_str(), "slack:C1:1700000100.000100");
    let seq = store.max_seq().unwrap();

    // Nothing new: a re-sync writes nothing.
    let again = sync(&mut store, &api, None, &SyncOptions::default(), &no_progress()).await.unwrap();
    assert_eq!((again.inserted, again.updated), (0, 0), "{again:?}");
    assert_eq!(store.max_seq().unwrap(), seq);

    // A reply arrives under the old thread: the overlap re-read finds it.
    phase.store(1, Ordering::SeqCst);
    let grown = sync(&mut store, &api, None, &SyncOptions::default(), &no_progress()).await.unwrap();
    assert_eq!(grown.inserted, 1, "{grown:?}");
    assert!(store.item("slack:C1:1700000500.000100").unwrap().is_some());
    let cursor = store.cursor("slack", "T1", "C1").unwrap().unwrap();
    assert_eq!(cursor["hwm"], "1700000300.000100");
    assert_eq!(cursor["threads"]["1700000100.000100"], "1700000500.000100");
}

#[tokio::test]
async fn a_revoked_token_stops_the_sync_with_an_auth_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/auth.test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": false, "error": "token_revoked"})))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("chief.db")).unwrap();
    let err = sync(
        &mut store,
        &SlackApi::new(&server.uri(), "xoxp-secret-value"),
        None,
        &SyncOptions::default(),
        &no_progress(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, SyncError::Auth(ref e) if e == "token_revoked"), "{err}");
    assert!(!err.to_string().contains("xoxp-secret-value"));
}

/// conversations.history that never ends: each page names a new cursor (`fresh`) or
/// the same one again; or one page far larger than the client accepts.
enum Hostile {
    Endless { fresh: bool },
    Huge,
}

impl Respond for Hostile {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let n: u64 = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "cursor")
            .and_then(|(_, v)| v.trim_start_matches('p').parse().ok())
            .unwrap_or(0);
        let ts = format!("{}.000100", 1_700_000_000 + n);
        match self {
            Hostile::Endless { fresh } => {
                let next = if *fresh { format!("p{}", n + 1) } else { "p1".into() };
                ok(json!({"messages": [{"type": "message", "user": "U1", "ts": ts, "text": "again"}],
                    "has_more": true, "response_metadata": {"next_cursor": next}}))
            }
            Hostile::Huge => ok(json!({"messages": [{"type": "message", "user": "U1", "ts": ts,
                "text": "x".repeat(3 << 20)}], "response_metadata": {"next_cursor": ""}})),
        }
    }
}

async fn hostile_mock(history: Hostile) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/auth.test"))
        .respond_with(ok(json!({"team": "T", "team_id": "T1", "user_id": "U1", "url": "https://t.slack.com/"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/users.list"))
        .respond_with(ok(json!({"members": [{"id": "U1", "name": "a"}], "response_metadata": {"next_cursor": ""}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/search.messages"))
        .respond_with(ok(json!({"messages": {"matches": [], "pagination": {"page": 1, "page_count": 1}}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/users.conversations"))
        .respond_with(ok(json!({"channels": [{"id": "C1", "name": "big"}, {"id": "C2", "name": "small"}],
            "response_metadata": {"next_cursor": ""}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/conversations.history"))
        .and(query_param("channel", "C2"))
        .respond_with(ok(
            json!({"messages": [{"type": "message", "user": "U1", "ts": "1700000000.000200", "text": "fine"}],
            "response_metadata": {"next_cursor": ""}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/conversations.history"))
        .and(query_param("channel", "C1"))
        .respond_with(history)
        .mount(&server)
        .await;
    server
}

async fn history_requests(server: &MockServer) -> usize {
    let requests = server.received_requests().await.unwrap();
    requests.iter().filter(|r| r.url.path() == "/conversations.history" && r.url.as_str().contains("C1")).count()
}

#[tokio::test]
async fn paging_that_never_ends_or_repeats_itself_is_cut_short_and_the_other_conversations_sync() {
    for (fresh, expected) in [(true, "more than 20 pages"), (false, "returned before")] {
        let server = hostile_mock(Hostile::Endless { fresh }).await;
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("chief.db")).unwrap();
        let api = SlackApi::new(&server.uri(), "xoxp-test").with_limits(Limits { max_body: 1 << 20, max_pages: 20 });
        let r = sync(&mut store, &api, None, &SyncOptions::default(), &no_progress()).await.unwrap();
        assert_eq!(r.skipped.len(), 1, "{r:?}");
        assert_eq!(r.skipped[0].0, "C1");
        assert!(r.skipped[0].1.contains(expected), "{:?}", r.skipped[0]);
        assert!(history_requests(&server).await <= 20, "bounded requests");
        assert!(store.item("slack:C2:1700000000.000200").unwrap().is_some(), "the other conversation synced");
        if fresh {
            // What was read is kept, and the saved page cursor lets the next run go on.
            assert!(store.item("slack:C1:1700000005.000100").unwrap().is_some());
            let cursor = store.cursor("slack", "T1", "C1").unwrap().unwrap();
            assert!(cursor["page"].as_str().is_some_and(|p| p.starts_with('p')), "{cursor}");
        }
    }
}

#[tokio::test]
async fn a_response_over_the_size_limit_is_refused_not_buffered() {
    let server = hostile_mock(Hostile::Huge).await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("chief.db")).unwrap();
    let api = SlackApi::new(&server.uri(), "xoxp-test").with_limits(Limits { max_body: 1 << 20, max_pages: 20 });
    let r = sync(&mut store, &api, None, &SyncOptions::default(), &no_progress()).await.unwrap();
    assert_eq!(r.skipped.len(), 1, "{r:?}");
    assert!(r.skipped[0].1.contains("larger than 1 MiB"), "{:?}", r.skipped[0]);
    assert!(store.item("slack:C2:1700000000.000200").unwrap().is_some());
}

/// auth.test rate limited once with a hostile `Retry-After`, then fine.
struct HostileRetry {
    value: &'static str,
    calls: AtomicUsize,
}

impl Respond for HostileRetry {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return ResponseTemplate::new(429).insert_header("retry-after", self.value);
        }
        ok(json!({"team": "T", "team_id": "T1", "user_id": "U1", "url": "https://t.slack.com/"}))
    }
}

#[tokio::test]
async fn hostile_retry_after_values_never_panic_and_never_wait_long() {
    for value in ["-1", "inf", "NaN", "1e30", "18446744073709551615"] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/auth.test"))
            .respond_with(HostileRetry { value, calls: AtomicUsize::new(0) })
            .mount(&server)
            .await;
        let t = Instant::now();
        let out = SlackApi::new(&server.uri(), "xoxp-test").auth_test().await;
        // A wait beyond what a sync may sit blocked parks the source instead.
        match &out {
            Ok(_) => assert!(t.elapsed() < Duration::from_secs(5), "{value}: waited {:?}", t.elapsed()),
            Err(SyncError::RateLimited { .. }) => assert!(t.elapsed() < Duration::from_secs(1), "{value}"),
            Err(e) => panic!("{value}: {e}"),
        }
    }
}

/// users.list answers once with a body cut off mid-way, then properly.
struct CutOff(AtomicUsize);

impl Respond for CutOff {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            return ResponseTemplate::new(200).set_body_string(r#"{"ok": true, "members": [{"id": "U1", "na"#);
        }
        ok(json!({"members": [{"id": "U1", "name": "a"}], "response_metadata": {"next_cursor": ""}}))
    }
}

#[tokio::test]
async fn a_body_cut_off_mid_way_is_retried_not_taken_for_a_limit() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path("/users.list")).respond_with(CutOff(AtomicUsize::new(0))).mount(&server).await;
    let api = SlackApi::new(&server.uri(), "xoxp-test");
    let v = api.call("users.list", &[]).await.unwrap();
    assert_eq!(v["members"][0]["id"], "U1");
    assert_eq!(server.received_requests().await.unwrap().len(), 2, "retried once");
}
