//! Generated worlds of a chosen size: deterministic, varied enough text, threads,
//! pull requests with reviews and comments.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::world::{GithubWorld, GoogleWorld, JiraWorld, RepoData, SlackWorld, Synthetic, World, jira_time};

const WORDS: &[&str] = &[
    "deploy",
    "rollback",
    "latency",
    "checkout",
    "refund",
    "ledger",
    "migration",
    "incident",
    "review",
    "flaky",
    "test",
    "cache",
    "queue",
    "worker",
    "timeout",
    "release",
    "feature",
    "flag",
    "customer",
    "invoice",
    "webhook",
    "retry",
    "schema",
    "index",
    "alert",
    "dashboard",
    "on-call",
    "budget",
    "roadmap",
    "hiring",
    "design",
    "spec",
    "sprint",
    "standup",
    "postgres",
    "kafka",
    "redis",
    "api",
    "gateway",
    "mobile",
    "android",
    "ios",
    "search",
];

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn sentence(&mut self, words: usize) -> String {
        let mut s: Vec<&str> = (0..words).map(|_| WORDS[self.below(WORDS.len())]).collect();
        if self.below(6) == 0 {
            s.push("PAY-1");
        }
        s.join(" ")
    }
}

fn iso(secs: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| "2026-01-01T00:00:00Z".into())
}

pub(crate) fn generate(spec: &Synthetic) -> World {
    let mut rng = Rng(spec.seed);
    let people = 50usize;
    let users: Vec<Value> = (0..people)
        .map(|i| json!({"id": format!("U{i:06}"), "team_id": "TSYNTH", "name": format!("user{i}"), "real_name": format!("User {i}"), "deleted": false, "is_bot": false,
            "profile": {"real_name": format!("User {i}"), "display_name": format!("user{i}"), "email": format!("user{i}@synth.example")}}))
        .collect();
    let mut slack = SlackWorld {
        team_id: "TSYNTH".into(),
        team: "Synth".into(),
        url: "https://synth.slack.com/".into(),
        user_id: "U000000".into(),
        user: "user0".into(),
        scopes: crate::SLACK_SCOPES.iter().map(|s| s.to_string()).collect(),
        users,
        ..SlackWorld::default()
    };
    let channels = spec.channels.max(1);
    for c in 0..channels {
        slack.conversations.push(json!({"id": format!("C{c:07}"), "name": format!("team-{c}"), "is_channel": true, "is_private": c % 7 == 6, "is_member": true,
            "topic": {"value": ""}, "purpose": {"value": format!("Channel {c}")}}));
    }
    // Timestamps spread evenly over the window; replies follow their parent.
    let start = spec.end_secs.saturating_sub(spec.days * 86_400);
    let step = ((spec.days * 86_400) as f64 / spec.messages.max(1) as f64).max(0.001);
    let mut made = 0usize;
    let mut top = 0usize;
    while made < spec.messages {
        let secs = start as f64 + made as f64 * step;
        let ts = format!("{}.{:06}", secs as u64, made % 1_000_000);
        let ch = format!("C{:07}", top % channels);
        let user = format!("U{:06}", rng.below(people));
        let words = 4 + rng.below(30);
        slack.post(&ch, json!({"type": "message", "user": user, "text": rng.sentence(words), "ts": ts}));
        made += 1;
        top += 1;
        if spec.thread_every > 0 && rng.below(spec.thread_every) == 0 {
            for r in 0..spec.replies_per_thread {
                if made >= spec.messages {
                    break;
                }
                let rsecs = secs as u64 + 60 * (r as u64 + 1);
                let rts = format!("{rsecs}.{:06}", made % 1_000_000);
                let words = 3 + rng.below(20);
                slack.post(&ch, json!({"type": "message", "user": format!("U{:06}", rng.below(people)), "text": rng.sentence(words), "ts": rts, "thread_ts": ts, "parent_user_id": user}));
                made += 1;
            }
        }
    }

    let mut github = GithubWorld {
        login: "user0".into(),
        user: json!({"login": "user0", "id": 1, "name": "User 0", "email": "user0@synth.example", "type": "User"}),
        scopes: crate::GITHUB_SCOPES.iter().map(|s| s.to_string()).collect(),
        users: (0..people).map(|i| (format!("user{i}"), json!({"login": format!("user{i}"), "id": i + 1, "name": format!("User {i}"), "email": format!("user{i}@synth.example"), "type": "User"}))).collect(),
        repos: BTreeMap::new(),
    };
    let repos = spec.repos.max(1);
    let mut comment_id = 1u64;
    let mut review_id = 1u64;
    for r in 0..repos {
        let full = format!("synth/repo-{r}");
        let mut data = RepoData {
            meta: json!({"id": r + 1, "full_name": full, "name": format!("repo-{r}"), "owner": {"login": "synth"}, "html_url": format!("https://github.com/{full}"), "description": format!("Repository {r}"), "private": false}),
            ..RepoData::default()
        };
        let pulls = spec.pulls / repos + usize::from(r < spec.pulls % repos);
        let issues = spec.issues / repos + usize::from(r < spec.issues % repos);
        for n in 1..=(pulls + issues) as u64 {
            let secs = start + (n * 3_600) % (spec.days.max(1) * 86_400);
            let login = format!("user{}", rng.below(people));
            let reviewer = format!("user{}", rng.below(people));
            let words = 5 + rng.below(40);
            let title = rng.sentence(5);
            let body = rng.sentence(words);
            let url =
                format!("https://github.com/{full}/{}/{n}", if (n as usize) <= pulls { "pull" } else { "issues" });
            let mut issue = json!({"id": 10_000 * (r as u64 + 1) + n, "number": n, "title": title, "body": body, "state": if n % 3 == 0 { "closed" } else { "open" },
                "user": {"login": login, "type": "User"}, "assignees": [], "labels": [], "created_at": iso(secs), "updated_at": iso(secs + 7_200), "html_url": url});
            if (n as usize) <= pulls {
                let mut pull = issue.clone();
                pull["head"] = json!({"ref": format!("feature-{n}")});
                pull["base"] = json!({"ref": "main"});
                pull["draft"] = json!(false);
                pull["merged_at"] = Value::Null;
                pull["requested_reviewers"] = json!([{"login": reviewer}]);
                issue["pull_request"] =
                    json!({"url": format!("https://api.github.com/repos/{full}/pulls/{n}"), "merged_at": Value::Null});
                data.pulls.insert(n, pull);
                data.reviews.insert(n, vec![json!({"id": review_id, "user": {"login": reviewer}, "body": rng.sentence(6), "state": "COMMENTED", "submitted_at": iso(secs + 3_600), "html_url": format!("{url}#pullrequestreview-{review_id}")})]);
                review_id += 1;
                for k in 0..spec.comments_per_pull {
                    let c = json!({"id": comment_id, "user": {"login": format!("user{}", rng.below(people))}, "body": rng.sentence(8), "created_at": iso(secs + 600 * (k as u64 + 1)), "updated_at": iso(secs + 600 * (k as u64 + 1)),
                        "html_url": format!("{url}#issuecomment-{comment_id}"), "issue_url": format!("https://api.github.com/repos/{full}/issues/{n}")});
                    data.issue_comments.insert(comment_id, c);
                    comment_id += 1;
                }
            }
            data.issues.insert(n, issue);
        }
        github.repos.insert(full, data);
    }
    let jira = jira(spec, &mut rng, start, people);
    let google = google(spec, &mut rng, start);
    World { slack, github, jira, google, token: "synthetic-token".into() }
}

/// A primary calendar with events (a weekly series as instances), Docs with comment
/// threads, and mail in threads of three.
fn google(spec: &Synthetic, rng: &mut Rng, start: u64) -> GoogleWorld {
    let mut g = GoogleWorld { email: "user0@example.com".into(), ..GoogleWorld::default() };
    let cal = g.email.clone();
    g.calendars
        .push(json!({"id": cal, "summary": "User 0", "primary": true, "accessRole": "owner", "timeZone": "UTC"}));
    g.calendars.push(json!({"id": "team#shared@group.calendar.google.com", "summary": "Team", "accessRole": "reader", "timeZone": "Europe/Berlin"}));
    let span = spec.days.max(1) * 86_400;
    for n in 0..spec.google_events as u64 {
        let at = start + (n * 7_200) % span + 86_400;
        let attendee = |k: u64| json!({"email": format!("user{k}@example.com"), "displayName": format!("User {k}"), "responseStatus": "accepted"});
        let (id, recurring) =
            if n % 5 == 0 { (format!("weekly_{n}"), Some("weekly")) } else { (format!("ev{n}"), None) };
        let ev = json!({"id": id, "status": "confirmed", "summary": rng.sentence(4), "description": rng.sentence(12),
            "start": {"dateTime": iso(at)}, "end": {"dateTime": iso(at + 1_800)}, "updated": iso(at - 86_400),
            "htmlLink": format!("https://calendar.google.com/event?eid={id}"), "recurringEventId": recurring,
            "organizer": {"email": cal}, "attendees": [attendee(0), attendee(1 + n % 9)]});
        let which = if n % 4 == 3 { "team#shared@group.calendar.google.com".to_string() } else { cal.clone() };
        g.put_event(&which, ev);
    }
    for d in 0..spec.google_docs as u64 {
        let id = format!("doc{d}");
        let at = iso(start + d * 40_000);
        g.put_doc(&id, &format!("Design: {}", rng.sentence(3)), &rng.sentence(200), &at);
        for k in 0..2u64 {
            let author =
                |u: u64| json!({"displayName": format!("User {u}"), "emailAddress": format!("user{u}@example.com")});
            g.put_comment(&id, json!({"id": format!("c{d}-{k}"), "content": rng.sentence(10), "author": author(k + 1), "createdTime": at, "modifiedTime": at,
                "resolved": k == 1, "deleted": false, "quotedFileContent": {"value": rng.sentence(4)},
                "replies": [{"id": "r1", "content": rng.sentence(6), "author": author(0), "createdTime": at, "deleted": false}]}));
        }
    }
    for m in 0..spec.google_messages as u64 {
        let at = start + (m * 3_000) % span;
        let thread = format!("t{}", m / 3);
        let first = m % 3 == 0;
        let mid = format!("<m{m}@example.com>");
        let root = format!("<m{}@example.com>", m - m % 3);
        let refs = if first { String::new() } else { format!("In-Reply-To: {root}\r\nReferences: {root}\r\n") };
        let date = time::OffsetDateTime::from_unix_timestamp(at as i64)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc2822).ok())
            .unwrap_or_default();
        let text = format!(
            "From: User {u} <user{u}@example.com>\r\nTo: user0@example.com\r\nSubject: {re}thread {t}\r\nDate: {date}\r\nMessage-ID: {mid}\r\n{refs}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
            u = 1 + m % 7,
            re = if first { "" } else { "Re: " },
            t = m / 3,
            body = rng.sentence(30),
        );
        g.add_message(&format!("{m:016x}"), &thread, &["INBOX"], &text, at as i64 * 1000);
    }
    g
}

/// Jira projects and issues with comments and status histories.
fn jira(spec: &Synthetic, rng: &mut Rng, start: u64, people: usize) -> JiraWorld {
    let user = |n: usize| json!({"accountId": format!("5b10ac:{n:04}"), "displayName": format!("User {n}"), "emailAddress": format!("user{n}@example.com"), "accountType": "atlassian"});
    let mut j = JiraWorld { me: user(0), email: "user0@example.com".into(), ..JiraWorld::default() };
    j.me["timeZone"] = json!("UTC");
    let projects = spec.jira_projects.max(1);
    for p in 0..projects {
        let key = format!("P{}", (b'A' + (p % 26) as u8) as char);
        j.projects.push(
            json!({"id": format!("{}", 10_000 + p), "key": key, "name": rng.sentence(2), "projectTypeKey": "software"}),
        );
    }
    let mut comment_id = 50_000u64;
    for n in 0..spec.jira_issues as u64 {
        let p = (n % projects as u64) as usize;
        let key = format!("{}-{}", j.projects[p]["key"].as_str().unwrap_or("P"), n + 1);
        let secs = start + (n * 5_400) % (spec.days.max(1) * 86_400);
        let created = i64::try_from(secs).unwrap_or(0) * 1000;
        let reporter = user(rng.below(people));
        let assignee = user(rng.below(people));
        let mut comments = Vec::new();
        for k in 0..spec.comments_per_issue {
            let at = created + 900_000 * (k as i64 + 1);
            let body = json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": rng.sentence(8)}]}]});
            comments.push(json!({"id": comment_id.to_string(), "author": user(rng.below(people)), "body": body, "created": jira_time(at), "updated": jira_time(at)}));
            comment_id += 1;
        }
        let updated = created + 900_000 * (spec.comments_per_issue as i64 + 1);
        let status = ["To Do", "In Progress", "In Review", "Done"][(n % 4) as usize];
        let description = json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": rng.sentence(20)}]}]});
        let id = (20_000 + n).to_string();
        let issue = json!({"id": id, "key": key,
            "fields": {"summary": rng.sentence(6), "description": description, "status": {"name": status}, "priority": {"name": "Medium"}, "issuetype": {"name": "Task"}, "labels": [],
                "project": {"key": j.projects[p]["key"], "name": j.projects[p]["name"]}, "reporter": reporter, "creator": reporter, "assignee": assignee,
                "created": jira_time(created), "updated": jira_time(updated), "comment": {"comments": comments}},
            "changelog": {"histories": [{"id": format!("{n}"), "author": reporter, "created": jira_time(updated), "items": [{"field": "status", "fieldtype": "jira", "fromString": "To Do", "toString": status}]}]}});
        j.issues.insert(id, issue);
    }
    j
}
