//! GitHub sync against a mock serving octokit's recorded 5-page pagination fixture
//! (Link headers rewritten to the mock), a primary rate limit, and a revoked token.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chief_sources::connector::{Limits, SyncOptions, no_progress};
use chief_sources::github_sync::{GithubApi, GithubError, sync};
use chief_store::Store;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn fixture() -> Vec<Value> {
    let root = std::env::var_os("CHIEF_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let p = root.join("data/api-payloads/github/octokit-fixtures/paginate-issues/normalized-fixture.json");
    serde_json::from_slice(
        &std::fs::read(&p).unwrap_or_else(|e| panic!("shared fixture {} is required: {e}", p.display())),
    )
    .unwrap()
}

/// The repo's metadata (via search); the first call hits an exhausted quota that resets in 1 s.
struct RepoMeta(AtomicUsize);

impl Respond for RepoMeta {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            let reset = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 1;
            return ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .set_body_json(json!({"message": "API rate limit exceeded"}));
        }
        ResponseTemplate::new(200).set_body_json(json!({"total_count": 1, "items": [{"full_name": "octokit-fixture-org/paginate-issues", "description": "fixture"}]}))
    }
}

/// `GET /user` (login "me") and a discovery search that finds nothing.
async fn mount_user_and_empty_search(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"login": "me"})))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/search/issues"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total_count": 0, "items": []})))
        .mount(server)
        .await;
}

async fn mock() -> MockServer {
    let server = MockServer::start().await;
    let uri = server.uri();
    Mock::given(method("GET"))
        .and(path("/search/repositories"))
        .respond_with(RepoMeta(AtomicUsize::new(0)))
        .mount(&server)
        .await;
    for (i, page) in fixture().into_iter().enumerate() {
        let link = page["headers"]["link"].as_str().unwrap_or("").replace("https://api.github.com", &uri);
        let resp =
            ResponseTemplate::new(200).insert_header("link", link.as_str()).set_body_json(page["response"].clone());
        if i == 0 {
            Mock::given(method("GET"))
                .and(path("/repos/octokit-fixture-org/paginate-issues/issues"))
                .respond_with(resp)
                .mount(&server)
                .await;
        } else {
            Mock::given(method("GET"))
                .and(path("/repositories/1000/issues"))
                .and(query_param("page", (i + 1).to_string().as_str()))
                .respond_with(resp)
                .mount(&server)
                .await;
        }
    }
    mount_user_and_empty_search(&server).await;
    for p in [
        "/repos/octokit-fixture-org/paginate-issues/issues/comments",
        "/repos/octokit-fixture-org/paginate-issues/pulls/comments",
        "/repos/octokit-fixture-org/paginate-issues/pulls",
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .mount(&server)
            .await;
    }
    server
}

#[tokio::test]
async fn five_pages_via_link_headers_a_rate_limit_and_an_idempotent_resync() {
    let server = mock().await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("chief.db")).unwrap();
    let api = GithubApi::new(&server.uri(), "ghp_test_token_value");
    let repos = vec!["octokit-fixture-org/paginate-issues".to_string()];
    let t = Instant::now();
    let r = sync(&mut store, &api, &repos, &SyncOptions::default(), &no_progress()).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(900), "waited for the rate-limit reset");
    let expected: usize = fixture().iter().map(|p| p["response"].as_array().map_or(0, Vec::len)).sum();
    assert_eq!(expected, 13);
    assert_eq!(r.inserted, expected, "{r:?}");
    assert_eq!(r.pages, 5 + 3, "5 issue pages, 1 each of comments, pulls, review comments");
    assert!(store.item("github:octokit-fixture-org/paginate-issues#13").unwrap().is_some());
    let cursor = store.cursor("github", "me", "octokit-fixture-org/paginate-issues/issues").unwrap().unwrap();
    assert!(!cursor["since"].as_str().unwrap().is_empty());
    // The same data again changes nothing.
    let seq = store.max_seq().unwrap();
    let again = sync(&mut store, &api, &repos, &SyncOptions::default(), &no_progress()).await.unwrap();
    assert_eq!((again.inserted, again.updated), (0, 0));
    assert_eq!(store.max_seq().unwrap(), seq);
}

#[tokio::test]
async fn a_revoked_token_is_an_auth_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"})))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("chief.db")).unwrap();
    let err = sync(
        &mut store,
        &GithubApi::new(&server.uri(), "ghp_x"),
        &["a/b".to_string()],
        &SyncOptions::default(),
        &no_progress(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, GithubError::Auth(401)), "{err}");
}

/// A repository whose issue pages never end (each a new page, or the same page again),
/// or whose first page is larger than the client accepts.
struct HostileIssues {
    uri: String,
    mode: &'static str,
}

impl Respond for HostileIssues {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let n: u64 = req.url.query_pairs().find(|(k, _)| k == "page").and_then(|(_, v)| v.parse().ok()).unwrap_or(1);
        let next = if self.mode == "fresh" { n + 1 } else { 2 };
        let link = format!("<{}/repos/a/hostile/issues?page={next}>; rel=\"next\"", self.uri);
        let body = if self.mode == "huge" { json!([{"title": "x".repeat(3 << 20)}]) } else { json!([]) };
        ResponseTemplate::new(200).insert_header("link", link.as_str()).set_body_json(body)
    }
}

#[tokio::test]
async fn paging_that_never_ends_a_repeated_page_or_a_huge_body_cuts_one_repository_short() {
    for (mode, expected) in
        [("fresh", "more than 20 pages"), ("same", "returned before"), ("huge", "larger than 1 MiB")]
    {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/search/repositories"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total_count": 2, "items": [
                {"full_name": "a/hostile", "description": ""}, {"full_name": "b/fine", "description": ""}]})))
            .mount(&server)
            .await;
        mount_user_and_empty_search(&server).await;
        Mock::given(method("GET"))
            .and(path("/repos/a/hostile/issues"))
            .respond_with(HostileIssues { uri: server.uri(), mode })
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .with_priority(10)
            .mount(&server)
            .await;
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("chief.db")).unwrap();
        let api = GithubApi::new(&server.uri(), "ghp_test").with_limits(Limits { max_body: 1 << 20, max_pages: 20 });
        let repos = vec!["a/hostile".to_string(), "b/fine".to_string()];
        let options = SyncOptions { reconcile: true, ..SyncOptions::default() };
        let r = sync(&mut store, &api, &repos, &options, &no_progress()).await.unwrap();
        assert_eq!(r.skipped.len(), 1, "{mode}: {r:?}");
        assert_eq!(r.skipped[0].0, "a/hostile");
        assert!(r.skipped[0].1.contains(expected), "{mode}: {:?}", r.skipped[0]);
        let requests = server.received_requests().await.unwrap();
        let hostile = requests.iter().filter(|q| q.url.path() == "/repos/a/hostile/issues").count();
        assert!(hostile <= 20, "{mode}: {hostile} requests");
        assert!(requests.iter().any(|q| q.url.path() == "/repos/b/fine/pulls"), "{mode}: the other repository synced");
    }
}
