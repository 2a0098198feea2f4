//! Live GitHub sync over the REST API (a personal access token): per repository,
//! issues and pull requests updated since a cursor, and their comments, following
//! `Link: rel="next"` only. Rate limits: `Retry-After` on secondary limits, and when
//! `x-ratelimit-remaining` reaches 0 the governor waits for `x-ratelimit-reset`.
//! Each page and the repository's cursor commit together.

use std::time::Duration;

use chief_store::{Store, Upsert};
use serde::Serialize;
use serde_json::{Value, json};

use crate::github::{CommentKind, comment_to_item, issue_to_item, repo_to_container};
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
    #[error(transparent)]
    Store(#[from] chief_store::StoreError),
}

/// A GitHub REST client with a governor for the core rate limit.
pub struct GithubApi {
    http: reqwest::Client,
    base: String,
    token: String,
    core: Governor,
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
        GithubApi { http: reqwest::Client::new(), base: base.trim_end_matches('/').to_string(), token: token.to_string(), core: Governor::new(Duration::ZERO) }
    }

    /// GETs a path (or an absolute `next` URL); returns the JSON and the next page's URL.
    pub async fn get(&self, url: &str) -> Result<(Value, Option<String>), GithubError> {
        let full = if url.starts_with("http") { url.to_string() } else { format!("{}{url}", self.base) };
        let path = url.split('?').next().unwrap_or(url).to_string();
        for attempt in 1..=5u32 {
            self.core.wait().await;
            tracing::debug!(%path, attempt, "github request");
            let resp = self
                .http
                .get(&full)
                .bearer_auth(&self.token)
                .header("accept", "application/vnd.github+json")
                .header("user-agent", "chief")
                .header("x-github-api-version", "2022-11-28")
                .timeout(Duration::from_secs(30))
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
            let retry_after = header("retry-after").and_then(|v| v.parse::<u64>().ok()).map(Duration::from_secs);
            let remaining = header("x-ratelimit-remaining").and_then(|v| v.parse::<u64>().ok());
            let reset = header("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok()).map(|epoch| {
                let now = chief_core::Timestamp::now().0 / 1000;
                Duration::from_secs((epoch - now).max(0) as u64 + 1)
            });
            let next = header("link").and_then(|l| next_link(&l));
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
            let v: Value = resp.json().await.map_err(|e| GithubError::Transient { path: path.clone(), message: format!("unreadable response: {}", e.without_url()) })?;
            return Ok((v, next));
        }
        Err(GithubError::Transient { path, message: "gave up after 5 attempts".into() })
    }
}

/// What a sync did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GithubReport {
    pub repos: usize,
    pub pages: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

fn count(u: Upsert, r: &mut GithubReport) {
    match u {
        Upsert::Inserted => r.inserted += 1,
        Upsert::Updated => r.updated += 1,
        Upsert::Unchanged => r.unchanged += 1,
    }
}

/// The cursor moves to the newest `updated_at` seen minus an overlap, so items
/// updated during the run are read again next time (upserts make that free).
fn advance(cursor: &str, v: &Value) -> String {
    let newest = v["updated_at"].as_str().unwrap_or("");
    if newest > cursor { newest.to_string() } else { cursor.to_string() }
}

/// Syncs `repos` (`owner/name`): issues and PRs, issue comments, review comments.
pub async fn sync(store: &mut Store, api: &GithubApi, account: &str, repos: &[String]) -> Result<GithubReport, GithubError> {
    let mut report = GithubReport::default();
    for repo in repos {
        if !repo.contains('/') {
            return Err(GithubError::Invalid(format!("{repo:?} is not owner/name")));
        }
        let (meta, _) = api.get(&format!("/repos/{repo}")).await?;
        let container = repo_to_container(&meta).map_err(GithubError::Invalid)?;
        {
            let w = store.writer()?;
            w.upsert_container(&container)?;
            w.commit()?;
        }
        for (stream, endpoint) in [("issues", "issues?state=all&sort=updated&direction=asc"), ("issue_comments", "issues/comments?sort=updated&direction=asc"), ("review_comments", "pulls/comments?sort=updated&direction=asc")] {
            let key = format!("{}/{stream}", repo.to_lowercase());
            let mut cursor = store.cursor(CURSOR_SOURCE, account, &key)?.unwrap_or_else(|| json!({"since": ""}));
            let since = cursor["since"].as_str().unwrap_or("").to_string();
            let mut url = format!("/repos/{repo}/{endpoint}&per_page=100");
            if !since.is_empty() {
                url.push_str(&format!("&since={since}"));
            }
            let mut newest = since.clone();
            loop {
                let (page, next) = api.get(&url).await?;
                let w = store.writer()?;
                for v in page.as_array().into_iter().flatten() {
                    let item = match stream {
                        "issues" => issue_to_item(repo, v),
                        "issue_comments" => comment_to_item(repo, CommentKind::Issue, v),
                        _ => comment_to_item(repo, CommentKind::Review, v),
                    }
                    .map_err(GithubError::Invalid)?;
                    count(w.upsert_item(&item)?, &mut report);
                    newest = advance(&newest, v);
                }
                // The window's start only moves after its last page: a run cut short
                // re-reads the window (upserts make that free), never skips ahead.
                if next.is_none() {
                    cursor = json!({"since": newest});
                }
                w.set_cursor(CURSOR_SOURCE, account, &key, &cursor)?;
                w.commit()?;
                report.pages += 1;
                match next {
                    Some(n) => url = n,
                    None => break,
                }
            }
        }
        report.repos += 1;
    }
    Ok(report)
}
