//! Writing the world to disk in each source's real format.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::chatter::{DAYS, START, World, iso};
use crate::org::*;
use crate::{DemoError, GroundTruth, Me};

fn write_json(dir: &Path, rel: &str, v: &Value) -> Result<(), DemoError> {
    let path = dir.join(rel);
    let io = |source| DemoError::Io { path: path.clone(), source };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let bytes = serde_json::to_vec_pretty(v).expect("demo values serialize");
    std::fs::write(&path, bytes).map_err(io)
}

fn day_name(secs: i64) -> String {
    iso(secs)[..10].to_string()
}

pub fn all(dir: &Path, org: &Org, world: &World<'_>) -> Result<GroundTruth, DemoError> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();

    // Slack export.
    let team_id = format!("T01{}", org.company.to_uppercase());
    let users: Vec<Value> = org
        .people
        .iter()
        .map(|p| json!({
            "id": p.slack, "team_id": team_id, "name": p.handle, "real_name": p.name, "deleted": false, "is_bot": false, "tz": "Europe/Berlin",
            "profile": {"real_name": p.name, "display_name": p.handle, "email": p.email(), "title": p.title},
        }))
        .collect();
    write_json(dir, "slack/users.json", &Value::Array(users))?;
    let channels: Vec<Value> = org
        .channels
        .iter()
        .map(|c| json!({
            "id": c.id, "name": c.name, "created": START - 86_400 * 400, "creator": org.me().slack, "is_archived": false, "is_general": c.name == org.channels[GENERAL].name,
            "members": c.members.iter().map(|&m| org.people[m].slack.clone()).collect::<Vec<_>>(),
            "topic": {"value": "", "creator": "", "last_set": 0}, "purpose": {"value": c.purpose, "creator": org.me().slack, "last_set": START - 86_400 * 400},
        }))
        .collect();
    write_json(dir, "slack/channels.json", &Value::Array(channels))?;
    write_json(
        dir,
        "slack/dms.json",
        &json!([{"id": org.dm, "created": START - 86_400 * 300, "members": [org.me().slack, org.people[NOAH].slack]}]),
    )?;

    // Thread metadata on roots, as Slack writes it.
    let mut replies: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for m in &world.slack {
        if let (Some(root), Some(u)) = (&m.thread_ts, m.user) {
            replies
                .entry((m.channel.clone(), root.clone()))
                .or_default()
                .push((org.people[u].slack.clone(), m.ts.clone()));
        }
    }
    let mut files: BTreeMap<String, Vec<(f64, Value)>> = BTreeMap::new();
    for m in &world.slack {
        let folder = org
            .channels
            .iter()
            .find(|c| c.id == m.channel)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| m.channel.clone());
        let mut v = serde_json::Map::new();
        v.insert("type".into(), json!("message"));
        if let Some(u) = m.user {
            v.insert("user".into(), json!(org.people[u].slack));
        }
        if let Some((bot_id, _)) = m.bot {
            v.insert("bot_id".into(), json!(bot_id));
        }
        v.insert("text".into(), json!(m.text));
        v.insert("ts".into(), json!(m.ts));
        for (k, x) in &m.extra {
            v.insert(k.clone(), x.clone());
        }
        if let Some(root) = &m.thread_ts {
            v.insert("thread_ts".into(), json!(root));
            v.insert("parent_user_id".into(), json!(""));
        }
        if let Some(rs) = replies.get(&(m.channel.clone(), m.ts.clone())) {
            let mut users: Vec<&str> = rs.iter().map(|(u, _)| u.as_str()).collect();
            users.sort();
            users.dedup();
            v.insert("thread_ts".into(), json!(m.ts));
            v.insert("reply_count".into(), json!(rs.len()));
            v.insert("reply_users".into(), json!(users));
            v.insert("replies".into(), Value::Array(rs.iter().map(|(u, ts)| json!({"user": u, "ts": ts})).collect()));
            v.insert("latest_reply".into(), json!(rs.iter().map(|(_, ts)| ts.clone()).max()));
        }
        if v.get("subtype").and_then(Value::as_str) != Some("channel_join") {
            *counts.entry("slack".into()).or_default() += 1;
        }
        let key = format!("slack/{folder}/{}.json", day_name(m.secs));
        files.entry(key).or_default().push((m.ts.parse::<f64>().unwrap_or(0.0), Value::Object(v)));
    }
    for (rel, mut msgs) in files {
        msgs.sort_by(|a, b| a.0.total_cmp(&b.0));
        write_json(dir, &rel, &Value::Array(msgs.into_iter().map(|(_, v)| v).collect()))?;
    }

    // GitHub.
    let gh_users: Vec<Value> = org
        .people
        .iter()
        .filter_map(|p| {
            p.github.as_ref().map(|g| json!({"login": g, "name": p.name, "email": p.email(), "type": "User"}))
        })
        .collect();
    write_json(dir, "github/users.json", &Value::Array(gh_users))?;
    let repos = [org.repo_main.as_str(), org.repo_web.as_str()];
    let main_description = org.channels[PAYMENTS].purpose.replacen(" team:", " API:", 1);
    write_json(
        dir,
        "github/repos.json",
        &Value::Array(repos.iter().map(|r| json!({"full_name": r, "name": r.split('/').nth(1), "owner": {"login": org.github_org}, "html_url": format!("https://github.com/{r}"), "description": if *r == org.repo_main { main_description.as_str() } else { "Customer web app" }})).collect()),
    )?;
    for repo in repos {
        let mut issues = Vec::new();
        let mut pulls = Vec::new();
        for (_, v) in world.issues.iter().filter(|(r, _)| *r == repo) {
            *counts.entry("github".into()).or_default() += 1;
            if v.get("head").is_some() {
                pulls.push(v.clone());
                let mut as_issue = v.clone();
                if let Some(o) = as_issue.as_object_mut() {
                    for k in ["head", "base", "requested_reviewers", "merged_at", "draft"] {
                        o.remove(k);
                    }
                    o.insert("pull_request".into(), json!({"url": format!("https://api.github.com/repos/{repo}/pulls/{}", v["number"]), "merged_at": v["merged_at"]}));
                }
                issues.push(as_issue);
            } else {
                issues.push(v.clone());
            }
        }
        write_json(dir, &format!("github/{repo}/issues.json"), &Value::Array(issues))?;
        write_json(dir, &format!("github/{repo}/pulls.json"), &Value::Array(pulls))?;
        let ic: Vec<Value> = world.issue_comments.iter().filter(|(r, _)| *r == repo).map(|(_, v)| v.clone()).collect();
        let rc: Vec<Value> = world.review_comments.iter().filter(|(r, _)| *r == repo).map(|(_, v)| v.clone()).collect();
        *counts.entry("github".into()).or_default() += ic.len() + rc.len();
        write_json(dir, &format!("github/{repo}/issue_comments.json"), &Value::Array(ic))?;
        write_json(dir, &format!("github/{repo}/review_comments.json"), &Value::Array(rc))?;
        let mut by_pr: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
        for (_, n, v) in world.reviews.iter().filter(|(r, _, _)| *r == repo) {
            by_pr.entry(*n).or_default().push(v.clone());
            *counts.entry("github".into()).or_default() += 1;
        }
        for (n, list) in by_pr {
            write_json(dir, &format!("github/{repo}/reviews/{n}.json"), &Value::Array(list))?;
        }
    }

    // Jira.
    write_json(
        dir,
        "jira/serverInfo.json",
        &json!({"baseUrl": org.jira_url, "deploymentType": "Cloud", "serverTitle": format!("{} Jira", org.company)}),
    )?;
    let me = org.me();
    write_json(
        dir,
        "jira/myself.json",
        &json!({"accountId": me.jira, "displayName": me.name, "emailAddress": me.email(), "accountType": "atlassian", "active": true, "timeZone": "UTC"}),
    )?;
    write_json(
        dir,
        "jira/projects.json",
        &json!({"values": [{"id": "10000", "key": org.team.jira_key, "name": org.team.jira_name, "description": org.channels[PAYMENTS].purpose}], "isLast": true, "total": 1}),
    )?;
    for issue in &world.jira {
        *counts.entry("jira".into()).or_default() +=
            1 + issue["fields"]["comment"]["comments"].as_array().map_or(0, Vec::len);
    }
    write_json(dir, "jira/issues.json", &json!({"issues": world.jira, "isLast": true}))?;

    // Google Calendar.
    write_json(
        dir,
        "google/calendar/calendarList.json",
        &json!({"kind": "calendar#calendarList", "items": [{"id": org.calendar_id, "summary": org.me().name, "primary": true, "timeZone": "Europe/Berlin"}]}),
    )?;
    write_json(
        dir,
        &format!("google/calendar/events/{}.json", org.calendar_id),
        &json!({"kind": "calendar#events", "items": world.events, "nextSyncToken": "demo-sync-token-1"}),
    )?;
    counts.insert("google".into(), world.events.len());

    let truth = GroundTruth {
        now: crate::DEMO_NOW.to_string(),
        seed: org.seed,
        me: Me {
            name: org.me().name.clone(),
            email: org.me().email(),
            slack: org.me().slack.clone(),
            github: org.me().github.clone().unwrap_or_default(),
        },
        slack_url: org.slack_url.clone(),
        jira_url: org.jira_url.clone(),
        forbidden: world.forbidden.clone(),
        background: world.background.clone(),
        stories: world.stories.clone(),
        queries: world.queries.clone(),
        expected_counts: counts,
    };
    const { assert!(DAYS >= 14) };
    write_json(dir, "ground_truth.json", &serde_json::to_value(&truth).expect("ground truth serializes"))?;
    Ok(truth)
}
