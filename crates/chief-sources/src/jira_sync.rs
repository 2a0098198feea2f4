//! Live Jira Cloud sync over the REST API v3 with an API token (Basic auth with the
//! account's email).
//!
//! - Who: `GET /rest/api/3/myself`.
//! - Projects: `GET /rest/api/3/project/search` (offset paging), for their names;
//!   configured project keys narrow the search.
//! - Delta: `GET /rest/api/3/search/jql` with `updated >= <epoch ms>` (never a quoted
//!   datetime: Jira reads those in the profile's time zone and skips updates),
//!   `ORDER BY updated ASC`, an explicit `fields` list (without one the enhanced search
//!   returns ids only) and `expand=changelog`, paged by `nextPageToken`. The retired
//!   `/rest/api/3/search` is never called.
//! - Comments beyond the page the search embeds: `GET /rest/api/3/issue/{id}/comment`.
//! - Each page and the cursor (the highest `updated` stored, the page token) commit
//!   together; an expired page token restarts the window from the cursor.
//! - Deletions: reconciliation lists every id (`fields=id`) and deletes the rest.
//! - 429/503 with `Retry-After` wait (or park the source when the wait is long);
//!   401/403 pause the source with what to do.

use std::collections::HashSet;
use std::time::Duration;

use chief_core::{Container, ContainerId, ContainerKind, Identity, IdentityKind, Source, Timestamp};
use chief_store::Store;
use serde_json::{Value, json};

use crate::connector::{BoxFuture, Connector, ConnectorError, Progress, SourceReport, SyncCtx, SyncEvent, SyncOptions};
use crate::governor::{Governor, backoff};
use crate::jira::{issue_people, issue_to_items, project_to_container, user_to_person};

/// The cursor source name for live Jira sync.
pub const CURSOR_SOURCE: &str = "jira";

/// The fields the search returns: everything the converter reads, and nothing else.
pub const FIELDS: &str = "summary,description,status,priority,issuetype,labels,project,parent,reporter,creator,assignee,created,updated,duedate,comment";

/// Issues per search page.
const PAGE: usize = 100;
/// Ids per reconciliation page (ids only are cheap).
const ID_PAGE: usize = 1000;
/// Comments per `/comment` page.
const COMMENT_PAGE: usize = 100;
/// How far below the cursor each delta re-reads (an update landing while a page was read).
const OVERLAP_MS: i64 = 2 * 60_000;
/// How far back the first sync goes without a retention setting.
const FIRST_WINDOW_DAYS: i64 = 365;
/// Longest wait for a rate limit inside one run.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// Sync failures, classified.
#[derive(Debug, thiserror::Error)]
pub enum JiraError {
    #[error(
        "Jira rejected the credentials (HTTP {0}); check [sources.jira] email and reconnect with `chief connect jira --email YOU@COMPANY.COM` (an API token from id.atlassian.com)"
    )]
    Auth(u16),
    #[error("Jira rate limit resets in {0:?}, beyond this run's patience; the next sync resumes from its cursor")]
    Parked(Duration),
    #[error("Jira {path}: {message}")]
    Transient { path: String, message: String },
    #[error("Jira {path}: HTTP {status}{detail}")]
    Http { path: String, status: u16, detail: String },
    #[error("{0}")]
    Invalid(String),
    #[error("Jira {0}")]
    Limit(String),
    #[error(transparent)]
    Store(#[from] chief_store::StoreError),
}

impl From<JiraError> for ConnectorError {
    fn from(e: JiraError) -> Self {
        match e {
            JiraError::Auth(_) => ConnectorError::Auth(e.to_string()),
            JiraError::Parked(d) => ConnectorError::Parked {
                resume_at: Timestamp(Timestamp::now().0 + d.as_millis() as i64),
                message: e.to_string(),
            },
            JiraError::Transient { .. } | JiraError::Http { .. } | JiraError::Limit(_) => {
                ConnectorError::Transient(e.to_string())
            }
            JiraError::Invalid(m) => ConnectorError::Invalid(m),
            JiraError::Store(s) => ConnectorError::Store(s),
        }
    }
}

/// A Jira Cloud REST client: Basic auth, one governor, retries.
pub struct JiraApi {
    http: reqwest::Client,
    base: String,
    email: String,
    token: String,
    governor: Governor,
    timeout: Duration,
    limits: crate::connector::Limits,
}

/// The first of Jira's `errorMessages` (or `errors` values), short, for an error line.
fn jira_message(v: &Value) -> String {
    let first = v["errorMessages"]
        .as_array()
        .and_then(|m| m.first())
        .and_then(Value::as_str)
        .or_else(|| v["errors"].as_object().and_then(|o| o.values().next()).and_then(Value::as_str))
        .unwrap_or("");
    first.chars().take(200).collect()
}

impl JiraApi {
    /// `base` is the site (`https://acme.atlassian.net`, or a mock's root).
    pub fn new(base: &str, email: &str, token: &str) -> Self {
        JiraApi {
            // No redirects: the credentials must never follow a redirect to another host.
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap_or_default(),
            base: base.trim_end_matches('/').to_string(),
            email: email.to_string(),
            token: token.to_string(),
            governor: Governor::new(Duration::ZERO),
            timeout: Duration::from_secs(30),
            limits: crate::connector::Limits::default(),
        }
    }

    /// Sets the per-request timeout (a stalled request is retried).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the largest response body and the most pages one paging loop reads.
    pub fn with_limits(mut self, limits: crate::connector::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The site root, for links.
    pub fn site(&self) -> &str {
        &self.base
    }

    /// GETs `path` with `query`.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, JiraError> {
        let url = format!("{}{path}", self.base);
        for attempt in 1..=5u32 {
            self.governor.wait().await;
            tracing::debug!(%path, attempt, "jira request");
            let resp = self
                .http
                .get(&url)
                .query(query)
                .basic_auth(&self.email, Some(&self.token))
                .header("accept", "application/json")
                .header("user-agent", "chief")
                .timeout(self.timeout)
                .send()
                .await;
            let resp = match resp {
                Ok(r) => r,
                Err(e) if attempt < 5 => {
                    self.governor.defer(backoff(attempt, Duration::from_millis(500), Duration::from_secs(60))).await;
                    tracing::info!(%path, attempt, error = %e.without_url(), "jira request failed; retrying");
                    continue;
                }
                Err(e) => return Err(JiraError::Transient { path: path.into(), message: e.without_url().to_string() }),
            };
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(chief_core::time::parse_retry_after);
            if status == 401 || status == 403 {
                return Err(JiraError::Auth(status));
            }
            if status == 429 || status == 503 {
                let wait = retry_after.unwrap_or_else(|| backoff(attempt, Duration::from_secs(5), MAX_WAIT));
                if wait > MAX_WAIT {
                    return Err(JiraError::Parked(wait));
                }
                tracing::info!(%path, status, wait_ms = wait.as_millis() as u64, "jira rate limit; waiting");
                self.governor.defer(wait).await;
                continue;
            }
            if status >= 500 {
                tracing::info!(%path, attempt, status, "jira server error; retrying");
                self.governor.defer(backoff(attempt, Duration::from_millis(500), Duration::from_secs(60))).await;
                continue;
            }
            let body = crate::connector::read_json(resp, self.limits.max_body).await;
            if !(200..300).contains(&status) {
                let detail = body.ok().map(|v| jira_message(&v)).filter(|m| !m.is_empty());
                return Err(JiraError::Http {
                    path: path.into(),
                    status,
                    detail: detail.map(|d| format!(": {d}")).unwrap_or_default(),
                });
            }
            return match body {
                Ok(v) => Ok(v),
                Err(crate::connector::BodyError::TooLarge(m)) => Err(JiraError::Limit(format!("{path}: {m}"))),
                Err(crate::connector::BodyError::Unreadable(m)) if attempt < 5 => {
                    tracing::info!(%path, attempt, message = %m, "jira response unreadable; retrying");
                    self.governor.defer(backoff(attempt, Duration::from_millis(500), Duration::from_secs(60))).await;
                    continue;
                }
                Err(crate::connector::BodyError::Unreadable(message)) => {
                    Err(JiraError::Transient { path: path.into(), message })
                }
            };
        }
        Err(JiraError::Transient { path: path.into(), message: "gave up after 5 attempts".into() })
    }

    /// `GET /rest/api/3/myself`: who the token is.
    pub async fn myself(&self) -> Result<Value, JiraError> {
        let me = self.get("/rest/api/3/myself", &[]).await?;
        if me["accountId"].as_str().is_none_or(str::is_empty) {
            return Err(JiraError::Invalid(
                "GET /rest/api/3/myself returned no accountId; is [sources.jira] api_base your Jira site (https://YOUR-SITE.atlassian.net)?".into(),
            ));
        }
        Ok(me)
    }
}

/// Jira through the REST API with an API token.
pub struct JiraConnector {
    api: JiraApi,
    /// Project keys; empty: every project the user can browse.
    projects: Vec<String>,
    /// The web root for links (defaults to the API's site).
    web_base: Option<String>,
}

impl JiraConnector {
    pub fn new(api: JiraApi, projects: Vec<String>, web_base: Option<String>) -> Self {
        JiraConnector { api, projects, web_base }
    }
}

impl Connector for JiraConnector {
    fn source(&self) -> &'static str {
        CURSOR_SOURCE
    }

    fn sync<'a>(&'a self, ctx: SyncCtx<'a>) -> BoxFuture<'a, Result<SourceReport, ConnectorError>> {
        Box::pin(async move {
            let site = self.web_base.clone().unwrap_or_else(|| self.api.site().to_string());
            Ok(sync(ctx.store, &self.api, &self.projects, &site, ctx.options, ctx.progress).await?)
        })
    }
}

/// A project key as Jira allows them (letters, digits, underscore; a letter first).
fn valid_key(k: &str) -> bool {
    k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The JQL of a delta from `from_ms`, optionally narrowed to projects.
fn delta_jql(from_ms: i64, projects: &[String]) -> String {
    let mut jql = format!("updated >= {from_ms}");
    if !projects.is_empty() {
        jql.push_str(&format!(" AND project in ({})", projects.join(", ")));
    }
    jql.push_str(" ORDER BY updated ASC");
    jql
}

fn updated_ms(issue: &Value) -> Option<i64> {
    let u = &issue["fields"]["updated"];
    u.as_i64().or_else(|| u.as_str().and_then(|t| Timestamp::parse_rfc3339(t).ok()).map(|t| t.0))
}

/// Syncs Jira: who the token is, the projects, the issues updated since the cursor
/// (with every comment and the status history), deletions on reconciling runs.
pub async fn sync(
    store: &mut Store,
    api: &JiraApi,
    projects: &[String],
    site: &str,
    options: &SyncOptions,
    progress: &Progress,
) -> Result<SourceReport, JiraError> {
    let mut report = SourceReport { source: CURSOR_SOURCE.into(), ..SourceReport::default() };
    progress(&SyncEvent::Started { source: CURSOR_SOURCE.into() });
    let projects: Vec<String> = projects.iter().map(|p| p.trim().to_uppercase()).collect();
    if let Some(bad) = projects.iter().find(|p| !valid_key(p)) {
        return Err(JiraError::Invalid(format!(
            "{bad:?} is not a Jira project key (like ENG or PAY_2); fix [sources.jira] projects in chief.toml"
        )));
    }
    let me = api.myself().await?;
    let account = me["accountId"].as_str().unwrap_or_default().to_string();
    report.account = account.clone();
    store.record_me(&Identity::new(IdentityKind::Jira, &account), "jira GET /rest/api/3/myself", options.now.0)?;
    let listed = list_projects(api).await?;
    {
        let w = store.writer()?;
        if let Some(p) = user_to_person(&me) {
            w.upsert_person(&p)?;
        }
        for p in &listed {
            let key = p["key"].as_str().unwrap_or("");
            if projects.is_empty() || projects.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                w.upsert_container(&project_to_container(p).map_err(JiraError::Invalid)?)?;
                report.containers += 1;
            }
        }
        w.commit()?;
    }
    for k in &projects {
        if !listed.iter().any(|p| p["key"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(k))) {
            report.skipped.push((k.clone(), "no such project, or no permission to browse it".into()));
        }
    }
    let wanted: Vec<String> = projects
        .iter()
        .filter(|k| listed.iter().any(|p| p["key"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(k))))
        .cloned()
        .collect();
    if !projects.is_empty() && wanted.is_empty() {
        return Ok(report);
    }
    let mut known: HashSet<String> = listed.iter().filter_map(|p| p["key"].as_str().map(str::to_string)).collect();
    delta(store, api, &account, &wanted, site, options, progress, &mut known, &mut report).await?;
    if options.reconcile {
        reconcile(store, api, &account, &wanted, options, &mut report).await?;
        report.reconciled = true;
    }
    retry_failures(store, &account, site, &mut report)?;
    Ok(report)
}

/// Every project the user can browse (`/project/search`, offset paging).
async fn list_projects(api: &JiraApi) -> Result<Vec<Value>, JiraError> {
    let mut out = Vec::new();
    let mut guard = api.limits.pages();
    loop {
        let q = [("startAt", out.len().to_string()), ("maxResults", "50".to_string())];
        let v = api.get("/rest/api/3/project/search", &q).await?;
        let values = v["values"].as_array().cloned().unwrap_or_default();
        let n = values.len();
        out.extend(values);
        if v["isLast"].as_bool() != Some(false) || n == 0 {
            return Ok(out);
        }
        guard.next(&out.len().to_string()).map_err(JiraError::Limit)?;
    }
}

/// The delta: issues updated since the cursor, oldest first.
#[allow(clippy::too_many_arguments)]
async fn delta(
    store: &mut Store,
    api: &JiraApi,
    account: &str,
    projects: &[String],
    site: &str,
    options: &SyncOptions,
    progress: &Progress,
    known: &mut HashSet<String>,
    report: &mut SourceReport,
) -> Result<(), JiraError> {
    let key = "_search";
    let cursor = store.cursor(CURSOR_SOURCE, account, key)?.unwrap_or_else(|| json!({}));
    // The site is part of the scope: account ids are the same on every Atlassian site.
    let scope = format!("{}|{}", api.site(), projects.join(","));
    // A changed project list starts over (upserts make re-reading free).
    let same_scope = cursor["projects"].as_str() == Some(scope.as_str());
    let cutoff = options.cutoff().map(|c| c.0);
    let first = cutoff.unwrap_or(options.now.0 - FIRST_WINDOW_DAYS * 86_400_000);
    let floor = cursor["floor_ms"].as_i64().filter(|_| same_scope).unwrap_or(first).max(cutoff.unwrap_or(i64::MIN));
    let mut hwm = cursor["hwm"].as_i64().filter(|_| same_scope).unwrap_or(floor);
    let restart = |hwm: i64| delta_jql((hwm - OVERLAP_MS).max(floor), projects);
    // A run cut short goes on with its page token; otherwise a new window from the cursor.
    let (mut jql, mut token) = match (cursor["jql"].as_str(), cursor["token"].as_str()) {
        (Some(j), Some(t)) if same_scope => (j.to_string(), Some(t.to_string())),
        _ => (restart(hwm), None),
    };
    let mut restarted = false;
    let mut guard = api.limits.pages();
    loop {
        let mut q = vec![
            ("jql", jql.clone()),
            ("fields", FIELDS.to_string()),
            ("expand", "changelog".to_string()),
            ("maxResults", PAGE.to_string()),
        ];
        if let Some(t) = &token {
            q.push(("nextPageToken", t.clone()));
        }
        let page = match api.get("/rest/api/3/search/jql", &q).await {
            // Page tokens expire (days, or a reindex): the window restarts from the cursor.
            Err(JiraError::Http { status: 400, detail, .. }) if token.is_some() && !restarted => {
                tracing::info!(%detail, "jira page token refused; restarting the window from the cursor");
                restarted = true;
                jql = restart(hwm);
                token = None;
                continue;
            }
            other => other?,
        };
        let issues = page["issues"].as_array().cloned().unwrap_or_default();
        let mut full = Vec::with_capacity(issues.len());
        for mut issue in issues {
            complete_comments(api, &mut issue).await?;
            full.push(issue);
        }
        let next =
            page["nextPageToken"].as_str().filter(|_| page["isLast"].as_bool() != Some(true)).map(str::to_string);
        let w = store.writer()?;
        let mut stored = 0;
        for issue in &full {
            let project = &issue["fields"]["project"];
            if let Some(pk) = project["key"].as_str()
                && known.insert(pk.to_string())
            {
                let name = project["name"].as_str().map(|n| format!("{pk}: {n}")).unwrap_or_else(|| pk.to_string());
                w.upsert_container(&Container {
                    id: ContainerId::new(Source::Jira, pk),
                    source: Source::Jira,
                    kind: ContainerKind::Project,
                    name,
                    description: String::new(),
                })?;
            }
            for p in issue_people(issue) {
                w.upsert_person(&p)?;
            }
            let item_key = format!("issue:{}", issue["id"].as_str().unwrap_or(""));
            let container = project["key"].as_str().unwrap_or("").to_string();
            match issue_to_items(issue, Some(site)) {
                Ok(items) => {
                    let keep: HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
                    // Comments deleted in Jira: the issue's full list no longer has them
                    // (a list cut short by a failed read says nothing about the rest).
                    let complete = issue["fields"]["comment"]["_partial"].as_bool() != Some(true);
                    let gone: Vec<String> = if complete {
                        w.children_of(&items[0].id)?.into_iter().filter(|id| !keep.contains(id.as_str())).collect()
                    } else {
                        Vec::new()
                    };
                    report.deleted += w.delete_ids(gone.iter().map(String::as_str))?;
                    for item in &items {
                        report.count(w.upsert_item(item)?);
                    }
                    stored += 1;
                }
                Err(e) => {
                    tracing::warn!(issue = %item_key, error = %e, "jira issue not stored; recorded for retry");
                    w.record_failure(CURSOR_SOURCE, account, &container, &item_key, &e, issue)?;
                    report.failed += 1;
                }
            }
            if let Some(u) = updated_ms(issue) {
                hwm = hwm.max(u);
            }
        }
        // `floor_ms` is where the first sync started (wall clock); `hwm` the newest update
        // stored; the query goes with a page token in flight only.
        let cursor = json!({"hwm": hwm, "floor_ms": floor, "projects": scope, "jql": next.as_ref().map(|_| &jql), "token": next});
        w.set_cursor(CURSOR_SOURCE, account, key, &cursor)?;
        w.commit()?;
        report.pages += 1;
        tracing::info!(issues = stored, hwm, "jira page stored");
        progress(&SyncEvent::Page { source: CURSOR_SOURCE.into(), container: "search".into(), items: stored });
        match next {
            Some(t) => {
                guard.next(&t).map_err(JiraError::Limit)?;
                token = Some(t);
            }
            None => return Ok(()),
        }
    }
}

/// Fetches the comments the search did not embed (`comment.total` above the page).
async fn complete_comments(api: &JiraApi, issue: &mut Value) -> Result<(), JiraError> {
    let have = issue["fields"]["comment"]["comments"].as_array().map_or(0, Vec::len);
    let total = issue["fields"]["comment"]["total"].as_u64().map_or(have, |t| t as usize);
    if total <= have {
        return Ok(());
    }
    let Some(id) = issue["id"].as_str().map(str::to_string) else { return Ok(()) };
    let path = format!("/rest/api/3/issue/{id}/comment");
    let mut all: Vec<Value> = Vec::new();
    let mut guard = api.limits.pages();
    loop {
        let q = [
            ("startAt", all.len().to_string()),
            ("maxResults", COMMENT_PAGE.to_string()),
            ("orderBy", "created".to_string()),
        ];
        let v = match api.get(&path, &q).await {
            // Deleted between the search and now: the next delta or reconciliation sees it;
            // the embedded page is all there is, and it is not the whole list.
            Err(JiraError::Http { status: 404, .. }) => {
                issue["fields"]["comment"]["_partial"] = json!(true);
                return Ok(());
            }
            other => other?,
        };
        let page = v["comments"].as_array().cloned().unwrap_or_default();
        let n = page.len();
        all.extend(page);
        let total = v["total"].as_u64().map_or(0, |t| t as usize);
        if n == 0 || all.len() >= total {
            break;
        }
        guard.next(&all.len().to_string()).map_err(JiraError::Limit)?;
    }
    issue["fields"]["comment"] = json!({"comments": all, "total": all.len(), "startAt": 0, "maxResults": all.len()});
    Ok(())
}

/// Lists every issue id in the synced window and deletes the stored issues that are gone.
async fn reconcile(
    store: &mut Store,
    api: &JiraApi,
    account: &str,
    projects: &[String],
    options: &SyncOptions,
    report: &mut SourceReport,
) -> Result<(), JiraError> {
    let cursor = store.cursor(CURSOR_SOURCE, account, "_search")?.unwrap_or_else(|| json!({}));
    let Some(floor) = cursor["floor_ms"].as_i64() else { return Ok(()) };
    let floor = floor.max(options.cutoff().map_or(i64::MIN, |c| c.0));
    let jql = delta_jql(floor, projects);
    let mut seen: HashSet<String> = HashSet::new();
    let mut token: Option<String> = None;
    let mut guard = api.limits.pages();
    loop {
        let mut q = vec![("jql", jql.clone()), ("fields", "id".to_string()), ("maxResults", ID_PAGE.to_string())];
        if let Some(t) = &token {
            q.push(("nextPageToken", t.clone()));
        }
        let v = api.get("/rest/api/3/search/jql", &q).await?;
        seen.extend(v["issues"].as_array().into_iter().flatten().filter_map(|i| i["id"].as_str().map(str::to_string)));
        match v["nextPageToken"].as_str().filter(|_| v["isLast"].as_bool() != Some(true)) {
            Some(t) => {
                guard.next(t).map_err(JiraError::Limit)?;
                token = Some(t.to_string());
            }
            None => break,
        }
    }
    let stored = store.live_top_level_ids_in_source(Source::Jira.as_str())?;
    let gone: Vec<String> = stored
        .into_iter()
        .filter(|(id, updated)| {
            let native = id.strip_prefix("jira:").unwrap_or(id);
            !native.contains('/') && !seen.contains(native) && *updated >= floor
        })
        .map(|(id, _)| id)
        .collect();
    let w = store.writer()?;
    for id in &gone {
        let parsed = chief_core::ItemId::parse(id).map_err(|e| JiraError::Invalid(e.to_string()))?;
        let children = w.children_of(&parsed)?;
        report.deleted += w.delete_ids(children.iter().map(String::as_str))?;
    }
    report.deleted += w.delete_ids(gone.iter().map(String::as_str))?;
    w.commit()?;
    Ok(())
}

/// Converts the payloads of earlier failures again.
fn retry_failures(store: &mut Store, account: &str, site: &str, report: &mut SourceReport) -> Result<(), JiraError> {
    let failures = store.sync_failures(Some(CURSOR_SOURCE))?;
    if failures.is_empty() {
        return Ok(());
    }
    // A failure is superseded only by a stored version at least as new as it.
    let mut superseded = HashSet::new();
    for f in &failures {
        if let Some(native) = f.item_key.strip_prefix("issue:") {
            let stored = store.item_updated(chief_core::ItemId::new(Source::Jira, native).as_str())?;
            if stored.is_some_and(|t| updated_ms(&f.payload).is_some_and(|u| t.0 >= u)) {
                superseded.insert(f.item_key.clone());
            }
        }
    }
    let w = store.writer()?;
    for f in failures.iter().filter(|f| f.account == account) {
        match issue_to_items(&f.payload, Some(site)) {
            Ok(items) => {
                for item in &items {
                    report.count(w.upsert_item(item)?);
                }
                w.clear_failure(CURSOR_SOURCE, account, &f.container, &f.item_key)?;
                report.recovered += 1;
            }
            // Still unreadable, unless a version at least as new was stored since.
            Err(_) => {
                if superseded.contains(&f.item_key) {
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
mod tests {
    use super::*;

    #[test]
    fn the_delta_jql_is_bounded_ordered_and_in_epoch_milliseconds() {
        let j = delta_jql(1_767_225_600_000, &[]);
        assert_eq!(j, "updated >= 1767225600000 ORDER BY updated ASC");
        assert!(!j.contains('"'), "no quoted datetime: Jira would read it in the profile's time zone");
        let j = delta_jql(5, &["ENG".into(), "PAY".into()]);
        assert_eq!(j, "updated >= 5 AND project in (ENG, PAY) ORDER BY updated ASC");
    }

    #[test]
    fn project_keys_are_checked() {
        assert!(valid_key("ENG"));
        assert!(valid_key("PAY_2"));
        assert!(!valid_key("2PAY"));
        assert!(!valid_key("ENG) OR project = X"));
    }
}
