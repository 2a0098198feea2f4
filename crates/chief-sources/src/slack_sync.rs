//! Live Slack sync over the Web API (a user token of the internal app the user
//! installs): people, the user's conversations, each conversation's history since its
//! high-water mark, and the replies of threads that grew.
//!
//! Every page of messages is written in one transaction together with the
//! conversation's cursor, so a crash re-reads at most one page and re-reading changes
//! nothing. Slack answers errors as HTTP 200 with `ok: false`; they are classified:
//! auth failures stop the source, rate limits go through the governor, `not_in_channel`
//! skips the conversation, `invalid_cursor` restarts the current window.

use std::collections::HashMap;
use std::time::Duration;

use chief_core::ContainerKind;
use chief_store::{Store, Upsert};
use serde::Serialize;
use serde_json::{Value, json};

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
}

fn method_class(method: &str) -> &'static str {
    match method {
        "conversations.history" | "conversations.replies" => "history",
        "users.list" | "users.conversations" => "lists",
        _ => "other",
    }
}

impl SlackApi {
    /// `base` is the API root (`https://slack.com/api`, or a mock server).
    pub fn new(base: &str, token: &str) -> Self {
        let governors = ["history", "lists", "other"].into_iter().map(|c| (c, Governor::new(Duration::ZERO))).collect();
        SlackApi { http: reqwest::Client::new(), base: base.trim_end_matches('/').to_string(), token: token.to_string(), governors, attempts: 5 }
    }

    /// Calls a method; retries rate limits (honouring `Retry-After`) and 5xx.
    pub async fn call(&self, method: &str, params: &[(&str, String)]) -> Result<Value, SyncError> {
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
                .timeout(Duration::from_secs(30))
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
                let wait = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok()).map(Duration::from_secs);
                let wait = wait.unwrap_or_else(|| backoff(attempt, Duration::from_secs(1), Duration::from_secs(60)));
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
                governor.defer(backoff(attempt, Duration::from_millis(500), Duration::from_secs(60))).await;
                continue;
            }
            let v: Value = resp.json().await.map_err(|e| transient(format!("unreadable response: {}", e.without_url())))?;
            if v["ok"].as_bool() == Some(true) {
                return Ok(v);
            }
            let error = v["error"].as_str().unwrap_or("unknown_error").to_string();
            return Err(match error.as_str() {
                "invalid_auth" | "not_authed" | "token_revoked" | "token_expired" | "account_inactive" | "missing_scope" => SyncError::Auth(error),
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
        }
    }
}

/// What a sync did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    pub team: String,
    pub conversations: usize,
    pub people: usize,
    pub pages: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
    pub threads_refreshed: usize,
    /// Conversations skipped, with why (`not_in_channel`, ...).
    pub skipped: Vec<(String, String)>,
}

/// How far back each sync re-reads below a conversation's high-water mark: edits,
/// deletions and new replies under older threads show up there.
pub const DEFAULT_OVERLAP: Duration = Duration::from_secs(7 * 86_400);

/// Syncs Slack into the store. Cursors per conversation make it incremental; each
/// run re-reads `overlap` below the high-water mark.
pub async fn sync(store: &mut Store, api: &SlackApi, workspace_url: Option<&str>, overlap: Duration) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();
    let me = api.call("auth.test", &[]).await?;
    let account = me["team_id"].as_str().unwrap_or("team").to_string();
    report.team = me["team"].as_str().unwrap_or("").to_string();
    let url = workspace_url.map(str::to_string).or_else(|| me["url"].as_str().map(|u| u.trim_end_matches('/').to_string()));

    let users: Vec<SlackUser> = api.all_pages("users.list", &[("limit", "200".into())], "members").await?.into_iter().filter_map(|u| serde_json::from_value(u).ok()).collect();
    let names: HashMap<String, String> = users.iter().map(|u| (u.id.clone(), u.display_name())).collect();
    let convs: Vec<SlackConversation> = api
        .all_pages("users.conversations", &[("types", "public_channel,private_channel,mpim,im".into()), ("limit", "200".into())], "channels")
        .await?
        .into_iter()
        .filter_map(|c| serde_json::from_value(c).ok())
        .collect();
    {
        let w = store.writer()?;
        for u in &users {
            w.upsert_person(&u.to_person())?;
        }
        for c in &convs {
            w.upsert_container(&c.to_container(ContainerKind::Channel, &|id| names.get(id).cloned()))?;
        }
        w.commit()?;
    }
    report.people = users.len();
    report.conversations = convs.len();

    for conv in &convs {
        match sync_conversation(store, api, &account, &conv.id, &names, url.as_deref(), overlap, &mut report).await {
            Ok(()) => {}
            Err(SyncError::Api { error, .. }) if matches!(error.as_str(), "not_in_channel" | "channel_not_found" | "access_denied") => {
                report.skipped.push((conv.id.clone(), error));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

/// Writes one page of messages and the conversation's cursor in one transaction.
fn write_page(store: &mut Store, account: &str, channel: &str, messages: &[Value], ctx: &MessageContext<'_>, cursor: &Value, report: &mut SyncReport) -> Result<(), SyncError> {
    let w = store.writer()?;
    for m in messages {
        let Ok(c) = convert_message(m, ctx) else { continue };
        match c {
            Converted::Item(item) => match w.upsert_item(&item)? {
                Upsert::Inserted => report.inserted += 1,
                Upsert::Updated => report.updated += 1,
                Upsert::Unchanged => report.unchanged += 1,
            },
            Converted::Tombstone(item) => {
                if crate::slack_export::store_tombstone(&w, &item)? {
                    report.deleted += 1;
                }
            }
            Converted::Delete(id) => {
                if w.delete_item(&id)? {
                    report.deleted += 1;
                }
            }
            Converted::Skipped(_) => {}
        }
    }
    w.set_cursor(CURSOR_SOURCE, account, channel, cursor)?;
    w.commit()?;
    report.pages += 1;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn sync_conversation(
    store: &mut Store,
    api: &SlackApi,
    account: &str,
    channel: &str,
    names: &HashMap<String, String>,
    url: Option<&str>,
    overlap: Duration,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let ctx = MessageContext { channel_id: channel, users: names, workspace_url: url };
    let mut cursor = store.cursor(CURSOR_SOURCE, account, channel)?.unwrap_or_else(|| json!({"hwm": "0", "threads": {}}));
    let hwm = cursor["hwm"].as_str().unwrap_or("0").to_string();
    let hwm_secs: u64 = hwm.split('.').next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let oldest = if hwm_secs == 0 { "0".to_string() } else { format!("{}.000000", hwm_secs.saturating_sub(overlap.as_secs())) };
    let mut page_max = cursor["page_max"].as_str().unwrap_or(&hwm).to_string();
    let mut page = cursor["page"].as_str().unwrap_or("").to_string();
    loop {
        let mut params = vec![("channel", channel.to_string()), ("oldest", oldest.clone()), ("inclusive", "false".into()), ("limit", "200".into())];
        if !page.is_empty() {
            params.push(("cursor", page.clone()));
        }
        let v = match api.call("conversations.history", &params).await {
            Err(SyncError::Api { error, .. }) if error == "invalid_cursor" && !page.is_empty() => {
                // A rejected page cursor restarts the window from the high-water mark.
                page.clear();
                continue;
            }
            other => other?,
        };
        let messages = v["messages"].as_array().cloned().unwrap_or_default();
        for m in &messages {
            if let Some(ts) = m["ts"].as_str() {
                if ts_gt(ts, &page_max) {
                    page_max = ts.to_string();
                }
            }
        }
        // Threads whose latest reply is newer than what we have.
        let mut grown = Vec::new();
        for m in &messages {
            if let (Some(ts), Some(latest)) = (m["ts"].as_str(), m["latest_reply"].as_str()) {
                let seen = cursor["threads"][ts].as_str().unwrap_or("0");
                if ts_gt(latest, seen) {
                    grown.push((ts.to_string(), latest.to_string()));
                }
            }
        }
        let next = v["response_metadata"]["next_cursor"].as_str().unwrap_or("").to_string();
        if next.is_empty() {
            cursor["hwm"] = json!(page_max.clone());
            cursor["page"] = json!("");
        } else {
            cursor["page"] = json!(next.clone());
            cursor["page_max"] = json!(page_max.clone());
        }
        write_page(store, account, channel, &messages, &ctx, &cursor, report)?;
        for (thread_ts, latest) in grown {
            let seen = cursor["threads"][&thread_ts].as_str().unwrap_or("0").to_string();
            let replies = api
                .all_pages("conversations.replies", &[("channel", channel.to_string()), ("ts", thread_ts.clone()), ("oldest", seen), ("limit", "200".into())], "messages")
                .await?;
            let replies: Vec<Value> = replies.into_iter().filter(|r| r["ts"].as_str() != Some(thread_ts.as_str())).collect();
            cursor["threads"][&thread_ts] = json!(latest);
            write_page(store, account, channel, &replies, &ctx, &cursor, report)?;
            report.threads_refreshed += 1;
        }
        if next.is_empty() {
            return Ok(());
        }
        page = next;
    }
}

/// Compares Slack timestamps numerically (`"1700000000.000200"`).
fn ts_gt(a: &str, b: &str) -> bool {
    let parse = |s: &str| {
        let (sec, frac) = s.split_once('.').unwrap_or((s, "0"));
        (sec.parse::<u64>().unwrap_or(0), format!("{frac:0<6}").parse::<u64>().unwrap_or(0))
    };
    parse(a) > parse(b)
}
