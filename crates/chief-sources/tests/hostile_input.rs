//! No panic on hostile input: property tests over the time parsers and every
//! source's converters. Each converter starts from real API payloads (the shared
//! examples, plus a few shapes Slack sends that the examples lack) and gets random
//! fields replaced by hostile values — wrong types, non-ASCII and control text,
//! huge and negative numbers, deep nesting — or removed. A converter may refuse a
//! record (`Err`); it must never panic.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::collections::HashMap;
use std::path::PathBuf;

use chief_core::Timestamp;
use chief_sources::github::{self, CommentKind};
use chief_sources::slack::{MessageContext, SlackConversation, SlackUser, convert_message};
use chief_sources::{google, jira};
use proptest::prelude::*;
use serde_json::{Value, json};

fn shared(rel: &str) -> Value {
    let root = std::env::var_os("CHIEF_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let p = root.join("data/api-payloads").join(rel);
    serde_json::from_slice(
        &std::fs::read(&p).unwrap_or_else(|e| panic!("shared payload {} is required: {e}", p.display())),
    )
    .unwrap()
}

fn first(v: Value, key: &str) -> Value {
    v[key][0].clone()
}

/// Every path (as JSON-pointer segments) to a value inside `v`.
fn paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                prefix.push(k.clone());
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate().take(4) {
                prefix.push(i.to_string());
                paths(x, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

/// Replaces (or, with `None`, removes) the value at `path`.
fn mutate(v: &mut Value, path: &[String], with: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        if let Some(w) = with {
            *v = w;
        }
        return;
    };
    let mut cur = v;
    for seg in parents {
        cur = match cur {
            Value::Object(m) => m.get_mut(seg).unwrap(),
            Value::Array(a) => &mut a[seg.parse::<usize>().unwrap()],
            _ => unreachable!(),
        };
    }
    match (cur, with) {
        (Value::Object(m), Some(w)) => {
            m.insert(last.clone(), w);
        }
        (Value::Object(m), None) => {
            m.remove(last);
        }
        (Value::Array(a), Some(w)) => a[last.parse::<usize>().unwrap()] = w,
        (Value::Array(a), None) => {
            a.remove(last.parse::<usize>().unwrap());
        }
        _ => {}
    }
}

const HOSTILE_TEXT: &[&str] = &[
    "",
    "x+a€",
    "€",
    "2026-11-20T09:30:00.000+0000€",
    "9999999999999999999999.999999",
    "-1",
    "1e308",
    "NaN",
    "18446744073709551615",
    "0.",
    ".",
    "\u{0}\u{1b}[2J\u{202e}",
    "<@U1|><#C1|><!subteam^S1>",
    "<http://x|y",
    "../../etc/passwd",
    "a/b/c#x",
    "ÿ\u{fffd}\u{10ffff}",
];

fn hostile_value() -> impl Strategy<Value = Option<Value>> {
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(|n| json!(n)),
        1 => any::<u64>().prop_map(|n| json!(n)),
        1 => any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        6 => prop::sample::select(HOSTILE_TEXT).prop_map(|s| json!(s)),
        2 => "\\PC{0,40}".prop_map(Value::String),
    ];
    let nested = leaf.clone().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop_oneof![1 => Just(None), 4 => leaf.prop_map(Some), 2 => nested.prop_map(Some)]
}

/// Up to six (path, hostile value) replacements applied to a seed payload.
fn mutated(seeds: Vec<Value>) -> impl Strategy<Value = Value> {
    let seeds = std::sync::Arc::new(seeds);
    (0..seeds.len(), prop::collection::vec((any::<prop::sample::Index>(), hostile_value()), 0..6)).prop_map(
        move |(i, edits)| {
            let mut v = seeds[i].clone();
            for (at, with) in edits {
                let mut all = Vec::new();
                paths(&v, &mut Vec::new(), &mut all);
                all.retain(|p| !p.is_empty());
                if all.is_empty() {
                    break;
                }
                let path = all[at.index(all.len())].clone();
                mutate(&mut v, &path, with);
            }
            v
        },
    )
}

fn slack_seeds() -> Vec<Value> {
    let mut seeds: Vec<Value> =
        shared("slack/openapi-examples/conversations.history.200.json")["messages"].as_array().unwrap().clone();
    seeds.extend([
        json!({"type": "message", "user": "U1", "ts": "1700000100.000100", "thread_ts": "1700000000.000100",
            "text": "<@U2> fixed in <https://github.com/o/r/pull/87|#87>, see PAY-142", "reply_count": 2,
            "reactions": [{"name": "eyes", "users": ["U2"], "count": 1}],
            "files": [{"id": "F1", "name": "a.png", "title": "a"}], "edited": {"user": "U1", "ts": "1700000200.000000"}}),
        json!({"type": "message", "subtype": "message_changed", "ts": "1700000300.000100",
            "message": {"type": "message", "user": "U1", "ts": "1700000100.000100", "text": "edited"}}),
        json!({"type": "message", "subtype": "message_deleted", "ts": "1700000301.000100",
            "deleted_ts": "1700000100.000100"}),
        json!({"type": "message", "subtype": "bot_message", "bot_id": "B1", "ts": "1700000400.000100",
            "attachments": [{"fallback": "[TRIGGERED] error rate 18%", "title": "alert"}]}),
    ]);
    seeds
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn time_parsers_never_panic(s in prop_oneof!["\\PC{0,40}", prop::sample::select(HOSTILE_TEXT).prop_map(String::from)],
                                n in any::<i64>(), days in any::<u64>()) {
        let _ = Timestamp::from_slack_ts(&s);
        let _ = Timestamp::parse_rfc3339(&s);
        let _ = Timestamp::parse_user(&s, Timestamp(n));
        let _ = Timestamp::parse_user(&format!("{days}d"), Timestamp(n));
        let _ = Timestamp::parse_user(&format!("{days}h"), Timestamp::now());
        let _ = chief_core::time::parse_retry_after(&s);
        let _ = chief_core::time::parse_retry_after_ms(&s);
        let _ = Timestamp(n).to_rfc3339();
        let _ = Timestamp::from_secs(n);
    }

    #[test]
    fn slack_converters_never_panic(m in mutated(slack_seeds()),
                                    u in mutated(vec![first(shared("slack/openapi-examples/users.list.200.json"), "members")]),
                                    c in mutated(vec![first(shared("slack/openapi-examples/conversations.list.200.json"), "channels")])) {
        let users = HashMap::from([("U1".to_string(), "Ada".to_string())]);
        for url in [None, Some("https://t.slack.com/")] {
            let _ = convert_message(&m, &MessageContext { channel_id: "C1", users: &users, workspace_url: url });
        }
        if let Ok(user) = serde_json::from_value::<SlackUser>(u) {
            let _ = user.display_name();
            let _ = user.to_person();
        }
        if let Ok(conv) = serde_json::from_value::<SlackConversation>(c) {
            let _ = conv.to_container(chief_core::ContainerKind::Channel, &|id| users.get(id).cloned());
        }
    }

    #[test]
    fn github_converters_never_panic(
        issue in mutated(vec![shared("github/openapi-examples/issue.json"), shared("github/openapi-examples/pull-request.json"),
                              shared("github/openapi-examples/pull-request-simple.json")]),
        comment in mutated(vec![shared("github/openapi-examples/issue-comment.json"),
                                shared("github/openapi-examples/pull-request-review-comment-2.json")]),
        review in mutated(vec![shared("github/openapi-examples/pull-request-review.json")]),
        other in mutated(vec![shared("github/openapi-examples/public-user-default-response.json"),
                              first(shared("github/openapi-examples/repo-search-result-item-paginated.json"), "items")]),
        number in any::<u64>(),
    ) {
        let _ = github::issue_to_item("o/r", &issue);
        let _ = github::comment_to_item("o/r", CommentKind::Issue, &comment);
        let _ = github::comment_to_item("o/r", CommentKind::Review, &comment);
        let _ = github::review_to_item("o/r", number, &review);
        let _ = github::user_to_person(&other);
        let _ = github::repo_to_container(&other);
    }

    #[test]
    fn jira_and_calendar_converters_never_panic(
        issue in mutated(vec![shared("jira/jira-cli/issue.json"), shared("jira/openapi-examples/getIssue.200.json")]),
        other in mutated(vec![shared("jira/openapi-examples/getProject.200.json"),
                              shared("jira/openapi-examples/getCurrentUser.200.json")]),
        event in mutated(vec![json!({
            "id": "evt1", "status": "confirmed", "summary": "1:1", "description": "PAY-142 <b>review</b>",
            "htmlLink": "https://calendar.google.com/event?eid=x", "recurringEventId": "evt",
            "start": {"dateTime": "2026-11-26T14:00:00Z", "timeZone": "Europe/Berlin"}, "end": {"date": "2026-11-27"},
            "created": "2026-11-20T09:30:00.000Z", "updated": "2026-11-21T09:30:00.000Z",
            "organizer": {"email": "a@x.example", "displayName": "A"},
            "attendees": [{"email": "b@x.example", "responseStatus": "accepted", "self": true}]
        })]),
    ) {
        for site in [None, Some("https://acme.atlassian.net")] {
            let _ = jira::issue_to_items(&issue, site);
        }
        let _ = jira::issue_people(&issue);
        let _ = jira::project_to_container(&other);
        let _ = jira::user_to_person(&other);
        let _ = google::event_to_change("primary", &event);
        let _ = google::event_people(&event);
        let _ = google::calendar_to_container(&event);
    }
}

#[test]
fn the_unmutated_seeds_are_records_the_converters_accept() {
    // The properties start from valid records, so mutations reach deep code paths.
    let users = HashMap::new();
    let ctx = MessageContext { channel_id: "C1", users: &users, workspace_url: None };
    for m in slack_seeds() {
        assert!(convert_message(&m, &ctx).is_ok(), "{m}");
    }
    assert!(github::issue_to_item("o/r", &shared("github/openapi-examples/issue.json")).is_ok());
    assert!(github::issue_to_item("o/r", &shared("github/openapi-examples/pull-request.json")).is_ok());
    assert!(
        github::comment_to_item("o/r", CommentKind::Issue, &shared("github/openapi-examples/issue-comment.json"))
            .is_ok()
    );
    assert!(github::review_to_item("o/r", 1, &shared("github/openapi-examples/pull-request-review.json")).is_ok());
    assert!(jira::issue_to_items(&shared("jira/jira-cli/issue.json"), None).is_ok_and(|items| !items.is_empty()));
}
