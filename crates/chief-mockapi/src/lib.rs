//! A local, stateful Slack Web API, GitHub REST API and Jira Cloud REST API over a
//! [`World`], for the demo
//! (`chief demo` syncs its workspace through the real connectors), the connector
//! tests (faults: 429 with `Retry-After`, 5xx bursts, stalls, expired cursors, a token
//! revoked mid-sync, an exhausted quota) and `chief bench sync` (latency per request).
//!
//! Slack lives under `/slack/api/<method>`, GitHub under `/github/...`, Jira under
//! `/jira/rest/api/3/...`. Responses follow the official shapes: Slack errors are HTTP
//! 200 with `ok: false`, paging is `response_metadata.next_cursor`; GitHub pages with
//! `Link` headers, sends ETags and answers `If-None-Match` with 304, and reports
//! `x-ratelimit-*`; Jira takes Basic auth (email and API token), pages the issue
//! search with `nextPageToken` and answers a rate limit with 429 and `Retry-After`.

mod github;
mod google;
mod jira;
mod slack;
mod synthetic;
pub mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Response, Uri};
use base64::Engine as _;

pub use world::{
    DEMO_TOKEN, GithubWorld, GoogleWorld, JiraWorld, RepoData, SlackWorld, Synthetic, World, jira_time, ts_key,
};

/// What the mock grants a token: every scope Chief asks for.
pub use chief_core::scopes::{GITHUB as GITHUB_SCOPES, SLACK as SLACK_SCOPES};

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("mock data: {0}")]
    Data(String),
    #[error("mock server: {0}")]
    Io(#[from] std::io::Error),
}

/// Faults the mock plays out; counters count requests from when they are set.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Added to every response.
    pub latency: Duration,
    /// Every n-th request is answered 429 with `Retry-After: retry_after_secs`.
    pub rate_limit_every: u32,
    pub retry_after_secs: u64,
    /// The next n requests get a 503.
    pub server_errors: u32,
    /// The next n requests hang this long before answering.
    pub stalls: u32,
    pub stall_for: Duration,
    /// After n more requests the token is revoked (Slack `token_revoked`, GitHub 401).
    pub revoke_after: Option<u32>,
    /// GitHub answers 403 with `x-ratelimit-remaining: 0` until this Unix second.
    pub github_quota_until: Option<u64>,
    /// After n more requests every page cursor handed out so far expires.
    pub expire_cursors_after: Option<u32>,
}

/// One request the mock saw (never its credentials).
#[derive(Debug, Clone)]
pub struct Recorded {
    pub service: &'static str,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub status: u16,
    /// Slack's `error` when it answered `ok: false`.
    pub error: Option<String>,
}

struct Shared {
    world: Mutex<World>,
    faults: Mutex<Faults>,
    log: Mutex<Vec<Recorded>>,
    /// Page cursors carry this generation; bumping it expires them.
    cursor_gen: Mutex<u64>,
    requests: Mutex<u64>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A running mock server.
pub struct MockApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockApi {
    /// Serves `world` on 127.0.0.1 (a free port) from the current tokio runtime.
    pub async fn start(world: World) -> Result<MockApi, MockError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let (api, serve) = Self::prepare(world, listener)?;
        tokio::spawn(serve);
        Ok(api)
    }

    /// Serves `world` from a thread of its own, for callers without a runtime.
    pub fn start_background(world: World) -> Result<MockApi, MockError> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new().name("chief-mockapi".into()).spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(MockError::Io(e)));
                    return;
                }
            };
            rt.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = tx.send(Err(MockError::Io(e)));
                        return;
                    }
                };
                match Self::prepare(world, listener) {
                    Ok((api, serve)) => {
                        let _ = tx.send(Ok(api));
                        serve.await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        })?;
        let mut api = rx.recv().map_err(|_| MockError::Data("mock server thread ended".into()))??;
        api.thread = Some(thread);
        Ok(api)
    }

    fn prepare(
        world: World,
        listener: tokio::net::TcpListener,
    ) -> Result<(MockApi, impl std::future::Future<Output = ()> + Send + 'static), MockError> {
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            faults: Mutex::new(Faults::default()),
            log: Mutex::new(Vec::new()),
            cursor_gen: Mutex::new(1),
            requests: Mutex::new(0),
        });
        let app = axum::Router::new().fallback(handle).with_state(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serve = async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        };
        Ok((MockApi { addr, shared, shutdown: Some(tx), thread: None }, serve))
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The Slack Web API root (`.../slack/api`).
    pub fn slack_base(&self) -> String {
        format!("{}/slack/api", self.url())
    }

    /// The GitHub REST root.
    pub fn github_base(&self) -> String {
        format!("{}/github", self.url())
    }

    /// The Jira site root (`.../jira`), what `[sources.jira] api_base` points at.
    pub fn jira_base(&self) -> String {
        format!("{}/jira", self.url())
    }

    /// The Google API root (`.../google`): Calendar, Drive and Gmail under it.
    pub fn google_base(&self) -> String {
        format!("{}/google", self.url())
    }

    /// Google's OAuth consent page and token endpoint on this mock.
    pub fn google_oauth(&self) -> (String, String) {
        (format!("{}/google/oauth/auth", self.url()), format!("{}/google/oauth/token", self.url()))
    }

    /// Reads or changes the served data.
    pub fn world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut lock(&self.shared.world))
    }

    /// Sets faults.
    pub fn faults<R>(&self, f: impl FnOnce(&mut Faults) -> R) -> R {
        f(&mut lock(&self.shared.faults))
    }

    /// Makes every page cursor handed out so far invalid.
    pub fn expire_cursors(&self) {
        *lock(&self.shared.cursor_gen) += 1;
    }

    /// The requests seen so far.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.log).clone()
    }

    /// How many requests were answered.
    pub fn request_count(&self) -> u64 {
        *lock(&self.shared.requests)
    }
}

impl Drop for MockApi {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What a handler decided.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub(crate) fn json(status: u16, v: &serde_json::Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json; charset=utf-8".into())],
            body: v.to_string(),
        }
    }
    pub(crate) fn header(mut self, k: &str, v: impl Into<String>) -> Reply {
        self.headers.push((k.to_string(), v.into()));
        self
    }
}

/// Request facts the handlers need.
pub(crate) struct Req {
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub host: String,
    pub body: Vec<u8>,
}

impl Req {
    pub(crate) fn param(&self, k: &str) -> Option<&str> {
        self.query.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
    }
    pub(crate) fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).and_then(|v| v.to_str().ok())
    }
}

pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(q.unwrap_or("").as_bytes()).into_owned().collect()
}

enum Gate {
    Pass,
    Reply(Reply),
}

/// Applies the configured faults to one request.
async fn faults_gate(shared: &Shared, service: &'static str) -> (Gate, bool) {
    let (latency, stall, gate, revoked) = {
        let mut f = lock(&shared.faults);
        let n = {
            let mut c = lock(&shared.requests);
            *c += 1;
            *c
        };
        let stall = if f.stalls > 0 {
            f.stalls -= 1;
            Some(f.stall_for)
        } else {
            None
        };
        if let Some(k) = f.expire_cursors_after.as_mut() {
            if *k == 0 {
                f.expire_cursors_after = None;
                *lock(&shared.cursor_gen) += 1;
            } else {
                *k -= 1;
            }
        }
        let revoked = match f.revoke_after.as_mut() {
            Some(0) => {
                f.revoke_after = None;
                true
            }
            Some(k) => {
                *k -= 1;
                false
            }
            None => false,
        };
        let gate = if f.server_errors > 0 {
            f.server_errors -= 1;
            Gate::Reply(Reply { status: 503, headers: vec![], body: "Service Unavailable".into() })
        } else if f.rate_limit_every > 0 && n % u64::from(f.rate_limit_every) == 0 {
            let (status, body) = match service {
                "slack" => (429, serde_json::json!({"ok": false, "error": "ratelimited"})),
                "jira" => (429, serde_json::json!({"errorMessages": ["Rate limit exceeded."], "errors": {}})),
                "google" => (
                    429,
                    serde_json::json!({"error": {"code": 429, "message": "Rate Limit Exceeded", "errors": [{"reason": "rateLimitExceeded"}]}}),
                ),
                _ => (403, serde_json::json!({"message": "You have exceeded a secondary rate limit."})),
            };
            Gate::Reply(Reply::json(status, &body).header("retry-after", f.retry_after_secs.to_string()))
        } else {
            Gate::Pass
        };
        (f.latency, stall, gate, revoked)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(d) = stall {
        tokio::time::sleep(d).await;
    }
    (gate, revoked)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response<Body> {
    let path = uri.path().to_string();
    let service: &'static str = if path.starts_with("/slack/") {
        "slack"
    } else if path.starts_with("/github/") || path == "/github" {
        "github"
    } else if path.starts_with("/jira/") {
        "jira"
    } else if path.starts_with("/google/") {
        "google"
    } else {
        "none"
    };
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1").to_string();
    let req = Req { path: path.clone(), query: parse_query(uri.query()), headers, host, body: body.to_vec() };
    let (gate, revoked) = faults_gate(&shared, service).await;
    if revoked {
        lock(&shared.world).token = format!("revoked-{}", now_secs());
    }
    let reply = match gate {
        Gate::Reply(r) => r,
        Gate::Pass => {
            let (token, jira_basic) = {
                let w = lock(&shared.world);
                let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", w.jira.email, w.token));
                (w.token.clone(), format!("Basic {basic}"))
            };
            let authorized = if service == "jira" {
                req.header("authorization").is_some_and(|a| a == jira_basic)
            } else {
                req.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).is_some_and(|t| t == token)
            };
            let generation = *lock(&shared.cursor_gen);
            match service {
                "slack" => slack::handle(&shared.world, &req, authorized, generation),
                "github" => github::handle(&shared.world, &shared.faults, &req, authorized),
                "jira" => jira::handle(&lock(&shared.world).jira, &req, method.as_str(), authorized, generation),
                "google" => {
                    let bearer =
                        req.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).map(str::to_string);
                    let mut w = lock(&shared.world);
                    google::handle(&mut w.google, &req, method.as_str(), bearer.as_deref(), &token)
                }
                _ => Reply::json(404, &serde_json::json!({"message": "Not Found"})),
            }
        }
    };
    tracing::debug!(service, %path, status = reply.status, "mock request");
    let error = (service == "slack")
        .then(|| serde_json::from_str::<serde_json::Value>(&reply.body).ok())
        .flatten()
        .filter(|v| v["ok"] == false)
        .and_then(|v| v["error"].as_str().map(str::to_string));
    lock(&shared.log).push(Recorded {
        service,
        method: method.to_string(),
        path,
        query: req.query,
        status: reply.status,
        error,
    });
    let mut b = Response::builder().status(reply.status);
    for (k, v) in &reply.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(Body::from(reply.body)).unwrap_or_else(|_| Response::new(Body::empty()))
}
