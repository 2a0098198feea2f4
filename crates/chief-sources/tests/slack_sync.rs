//! Slack sync against a stateful mock of the Web API: pagination, 429 with
//! Retry-After, not_in_channel, revoked tokens, idempotent re-syncs, and a reply that
//! arrives under a thread after its parent was synced.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chief_sources::connector::{SyncOptions, no_progress};
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
