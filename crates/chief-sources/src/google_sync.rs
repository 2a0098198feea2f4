//! Live Google Workspace sync: Calendar, Drive (Docs and their comment threads) and
//! Gmail, with one OAuth grant ([`crate::google_auth`]).
//!
//! - Calendar: `calendarList`, then per calendar `events` with `singleEvents=true`
//!   (recurring events as instances: the next one is what matters) and a saved
//!   `syncToken`; cancelled events are deleted; a 410 wipes that calendar's token and
//!   resyncs it in full, deleting what the full listing no longer has.
//! - Drive: `changes` from a saved page token (`changes/startPageToken` first, then
//!   the Docs modified in the window); each changed Doc is exported as text and its
//!   comments read with `includeDeleted`: a comment and its replies are one discussion.
//! - Gmail: a backfill of N days (`messages.list` + `messages.get?format=raw`, parsed
//!   like an mbox message, so a Takeout import and the API give the same item), then
//!   `history.list` from the saved `historyId`; a 404 on it means a full resync with
//!   the profile's new id (once per run: never a loop).
//! - 401: the access token is refreshed once and the request retried; `invalid_grant`
//!   pauses Google (only). 429 and 403 rate limits wait for `Retry-After` or back off.

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine as _;
use chief_core::{Identity, IdentityKind, Source, Timestamp};
use chief_store::Store;
use serde_json::{Value, json};

use crate::connector::{BoxFuture, Connector, ConnectorError, Progress, SourceReport, SyncCtx, SyncEvent, SyncOptions};
use crate::google::{
    EventChange, calendar_to_container, comment_people, comment_to_change, doc_to_item, drive_container, drive_file_id,
    event_people, event_to_change,
};
use crate::google_auth::{AuthError, TokenSource};
use crate::governor::{Governor, backoff};

/// The cursor source name for live Google sync.
pub const CURSOR_SOURCE: &str = "google";

/// How far back a first sync reads calendars and Docs without a retention setting.
const FIRST_WINDOW_DAYS: i64 = 90;
/// Longest wait for a rate limit inside one run.
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Gmail messages fetched concurrently.
const GMAIL_IN_FLIGHT: usize = 5;
const DOC_MIME: &str = "application/vnd.google-apps.document";
const FILE_FIELDS: &str = "id,name,mimeType,createdTime,modifiedTime,webViewLink,trashed,owners(displayName,emailAddress),lastModifyingUser(displayName,emailAddress)";

/// Sync failures, classified.
#[derive(Debug, thiserror::Error)]
pub enum GoogleError {
    #[error("{0}")]
    Auth(String),
    #[error("Google rate limit: retry in {0:?}, beyond this run's patience; the next sync resumes from its cursors")]
    Parked(Duration),
    /// 410: a sync token expired.
    #[error("Google {path}: the sync token expired (HTTP 410)")]
    Gone { path: String },
    #[error("Google {path}: not found (HTTP 404)")]
    NotFound { path: String },
    #[error("Google {path}: {message}")]
    Transient { path: String, message: String },
    #[error("Google {path}: HTTP {status}{detail}")]
    Http { path: String, status: u16, detail: String },
    #[error("{0}")]
    Invalid(String),
    #[error("Google {0}")]
    Limit(String),
    #[error(transparent)]
    Store(#[from] chief_store::StoreError),
}

impl From<AuthError> for GoogleError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Transient(m) => GoogleError::Transient { path: "token".into(), message: m },
            other => GoogleError::Auth(other.to_string()),
        }
    }
}

impl From<GoogleError> for ConnectorError {
    fn from(e: GoogleError) -> Self {
        match e {
            GoogleError::Auth(m) => ConnectorError::Auth(m),
            GoogleError::Parked(d) => ConnectorError::Parked {
                resume_at: Timestamp(Timestamp::now().0 + d.as_millis() as i64),
                message: e.to_string(),
            },
            GoogleError::Invalid(m) => ConnectorError::Invalid(m),
            GoogleError::Store(s) => ConnectorError::Store(s),
            other => ConnectorError::Transient(other.to_string()),
        }
    }
}

/// Percent-encodes one path segment (calendar ids hold `#` and `@`).
pub fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A Google REST client: bearer tokens from a [`TokenSource`], one governor, retries.
pub struct GoogleApi {
    http: reqwest::Client,
    base: String,
    tokens: TokenSource,
    governor: Governor,
    timeout: Duration,
    limits: crate::connector::Limits,
}

enum Body {
    Json(Value),
    Text(String),
}

impl GoogleApi {
    /// `base` is the API root (`https://www.googleapis.com`, or a mock's).
    pub fn new(base: &str, tokens: TokenSource) -> Self {
        GoogleApi {
            // No redirects: the token must never follow a redirect to another host.
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap_or_default(),
            base: base.trim_end_matches('/').to_string(),
            tokens,
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

    /// GETs JSON.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, GoogleError> {
        match self.request(path, query, false).await? {
            Body::Json(v) => Ok(v),
            Body::Text(_) => Err(GoogleError::Invalid(format!("{path}: expected JSON"))),
        }
    }

    /// GETs a text body (`files.export`).
    pub async fn get_text(&self, path: &str, query: &[(&str, String)]) -> Result<String, GoogleError> {
        match self.request(path, query, true).await? {
            Body::Text(t) => Ok(t),
            Body::Json(v) => Ok(v.to_string()),
        }
    }

    async fn request(&self, path: &str, query: &[(&str, String)], text: bool) -> Result<Body, GoogleError> {
        let url = format!("{}{path}", self.base);
        let mut refreshed = false;
        for attempt in 1..=6u32 {
            let token = self.tokens.token().await?;
            self.governor.wait().await;
            tracing::debug!(%path, attempt, "google request");
            let resp = self.http.get(&url).query(query).bearer_auth(&token).timeout(self.timeout).send().await;
            let resp = match resp {
                Ok(r) => r,
                Err(e) if attempt < 5 => {
                    self.governor.defer(backoff(attempt, Duration::from_millis(500), Duration::from_secs(60))).await;
                    tracing::info!(%path, attempt, error = %e.without_url(), "google request failed; retrying");
                    continue;
                }
                Err(e) => {
                    return Err(GoogleError::Transient { path: path.into(), message: e.without_url().to_string() });
                }
            };
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(chief_core::time::parse_retry_after);
            if status == 401 {
                // An expired access token: refresh once (a fixed token cannot be).
                if !refreshed && self.tokens.invalidate(&token).await {
                    refreshed = true;
                    continue;
                }
                return Err(GoogleError::Auth(
                    "Google rejected the access token (HTTP 401); reconnect with `chief connect google`".into(),
                ));
            }
            if (200..300).contains(&status) {
                if text {
                    let bytes = resp.bytes().await.map_err(|e| GoogleError::Transient {
                        path: path.into(),
                        message: e.without_url().to_string(),
                    })?;
                    if bytes.len() > self.limits.max_body {
                        return Err(GoogleError::Limit(format!("{path}: the response is too large; refused")));
                    }
                    return Ok(Body::Text(String::from_utf8_lossy(&bytes).into_owned()));
                }
                return match crate::connector::read_json(resp, self.limits.max_body).await {
                    Ok(v) => Ok(Body::Json(v)),
                    Err(crate::connector::BodyError::TooLarge(m)) => Err(GoogleError::Limit(format!("{path}: {m}"))),
                    Err(crate::connector::BodyError::Unreadable(m)) if attempt < 5 => {
                        tracing::info!(%path, attempt, message = %m, "google response unreadable; retrying");
                        continue;
                    }
                    Err(crate::connector::BodyError::Unreadable(message)) => {
                        Err(GoogleError::Transient { path: path.into(), message })
                    }
                };
            }
            let body: Value = crate::connector::read_json(resp, 1 << 20).await.unwrap_or(Value::Null);
            let reason = body["error"]["errors"][0]["reason"].as_str().unwrap_or("").to_string();
            let message: String = body["error"]["message"].as_str().unwrap_or("").chars().take(200).collect();
            // A day's quota is spent: park the source for an hour rather than retry now.
            if status == 403 && matches!(reason.as_str(), "dailyLimitExceeded" | "quotaExceeded") {
                return Err(GoogleError::Parked(Duration::from_secs(3600)));
            }
            let rate_limited = status == 429
                || (status == 403 && matches!(reason.as_str(), "rateLimitExceeded" | "userRateLimitExceeded"));
            if rate_limited || status >= 500 {
                let wait = retry_after.unwrap_or_else(|| {
                    if rate_limited {
                        backoff(attempt, Duration::from_secs(2), MAX_WAIT)
                    } else {
                        backoff(attempt, Duration::from_millis(500), Duration::from_secs(60))
                    }
                });
                if wait > MAX_WAIT {
                    return Err(GoogleError::Parked(wait));
                }
                tracing::info!(%path, status, wait_ms = wait.as_millis() as u64, "google asked to wait; retrying");
                self.governor.defer(wait).await;
                continue;
            }
            return Err(match status {
                410 => GoogleError::Gone { path: path.into() },
                404 => GoogleError::NotFound { path: path.into() },
                // The grant or the project: nothing goes on until the user acts.
                403 if matches!(
                    reason.as_str(),
                    "insufficientPermissions" | "accessNotConfigured" | "authError" | "forbidden" | ""
                ) =>
                {
                    GoogleError::Auth(format!(
                        "Google refused {path} (HTTP 403{}): the grant lacks a scope or the API is off for this project; enable the Calendar, Drive and Gmail APIs, then `chief connect google`",
                        if reason.is_empty() { String::new() } else { format!(" {reason}") }
                    ))
                }
                // Anything else refuses one file or message (too large to export, a
                // domain policy), not the grant.
                _ => GoogleError::Http {
                    path: path.into(),
                    status,
                    detail: if message.is_empty() { String::new() } else { format!(": {message}") },
                },
            });
        }
        Err(GoogleError::Transient { path: path.into(), message: "gave up after 6 attempts".into() })
    }
}

/// What a Google sync covers.
#[derive(Debug, Clone)]
pub struct GoogleScope {
    /// Calendar ids; empty: every calendar in the user's list.
    pub calendars: Vec<String>,
    pub calendar: bool,
    pub drive: bool,
    /// Days of mail a first sync reads; 0 turns Gmail off.
    pub gmail_days: u32,
}

impl Default for GoogleScope {
    fn default() -> Self {
        GoogleScope { calendars: Vec::new(), calendar: true, drive: true, gmail_days: 30 }
    }
}

/// Google Workspace through its REST APIs.
pub struct GoogleConnector {
    api: GoogleApi,
    scope: GoogleScope,
}

impl GoogleConnector {
    pub fn new(api: GoogleApi, scope: GoogleScope) -> Self {
        GoogleConnector { api, scope }
    }
}

impl Connector for GoogleConnector {
    fn source(&self) -> &'static str {
        CURSOR_SOURCE
    }

    fn sync<'a>(&'a self, ctx: SyncCtx<'a>) -> BoxFuture<'a, Result<SourceReport, ConnectorError>> {
        Box::pin(async move { Ok(sync(ctx.store, &self.api, &self.scope, ctx.options, ctx.progress).await?) })
    }
}

fn floor_ms(options: &SyncOptions) -> i64 {
    options.cutoff().map(|c| c.0).unwrap_or(options.now.0 - FIRST_WINDOW_DAYS * 86_400_000)
}

/// Syncs the parts of Google in `scope`.
pub async fn sync(
    store: &mut Store,
    api: &GoogleApi,
    scope: &GoogleScope,
    options: &SyncOptions,
    progress: &Progress,
) -> Result<SourceReport, GoogleError> {
    let mut report = SourceReport { source: CURSOR_SOURCE.into(), ..SourceReport::default() };
    progress(&SyncEvent::Started { source: CURSOR_SOURCE.into() });
    let calendars = if scope.calendar { calendar_list(api).await? } else { Vec::new() };
    let mut account = calendars
        .iter()
        .find(|c| c["primary"].as_bool() == Some(true))
        .and_then(|c| c["id"].as_str())
        .map(str::to_lowercase);
    if account.is_none() && scope.gmail_days > 0 {
        let profile = api.get("/gmail/v1/users/me/profile", &[]).await?;
        account = profile["emailAddress"].as_str().map(str::to_lowercase);
    }
    let account = account.unwrap_or_else(|| "me".into());
    report.account = account.clone();
    if account.contains('@') {
        store.record_me(&Identity::new(IdentityKind::Email, &account), "google primary calendar", options.now.0)?;
    }
    for c in &calendars {
        let id = c["id"].as_str().unwrap_or("");
        if !scope.calendars.is_empty() && !scope.calendars.iter().any(|x| x.eq_ignore_ascii_case(id)) {
            continue;
        }
        let container = calendar_to_container(c).map_err(GoogleError::Invalid)?;
        {
            let w = store.writer()?;
            w.upsert_container(&container)?;
            w.commit()?;
        }
        report.containers += 1;
        progress(&SyncEvent::Container {
            source: CURSOR_SOURCE.into(),
            container: id.to_string(),
            done: report.containers - 1,
            total: calendars.len(),
        });
        sync_calendar(store, api, &account, id, options, progress, &mut report).await?;
    }
    if scope.drive {
        sync_drive(store, api, &account, options, progress, &mut report).await?;
    }
    if scope.gmail_days > 0 {
        sync_gmail(store, api, &account, scope.gmail_days, options.now, progress, &mut report).await?;
    }
    Ok(report)
}

async fn calendar_list(api: &GoogleApi) -> Result<Vec<Value>, GoogleError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    let mut guard = api.limits.pages();
    loop {
        let mut q = vec![("maxResults", "250".to_string())];
        if let Some(t) = &token {
            q.push(("pageToken", t.clone()));
        }
        let v = api.get("/calendar/v3/users/me/calendarList", &q).await?;
        out.extend(v["items"].as_array().cloned().unwrap_or_default());
        match v["nextPageToken"].as_str() {
            Some(t) => {
                guard.next(t).map_err(GoogleError::Limit)?;
                token = Some(t.to_string());
            }
            None => return Ok(out),
        }
    }
}

/// One calendar: a full listing of the window, or the changes since its sync token.
async fn sync_calendar(
    store: &mut Store,
    api: &GoogleApi,
    account: &str,
    calendar: &str,
    options: &SyncOptions,
    progress: &Progress,
    report: &mut SourceReport,
) -> Result<(), GoogleError> {
    let key = format!("calendar/{calendar}");
    let path = format!("/calendar/v3/calendars/{}/events", segment(calendar));
    let mut sync_token =
        store.cursor(CURSOR_SOURCE, account, &key)?.and_then(|c| c["sync_token"].as_str().map(str::to_string));
    'listing: loop {
        let full = sync_token.is_none();
        let mut seen: HashSet<String> = HashSet::new();
        let mut page: Option<String> = None;
        let mut guard = api.limits.pages();
        loop {
            let mut q = vec![("singleEvents", "true".to_string()), ("maxResults", "250".to_string())];
            match &sync_token {
                Some(t) => q.push(("syncToken", t.clone())),
                None => {
                    q.push(("timeMin", Timestamp(floor_ms(options)).to_rfc3339()));
                    q.push(("showDeleted", "false".to_string()));
                }
            }
            if let Some(p) = &page {
                q.push(("pageToken", p.clone()));
            }
            let v = match api.get(&path, &q).await {
                Err(GoogleError::Gone { .. }) if !full => {
                    // The token expired: wipe it and list the window again, in full.
                    tracing::info!(%calendar, "google calendar sync token expired (410); full resync");
                    let w = store.writer()?;
                    w.set_cursor(CURSOR_SOURCE, account, &key, &json!({}))?;
                    w.commit()?;
                    sync_token = None;
                    continue 'listing;
                }
                other => other?,
            };
            let events = v["items"].as_array().cloned().unwrap_or_default();
            let w = store.writer()?;
            let mut stored = 0;
            for e in &events {
                for p in event_people(e) {
                    w.upsert_person(&p)?;
                }
                match event_to_change(calendar, e) {
                    Ok(EventChange::Upsert(item)) => {
                        seen.insert(item.id.as_str().to_string());
                        report.count(w.upsert_item(&item)?);
                        stored += 1;
                    }
                    Ok(EventChange::Cancelled(id)) => {
                        if w.delete_item(&id)? {
                            report.deleted += 1;
                        }
                    }
                    Err(err) => {
                        // Unreadable now is not gone: the full listing keeps what is stored.
                        let ev = e["id"].as_str().unwrap_or("");
                        seen.insert(format!("google:calendar/{calendar}/{ev}"));
                        let k = format!("event:{ev}");
                        w.record_failure(CURSOR_SOURCE, account, calendar, &k, &err, e)?;
                        report.failed += 1;
                    }
                }
            }
            let next_sync = v["nextSyncToken"].as_str().map(str::to_string);
            if let Some(t) = &next_sync {
                w.set_cursor(CURSOR_SOURCE, account, &key, &json!({"sync_token": t}))?;
            }
            w.commit()?;
            report.pages += 1;
            progress(&SyncEvent::Page { source: CURSOR_SOURCE.into(), container: calendar.into(), items: stored });
            match v["nextPageToken"].as_str() {
                Some(p) => {
                    guard.next(p).map_err(GoogleError::Limit)?;
                    page = Some(p.to_string());
                }
                None => break,
            }
        }
        if full {
            // What a full listing of the window no longer has is gone.
            let container = format!("google:calendar/{calendar}");
            let stored = store.live_ids_in(&container, Timestamp(floor_ms(options)), Timestamp(i64::MAX))?;
            let w = store.writer()?;
            report.deleted += w.delete_ids(stored.iter().map(String::as_str).filter(|id| !seen.contains(*id)))?;
            w.commit()?;
        }
        return Ok(());
    }
}

/// Drive: the Docs that changed since the saved page token, with their comments.
async fn sync_drive(
    store: &mut Store,
    api: &GoogleApi,
    account: &str,
    options: &SyncOptions,
    progress: &Progress,
    report: &mut SourceReport,
) -> Result<(), GoogleError> {
    let key = "drive";
    let cursor = store.cursor(CURSOR_SOURCE, account, key)?.unwrap_or_else(|| json!({}));
    let Some(mut token) = cursor["page_token"].as_str().map(str::to_string) else {
        return drive_full(store, api, account, options, progress, report).await;
    };
    let mut guard = api.limits.pages();
    loop {
        let q = [
            ("pageToken", token.clone()),
            ("pageSize", "100".to_string()),
            ("includeRemoved", "true".to_string()),
            ("spaces", "drive".to_string()),
            ("fields", format!("nextPageToken,newStartPageToken,changes(fileId,removed,file({FILE_FIELDS}))")),
        ];
        let v = match api.get("/drive/v3/changes", &q).await {
            // The page token is no longer valid: list the window again.
            Err(GoogleError::NotFound { .. } | GoogleError::Gone { .. }) => {
                tracing::info!("drive page token expired; full resync");
                return drive_full(store, api, account, options, progress, report).await;
            }
            other => other?,
        };
        let mut stored = 0;
        for c in v["changes"].as_array().into_iter().flatten() {
            let Some(file_id) = c["fileId"].as_str() else { continue };
            let file = &c["file"];
            let removed = c["removed"].as_bool() == Some(true) || file["trashed"].as_bool() == Some(true);
            if removed {
                let w = store.writer()?;
                report.deleted += delete_doc(&w, file_id)?;
                w.commit()?;
            } else if file["mimeType"].as_str() == Some(DOC_MIME) {
                store_doc(store, api, account, file, report).await?;
                stored += 1;
            }
        }
        // The next page, or (at the end) where the next sync starts.
        let next = v["nextPageToken"].as_str().or(v["newStartPageToken"].as_str()).map(str::to_string);
        let Some(next) = next else {
            return Err(GoogleError::Invalid("Drive changes gave neither nextPageToken nor newStartPageToken".into()));
        };
        let w = store.writer()?;
        w.set_cursor(CURSOR_SOURCE, account, key, &json!({"page_token": next}))?;
        w.commit()?;
        report.pages += 1;
        progress(&SyncEvent::Page { source: CURSOR_SOURCE.into(), container: "drive".into(), items: stored });
        if v["nextPageToken"].is_null() {
            return Ok(());
        }
        guard.next(&next).map_err(GoogleError::Limit)?;
        token = next;
    }
}

/// A Doc and its comment threads, deleted; how many items that was.
fn delete_doc(w: &chief_store::Writer<'_>, file_id: &str) -> Result<usize, GoogleError> {
    let id = drive_file_id(file_id);
    let children = w.children_of(&id)?;
    let mut n = w.delete_ids(children.iter().map(String::as_str))?;
    if w.delete_item(&id)? {
        n += 1;
    }
    Ok(n)
}

/// A full read of Drive: where the change feed starts now, then every Doc modified in
/// the window; stored Docs the listing no longer has are deleted.
async fn drive_full(
    store: &mut Store,
    api: &GoogleApi,
    account: &str,
    options: &SyncOptions,
    progress: &Progress,
    report: &mut SourceReport,
) -> Result<(), GoogleError> {
    let key = "drive";
    {
        let start = api.get("/drive/v3/changes/startPageToken", &[]).await?;
        let start = start["startPageToken"]
            .as_str()
            .ok_or(GoogleError::Invalid("Drive gave no startPageToken".into()))?
            .to_string();
        let since = Timestamp(floor_ms(options)).to_rfc3339();
        let q = format!("mimeType = '{DOC_MIME}' and trashed = false and modifiedTime > '{since}'");
        let mut seen: HashSet<String> = HashSet::new();
        let mut page: Option<String> = None;
        let mut guard = api.limits.pages();
        loop {
            let mut query = vec![
                ("q", q.clone()),
                ("pageSize", "100".to_string()),
                ("fields", format!("nextPageToken,files({FILE_FIELDS})")),
            ];
            if let Some(p) = &page {
                query.push(("pageToken", p.clone()));
            }
            let v = api.get("/drive/v3/files", &query).await?;
            let files = v["files"].as_array().cloned().unwrap_or_default();
            for f in &files {
                seen.extend(f["id"].as_str().map(str::to_string));
                store_doc(store, api, account, f, report).await?;
            }
            report.pages += 1;
            progress(&SyncEvent::Page { source: CURSOR_SOURCE.into(), container: "drive".into(), items: files.len() });
            match v["nextPageToken"].as_str() {
                Some(p) => {
                    guard.next(p).map_err(GoogleError::Limit)?;
                    page = Some(p.to_string());
                }
                None => break,
            }
        }
        let stored = store.live_top_level_ids_in(
            drive_container().id.as_str(),
            Timestamp(floor_ms(options)),
            Timestamp(i64::MAX),
        )?;
        let w = store.writer()?;
        for id in stored {
            if let Some(file_id) = id.strip_prefix("google:drive/").filter(|f| !seen.contains(*f)) {
                report.deleted += delete_doc(&w, file_id)?;
            }
        }
        w.set_cursor(CURSOR_SOURCE, account, key, &json!({"page_token": start}))?;
        w.commit()?;
    }
    Ok(())
}

/// One Doc: its text and its comment threads (deleted ones removed), in one commit.
async fn store_doc(
    store: &mut Store,
    api: &GoogleApi,
    account: &str,
    file: &Value,
    report: &mut SourceReport,
) -> Result<(), GoogleError> {
    let Some(id) = file["id"].as_str() else { return Ok(()) };
    let text = match api
        .get_text(&format!("/drive/v3/files/{}/export", segment(id)), &[("mimeType", "text/plain".to_string())])
        .await
    {
        Ok(t) => t,
        // Gone between the change and now: the next change says so.
        Err(GoogleError::NotFound { .. }) => return Ok(()),
        // This one Doc cannot be exported (too large, a policy): its title and comments
        // are still worth having.
        Err(GoogleError::Http { status: 403, detail, .. }) => {
            tracing::warn!(file = %id, %detail, "google doc not exported; stored without its text");
            String::new()
        }
        Err(e) => return Err(e),
    };
    let mut comments = Vec::new();
    let mut page: Option<String> = None;
    let mut guard = api.limits.pages();
    loop {
        let mut q = vec![
            ("includeDeleted", "true".to_string()),
            ("pageSize", "100".to_string()),
            ("fields", "nextPageToken,comments(id,content,author,createdTime,modifiedTime,resolved,deleted,quotedFileContent,replies(id,content,author,createdTime,deleted,action))".to_string()),
        ];
        if let Some(p) = &page {
            q.push(("pageToken", p.clone()));
        }
        let v = match api.get(&format!("/drive/v3/files/{}/comments", segment(id)), &q).await {
            Err(GoogleError::NotFound { .. }) => break,
            other => other?,
        };
        comments.extend(v["comments"].as_array().cloned().unwrap_or_default());
        match v["nextPageToken"].as_str() {
            Some(p) => {
                guard.next(p).map_err(GoogleError::Limit)?;
                page = Some(p.to_string());
            }
            None => break,
        }
    }
    let w = store.writer()?;
    w.upsert_container(&drive_container())?;
    match doc_to_item(file, &text) {
        Ok(item) => report.count(w.upsert_item(&item)?),
        Err(e) => {
            w.record_failure(CURSOR_SOURCE, account, "drive", &format!("file:{id}"), &e, file)?;
            report.failed += 1;
            w.commit()?;
            return Ok(());
        }
    }
    for c in &comments {
        for p in comment_people(c) {
            w.upsert_person(&p)?;
        }
        match comment_to_change(file, c) {
            Ok(EventChange::Upsert(item)) => report.count(w.upsert_item(&item)?),
            Ok(EventChange::Cancelled(cid)) => {
                if w.delete_item(&cid)? {
                    report.deleted += 1;
                }
            }
            Err(e) => {
                let k = format!("comment:{id}:{}", c["id"].as_str().unwrap_or(""));
                w.record_failure(CURSOR_SOURCE, account, "drive", &k, &e, c)?;
                report.failed += 1;
            }
        }
    }
    w.commit()?;
    Ok(())
}

/// What a history listing holds: ids added (or relabelled), ids deleted, and the
/// history id it reaches.
struct GmailHistory {
    added: Vec<String>,
    deleted: Vec<String>,
    latest: String,
}

/// The history since `start`; `None` when the id is too old (404).
async fn gmail_history(api: &GoogleApi, start: &str) -> Result<Option<GmailHistory>, GoogleError> {
    let mut h = GmailHistory { added: Vec::new(), deleted: Vec::new(), latest: start.to_string() };
    let mut page: Option<String> = None;
    let mut guard = api.limits.pages();
    loop {
        let mut q = vec![("startHistoryId", start.to_string()), ("maxResults", "500".to_string())];
        for t in ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"] {
            q.push(("historyTypes", t.to_string()));
        }
        if let Some(p) = &page {
            q.push(("pageToken", p.clone()));
        }
        let v = match api.get("/gmail/v1/users/me/history", &q).await {
            Err(GoogleError::NotFound { .. }) => return Ok(None),
            other => other?,
        };
        for entry in v["history"].as_array().into_iter().flatten() {
            for k in ["messagesAdded", "labelsAdded", "labelsRemoved"] {
                for m in entry[k].as_array().into_iter().flatten() {
                    h.added.extend(m["message"]["id"].as_str().map(str::to_string));
                }
            }
            for m in entry["messagesDeleted"].as_array().into_iter().flatten() {
                h.deleted.extend(m["message"]["id"].as_str().map(str::to_string));
            }
        }
        if let Some(id) = v["historyId"].as_str() {
            h.latest = id.to_string();
        }
        match v["nextPageToken"].as_str() {
            Some(p) => {
                guard.next(p).map_err(GoogleError::Limit)?;
                page = Some(p.to_string());
            }
            None => break,
        }
    }
    let gone: HashSet<&String> = h.deleted.iter().collect();
    let mut seen = HashSet::new();
    h.added = h.added.iter().filter(|id| !gone.contains(id) && seen.insert(id.as_str())).cloned().collect();
    Ok(Some(h))
}

/// Deletes the stored mail whose Gmail ids are `gids`.
fn delete_gmail(w: &chief_store::Writer<'_>, gids: &[String], report: &mut SourceReport) -> Result<(), GoogleError> {
    for gid in gids {
        for id in w.ids_with_extra(Source::Google.as_str(), "gmail_id", gid)? {
            let parsed = chief_core::ItemId::parse(&id).map_err(|e| GoogleError::Invalid(e.to_string()))?;
            if w.delete_item(&parsed)? {
                report.deleted += 1;
            }
        }
    }
    Ok(())
}

/// Gmail: a backfill, then the history since the saved id.
async fn sync_gmail(
    store: &mut Store,
    api: &GoogleApi,
    account: &str,
    days: u32,
    now: Timestamp,
    progress: &Progress,
    report: &mut SourceReport,
) -> Result<(), GoogleError> {
    let key = "gmail";
    let cursor = store.cursor(CURSOR_SOURCE, account, key)?;
    let Some(start) = cursor.as_ref().and_then(|c| c["history_id"].as_str().map(str::to_string)) else {
        let unfinished = cursor.and_then(|c| c["backfill_from"].as_str().map(str::to_string));
        return gmail_full(store, api, account, days, now, unfinished, progress, report).await;
    };
    // The id is too old: a full resync from the profile's current id (once).
    let Some(h) = gmail_history(api, &start).await? else {
        tracing::info!("gmail history id expired (404); full resync");
        return gmail_full(store, api, account, days, now, None, progress, report).await;
    };
    store_messages(store, api, account, &h.added, progress, report).await?;
    let w = store.writer()?;
    delete_gmail(&w, &h.deleted, report)?;
    w.set_cursor(CURSOR_SOURCE, account, key, &json!({"history_id": h.latest}))?;
    w.commit()?;
    Ok(())
}

/// The backfill: the profile's history id first (nothing after it is missed), then
/// every message of the last `days` days. Where it started is saved before the first
/// message, so a backfill cut short is followed by one that also applies the history
/// since then: mail stored by the first and deleted in between goes, wherever it lies
/// in the window. Synced mail of the window that the listing no longer has was deleted
/// while no history covered it (an expired history id) and is deleted here too;
/// imported mail and older mail stay.
#[allow(clippy::too_many_arguments)]
async fn gmail_full(
    store: &mut Store,
    api: &GoogleApi,
    account: &str,
    days: u32,
    now: Timestamp,
    unfinished: Option<String>,
    progress: &Progress,
    report: &mut SourceReport,
) -> Result<(), GoogleError> {
    let profile = api.get("/gmail/v1/users/me/profile", &[]).await?;
    let history = profile["historyId"]
        .as_str()
        .map(str::to_string)
        .or_else(|| profile["historyId"].as_u64().map(|n| n.to_string()))
        .ok_or(GoogleError::Invalid("the Gmail profile has no historyId".into()))?;
    // Since the earlier backfill began: its deletions (an expired id means the window
    // check below is all there is).
    let (from, deleted_since) = match &unfinished {
        Some(p) => match gmail_history(api, p).await? {
            Some(h) => (p.clone(), h.deleted),
            None => (history.clone(), Vec::new()),
        },
        None => (history.clone(), Vec::new()),
    };
    {
        let w = store.writer()?;
        w.set_cursor(CURSOR_SOURCE, account, "gmail", &json!({"backfill_from": from}))?;
        w.commit()?;
    }
    let mut ids: Vec<String> = Vec::new();
    let mut page: Option<String> = None;
    let mut guard = api.limits.pages();
    loop {
        let mut q = vec![("q", format!("newer_than:{days}d")), ("maxResults", "500".to_string())];
        if let Some(p) = &page {
            q.push(("pageToken", p.clone()));
        }
        let v = api.get("/gmail/v1/users/me/messages", &q).await?;
        ids.extend(v["messages"].as_array().into_iter().flatten().filter_map(|m| m["id"].as_str().map(str::to_string)));
        match v["nextPageToken"].as_str() {
            Some(p) => {
                guard.next(p).map_err(GoogleError::Limit)?;
                page = Some(p.to_string());
            }
            None => break,
        }
    }
    store_messages(store, api, account, &ids, progress, report).await?;
    // A day inside the window's edge, so clocks that differ a little delete nothing
    // the listing merely left out.
    let floor = Timestamp(now.0 - (i64::from(days) - 1).max(0) * 86_400_000);
    let listed: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let gone: Vec<String> = store
        .synced_with_extra_in(chief_core::ContainerId::new(Source::Google, "mail").as_str(), "gmail_id", floor)?
        .into_iter()
        .filter(|(_, gid)| gid.as_deref().is_some_and(|g| !listed.contains(g)))
        .map(|(id, _)| id)
        .collect();
    let w = store.writer()?;
    report.deleted += w.delete_ids(gone.iter().map(String::as_str))?;
    let unlisted: Vec<String> = deleted_since.into_iter().filter(|g| !listed.contains(g.as_str())).collect();
    delete_gmail(&w, &unlisted, report)?;
    w.set_cursor(CURSOR_SOURCE, account, "gmail", &json!({"history_id": history}))?;
    w.commit()?;
    Ok(())
}

/// Fetches messages (`format=raw`) and stores them, 50 per commit.
async fn store_messages(
    store: &mut Store,
    api: &GoogleApi,
    account: &str,
    ids: &[String],
    progress: &Progress,
    report: &mut SourceReport,
) -> Result<(), GoogleError> {
    for chunk in ids.chunks(50) {
        let mut fetched = Vec::with_capacity(chunk.len());
        // A few requests in flight at once: Gmail's per-user quota (250 units/s, 5 per
        // `messages.get`) allows it, and a round trip no longer bounds the rate.
        for group in chunk.chunks(GMAIL_IN_FLIGHT) {
            let gets = group.iter().map(|id| {
                let path = format!("/gmail/v1/users/me/messages/{}", segment(id));
                async move { api.get(&path, &[("format", "raw".to_string())]).await }
            });
            for got in futures_util::future::join_all(gets).await {
                match got {
                    Ok(v) => fetched.push(v),
                    // Deleted since it was listed.
                    Err(GoogleError::NotFound { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let w = store.writer()?;
        let mut stored = 0;
        for v in &fetched {
            let gid = v["id"].as_str().unwrap_or("");
            let converted = gmail_raw(v);
            match converted {
                Ok((item, container, people)) => {
                    w.upsert_container(&container)?;
                    for p in &people {
                        w.upsert_person(p)?;
                    }
                    report.count(w.upsert_item(&item)?);
                    stored += 1;
                }
                Err(e) => {
                    w.record_failure(
                        CURSOR_SOURCE,
                        account,
                        "gmail",
                        &format!("message:{gid}"),
                        &e,
                        &json!({"id": gid}),
                    )?;
                    report.failed += 1;
                }
            }
        }
        w.commit()?;
        report.pages += 1;
        progress(&SyncEvent::Page { source: CURSOR_SOURCE.into(), container: "gmail".into(), items: stored });
    }
    Ok(())
}

type Converted = (chief_core::Item, chief_core::Container, Vec<chief_core::PersonRecord>);

/// A `messages.get?format=raw` answer as an item.
fn gmail_raw(v: &Value) -> Result<Converted, String> {
    let gid = v["id"].as_str().ok_or("message without id")?;
    let raw = v["raw"].as_str().ok_or("message without raw body")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw.trim_end_matches('='))
        .map_err(|e| format!("raw body is not base64url: {e}"))?;
    let labels: Vec<String> =
        v["labelIds"].as_array().into_iter().flatten().filter_map(|l| l.as_str().map(str::to_string)).collect();
    let internal = v["internalDate"].as_str().and_then(|d| d.parse::<i64>().ok()).map(Timestamp);
    crate::mbox::gmail_message(&bytes, gid, v["threadId"].as_str().unwrap_or(gid), &labels, internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_ids_are_encoded_as_one_segment() {
        assert_eq!(segment("maya@kestrel.example"), "maya@kestrel.example");
        assert_eq!(
            segment("en.usa#holiday@group.v.calendar.google.com"),
            "en.usa%23holiday@group.v.calendar.google.com"
        );
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }
}
