//! Live Slack sync over the Web API (a user token of the internal app the user
//! installs): people, the user's conversations, each conversation's history since its
//! high-water mark, and the replies of threads that grew.
//!
//! Every page of messages is written in one transaction together with the
//! conversation's cursor, so a crash re-reads at most one page and re-reading changes
//! nothing. Slack answers errors as HTTP 200 with `ok: false`; they are classified:
//! auth failures stop the source, rate limits go through the governor, `not_in_channel`
//! skips the conversation, `invalid_cursor` restarts the current window.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chief_core::{ContainerKind, Identity, IdentityKind, Timestamp};
use chief_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::connector::{BoxFuture, Connector, ConnectorError, Progress, SourceReport, SyncCtx, SyncEvent, SyncOptions};

use crate::governor::{Governor, backoff};
use crate::slack::{Converted, MessageContext, SlackConversation, SlackUser, convert_message};

/// The cursor source name for live Slack sync.
pub const CURSOR_SOURCE: &str = "slack";

/// Sync failures, classified.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The token is invalid, revoked or lacks access: the source pauses.
    #[error("Slack rejected the token ({0}); reconnect with `chief connect slack`")]
    Auth(String),
    /// Still rate limited after the retries; resume later.
    #[error("Slack rate limit persisted on {method}; the sync resumes from its cursors next time")]
    RateLimited { method: String },
    /// Network trouble or a 5xx that did not clear.
    #[error("Slack {method}: {message}")]
    Transient { method: String, message: String },
    /// Slack refused the request for another reason.
    #[error("Slack {method}: {error}")]
    Api { method: String, error: String },
    /// A response or a paging loop went past Chief's limits (body size, page count).
    #[error("Slack {method}: {error}")]
    Limit { method: String, error: String },
    #[error(transparent)]
    Store(#[from] chief_store::StoreError),
}

/// A Slack Web API client with one governor per method class.
pub struct SlackApi {
    http: reqwest::Client,
    base: String,
    token: String,
    governors: HashMap<&'static str, Governor>,
    attempts: u32,
    timeout: Duration,
    limits: crate::connector::Limits,
}

fn method_class(method: &str) -> &'static str {
    match method {
        "conversations.history" | "conversations.replies" => "history",
        "users.list" | "users.conversations" => "lists",
        "search.messages" => "search",
        _ => "other",
    }
}

impl SlackApi {
    /// `base` is the API root (`https://slack.com/api`, or a mock server).
    pub fn new(base: &str, token: &str) -> Self {
        let governors =
            ["history", "lists", "search", "other"].into_iter().map(|c| (c, Governor::new(Duration::ZERO))).collect();
        SlackApi {
            // No redirects: the token header must never follow a redirect to another host.
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap_or_default(),
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            governors,
            attempts: 5,
            timeout: Duration::from_secs(30),
            limits: crate::connector::Limits::default(),
        }
    }

    /// Sets the largest response body and the most pages one paging loop reads.
    pub fn with_limits(mut self, limits: crate::connector::Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the per-request timeout (a stalled request is retried).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// `auth.test`: who the token is, and the scopes Slack granted it.
    pub async fn auth_test(&self) -> Result<(Value, Vec<String>), SyncError> {
        let (v, scopes) = self.call_full("auth.test", &[]).await?;
        let scopes =
            scopes.unwrap_or_default().split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        Ok((v, scopes))
    }

    /// Calls a method; retries rate limits (honouring `Retry-After`) and 5xx.
    pub async fn call(&self, method: &str, params: &[(&str, String)]) -> Result<Value, SyncError> {
        Ok(self.call_full(method, params).await?.0)
    }

    async fn call_full(&self, method: &str, params: &[(&str, String)]) -> Result<(Value, Option<String>), SyncError> {
        let governor = &self.governors[method_class(method)];
        let transient = |message: String| SyncError::Transient { method: method.to_string(), message };
        for attempt in 1..=self.attempts {
            governor.wait().await;
            tracing::debug!(method, attempt, "slack request");
            let resp = self
                .http
                .get(format!("{}/{method}", self.base))
                .bearer_auth(&self.token)
                .query(params)
                .timeout(self.timeout)
                .send()
                .await;
            let resp = match resp {
                Ok(r) => r,
                Err(e) if attempt < self.attempts => {
                    tracing::info!(method, attempt, error = %e.without_url(), "slack request failed; retrying");
                    governor.defer(backoff(attempt, Duration::from_millis(500), Duration::from_secs(60))).await;
                    continue;
                }
                Err(e) => return Err(transient(e.without_url().to_string())),
            };
            let status = resp.status().as_u16();
            if status == 429 {
                let wait = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(chief_core::time::parse_retry_after);
                let wait = wait.unwrap_or_else(|| backoff(attempt, Duration::from_secs(1), Duration::from_secs(60)));
                if wait > MAX_RATE_WAIT {
                    // Longer than a sync should sit blocked: park the source instead.
                    return Err(SyncError::RateLimited { method: method.to_string() });
                }
                tracing::info!(method, attempt, wait_ms = wait.as_millis() as u64, "slack rate limit");
                governor.defer(wait).await;
                if attempt == self.attempts {
                    return Err(SyncError::RateLimited { method: method.to_string() });
                }
                continue;
            }
            if status >= 500 {
                if attempt == self.attempts {
                    return Err(transient(format!("HTTP {status}")));
                }
                tracing::info!(method, attempt, status, "slack server error; retrying");
                governor.defer(backoff(attempt, Duration::from_millis(500), Duration::from_secs(60))).await;
                continue;
            }
            let scopes = resp.headers().get("x-oauth-scopes").and_then(|v| v.to_str().ok()).map(str::to_string);
            let v = match crate::connector::read_json(resp, self.limits.max_body).await {
                Ok(v) => v,
                Err(crate::connector::BodyError::TooLarge(error)) => {
                    return Err(SyncError::Limit { method: method.to_string(), error });
                }
                // A body cut off mid-way is retried like a failed request.
                Err(crate::connector::BodyError::Unreadable(message)) if attempt < self.attempts => {
                    tracing::info!(method, attempt, %message, "slack response unreadable; retrying");
                    governor.defer(backoff(attempt, Duration::from_millis(500), Duration::from_secs(60))).await;
                    continue;
                }
                Err(crate::connector::BodyError::Unreadable(message)) => return Err(transient(message)),
            };
            if v["ok"].as_bool() == Some(true) {
                return Ok((v, scopes));
            }
            let error = v["error"].as_str().unwrap_or("unknown_error").to_string();
            return Err(match error.as_str() {
                "invalid_auth" | "not_authed" | "token_revoked" | "token_expired" | "account_inactive"
                | "missing_scope" => SyncError::Auth(error),
                "ratelimited" => SyncError::RateLimited { method: method.to_string() },
                _ => SyncError::Api { method: method.to_string(), error },
            });
        }
        Err(SyncError::RateLimited { method: method.to_string() })
    }

    /// Follows `response_metadata.next_cursor` through every page of a list method.
    async fn all_pages(&self, method: &str, params: &[(&str, String)], key: &str) -> Result<Vec<Value>, SyncError> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        let mut guard = self.limits.pages();
        loop {
            let mut p: Vec<(&str, String)> = params.to_vec();
            if !cursor.is_empty() {
                p.push(("cursor", cursor.clone()));
            }
            let v = self.call(method, &p).await?;
            out.extend(v[key].as_array().cloned().unwrap_or_default());
            cursor = v["response_metadata"]["next_cursor"].as_str().unwrap_or("").to_string();
            if cursor.is_empty() {
                return Ok(out);
            }
            guard.next(&cursor).map_err(|error| SyncError::Limit { method: method.to_string(), error })?;
        }
    }
}

/// How far back each sync re-reads below a conversation's high-water mark: edits,
/// deletions and new replies under older threads show up there.
pub const DEFAULT_OVERLAP: Duration = Duration::from_secs(7 * 86_400);

/// The cursor row holding workspace-wide state (people listed at, last search day).
const WORKSPACE: &str = "_workspace";

/// People are re-listed at most this often (`users.list` is Tier 2).
const USERS_EVERY_MS: i64 = 24 * 3_600_000;

impl From<SyncError> for ConnectorError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Auth(_) => ConnectorError::Auth(e.to_string()),
            SyncError::RateLimited { .. } => {
                ConnectorError::Parked { resume_at: Timestamp(Timestamp::now().0 + 5 * 60_000), message: e.to_string() }
            }
            SyncError::Transient { .. } => ConnectorError::Transient(e.to_string()),
            SyncError::Api { .. } | SyncError::Limit { .. } => ConnectorError::Transient(e.to_string()),
            SyncError::Store(s) => ConnectorError::Store(s),
        }
    }
}

/// Slack through the Web API with a user token.
pub struct SlackConnector {
    api: SlackApi,
    /// Overrides the workspace URL `auth.test` reports (for permalinks).
    workspace_url: Option<String>,
}

impl SlackConnector {
    pub fn new(api: SlackApi, workspace_url: Option<String>) -> Self {
        SlackConnector { api, workspace_url }
    }
}

impl Connector for SlackConnector {
    fn source(&self) -> &'static str {
        CURSOR_SOURCE
    }

    fn sync<'a>(&'a self, ctx: SyncCtx<'a>) -> BoxFuture<'a, Result<SourceReport, ConnectorError>> {
        Box::pin(async move {
            Ok(sync(ctx.store, &self.api, self.workspace_url.as_deref(), ctx.options, ctx.progress).await?)
        })
    }
}

/// Everything one conversation's sync needs besides the store.
struct Conv<'a> {
    api: &'a SlackApi,
    account: &'a str,
    channel: &'a str,
    names: &'a HashMap<String, String>,
    url: Option<&'a str>,
    options: &'a SyncOptions,
    progress: &'a Progress,
}

impl Conv<'_> {
    fn ctx(&self) -> MessageContext<'_> {
        MessageContext { channel_id: self.channel, users: self.names, workspace_url: self.url }
    }
}

/// The longest a Slack rate limit is waited out in place; longer parks the source.
const MAX_RATE_WAIT: Duration = Duration::from_secs(300);

/// Syncs Slack into the store: people (daily), the user's conversations, each
/// conversation's history from its cursor, threads that grew, replies under old
/// threads found by `search.messages`, earlier failures, and (when asked) a full
/// id listing that finds deletions.
pub async fn sync(
    store: &mut Store,
    api: &SlackApi,
    workspace_url: Option<&str>,
    options: &SyncOptions,
    progress: &Progress,
) -> Result<SourceReport, SyncError> {
    let mut report = SourceReport { source: CURSOR_SOURCE.into(), ..SourceReport::default() };
    progress(&SyncEvent::Started { source: CURSOR_SOURCE.into() });
    let (me, _) = api.auth_test().await?;
    let account = me["team_id"].as_str().unwrap_or("team").to_string();
    let me_id = me["user_id"].as_str().unwrap_or("").to_string();
    if !me_id.is_empty() {
        store.record_me(&Identity::new(IdentityKind::Slack, &me_id), "slack auth.test", options.now.0)?;
    }
    report.account = account.clone();
    let url =
        workspace_url.map(str::to_string).or_else(|| me["url"].as_str().map(|u| u.trim_end_matches('/').to_string()));
    let mut ws = store.cursor(CURSOR_SOURCE, &account, WORKSPACE)?.unwrap_or_else(|| json!({}));
    let now = options.now;

    if options.reconcile || ws["users_synced_ms"].as_i64().is_none_or(|t| now.0 - t >= USERS_EVERY_MS) {
        let users: Vec<SlackUser> = api
            .all_pages("users.list", &[("limit", "200".into())], "members")
            .await?
            .into_iter()
            .filter_map(|u| serde_json::from_value(u).ok())
            .collect();
        let w = store.writer()?;
        for u in &users {
            w.upsert_person(&u.to_person())?;
        }
        ws["users_synced_ms"] = json!(now.0);
        w.set_cursor(CURSOR_SOURCE, &account, WORKSPACE, &ws)?;
        w.commit()?;
        report.people = users.len();
    }
    let names = store.identity_names("slack")?;
    let convs: Vec<SlackConversation> = api
        .all_pages(
            "users.conversations",
            &[("types", "public_channel,private_channel,mpim,im".into()), ("limit", "200".into())],
            "channels",
        )
        .await?
        .into_iter()
        .filter_map(|c| serde_json::from_value(c).ok())
        .map(|mut c: SlackConversation| {
            // `users.conversations` names a DM's other member in `user`.
            if c.is_im && c.members.is_empty() {
                c.members = [me_id.clone()].into_iter().chain(c.user.clone()).collect();
            }
            c
        })
        .collect();
    {
        let w = store.writer()?;
        for c in &convs {
            w.upsert_container(&c.to_container(ContainerKind::Channel, &|id| names.get(id).cloned()))?;
        }
        w.commit()?;
    }
    report.containers = convs.len();

    for (i, conv) in convs.iter().enumerate() {
        progress(&SyncEvent::Container {
            source: CURSOR_SOURCE.into(),
            container: conv.id.clone(),
            done: i,
            total: convs.len(),
        });
        let c =
            Conv { api, account: &account, channel: &conv.id, names: &names, url: url.as_deref(), options, progress };
        match sync_conversation(store, &c, &mut report).await {
            Ok(()) => {}
            Err(SyncError::Api { error, .. })
                if matches!(
                    error.as_str(),
                    "not_in_channel"
                        | "channel_not_found"
                        | "access_denied"
                        | "channel_is_limited_access"
                        | "is_archived"
                ) =>
            {
                tracing::info!(channel = %conv.id, %error, "slack conversation skipped");
                report.skipped.push((conv.id.clone(), error));
            }
            // One conversation past the limits must not starve the others; its cursor
            // keeps what was read, and the next run goes on from there.
            Err(SyncError::Limit { error, .. }) => {
                tracing::warn!(channel = %conv.id, %error, "slack conversation cut short");
                report.skipped.push((conv.id.clone(), error));
            }
            Err(e) => return Err(e),
        }
    }

    // Replies under threads older than the re-read window: only search finds them.
    let today = now.to_rfc3339()[..10].to_string();
    if let Some(last) = ws["last_search_day"].as_str().map(str::to_string) {
        let known: std::collections::HashSet<&str> = convs.iter().map(|c| c.id.as_str()).collect();
        search_delta(store, api, &account, &last, &known, &names, url.as_deref(), options, progress, &mut report)
            .await?;
    }
    ws["last_search_day"] = json!(today);
    {
        let w = store.writer()?;
        w.set_cursor(CURSOR_SOURCE, &account, WORKSPACE, &ws)?;
        w.commit()?;
    }

    retry_failures(store, &account, &names, url.as_deref(), options, &mut report)?;
    if options.reconcile {
        for conv in &convs {
            if report.skipped.iter().any(|(id, _)| id == &conv.id) {
                continue;
            }
            let c = Conv {
                api,
                account: &account,
                channel: &conv.id,
                names: &names,
                url: url.as_deref(),
                options,
                progress,
            };
            reconcile_conversation(store, &c, &mut report).await?;
        }
        report.reconciled = true;
    }
    Ok(report)
}

/// Live mode keeps what an item is and what it points at, not what it says.
fn strip_text(item: &mut chief_core::Item) {
    item.title.clear();
    item.body.clear();
    if !item.extra.is_object() {
        item.extra = json!({});
    }
    item.extra["live"] = json!(true);
}

/// A message payload reduced to what says where it is and who wrote it, for the
/// failure record of a live-mode workspace: its text, blocks, attachments, files
/// and any nested message never reach the disk.
fn without_text(m: &Value) -> Value {
    const KEEP: &[&str] = &[
        "type",
        "subtype",
        "ts",
        "thread_ts",
        "user",
        "bot_id",
        "team",
        "reply_count",
        "latest_reply",
        "parent_user_id",
        "deleted_ts",
        "hidden",
        "client_msg_id",
    ];
    let kept = KEEP.iter().filter_map(|k| m.get(*k).map(|v| (k.to_string(), v.clone()))).collect();
    Value::Object(kept)
}

/// Where one conversation's sync stands; stored as JSON in the store's cursor table
/// and written in the same transaction as the page it covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConvCursor {
    /// The newest top-level ts of the last window read to its end.
    pub hwm: String,
    /// The page cursor of a window read part-way (empty: start a new window).
    pub page: String,
    /// The newest ts seen in the window being read.
    pub page_max: String,
    /// Per thread (parent ts), the newest reply read.
    pub threads: BTreeMap<String, String>,
    /// Threads with replies still to read, oldest first.
    pub pending: Vec<String>,
}

impl Default for ConvCursor {
    fn default() -> Self {
        ConvCursor {
            hwm: "0".into(),
            page: String::new(),
            page_max: String::new(),
            threads: BTreeMap::new(),
            pending: Vec::new(),
        }
    }
}

impl ConvCursor {
    fn load(store: &Store, account: &str, channel: &str) -> Result<ConvCursor, SyncError> {
        Ok(match store.cursor(CURSOR_SOURCE, account, channel)? {
            Some(v) => serde_json::from_value(v).unwrap_or_else(|e| {
                tracing::warn!(channel, error = %e, "slack cursor unreadable; re-reading the conversation");
                ConvCursor::default()
            }),
            None => ConvCursor::default(),
        })
    }

    fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| json!({}))
    }

    fn drop_pending(&mut self, ts: &str) {
        self.pending.retain(|x| x != ts);
    }
}

/// Writes one page of messages and the conversation's cursor in one transaction.
/// A message that cannot be converted is recorded in `sync_failures` with its payload.
fn write_page(
    store: &mut Store,
    c: &Conv<'_>,
    messages: &[Value],
    cursor: &ConvCursor,
    report: &mut SourceReport,
) -> Result<(), SyncError> {
    let ctx = c.ctx();
    let w = store.writer()?;
    for m in messages {
        match convert_message(m, &ctx) {
            Ok(Converted::Item(mut item)) => {
                if c.options.live {
                    strip_text(&mut item);
                }
                report.count(w.upsert_item(&item)?);
            }
            Ok(Converted::Tombstone(item)) => {
                if crate::slack_export::store_tombstone(&w, &item)? {
                    report.deleted += 1;
                }
            }
            Ok(Converted::Delete(id)) => {
                if w.delete_item(&id)? {
                    report.deleted += 1;
                }
            }
            Ok(Converted::Skipped(_)) => {}
            Err(e) => {
                let key =
                    m["ts"].as_str().map(str::to_string).unwrap_or_else(|| crate::file_hash(m.to_string().as_bytes()));
                tracing::warn!(channel = c.channel, %key, error = %e, "slack message not stored; recorded for retry");
                let kept = if c.options.live { without_text(m) } else { m.clone() };
                w.record_failure(CURSOR_SOURCE, c.account, c.channel, &key, &e, &kept)?;
                report.failed += 1;
            }
        }
    }
    w.set_cursor(CURSOR_SOURCE, c.account, c.channel, &cursor.to_json())?;
    w.commit()?;
    report.pages += 1;
    tracing::info!(channel = c.channel, items = messages.len(), "slack page stored");
    (c.progress)(&SyncEvent::Page {
        source: CURSOR_SOURCE.into(),
        container: c.channel.to_string(),
        items: messages.len(),
    });
    Ok(())
}

/// The newest ts in a list of messages, or `floor`.
fn max_ts(messages: &[Value], floor: &str) -> String {
    messages
        .iter()
        .filter_map(|m| m["ts"].as_str())
        .fold(floor.to_string(), |acc, ts| if ts_gt(ts, &acc) { ts.to_string() } else { acc })
}

fn secs_ts(ms: i64) -> String {
    format!("{}.000000", (ms / 1000).max(0))
}

async fn sync_conversation(store: &mut Store, c: &Conv<'_>, report: &mut SourceReport) -> Result<(), SyncError> {
    let mut cursor = ConvCursor::load(store, c.account, c.channel)?;
    let hwm = cursor.hwm.clone();
    let hwm_secs: u64 = hwm.split('.').next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut oldest = if hwm_secs == 0 {
        "0".to_string()
    } else {
        format!("{}.000000", hwm_secs.saturating_sub(c.options.overlap.as_secs()))
    };
    if let Some(cut) = c.options.cutoff()
        && ts_gt(&secs_ts(cut.0), &oldest)
    {
        oldest = secs_ts(cut.0);
    }
    let mut page_max = if cursor.page_max.is_empty() { hwm.clone() } else { cursor.page_max.clone() };
    let mut page = cursor.page.clone();
    // Threads a cut-short run had still to read.
    refresh_pending(store, c, &mut cursor, report).await?;
    // Top-level messages seen in this window; when the whole window is read in this
    // run, stored ones that did not come back were deleted.
    let mut whole_window = page.is_empty();
    let mut seen: std::collections::HashSet<String> = Default::default();
    let (mut guard, mut restarts) = (c.api.limits.pages(), 0);
    loop {
        let mut params = vec![
            ("channel", c.channel.to_string()),
            ("oldest", oldest.clone()),
            ("inclusive", "false".into()),
            ("limit", "200".into()),
        ];
        if !page.is_empty() {
            params.push(("cursor", page.clone()));
        }
        let v = match c.api.call("conversations.history", &params).await {
            Err(SyncError::Api { error, .. }) if error == "invalid_cursor" && !page.is_empty() => {
                // A rejected page cursor restarts the window from the high-water mark.
                tracing::info!(channel = c.channel, "slack page cursor rejected; restarting the window");
                restarts += 1;
                if restarts > 3 {
                    return Err(SyncError::Limit {
                        method: "conversations.history".into(),
                        error: "the page cursor was rejected three times in a row; stopped paging".into(),
                    });
                }
                guard = c.api.limits.pages();
                page.clear();
                whole_window = true;
                seen.clear();
                continue;
            }
            other => other?,
        };
        let messages = v["messages"].as_array().cloned().unwrap_or_default();
        page_max = max_ts(&messages, &page_max);
        seen.extend(
            messages
                .iter()
                .filter_map(|m| m["ts"].as_str())
                .map(|ts| crate::slack::message_id(c.channel, ts).as_str().to_string()),
        );
        // Threads whose latest reply is newer than what we have: recorded as pending
        // in the page's transaction, so a run cut short reads them next time even when
        // their parents fall below the re-read window.
        for m in &messages {
            if let (Some(ts), Some(latest)) = (m["ts"].as_str(), m["latest_reply"].as_str()) {
                let seen = cursor.threads.get(ts).map_or("0", String::as_str);
                if ts_gt(latest, seen) && !cursor.pending.iter().any(|x| x == ts) {
                    cursor.pending.push(ts.to_string());
                }
            }
        }
        let next = v["response_metadata"]["next_cursor"].as_str().unwrap_or("").to_string();
        if !next.is_empty() {
            guard.next(&next).map_err(|error| SyncError::Limit { method: "conversations.history".into(), error })?;
        }
        if next.is_empty() {
            // The window is read: its scratch high-water mark goes, so the next window
            // starts from `hwm` and never from a stale, older value.
            cursor.hwm = page_max.clone();
            cursor.page.clear();
            cursor.page_max.clear();
        } else {
            cursor.page = next.clone();
            cursor.page_max = page_max.clone();
        }
        write_page(store, c, &messages, &cursor, report)?;
        refresh_pending(store, c, &mut cursor, report).await?;
        if next.is_empty() {
            if whole_window && oldest != "0" {
                let from = Timestamp::from_slack_ts(&oldest).unwrap_or(Timestamp(0));
                let to = Timestamp::from_slack_ts(&hwm).map(|t| Timestamp(t.0 + 1)).unwrap_or(from);
                let container = chief_core::ContainerId::new(chief_core::Source::Slack, c.channel);
                let stored = store.live_top_level_ids_in(container.as_str(), Timestamp(from.0 + 1000), to)?;
                let w = store.writer()?;
                let gone = w.delete_ids(stored.iter().map(String::as_str).filter(|id| !seen.contains(*id)))?;
                w.commit()?;
                if gone > 0 {
                    report.deleted += gone;
                    tracing::info!(channel = c.channel, deleted = gone, "slack messages gone from the re-read window");
                }
            }
            return Ok(());
        }
        page = next;
    }
}

/// Reads every pending thread, oldest first.
async fn refresh_pending(
    store: &mut Store,
    c: &Conv<'_>,
    cursor: &mut ConvCursor,
    report: &mut SourceReport,
) -> Result<(), SyncError> {
    while let Some(ts) = cursor.pending.first().cloned() {
        match refresh_thread(store, c, cursor, &ts, report).await {
            // The parent is gone: nothing to read.
            Err(SyncError::Api { error, .. }) if error == "thread_not_found" => {
                cursor.drop_pending(&ts);
                let w = store.writer()?;
                w.set_cursor(CURSOR_SOURCE, c.account, c.channel, &cursor.to_json())?;
                w.commit()?;
            }
            other => other?,
        }
    }
    Ok(())
}

/// Reads a thread's replies newer than the last one seen; the thread's entry in the
/// conversation cursor moves (and leaves the pending list) in the same transaction.
async fn refresh_thread(
    store: &mut Store,
    c: &Conv<'_>,
    cursor: &mut ConvCursor,
    thread_ts: &str,
    report: &mut SourceReport,
) -> Result<(), SyncError> {
    let seen = cursor.threads.get(thread_ts).cloned().unwrap_or_else(|| "0".into());
    let replies = c
        .api
        .all_pages(
            "conversations.replies",
            &[
                ("channel", c.channel.to_string()),
                ("ts", thread_ts.to_string()),
                ("oldest", seen.clone()),
                ("limit", "200".into()),
            ],
            "messages",
        )
        .await?;
    let replies: Vec<Value> = replies.into_iter().filter(|r| r["ts"].as_str() != Some(thread_ts)).collect();
    cursor.threads.insert(thread_ts.to_string(), max_ts(&replies, &seen));
    cursor.drop_pending(thread_ts);
    write_page(store, c, &replies, cursor, report)?;
    report.threads_refreshed += 1;
    Ok(())
}

/// `search.messages after:DAY` finds replies posted under threads of any age; the
/// threads of replies not stored yet are refreshed.
#[allow(clippy::too_many_arguments)]
async fn search_delta(
    store: &mut Store,
    api: &SlackApi,
    account: &str,
    last_day: &str,
    known: &std::collections::HashSet<&str>,
    names: &HashMap<String, String>,
    url: Option<&str>,
    options: &SyncOptions,
    progress: &Progress,
    report: &mut SourceReport,
) -> Result<(), SyncError> {
    // `after:` excludes the day itself: ask from the day before the last search.
    let after = time::Date::parse(last_day, time::macros::format_description!("[year]-[month]-[day]"))
        .ok()
        .and_then(|d| d.previous_day())
        .map(|d| d.to_string())
        .unwrap_or_else(|| last_day.to_string());
    let mut threads: std::collections::BTreeSet<(String, String)> = Default::default();
    let mut page = 1u64;
    let mut guard = api.limits.pages();
    loop {
        let params = [
            ("query", format!("after:{after}")),
            ("sort", "timestamp".into()),
            ("sort_dir", "asc".into()),
            ("count", "100".into()),
            ("page", page.to_string()),
        ];
        let v = match api.call("search.messages", &params).await {
            // Without `search:read` the delta is skipped; the re-read window still works.
            Err(SyncError::Auth(e)) if e == "missing_scope" => {
                tracing::info!("slack search:read not granted; replies under old threads rely on reconciliation");
                return Ok(());
            }
            other => other?,
        };
        for m in v["messages"]["matches"].as_array().into_iter().flatten() {
            let (Some(ch), Some(ts)) = (m["channel"]["id"].as_str(), m["ts"].as_str()) else { continue };
            let parent = m["thread_ts"].as_str().map(str::to_string).or_else(|| {
                let link = m["permalink"].as_str()?;
                let q = link.split_once('?')?.1;
                q.split('&').find_map(|kv| kv.strip_prefix("thread_ts=")).map(str::to_string)
            });
            let Some(parent) = parent.filter(|p| p != ts) else { continue };
            if known.contains(ch) && store.item(crate::slack::message_id(ch, ts).as_str())?.is_none() {
                threads.insert((ch.to_string(), parent));
            }
        }
        let pages = v["messages"]["pagination"]["page_count"]
            .as_u64()
            .or(v["messages"]["paging"]["pages"].as_u64())
            .unwrap_or(1);
        if page >= pages {
            break;
        }
        page += 1;
        guard.next(&page.to_string()).map_err(|error| SyncError::Limit { method: "search.messages".into(), error })?;
    }
    for (channel, parent) in threads {
        let c = Conv { api, account, channel: &channel, names, url, options, progress };
        let mut cursor = ConvCursor::load(store, account, &channel)?;
        tracing::info!(%channel, thread = %parent, "slack search found a new reply under an older thread");
        match refresh_thread(store, &c, &mut cursor, &parent, report).await {
            Err(SyncError::Api { error, .. }) if error == "thread_not_found" => {}
            other => other?,
        }
    }
    Ok(())
}

/// Converts the stored payloads of earlier failures again; what converts is stored
/// and forgotten, what is stored by now (edited since) is forgotten.
fn retry_failures(
    store: &mut Store,
    account: &str,
    names: &HashMap<String, String>,
    url: Option<&str>,
    options: &SyncOptions,
    report: &mut SourceReport,
) -> Result<(), SyncError> {
    let failures = store.sync_failures(Some(CURSOR_SOURCE))?;
    if failures.is_empty() {
        return Ok(());
    }
    let w = store.writer()?;
    for f in failures.iter().filter(|f| f.account == account) {
        let ctx = MessageContext { channel_id: &f.container, users: names, workspace_url: url };
        match convert_message(&f.payload, &ctx) {
            Ok(Converted::Item(mut item)) => {
                if options.live {
                    strip_text(&mut item);
                }
                report.count(w.upsert_item(&item)?);
                w.clear_failure(CURSOR_SOURCE, account, &f.container, &f.item_key)?;
                report.recovered += 1;
            }
            Ok(_) => {
                w.clear_failure(CURSOR_SOURCE, account, &f.container, &f.item_key)?;
            }
            Err(e) => {
                let id = crate::slack::message_id(&f.container, &f.item_key);
                if w.item_exists(&id)? {
                    w.clear_failure(CURSOR_SOURCE, account, &f.container, &f.item_key)?;
                } else {
                    tracing::debug!(container = %f.container, key = %f.item_key, error = %e, "slack failure still failing");
                }
            }
        }
    }
    w.commit()?;
    Ok(())
}

/// Lists every message and reply of a conversation inside the retention window,
/// stores what changed and deletes what is gone.
async fn reconcile_conversation(store: &mut Store, c: &Conv<'_>, report: &mut SourceReport) -> Result<(), SyncError> {
    let from = c.options.cutoff().unwrap_or(Timestamp(0));
    let oldest = secs_ts(from.0);
    let history = c
        .api
        .all_pages(
            "conversations.history",
            &[("channel", c.channel.to_string()), ("oldest", oldest.clone()), ("limit", "200".into())],
            "messages",
        )
        .await?;
    let mut seen: std::collections::HashSet<String> = Default::default();
    let mut all = Vec::new();
    for m in &history {
        if let Some(ts) = m["ts"].as_str() {
            seen.insert(crate::slack::message_id(c.channel, ts).as_str().to_string());
            if m["reply_count"].as_u64().unwrap_or(0) > 0 {
                let replies = c
                    .api
                    .all_pages(
                        "conversations.replies",
                        &[("channel", c.channel.to_string()), ("ts", ts.to_string()), ("limit", "200".into())],
                        "messages",
                    )
                    .await?;
                for r in replies.into_iter().filter(|r| r["ts"].as_str() != Some(ts)) {
                    if let Some(rts) = r["ts"].as_str() {
                        seen.insert(crate::slack::message_id(c.channel, rts).as_str().to_string());
                    }
                    all.push(r);
                }
            }
        }
        all.push(m.clone());
    }
    let cursor = ConvCursor::load(store, c.account, c.channel)?;
    write_page(store, c, &all, &cursor, report)?;
    let container = chief_core::ContainerId::new(chief_core::Source::Slack, c.channel);
    // Only what a live sync stored: an export's history is never deleted by a sync.
    let stored = store.synced_ids_in(container.as_str(), from, Timestamp(i64::MAX))?;
    let w = store.writer()?;
    report.deleted += w.delete_ids(stored.iter().map(String::as_str).filter(|id| !seen.contains(*id)))?;
    w.commit()?;
    Ok(())
}

/// Fetches one message's current text (live mode keeps none locally).
pub async fn fetch_text(
    api: &SlackApi,
    channel: &str,
    ts: &str,
    thread_ts: Option<&str>,
    names: &HashMap<String, String>,
    url: Option<&str>,
) -> Result<Option<String>, SyncError> {
    let root = thread_ts.unwrap_or(ts);
    let v = api
        .call(
            "conversations.replies",
            &[
                ("channel", channel.to_string()),
                ("ts", root.to_string()),
                ("oldest", ts.to_string()),
                ("inclusive", "true".into()),
                ("limit", "200".into()),
            ],
        )
        .await?;
    let ctx = MessageContext { channel_id: channel, users: names, workspace_url: url };
    for m in v["messages"].as_array().into_iter().flatten() {
        if m["ts"].as_str() == Some(ts)
            && let Ok(Converted::Item(item)) = convert_message(m, &ctx)
        {
            return Ok(Some(item.body));
        }
    }
    Ok(None)
}

/// Compares Slack timestamps numerically (`"1700000000.000200"`).
fn ts_gt(a: &str, b: &str) -> bool {
    let parse = |s: &str| {
        let (sec, frac) = s.split_once('.').unwrap_or((s, "0"));
        (sec.parse::<u64>().unwrap_or(0), format!("{frac:0<6}").parse::<u64>().unwrap_or(0))
    };
    parse(a) > parse(b)
}
