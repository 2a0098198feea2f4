//! Live GitHub sync over the REST API (a personal access token): per repository,
//! issues and pull requests updated since a cursor, and their comments, following
//! `Link: rel="next"` only. Rate limits: `Retry-After` on secondary limits, and when
//! `x-ratelimit-remaining` reaches 0 the governor waits for `x-ratelimit-reset`.
//! Each page and the repository's cursor commit together.

use std::time::Duration;

use chief_core::{Identity, IdentityKind, Timestamp};
use chief_store::Store;
use serde_json::{Value, json};

use crate::connector::{BoxFuture, Connector, ConnectorError, Progress, SourceReport, SyncCtx, SyncEvent, SyncOptions};
use crate::github::{CommentKind, comment_to_item, issue_to_item, repo_to_container, review_to_item};
use crate::governor::{Governor, backoff};

/// The cursor source name for live GitHub sync.
pub const CURSOR_SOURCE: &str = "github";

/// Longest wait for a rate-limit reset inside one run; longer waits end the run and
/// the next one resumes from the cursors.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// Sync failures, classified.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error("GitHub rejected the token (HTTP {0}); reconnect with `chief connect github`")]
    Auth(u16),
    #[error("GitHub rate limit resets in {0:?}, beyond this run's patience; the next sync resumes from its cursors")]
    Parked(Duration),
    #[error("GitHub {path}: {message}")]
    Transient { path: String, message: String },
    #[error("GitHub {path}: HTTP {status}")]
    Http { path: String, status: u16 },
    #[error("{0}")]
    Invalid(String),
    /// A response or a paging loop went past Chief's limits (body size, page count).
    #[error("GitHub {0}")]
    Limit(String),
    #[error(transparent)]
    Store(#[from] chief_store::StoreError),
}

/// One response: the JSON (None for 304 Not Modified), the next page, the ETag.
#[derive(Debug, Clone)]
pub struct Page {
    pub value: Option<Value>,
    pub next: Option<String>,
    pub etag: Option<String>,
    /// `x-oauth-scopes` of a classic token.
    pub scopes: Option<String>,
}

/// A GitHub REST client with a governor for the core rate limit.
pub struct GithubApi {
    http: reqwest::Client,
    base: String,
    token: String,
    core: Governor,
    timeout: Duration,
    limits: crate::connector::Limits,
}

/// `scheme://host[:port]` of a URL (lower case).
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{}://{}", scheme.to_lowercase(), host.to_lowercase())
}

fn next_link(link: &str) -> Option<String> {
    link.split(',').find(|part| part.contains("rel=\"next\"")).and_then(|part| {
        let start = part.find('<')? + 1;
        let end = part.find('>')?;
        Some(part[start..end].to_string())
    })
}

impl GithubApi {
    /// `base` is the API root (`https://api.github.com`, `https://HOST/api/v3`, a mock).
    pub fn new(base: &str, token: &str) -> Self {
        GithubApi {
            // No redirects: the token header must never follow a redirect to another host.
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap_or_default(),
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            core: Governor::new(Duration::ZERO),
            timeout: Duration::from_secs(30),
            limits: crate::connector::Limits::default(),
        }
    }

    /// Sets the largest response body and the most pages one paging loop reads.
    pub fn with_limits(mut self, limits: crate::connector::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Follows a `next` link under `guard`: `None` at the last page, an error when the
    /// server keeps paging past the limit or repeats itself.
    fn follow(
        &self,
        guard: &mut crate::connector::PageGuard,
        next: Option<String>,
    ) -> Result<Option<String>, GithubError> {
        match next {
            Some(n) => guard.next(&n).map(|()| Some(n)).map_err(GithubError::Limit),
            None => Ok(None),
        }
    }

    /// Sets the per-request timeout (a stalled request is retried).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// GETs a path (or an absolute `next` URL); returns the JSON and the next page's URL.
    pub async fn get(&self, url: &str) -> Result<(Value, Option<String>), GithubError> {
        let p = self.get_page(url, None).await?;
        Ok((p.value.unwrap_or(Value::Null), p.next))
    }

    /// GETs with `If-None-Match: etag`; a 304 comes back as `value: None`.
    pub async fn get_page(&self, url: &str, etag: Option<&str>) -> Result<Page, GithubError> {
        let full = if url.starts_with("http") { url.to_string() } else { format!("{}{url}", self.base) };
        // Pagination links come from the server: the token only goes to the API's own origin.
        if origin(&full) != origin(&self.base) {
            return Err(GithubError::Invalid(format!(
                "a link from the API points to another host ({}); the token is not sent there",
                origin(&full)
            )));
        }
        let path = url.split('?').next().unwrap_or(url).to_string();
        for attempt in 1..=5u32 {
            self.core.wait().await;
            tracing::debug!(%path, attempt, "github request");
            let mut req = self.http.get(&full);
            if let Some(tag) = etag {
                req = req.header("if-none-match", tag);
            }
            let resp = req
                .bearer_auth(&self.token)
                .header("accept", "application/vnd.github+json")
                .header("user-agent", "chief")
                .header("x-github-api-version", "2022-11-28")
                .timeout(self.timeout)
                .send()
                .await;
            let resp = match resp {
                Ok(r) => r,
                Err(e) if attempt < 5 => {
                    self.core.defer(backoff(attempt, Duration::from_millis(500), Duration::from_secs(60))).await;
                    tracing::info!(%path, attempt, error = %e.without_url(), "github request failed; retrying");
                    continue;
                }
                Err(e) => return Err(GithubError::Transient { path, message: e.without_url().to_string() }),
            };
            let status = resp.status().as_u16();
            let h = resp.headers();
            let header = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
            let retry_after = header("retry-after").as_deref().and_then(chief_core::time::parse_retry_after);
            let remaining = header("x-ratelimit-remaining").and_then(|v| v.parse::<u64>().ok());
            let reset = header("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok()).map(|epoch| {
                let now = chief_core::Timestamp::now().0 / 1000;
                Duration::from_secs(epoch.saturating_sub(now).max(0) as u64 + 1).min(chief_core::time::MAX_RETRY_AFTER)
            });
            let next = header("link").and_then(|l| next_link(&l));
            let tag = header("etag");
            let scopes = header("x-oauth-scopes");
            if status == 304 {
                tracing::info!(%path, "github not modified");
                return Ok(Page { value: None, next: None, etag: tag, scopes });
            }
            if status == 401 {
                return Err(GithubError::Auth(status));
            }
            if status == 403 || status == 429 {
                let wait = retry_after.or(if remaining == Some(0) { reset } else { None });
                match wait {
                    Some(w) if w > MAX_WAIT => return Err(GithubError::Parked(w)),
                    Some(w) => {
                        tracing::info!(%path, wait_ms = w.as_millis() as u64, "github rate limit");
                        self.core.defer(w).await;
                        continue;
                    }
                    None if status == 403 => return Err(GithubError::Auth(status)),
                    None => {
                        self.core.defer(backoff(attempt, Duration::from_secs(60), MAX_WAIT)).await;
                        continue;
                    }
                }
            }
            if status >= 500 {
                tracing::info!(%path, attempt, status, "github server error; retrying");
                self.core.defer(backoff(attempt, Duration::from_millis(500), Duration::from_secs(60))).await;
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(GithubError::Http { path, status });
            }
            // The quota is spent: the next request waits for the reset.
            if let (Some(0), Some(r)) = (remaining, reset) {
                if r > MAX_WAIT {
                    return Err(GithubError::Parked(r));
                }
                self.core.defer(r).await;
            }
            let v = match crate::connector::read_json(resp, self.limits.max_body).await {
                Ok(v) => v,
                Err(crate::connector::BodyError::TooLarge(message)) => {
                    return Err(GithubError::Limit(format!("{path}: {message}")));
                }
                // A body cut off mid-way is retried like a failed request.
                Err(crate::connector::BodyError::Unreadable(message)) if attempt < 5 => {
                    tracing::info!(%path, attempt, %message, "github response unreadable; retrying");
                    self.core.defer(backoff(attempt, Duration::from_millis(500), Duration::from_secs(60))).await;
                    continue;
                }
                Err(crate::connector::BodyError::Unreadable(message)) => {
                    return Err(GithubError::Transient { path, message });
                }
            };
            return Ok(Page { value: Some(v), next, etag: tag, scopes });
        }
        Err(GithubError::Transient { path, message: "gave up after 5 attempts".into() })
    }
}

impl From<GithubError> for ConnectorError {
    fn from(e: GithubError) -> Self {
        match e {
            GithubError::Auth(_) => ConnectorError::Auth(e.to_string()),
            GithubError::Parked(d) => ConnectorError::Parked {
                resume_at: Timestamp(Timestamp::now().0 + d.as_millis() as i64),
                message: e.to_string(),
            },
            GithubError::Transient { .. } | GithubError::Http { .. } | GithubError::Limit(_) => {
                ConnectorError::Transient(e.to_string())
            }
            GithubError::Invalid(m) => ConnectorError::Invalid(m),
            GithubError::Store(s) => ConnectorError::Store(s),
        }
    }
}

/// GitHub through the REST API with a token.
pub struct GithubConnector {
    api: GithubApi,
    /// `owner/name`; empty: the repositories of the user's recent activity.
    repos: Vec<String>,
}

impl GithubConnector {
    pub fn new(api: GithubApi, repos: Vec<String>) -> Self {
        GithubConnector { api, repos }
    }
}

impl Connector for GithubConnector {
    fn source(&self) -> &'static str {
        CURSOR_SOURCE
    }

    fn sync<'a>(&'a self, ctx: SyncCtx<'a>) -> BoxFuture<'a, Result<SourceReport, ConnectorError>> {
        Box::pin(async move { Ok(sync(ctx.store, &self.api, &self.repos, ctx.options, ctx.progress).await?) })
    }
}

/// How far back repository discovery looks for the user's activity.
const DISCOVERY_DAYS: i64 = 90;

/// The record streams of a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Issues,
    Pulls,
    IssueComments,
    ReviewComments,
}

impl Stream {
    const ALL: [Stream; 4] = [Stream::Issues, Stream::Pulls, Stream::IssueComments, Stream::ReviewComments];
    fn name(self) -> &'static str {
        match self {
            Stream::Issues => "issues",
            Stream::Pulls => "pulls",
            Stream::IssueComments => "issue_comments",
            Stream::ReviewComments => "review_comments",
        }
    }
    fn endpoint(self) -> &'static str {
        match self {
            Stream::Issues => "issues?state=all&sort=updated&direction=asc",
            // No `since` on pulls: newest first, stop at the cursor.
            Stream::Pulls => "pulls?state=all&sort=updated&direction=desc",
            Stream::IssueComments => "issues/comments?sort=updated&direction=asc",
            Stream::ReviewComments => "pulls/comments?sort=updated&direction=asc",
        }
    }
    fn from_name(s: &str) -> Option<Stream> {
        Stream::ALL.into_iter().find(|x| x.name() == s)
    }
    fn convert(self, repo: &str, v: &Value) -> Result<chief_core::Item, String> {
        match self {
            Stream::Issues | Stream::Pulls => issue_to_item(repo, v),
            Stream::IssueComments => comment_to_item(repo, CommentKind::Issue, v),
            Stream::ReviewComments => comment_to_item(repo, CommentKind::Review, v),
        }
    }
    fn key(self, v: &Value) -> String {
        let id = v["number"]
            .as_u64()
            .filter(|_| matches!(self, Stream::Issues | Stream::Pulls))
            .or(v["id"].as_u64())
            .map(|n| n.to_string());
        format!("{}:{}", self.name(), id.unwrap_or_else(|| crate::file_hash(v.to_string().as_bytes())))
    }
}

fn iso_ms(ms: i64) -> String {
    Timestamp(ms).to_rfc3339()
}

/// Syncs GitHub: who the token is, the repositories (configured or discovered),
/// per repository issues, pull requests (full records, reviews of those that
/// moved), issue and review comments; items that involve the user elsewhere.
pub async fn sync(
    store: &mut Store,
    api: &GithubApi,
    repos: &[String],
    options: &SyncOptions,
    progress: &Progress,
) -> Result<SourceReport, GithubError> {
    let mut report = SourceReport { source: CURSOR_SOURCE.into(), ..SourceReport::default() };
    progress(&SyncEvent::Started { source: CURSOR_SOURCE.into() });
    let me = api.get_page("/user", None).await?.value.unwrap_or(Value::Null);
    let login =
        me["login"].as_str().ok_or_else(|| GithubError::Invalid("GET /user returned no login".into()))?.to_string();
    let account = login.to_lowercase();
    report.account = account.clone();
    store.record_me(&Identity::new(IdentityKind::Github, &login), "github GET /user", options.now.0)?;
    for r in repos {
        if r.split('/').count() != 2 || r.split('/').any(str::is_empty) {
            return Err(GithubError::Invalid(format!(
                "{r:?} is not owner/name; fix [sources.github] containers in chief.toml"
            )));
        }
    }
    let (involved, discovered, search_cursor) = involved(store, api, &account, &login, options).await?;
    let targets: Vec<String> = if repos.is_empty() { discovered } else { repos.to_vec() };
    // What involves the user in repositories not synced here is stored on its own, in
    // one transaction with the search's cursor: a crash between them loses nothing.
    {
        let lower: std::collections::HashSet<String> = targets.iter().map(|r| r.to_lowercase()).collect();
        let w = store.writer()?;
        for (repo, v) in involved.iter().filter(|(r, _)| !lower.contains(&r.to_lowercase())) {
            if let Ok(item) = issue_to_item(repo, v) {
                report.count(w.upsert_item(&item)?);
            }
        }
        w.set_cursor(CURSOR_SOURCE, &account, "_search", &search_cursor)?;
        w.commit()?;
    }
    report.containers = targets.len();
    let mut known = store.known_identities("github")?;
    for (i, repo) in targets.iter().enumerate() {
        progress(&SyncEvent::Container {
            source: CURSOR_SOURCE.into(),
            container: repo.clone(),
            done: i,
            total: targets.len(),
        });
        // One repository past the limits must not starve the others; its cursors keep
        // what was read, and the next run goes on from there.
        let synced = match sync_repo(store, api, &account, repo, &mut known, options, progress, &mut report).await {
            Err(GithubError::Limit(error)) => Err(error),
            other => other.map(|()| Ok(()))?,
        };
        let reconciled = match synced {
            Ok(()) if options.reconcile => match reconcile_repo(store, api, repo, &mut report).await {
                Err(GithubError::Limit(error)) => Err(error),
                other => other.map(|()| Ok(()))?,
            },
            other => other,
        };
        if let Err(error) = reconciled {
            tracing::warn!(%repo, %error, "github repository cut short");
            report.skipped.push((repo.to_string(), error));
        }
    }
    report.reconciled = options.reconcile;
    retry_failures(store, &account, &mut report)?;
    Ok(report)
}

/// `search/issues?q=involves:LOGIN updated:>=DATE`: what concerns the user, with the
/// repository each hit is in. The window starts at the last search (or 90 days ago).
type Involved = (Vec<(String, Value)>, Vec<String>, Value);

async fn involved(
    store: &mut Store,
    api: &GithubApi,
    account: &str,
    login: &str,
    options: &SyncOptions,
) -> Result<Involved, GithubError> {
    let key = "_search";
    let cursor = store.cursor(CURSOR_SOURCE, account, key)?.unwrap_or_else(|| json!({}));
    let floor = options.cutoff().map(|c| c.0).unwrap_or(0).max(options.now.0 - DISCOVERY_DAYS * 86_400_000);
    let since = cursor["since"].as_str().map(str::to_string).unwrap_or_else(|| iso_ms(floor));
    // Repositories found by earlier searches stay; this search adds to them.
    let mut repos: std::collections::BTreeSet<String> =
        cursor["repos"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
    let mut hits: Vec<(String, Value)> = Vec::new();
    let day = since.get(..10).unwrap_or(&since);
    let mut url = format!("/search/issues?q=involves:{login}+updated:>={day}&sort=updated&order=desc&per_page=100");
    let mut guard = api.limits.pages();
    loop {
        let page = api.get_page(&url, None).await?;
        for hit in page.value.as_ref().and_then(|v| v["items"].as_array()).into_iter().flatten() {
            if let Some(repo) = hit["repository_url"].as_str().and_then(|u| u.split("/repos/").nth(1)) {
                repos.insert(repo.to_string());
                hits.push((repo.to_string(), hit.clone()));
            }
        }
        match api.follow(&mut guard, page.next)? {
            Some(n) => url = n,
            None => break,
        }
    }
    // The caller commits this cursor in the same transaction as the hits it stores.
    let next = json!({"since": iso_ms(options.now.0 - 86_400_000), "repos": repos});
    Ok((hits, repos.into_iter().collect(), next))
}

#[allow(clippy::too_many_arguments)]
async fn sync_repo(
    store: &mut Store,
    api: &GithubApi,
    account: &str,
    repo: &str,
    known: &mut std::collections::HashSet<String>,
    options: &SyncOptions,
    progress: &Progress,
    report: &mut SourceReport,
) -> Result<(), GithubError> {
    let meta_key = format!("{}/meta", repo.to_lowercase());
    let meta_cursor = store.cursor(CURSOR_SOURCE, account, &meta_key)?.unwrap_or_else(|| json!({}));
    // The repository record (name, description) via search, one request, with an ETag.
    let meta = api.get_page(&format!("/search/repositories?q=repo:{repo}"), meta_cursor["etag"].as_str()).await?;
    if let Some(found) = &meta.value {
        let Some(v) = found["items"]
            .as_array()
            .and_then(|i| i.iter().find(|r| r["full_name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(repo))))
        else {
            report.skipped.push((repo.to_string(), "not found or no access".into()));
            return Ok(());
        };
        let container = repo_to_container(v).map_err(GithubError::Invalid)?;
        let w = store.writer()?;
        w.upsert_container(&container)?;
        w.set_cursor(CURSOR_SOURCE, account, &meta_key, &json!({"etag": meta.etag}))?;
        w.commit()?;
    } else {
        report.not_modified += 1;
    }
    let floor = options.cutoff().map(|c| iso_ms(c.0)).unwrap_or_default();
    for stream in Stream::ALL {
        let key = format!("{}/{}", repo.to_lowercase(), stream.name());
        let mut cursor = store.cursor(CURSOR_SOURCE, account, &key)?.unwrap_or_else(|| json!({"since": ""}));
        let mut since = cursor["since"].as_str().unwrap_or("").to_string();
        if since < floor {
            since = floor.clone();
        }
        let mut url = format!("/repos/{repo}/{}&per_page=100", stream.endpoint());
        if !since.is_empty() && stream != Stream::Pulls {
            url.push_str(&format!("&since={since}"));
        }
        let mut etag =
            cursor["etag"].as_str().filter(|_| cursor["url"].as_str() == Some(url.as_str())).map(str::to_string);
        let first_url = url.clone();
        let mut first_etag = None;
        let mut newest = since.clone();
        let mut first = true;
        let mut guard = api.limits.pages();
        loop {
            let page = api.get_page(&url, etag.as_deref()).await?;
            let Some(value) = page.value else {
                report.not_modified += 1;
                break;
            };
            if first {
                first_etag = page.etag.clone();
            }
            first = false;
            etag = None;
            let list = value.as_array().cloned().unwrap_or_default();
            let people = people_of(api, known, &list).await?;
            let mut stop = false;
            let w = store.writer()?;
            for p in &people {
                w.upsert_person(p)?;
            }
            let mut stored = 0;
            for v in &list {
                let updated = v["updated_at"].as_str().unwrap_or("");
                if stream == Stream::Pulls && !since.is_empty() && updated < since.as_str() {
                    stop = true;
                    continue;
                }
                if stream == Stream::Issues && v.get("pull_request").is_some() {
                    continue; // PRs come from the pulls stream, as full records.
                }
                match stream.convert(repo, v) {
                    Ok(item) => {
                        report.count(w.upsert_item(&item)?);
                        stored += 1;
                    }
                    Err(e) => {
                        tracing::warn!(%repo, stream = stream.name(), error = %e, "github record not stored; recorded for retry");
                        w.record_failure(CURSOR_SOURCE, account, repo, &stream.key(v), &e, v)?;
                        report.failed += 1;
                    }
                }
                if updated > newest.as_str() {
                    newest = updated.to_string();
                }
                if stream == Stream::Pulls
                    && let Some(n) = v["number"].as_u64()
                {
                    let pending = cursor["pending_reviews"].as_array_mut();
                    match pending {
                        Some(p) => p.push(json!(n)),
                        None => cursor["pending_reviews"] = json!([n]),
                    }
                }
            }
            let done = page.next.is_none() || stop;
            // The window's start only moves after its last page: a run cut short
            // re-reads the window (upserts make that free), never skips ahead.
            if done {
                cursor["since"] = json!(newest);
                cursor["etag"] = json!(first_etag);
                cursor["url"] = json!(first_url);
            }
            w.set_cursor(CURSOR_SOURCE, account, &key, &cursor)?;
            w.commit()?;
            report.pages += 1;
            tracing::info!(%repo, stream = stream.name(), items = stored, "github page stored");
            progress(&SyncEvent::Page { source: CURSOR_SOURCE.into(), container: repo.to_string(), items: stored });
            match api.follow(&mut guard, page.next.filter(|_| !stop))? {
                Some(n) => url = n,
                None => break,
            }
        }
        if stream == Stream::Pulls {
            sync_reviews(store, api, account, repo, &key, report).await?;
        }
    }
    Ok(())
}

/// The people behind the logins of a page (authors, assignees, reviewers) not known
/// yet, from `/users/{login}`: their name and public email link them to the same
/// person in Slack, Jira and Calendar.
async fn people_of(
    api: &GithubApi,
    known: &mut std::collections::HashSet<String>,
    list: &[Value],
) -> Result<Vec<chief_core::PersonRecord>, GithubError> {
    let mut logins: Vec<String> = Vec::new();
    for v in list {
        let users = std::iter::once(&v["user"])
            .chain(v["assignees"].as_array().into_iter().flatten())
            .chain(v["requested_reviewers"].as_array().into_iter().flatten());
        for u in users {
            if let Some(l) = u["login"].as_str().map(str::to_lowercase)
                && u["type"].as_str() != Some("Bot")
                && !known.contains(&l)
                && !logins.contains(&l)
            {
                logins.push(l);
            }
        }
    }
    let mut out = Vec::new();
    for login in logins {
        known.insert(login.clone());
        match api.get(&format!("/users/{login}")).await {
            Ok((v, _)) => {
                if let Ok(p) = crate::github::user_to_person(&v) {
                    out.push(p);
                }
            }
            Err(GithubError::Http { status: 404, .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Reviews of the pull requests whose records moved; each PR's reviews and its
/// removal from the pending list commit together.
async fn sync_reviews(
    store: &mut Store,
    api: &GithubApi,
    account: &str,
    repo: &str,
    key: &str,
    report: &mut SourceReport,
) -> Result<(), GithubError> {
    loop {
        let mut cursor = store.cursor(CURSOR_SOURCE, account, key)?.unwrap_or_else(|| json!({}));
        let Some(n) = cursor["pending_reviews"].as_array().and_then(|p| p.first()).and_then(Value::as_u64) else {
            return Ok(());
        };
        let mut url = format!("/repos/{repo}/pulls/{n}/reviews?per_page=100");
        let mut all = Vec::new();
        let mut guard = api.limits.pages();
        loop {
            let (v, next) = match api.get(&url).await {
                Err(GithubError::Http { status: 404, .. }) => (json!([]), None),
                other => other?,
            };
            all.extend(v.as_array().cloned().unwrap_or_default());
            match api.follow(&mut guard, next)? {
                Some(u) => url = u,
                None => break,
            }
        }
        let w = store.writer()?;
        for v in &all {
            match review_to_item(repo, n, v) {
                Ok(item) => report.count(w.upsert_item(&item)?),
                Err(e) => {
                    w.record_failure(CURSOR_SOURCE, account, repo, &format!("review:{n}:{}", v["id"]), &e, v)?;
                    report.failed += 1;
                }
            }
        }
        if let Some(p) = cursor["pending_reviews"].as_array_mut() {
            p.retain(|x| x.as_u64() != Some(n));
        }
        w.set_cursor(CURSOR_SOURCE, account, key, &cursor)?;
        w.commit()?;
        report.pages += 1;
    }
}

/// Lists every issue, PR and comment of a repository and deletes stored ones that
/// are gone (reviews cannot be deleted once submitted and are kept).
async fn reconcile_repo(
    store: &mut Store,
    api: &GithubApi,
    repo: &str,
    report: &mut SourceReport,
) -> Result<(), GithubError> {
    let mut seen = std::collections::HashSet::new();
    for stream in [Stream::Issues, Stream::IssueComments, Stream::ReviewComments] {
        let mut url = format!("/repos/{repo}/{}&per_page=100", stream.endpoint());
        let mut guard = api.limits.pages();
        loop {
            let (v, next) = api.get(&url).await?;
            for x in v.as_array().into_iter().flatten() {
                if let Ok(item) = stream.convert(repo, x) {
                    seen.insert(item.id.as_str().to_string());
                }
            }
            match api.follow(&mut guard, next)? {
                Some(n) => url = n,
                None => break,
            }
        }
    }
    let container = crate::github::repo_container_id(repo);
    let stored = store.live_ids_in(container.as_str(), Timestamp(0), Timestamp(i64::MAX))?;
    let w = store.writer()?;
    report.deleted +=
        w.delete_ids(stored.iter().map(String::as_str).filter(|id| !seen.contains(*id) && !id.contains("/review/")))?;
    w.commit()?;
    Ok(())
}

/// The item a failure key (`issues:7`, `issue_comments:99`, `review:7:5`) stands for.
fn failure_item_id(repo: &str, key: &str) -> Option<chief_core::ItemId> {
    let (stream, rest) = key.split_once(':')?;
    let native = |tag: &str, id: &str| crate::github::record_id(repo, tag, id);
    match stream {
        "issues" | "pulls" => rest.parse().ok().map(|n| crate::github::issue_id(repo, n)),
        "issue_comments" => Some(native("comment", rest)),
        "review_comments" => Some(native("review-comment", rest)),
        "review" => rest.split_once(':').map(|(_, id)| native("review", id)),
        _ => None,
    }
}

/// Converts the payloads of earlier failures again.
fn retry_failures(store: &mut Store, account: &str, report: &mut SourceReport) -> Result<(), GithubError> {
    let failures = store.sync_failures(Some(CURSOR_SOURCE))?;
    if failures.is_empty() {
        return Ok(());
    }
    let w = store.writer()?;
    for f in failures.iter().filter(|f| f.account == account) {
        let converted = match f.item_key.split_once(':') {
            Some(("review", rest)) => {
                rest.split(':').next().and_then(|n| n.parse().ok()).map(|n| review_to_item(&f.container, n, &f.payload))
            }
            Some((stream, _)) => Stream::from_name(stream).map(|s| s.convert(&f.container, &f.payload)),
            None => None,
        };
        match converted {
            Some(Ok(item)) => {
                report.count(w.upsert_item(&item)?);
                w.clear_failure(CURSOR_SOURCE, account, &f.container, &f.item_key)?;
                report.recovered += 1;
            }
            None => {
                w.clear_failure(CURSOR_SOURCE, account, &f.container, &f.item_key)?;
            }
            // Still unreadable, unless a later, readable version of it was stored since.
            Some(Err(_)) => {
                if failure_item_id(&f.container, &f.item_key).is_some_and(|id| w.item_exists(&id).unwrap_or(false)) {
                    w.clear_failure(CURSOR_SOURCE, account, &f.container, &f.item_key)?;
                    report.recovered += 1;
                }
            }
        }
    }
    w.commit()?;
    Ok(())
}

#[cfg(test)]
mod origin_tests {
    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert_eq!(super::origin("https://API.github.com/repos/x?page=2"), "https://api.github.com");
        assert_ne!(super::origin("https://api.github.com.evil.example/x"), super::origin("https://api.github.com"));
        assert_ne!(super::origin("http://127.0.0.1:9/x"), super::origin("http://127.0.0.1:8/x"));
    }
}
