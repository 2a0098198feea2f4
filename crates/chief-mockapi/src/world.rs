//! The data a mock serves: a Slack workspace and a GitHub account, in the shapes the
//! real APIs return. Loaded from the demo workspace on disk or generated at a given
//! size for benchmarks, and mutable while served (edits, deletes, new replies,
//! renames) so tests can play out what happens between two syncs.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::MockError;

/// Orders Slack timestamps (`"1700000000.000200"`) numerically.
pub fn ts_key(ts: &str) -> (u64, u64) {
    let (sec, frac) = ts.split_once('.').unwrap_or((ts, "0"));
    (sec.parse().unwrap_or(0), format!("{frac:0<6}").get(..6).and_then(|f| f.parse().ok()).unwrap_or(0))
}

/// A Slack workspace as seen through one user's token.
#[derive(Debug, Clone, Default)]
pub struct SlackWorld {
    pub team_id: String,
    pub team: String,
    /// `https://<team>.slack.com/`
    pub url: String,
    pub user_id: String,
    pub user: String,
    /// Scopes reported in `x-oauth-scopes` by `auth.test`.
    pub scopes: Vec<String>,
    pub users: Vec<Value>,
    /// In `users.conversations` shape.
    pub conversations: Vec<Value>,
    /// Per conversation, every message (top level and replies) by ts.
    pub messages: BTreeMap<String, BTreeMap<(u64, u64), Value>>,
}

impl SlackWorld {
    /// Adds or replaces a message (by `ts`).
    pub fn post(&mut self, channel: &str, msg: Value) {
        let key = ts_key(msg["ts"].as_str().unwrap_or("0"));
        self.messages.entry(channel.to_string()).or_default().insert(key, msg);
    }

    /// Edits a message's text the way Slack does (`edited` set).
    pub fn edit(&mut self, channel: &str, ts: &str, text: &str) -> bool {
        let Some(m) = self.messages.get_mut(channel).and_then(|c| c.get_mut(&ts_key(ts))) else { return false };
        m["text"] = json!(text);
        m["edited"] = json!({"user": m["user"].clone(), "ts": ts});
        true
    }

    /// Deletes a message: a thread parent with replies becomes a tombstone.
    pub fn delete(&mut self, channel: &str, ts: &str) -> bool {
        let has_replies = !self.replies(channel, ts).is_empty();
        let Some(conv) = self.messages.get_mut(channel) else { return false };
        if has_replies {
            let Some(m) = conv.get_mut(&ts_key(ts)) else { return false };
            *m = json!({"type": "message", "subtype": "tombstone", "text": "This message was deleted.", "user": "USLACKBOT", "hidden": true, "ts": ts, "thread_ts": ts});
            true
        } else {
            conv.remove(&ts_key(ts)).is_some()
        }
    }

    /// Renames a channel.
    pub fn rename(&mut self, channel: &str, name: &str) -> bool {
        match self.conversations.iter_mut().find(|c| c["id"] == channel) {
            Some(c) => {
                c["name"] = json!(name);
                true
            }
            None => false,
        }
    }

    /// The replies under a thread parent, oldest first.
    pub fn replies(&self, channel: &str, ts: &str) -> Vec<&Value> {
        self.messages
            .get(channel)
            .map(|c| {
                c.values().filter(|m| m["thread_ts"].as_str() == Some(ts) && m["ts"].as_str() != Some(ts)).collect()
            })
            .unwrap_or_default()
    }

    /// A message with the thread fields Slack computes (`reply_count`, `latest_reply`, ...).
    pub fn with_thread_fields(&self, channel: &str, m: &Value) -> Value {
        let mut m = m.clone();
        let Some(ts) = m["ts"].as_str().map(str::to_string) else { return m };
        let replies = self.replies(channel, &ts);
        if let Some(o) = m.as_object_mut() {
            o.remove("replies");
            if replies.is_empty() {
                for k in ["reply_count", "reply_users", "reply_users_count", "latest_reply"] {
                    o.remove(k);
                }
            } else {
                let mut users: Vec<&str> = replies.iter().filter_map(|r| r["user"].as_str()).collect();
                users.sort_unstable();
                users.dedup();
                o.insert("thread_ts".into(), json!(ts));
                o.insert("reply_count".into(), json!(replies.len()));
                o.insert("reply_users_count".into(), json!(users.len()));
                o.insert("reply_users".into(), json!(users));
                o.insert("latest_reply".into(), json!(replies.last().and_then(|r| r["ts"].as_str())));
            }
        }
        m
    }

    /// Every message of a conversation, in `conversations.history` terms: top level only.
    pub fn top_level(&self, channel: &str) -> Vec<&Value> {
        self.messages
            .get(channel)
            .map(|c| c.values().filter(|m| m["thread_ts"].is_null() || m["thread_ts"] == m["ts"]).collect())
            .unwrap_or_default()
    }

    /// Number of messages (top level and replies).
    pub fn message_count(&self) -> usize {
        self.messages.values().map(BTreeMap::len).sum()
    }
}

/// One repository's data.
#[derive(Debug, Clone, Default)]
pub struct RepoData {
    pub meta: Value,
    /// The issues listing: issues and the issue view of pull requests, by number.
    pub issues: BTreeMap<u64, Value>,
    /// Full pull request records, by number.
    pub pulls: BTreeMap<u64, Value>,
    pub issue_comments: BTreeMap<u64, Value>,
    pub review_comments: BTreeMap<u64, Value>,
    /// Reviews per pull request number.
    pub reviews: BTreeMap<u64, Vec<Value>>,
}

/// A GitHub account as seen through one token.
#[derive(Debug, Clone, Default)]
pub struct GithubWorld {
    pub login: String,
    pub user: Value,
    /// `/users/{login}` records (name, public email).
    pub users: BTreeMap<String, Value>,
    /// Reported in `x-oauth-scopes`.
    pub scopes: Vec<String>,
    pub repos: BTreeMap<String, RepoData>,
}

impl GithubWorld {
    /// Number of issues, pull requests, comments and reviews.
    pub fn item_count(&self) -> usize {
        self.repos
            .values()
            .map(|r| {
                r.issues.values().filter(|i| i.get("pull_request").is_none()).count()
                    + r.pulls.len()
                    + r.issue_comments.len()
                    + r.review_comments.len()
                    + r.reviews.values().map(Vec::len).sum::<usize>()
            })
            .sum()
    }
}

/// A Jira Cloud site as seen through one user's API token.
#[derive(Debug, Clone)]
pub struct JiraWorld {
    /// `https://<site>.atlassian.net` (for `self` links).
    pub site: String,
    /// `/myself`.
    pub me: Value,
    /// The email that goes with the API token (Basic auth).
    pub email: String,
    /// The profile's offset from UTC in minutes: quoted JQL datetimes are read in it.
    pub tz_offset_min: i32,
    /// `/project/search` values.
    pub projects: Vec<Value>,
    /// Issues by numeric id, with every comment in `fields.comment.comments` and the
    /// status and assignee history in `changelog.histories`.
    pub issues: BTreeMap<String, Value>,
    /// How many comments the search embeds; the rest come from `/issue/{id}/comment`.
    pub embedded_comments: usize,
    /// The most issues one search page returns.
    pub max_results: usize,
}

impl Default for JiraWorld {
    fn default() -> Self {
        JiraWorld {
            site: "https://example.atlassian.net".into(),
            me: json!({"accountId": "000000:me", "displayName": "Me", "accountType": "atlassian", "timeZone": "UTC"}),
            email: "me@example.com".into(),
            tz_offset_min: 0,
            projects: Vec::new(),
            issues: BTreeMap::new(),
            embedded_comments: 20,
            max_results: 100,
        }
    }
}

/// Jira's time format (`2026-03-01T10:00:00.000+0000`).
pub fn jira_time(ms: i64) -> String {
    let t = chief_core::Timestamp(ms).to_rfc3339();
    // `…T10:00:00Z` or `…T10:00:00.123Z` → `…T10:00:00.123+0000`
    let base = t.trim_end_matches('Z');
    let (secs, frac) = base.split_once('.').unwrap_or((base, "0"));
    format!("{secs}.{:0<3}+0000", frac.get(..3).unwrap_or(frac))
}

impl JiraWorld {
    /// Number of issues and comments.
    pub fn item_count(&self) -> usize {
        self.issues.values().map(|i| 1 + i["fields"]["comment"]["comments"].as_array().map_or(0, Vec::len)).sum()
    }

    /// Changes an issue the way an edit in Jira does: `f` edits it, `updated` moves to `at_ms`.
    pub fn edit(&mut self, id: &str, at_ms: i64, f: impl FnOnce(&mut Value)) -> bool {
        let Some(issue) = self.issues.get_mut(id) else { return false };
        f(issue);
        issue["fields"]["updated"] = json!(jira_time(at_ms));
        true
    }

    /// Moves an issue to `status`, recording who did it in the changelog.
    pub fn transition(&mut self, id: &str, status: &str, by: &Value, at_ms: i64) -> bool {
        self.edit(id, at_ms, |issue| {
            let from = issue["fields"]["status"]["name"].clone();
            issue["fields"]["status"] = json!({"name": status});
            let entry = json!({"id": format!("{at_ms}"), "author": by, "created": jira_time(at_ms), "items": [{"field": "status", "fieldtype": "jira", "fromString": from, "toString": status}]});
            match issue["changelog"]["histories"].as_array_mut() {
                Some(h) => h.push(entry),
                None => issue["changelog"] = json!({"histories": [entry]}),
            }
        })
    }

    /// Adds a comment (which bumps the issue's `updated`).
    pub fn comment(&mut self, id: &str, comment_id: &str, author: &Value, text: &str, at_ms: i64) -> bool {
        let body = json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]});
        let c = json!({"id": comment_id, "author": author, "body": body, "created": jira_time(at_ms), "updated": jira_time(at_ms)});
        self.edit(id, at_ms, |issue| match issue["fields"]["comment"]["comments"].as_array_mut() {
            Some(list) => list.push(c),
            None => issue["fields"]["comment"] = json!({"comments": [c]}),
        })
    }
}

/// A Google account: the OAuth client and grant, calendars, Drive files, Gmail.
#[derive(Debug, Clone)]
pub struct GoogleWorld {
    pub email: String,
    /// The OAuth client the token endpoint accepts.
    pub client_id: String,
    /// The refresh token the token endpoint accepts (empty: none granted yet).
    pub refresh_token: String,
    /// Each refresh hands out a new refresh token and the old one stops working.
    pub rotate_refresh: bool,
    /// Access tokens handed out (besides the world's fixed token).
    pub issued: Vec<String>,
    /// Authorization codes: (PKCE challenge, redirect URI).
    pub codes: BTreeMap<String, (String, String)>,
    pub refreshes: u64,
    /// The change clock: sync tokens, page tokens and history ids are positions on it.
    pub seq: u64,
    /// Tokens and ids below this are expired (410 on Calendar, 404 on Gmail and Drive).
    pub sync_floor: u64,
    /// `calendarList` entries.
    pub calendars: Vec<Value>,
    /// Events per calendar id, by event id (`_seq`: when they last changed).
    pub events: BTreeMap<String, BTreeMap<String, Value>>,
    /// Drive files by id: metadata, `_text` (the export), `_comments`, `_removed`.
    pub files: BTreeMap<String, Value>,
    /// Gmail messages by id, as `format=raw` returns them, with `_deleted`.
    pub messages: BTreeMap<String, Value>,
}

impl Default for GoogleWorld {
    fn default() -> Self {
        GoogleWorld {
            email: "me@example.com".into(),
            client_id: "chief-mock-client.apps.googleusercontent.com".into(),
            refresh_token: String::new(),
            rotate_refresh: false,
            issued: Vec::new(),
            codes: BTreeMap::new(),
            refreshes: 0,
            seq: 1,
            sync_floor: 0,
            calendars: Vec::new(),
            events: BTreeMap::new(),
            files: BTreeMap::new(),
            messages: BTreeMap::new(),
        }
    }
}

impl GoogleWorld {
    fn tick(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Adds or replaces an event (by id).
    pub fn put_event(&mut self, calendar: &str, mut event: Value) {
        event["_seq"] = json!(self.tick());
        let id = event["id"].as_str().unwrap_or("").to_string();
        self.events.entry(calendar.to_string()).or_default().insert(id, event);
    }

    /// Cancels an event: it stays, as Google keeps it, with `status: cancelled`.
    pub fn cancel_event(&mut self, calendar: &str, id: &str) -> bool {
        let seq = self.tick();
        match self.events.get_mut(calendar).and_then(|c| c.get_mut(id)) {
            Some(e) => {
                e["status"] = json!("cancelled");
                e["_seq"] = json!(seq);
                true
            }
            None => false,
        }
    }

    /// Adds or replaces a Google Doc with its text.
    pub fn put_doc(&mut self, id: &str, name: &str, text: &str, modified: &str) {
        let seq = self.tick();
        let comments = self.files.get(id).map(|f| f["_comments"].clone()).unwrap_or(json!([]));
        self.files.insert(
            id.to_string(),
            json!({"id": id, "name": name, "mimeType": "application/vnd.google-apps.document", "createdTime": modified, "modifiedTime": modified,
                "webViewLink": format!("https://docs.google.com/document/d/{id}/edit"), "trashed": false,
                "owners": [{"displayName": "Owner", "emailAddress": self.email}], "_text": text, "_comments": comments, "_seq": seq}),
        );
    }

    /// Adds or replaces a comment thread on a file (a change to the file).
    pub fn put_comment(&mut self, file: &str, comment: Value) -> bool {
        let seq = self.tick();
        let Some(f) = self.files.get_mut(file) else { return false };
        let list = f["_comments"].as_array_mut();
        let Some(list) = list else { return false };
        match list.iter_mut().find(|c| c["id"] == comment["id"]) {
            Some(c) => *c = comment,
            None => list.push(comment),
        }
        f["_seq"] = json!(seq);
        true
    }

    /// Removes a file (trash emptied): the change feed reports it removed.
    pub fn remove_file(&mut self, id: &str) -> bool {
        let seq = self.tick();
        match self.files.get_mut(id) {
            Some(f) => {
                f["_removed"] = json!(true);
                f["_seq"] = json!(seq);
                true
            }
            None => false,
        }
    }

    /// Adds a message from its RFC 822 text.
    pub fn add_message(&mut self, id: &str, thread: &str, labels: &[&str], rfc822: &str, internal_ms: i64) {
        use base64::Engine as _;
        let seq = self.tick();
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rfc822.as_bytes());
        self.messages.insert(
            id.to_string(),
            json!({"id": id, "threadId": thread, "labelIds": labels, "internalDate": internal_ms.to_string(), "sizeEstimate": rfc822.len(), "raw": raw, "_seq": seq}),
        );
    }

    /// Deletes a message (the history reports it).
    pub fn delete_message(&mut self, id: &str) -> bool {
        let seq = self.tick();
        match self.messages.get_mut(id) {
            Some(m) => {
                m["_deleted"] = json!(true);
                m["_seq"] = json!(seq);
                true
            }
            None => false,
        }
    }

    /// Every sync token, page token and history id handed out so far expires.
    pub fn expire_tokens(&mut self) {
        self.sync_floor = self.seq + 1;
        self.tick();
    }

    /// Events, Docs, comment threads and messages.
    pub fn item_count(&self) -> usize {
        let events = self.events.values().flat_map(|c| c.values()).filter(|e| e["status"] != "cancelled").count();
        let files = self.files.values().filter(|f| f["_removed"] != true);
        let docs: usize = files
            .map(|f| 1 + f["_comments"].as_array().map_or(0, |c| c.iter().filter(|c| c["deleted"] != true).count()))
            .sum();
        events + docs + self.messages.values().filter(|m| m["_deleted"] != true).count()
    }
}

/// Everything one mock serves.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub slack: SlackWorld,
    pub github: GithubWorld,
    pub jira: JiraWorld,
    pub google: GoogleWorld,
    /// The one token every API accepts (Jira: with `jira.email`, as Basic auth).
    pub token: String,
}

/// The token the demo mock accepts.
pub const DEMO_TOKEN: &str = "demo-token-not-a-secret";

fn read(dir: &Path, rel: &str) -> Result<Option<Value>, MockError> {
    let path = dir.join(rel);
    match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| MockError::Data(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(MockError::Data(format!("{}: {e}", path.display()))),
    }
}

fn list(v: Option<Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    }
}

impl World {
    /// Loads the demo workspace written by `chief-demo` (a Slack export, GitHub and
    /// Jira REST responses) as live API data. `me` is the user whose tokens are used.
    pub fn from_demo(
        dir: &Path,
        slack_url: &str,
        me_slack: &str,
        me_github: &str,
        me_email: &str,
    ) -> Result<World, MockError> {
        let mut slack = SlackWorld {
            team_id: "T01KESTREL".into(),
            team: "Kestrel".into(),
            url: format!("{}/", slack_url.trim_end_matches('/')),
            user_id: me_slack.into(),
            scopes: crate::SLACK_SCOPES.iter().map(|s| s.to_string()).collect(),
            ..SlackWorld::default()
        };
        slack.users = list(read(dir, "slack/users.json")?);
        slack.user = slack
            .users
            .iter()
            .find(|u| u["id"] == me_slack)
            .and_then(|u| u["name"].as_str())
            .unwrap_or("me")
            .to_string();
        let mut folders = Vec::new();
        for c in list(read(dir, "slack/channels.json")?) {
            let mut c = c;
            c["is_channel"] = json!(true);
            c["is_private"] = json!(false);
            c["is_member"] = json!(true);
            if let Some(name) = c["name"].as_str() {
                folders.push((c["id"].as_str().unwrap_or("").to_string(), name.to_string()));
            }
            if let Some(o) = c.as_object_mut() {
                o.remove("members");
            }
            slack.conversations.push(c);
        }
        for d in list(read(dir, "slack/dms.json")?) {
            let id = d["id"].as_str().unwrap_or("").to_string();
            let other = d["members"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .find(|m| *m != me_slack)
                .unwrap_or("")
                .to_string();
            slack.conversations.push(json!({"id": id, "is_im": true, "user": other, "created": d["created"]}));
            folders.push((id.clone(), id));
        }
        for (id, folder) in folders {
            let Ok(entries) = std::fs::read_dir(dir.join("slack").join(&folder)) else { continue };
            let mut files: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            for f in files {
                let rel = f.strip_prefix(dir).map(|p| p.to_string_lossy().to_string()).unwrap_or_default();
                for m in list(read(dir, &rel)?) {
                    slack.post(&id, m);
                }
            }
        }

        let mut github = GithubWorld {
            login: me_github.into(),
            scopes: crate::GITHUB_SCOPES.iter().map(|s| s.to_string()).collect(),
            ..GithubWorld::default()
        };
        let users = list(read(dir, "github/users.json")?);
        github.user =
            users.iter().find(|u| u["login"] == me_github).cloned().unwrap_or_else(|| json!({"login": me_github}));
        github.users = users.iter().filter_map(|u| Some((u["login"].as_str()?.to_string(), u.clone()))).collect();
        github.user["id"] = json!(1);
        github.user["type"] = json!("User");
        for meta in list(read(dir, "github/repos.json")?) {
            let Some(full) = meta["full_name"].as_str().map(str::to_string) else { continue };
            let by = |v: Vec<Value>, key: &str| -> BTreeMap<u64, Value> {
                v.into_iter().filter_map(|x| x[key].as_u64().map(|k| (k, x))).collect()
            };
            let mut repo = RepoData {
                meta,
                issues: by(list(read(dir, &format!("github/{full}/issues.json"))?), "number"),
                pulls: by(list(read(dir, &format!("github/{full}/pulls.json"))?), "number"),
                issue_comments: by(list(read(dir, &format!("github/{full}/issue_comments.json"))?), "id"),
                review_comments: by(list(read(dir, &format!("github/{full}/review_comments.json"))?), "id"),
                reviews: BTreeMap::new(),
            };
            for n in repo.pulls.keys().copied().collect::<Vec<_>>() {
                if let Some(r) = read(dir, &format!("github/{full}/reviews/{n}.json"))? {
                    repo.reviews.insert(n, list(Some(r)));
                }
            }
            github.repos.insert(full, repo);
        }
        let jira = jira_from_demo(dir, me_email)?;
        let google = google_from_demo(dir, me_email)?;
        Ok(World { slack, github, jira, google, token: DEMO_TOKEN.into() })
    }

    /// A generated workspace of a given size, for benchmarks and crash tests.
    pub fn synthetic(spec: &Synthetic) -> World {
        crate::synthetic::generate(spec)
    }
}

/// The demo's Google account: its calendars and their events.
fn google_from_demo(dir: &Path, me_email: &str) -> Result<GoogleWorld, MockError> {
    let mut g = GoogleWorld { email: me_email.to_string(), ..GoogleWorld::default() };
    g.calendars =
        read(dir, "google/calendar/calendarList.json")?.map(|v| list(Some(v["items"].clone()))).unwrap_or_default();
    for c in g.calendars.clone() {
        let Some(id) = c["id"].as_str() else { continue };
        let events = read(dir, &format!("google/calendar/events/{id}.json"))?.map(|v| list(Some(v["items"].clone())));
        for e in events.unwrap_or_default() {
            g.put_event(id, e);
        }
    }
    Ok(g)
}

/// The demo's Jira site: its projects, issues (comments included) and the user.
fn jira_from_demo(dir: &Path, me_email: &str) -> Result<JiraWorld, MockError> {
    let mut jira = JiraWorld::default();
    if let Some(info) = read(dir, "jira/serverInfo.json")?
        && let Some(base) = info["baseUrl"].as_str()
    {
        jira.site = base.trim_end_matches('/').to_string();
    }
    jira.projects = read(dir, "jira/projects.json")?.map(|v| list(Some(v["values"].clone()))).unwrap_or_default();
    let issues = read(dir, "jira/issues.json")?.map(|v| list(Some(v["issues"].clone()))).unwrap_or_default();
    let mut me = None;
    for issue in issues {
        let f = &issue["fields"];
        let people = ["reporter", "assignee", "creator"].into_iter().map(|k| &f[k]);
        let commenters = f["comment"]["comments"].as_array().into_iter().flatten().map(|c| &c["author"]);
        if me.is_none() {
            me = people
                .chain(commenters)
                .find(|u| u["emailAddress"].as_str().is_some_and(|e| e.eq_ignore_ascii_case(me_email)))
                .cloned();
        }
        if let Some(id) = issue["id"].as_str().map(str::to_string) {
            jira.issues.insert(id, issue);
        }
    }
    jira.email = me_email.to_string();
    if let Some(myself) = read(dir, "jira/myself.json")? {
        jira.me = myself;
    } else if let Some(mut me) = me {
        me["timeZone"] = json!("UTC");
        me["active"] = json!(true);
        jira.me = me;
    } else {
        jira.me["emailAddress"] = json!(me_email);
    }
    Ok(jira)
}

/// The size and shape of a generated world.
#[derive(Debug, Clone)]
pub struct Synthetic {
    pub channels: usize,
    /// Slack messages in total, replies included.
    pub messages: usize,
    /// Every n-th top-level message starts a thread.
    pub thread_every: usize,
    pub replies_per_thread: usize,
    pub repos: usize,
    pub pulls: usize,
    pub issues: usize,
    pub comments_per_pull: usize,
    pub jira_projects: usize,
    pub jira_issues: usize,
    pub comments_per_issue: usize,
    /// Google: calendar events, Docs (each with two comment threads) and Gmail messages.
    pub google_events: usize,
    pub google_docs: usize,
    pub google_messages: usize,
    /// Days the messages spread over, ending at `end_secs`.
    pub days: u64,
    pub end_secs: u64,
    pub seed: u64,
}

impl Default for Synthetic {
    fn default() -> Self {
        Synthetic {
            channels: 20,
            messages: 2_000,
            thread_every: 8,
            replies_per_thread: 3,
            repos: 3,
            pulls: 60,
            issues: 40,
            comments_per_pull: 2,
            jira_projects: 2,
            jira_issues: 40,
            comments_per_issue: 2,
            google_events: 40,
            google_docs: 6,
            google_messages: 60,
            days: 30,
            end_secs: 1_795_000_000,
            seed: 7,
        }
    }
}
