//! GitHub: issues, pull requests, issue comments, review comments and reviews, as the
//! REST API returns them.

use chief_core::refs::{extract, pr_ref};
use chief_core::text::markdown_to_text;
use chief_core::{
    Container, ContainerId, ContainerKind, Identity, IdentityKind, Item, ItemId, ItemKind, PersonRecord, RefKind,
    Reference, Source,
};
use serde_json::{Value, json};

use crate::json::{s, time};

fn login(v: Option<&Value>) -> Option<Identity> {
    v.and_then(|u| s(u, "login")).map(|l| Identity::new(IdentityKind::Github, l))
}

fn logins(v: &Value, key: &str) -> Vec<Identity> {
    v.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(|u| login(Some(u))).collect()
}

/// `owner/repo` → the container id `github:owner/repo` (lower-cased).
pub fn repo_container_id(repo: &str) -> ContainerId {
    ContainerId::new(Source::Github, &repo.to_lowercase())
}

/// The item id of issue or PR `number` in `repo`.
pub fn issue_id(repo: &str, number: u64) -> ItemId {
    ItemId::new(Source::Github, &pr_ref_parts(repo, number))
}

/// The item id of a comment-like record: `tag` is `comment`, `review-comment` or `review`.
pub fn record_id(repo: &str, tag: &str, id: &str) -> ItemId {
    ItemId::new(Source::Github, &format!("{}/{tag}/{id}", repo.to_lowercase()))
}

fn pr_ref_parts(repo: &str, number: u64) -> String {
    let (o, r) = repo.split_once('/').unwrap_or((repo, ""));
    pr_ref(o, r, number)
}

/// A repository (`/user/repos`, `/repos/{o}/{r}`) as a container.
pub fn repo_to_container(v: &Value) -> Result<Container, String> {
    let full = s(v, "full_name").ok_or("repository without full_name")?;
    Ok(Container {
        id: repo_container_id(full),
        source: Source::Github,
        kind: ContainerKind::Repo,
        name: full.to_string(),
        description: s(v, "description").unwrap_or("").to_string(),
    })
}

/// A user (`/users/{login}`) as a person; the public email links them to other sources.
pub fn user_to_person(v: &Value) -> Result<PersonRecord, String> {
    let l = s(v, "login").ok_or("user without login")?;
    let mut identities = vec![Identity::new(IdentityKind::Github, l)];
    if let Some(email) = s(v, "email").filter(|e| e.contains('@')) {
        identities.push(Identity::new(IdentityKind::Email, email));
    }
    Ok(PersonRecord {
        display_name: s(v, "name").unwrap_or(l).to_string(),
        identities,
        title: String::new(),
        is_bot: s(v, "type") == Some("Bot"),
    })
}

fn base_refs(repo: &str, text: &str, mentions: &[String]) -> Vec<Reference> {
    let mut refs = extract(text);
    refs.extend(mentions.iter().map(|m| Reference::new(RefKind::Person, format!("github:{m}"))));
    // A bare `#12` in a repo's own text means that repo's issue or PR.
    for cap in text.split(|c: char| c.is_whitespace() || c == '(' || c == ',').filter_map(|w| w.strip_prefix('#')) {
        if let Ok(n) = cap.trim_end_matches(['.', ')', ':', ';']).parse::<u64>() {
            refs.push(Reference::new(RefKind::PullRequest, pr_ref_parts(repo, n)));
        }
    }
    refs
}

/// An issue or pull request from `/repos/{o}/{r}/issues` or `/pulls` (PRs carry
/// `pull_request` in the issues list, or `head`/`base` in the pulls list).
pub fn issue_to_item(repo: &str, v: &Value) -> Result<Item, String> {
    let number = v.get("number").and_then(Value::as_u64).ok_or("issue without number")?;
    let is_pr = v.get("pull_request").is_some() || v.get("head").is_some();
    let title = s(v, "title").unwrap_or("").to_string();
    let rendered = markdown_to_text(s(v, "body").unwrap_or(""));
    let mut references = base_refs(repo, &format!("{title}\n{}", rendered.text), &rendered.user_mentions);
    let own = pr_ref_parts(repo, number);
    references.retain(|r| !(r.kind == RefKind::PullRequest && r.value == own));
    references.push(Reference::new(RefKind::PullRequest, own));
    let mut participants = logins(v, "assignees");
    participants.extend(logins(v, "requested_reviewers"));
    participants.extend(login(v.get("assignee")));
    let labels: Vec<&str> =
        v.get("labels").and_then(Value::as_array).into_iter().flatten().filter_map(|l| s(l, "name")).collect();
    let merged = s(v, "merged_at").is_some() || v.get("pull_request").and_then(|p| s(p, "merged_at")).is_some();
    let mut extra = json!({
        "number": number,
        "state": s(v, "state").unwrap_or("open"),
        "labels": labels,
    });
    if is_pr {
        extra["merged"] = json!(merged);
        extra["draft"] = json!(v.get("draft").and_then(Value::as_bool).unwrap_or(false));
        extra["requested_reviewers"] =
            json!(logins(v, "requested_reviewers").iter().map(|i| i.value.clone()).collect::<Vec<_>>());
        if let Some(head) = v.get("head").and_then(|h| s(h, "ref")) {
            extra["head"] = json!(head);
        }
    }
    Ok(Item {
        id: issue_id(repo, number),
        source: Source::Github,
        kind: if is_pr { ItemKind::PullRequest } else { ItemKind::Issue },
        container: repo_container_id(repo),
        author: login(v.get("user")),
        participants,
        created: time(v, "created_at")?,
        updated: time(v, "updated_at")?,
        title,
        body: rendered.text,
        url: s(v, "html_url").map(str::to_string),
        parent: None,
        references,
        is_bot: v.get("user").and_then(|u| s(u, "type")) == Some("Bot"),
        extra,
    })
}

/// The number at the end of an `issue_url` / `pull_request_url`.
fn trailing_number(url: &str) -> Option<u64> {
    url.rsplit('/').next()?.parse().ok()
}

/// What kind of comment-like record a payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentKind {
    /// `/repos/{o}/{r}/issues/comments` (on issues and PRs).
    Issue,
    /// `/repos/{o}/{r}/pulls/comments` (on a diff line).
    Review,
}

/// An issue comment or a PR review comment.
pub fn comment_to_item(repo: &str, kind: CommentKind, v: &Value) -> Result<Item, String> {
    let id = v.get("id").and_then(Value::as_u64).ok_or("comment without id")?;
    let parent_url = match kind {
        CommentKind::Issue => s(v, "issue_url"),
        CommentKind::Review => s(v, "pull_request_url"),
    };
    let number = parent_url.and_then(trailing_number).ok_or("comment without its issue or pull request url")?;
    let rendered = markdown_to_text(s(v, "body").unwrap_or(""));
    let mut references = base_refs(repo, &rendered.text, &rendered.user_mentions);
    references.push(Reference::new(RefKind::PullRequest, pr_ref_parts(repo, number)));
    let (tag, mut extra) = match kind {
        CommentKind::Issue => ("comment", json!({})),
        CommentKind::Review => ("review-comment", json!({"path": s(v, "path"), "line": v.get("line")})),
    };
    extra["number"] = json!(number);
    Ok(Item {
        id: record_id(repo, tag, &id.to_string()),
        source: Source::Github,
        kind: ItemKind::Comment,
        container: repo_container_id(repo),
        author: login(v.get("user")),
        participants: vec![],
        created: time(v, "created_at")?,
        updated: time(v, "updated_at").or_else(|_| time(v, "created_at"))?,
        title: String::new(),
        body: rendered.text,
        url: s(v, "html_url").map(str::to_string),
        parent: Some(issue_id(repo, number)),
        references,
        is_bot: v.get("user").and_then(|u| s(u, "type")) == Some("Bot"),
        extra,
    })
}

/// A PR review (`/repos/{o}/{r}/pulls/{n}/reviews`). `number` is the PR's number.
pub fn review_to_item(repo: &str, number: u64, v: &Value) -> Result<Item, String> {
    let id = v.get("id").and_then(Value::as_u64).ok_or("review without id")?;
    let state = s(v, "state").unwrap_or("COMMENTED");
    let rendered = markdown_to_text(s(v, "body").unwrap_or(""));
    let submitted = time(v, "submitted_at")?;
    let verb = match state {
        "APPROVED" => "approved",
        "CHANGES_REQUESTED" => "requested changes on",
        "DISMISSED" => "dismissed a review of",
        _ => "reviewed",
    };
    let who = login(v.get("user")).map(|i| i.value).unwrap_or_else(|| "someone".into());
    let body = if rendered.text.is_empty() {
        format!("{who} {verb} {}", pr_ref_parts(repo, number))
    } else {
        rendered.text.clone()
    };
    let mut references = base_refs(repo, &rendered.text, &rendered.user_mentions);
    references.push(Reference::new(RefKind::PullRequest, pr_ref_parts(repo, number)));
    Ok(Item {
        id: record_id(repo, "review", &id.to_string()),
        source: Source::Github,
        kind: ItemKind::Review,
        container: repo_container_id(repo),
        author: login(v.get("user")),
        participants: vec![],
        created: submitted,
        updated: submitted,
        title: String::new(),
        body,
        url: s(v, "html_url").map(str::to_string),
        parent: Some(issue_id(repo, number)),
        references,
        is_bot: false,
        extra: json!({"state": state, "number": number}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> Value {
        let p = crate::test_data("api-payloads/github/openapi-examples").join(name);
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("shared payload {} is required: {e}", p.display()));
        serde_json::from_slice(&bytes).expect("valid json")
    }

    fn first(v: Value) -> Value {
        match v {
            Value::Array(mut a) => a.remove(0),
            other => other,
        }
    }

    #[test]
    fn parses_the_specs_issue_pull_comment_and_review_examples() {
        let issue = issue_to_item("octocat/Hello-World", &example("issue.json")).unwrap();
        assert_eq!(issue.id.as_str(), "github:octocat/hello-world#1347");
        assert!(issue.references.contains(&Reference::new(RefKind::PullRequest, "octocat/hello-world#1347")));
        let pr = issue_to_item("octocat/Hello-World", &example("pull-request.json")).unwrap();
        assert_eq!(pr.kind, ItemKind::PullRequest);
        assert!(!pr.participants.is_empty());
        let c = comment_to_item("octocat/Hello-World", CommentKind::Issue, &first(example("issue-comment-items.json")))
            .unwrap();
        assert_eq!(c.parent.unwrap().as_str(), "github:octocat/hello-world#1347");
        let rc = comment_to_item(
            "octocat/Hello-World",
            CommentKind::Review,
            &first(example("pull-request-review-comment-items.json")),
        )
        .unwrap();
        assert_eq!(rc.kind, ItemKind::Comment);
        let r = review_to_item("octocat/Hello-World", 12, &example("pull-request-review.json")).unwrap();
        assert_eq!(r.kind, ItemKind::Review);
    }

    #[test]
    fn bare_hash_refs_point_into_the_same_repo() {
        let v = json!({"number": 5, "title": "Fix", "body": "Closes #3 and PAY-9", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "user": {"login": "Ana"}});
        let it = issue_to_item("Kestrel/API", &v).unwrap();
        assert!(it.references.contains(&Reference::new(RefKind::PullRequest, "kestrel/api#3")));
        assert!(it.references.contains(&Reference::new(RefKind::Ticket, "PAY-9")));
        assert_eq!(it.author.unwrap().value, "ana");
    }
}
