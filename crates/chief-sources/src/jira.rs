//! Jira Cloud: issues with their comments, as `/rest/api/3/search/jql` and
//! `/rest/api/3/issue/bulkfetch` return them (descriptions in Atlassian Document Format).

use chief_core::refs::extract;
use chief_core::text::{Rendered, adf_to_text};
use chief_core::{
    Container, ContainerId, ContainerKind, Identity, IdentityKind, Item, ItemId, ItemKind, PersonRecord, RefKind,
    Reference, Source,
};
use serde_json::{Value, json};

use crate::json::{s, time};

/// A Jira user object as an identity (account id).
fn account(v: Option<&Value>) -> Option<Identity> {
    v.and_then(|u| s(u, "accountId")).map(|a| Identity::new(IdentityKind::Jira, a))
}

/// A Jira user object as a person (account id, plus email where the site shows it).
pub fn user_to_person(v: &Value) -> Option<PersonRecord> {
    let id = s(v, "accountId")?;
    let mut identities = vec![Identity::new(IdentityKind::Jira, id)];
    if let Some(e) = s(v, "emailAddress").filter(|e| e.contains('@')) {
        identities.push(Identity::new(IdentityKind::Email, e));
    }
    Some(PersonRecord {
        display_name: s(v, "displayName").unwrap_or(id).to_string(),
        identities,
        title: String::new(),
        is_bot: s(v, "accountType") == Some("app"),
    })
}

/// Descriptions are ADF on API v3 and plain strings on v2 and older servers.
fn render(v: Option<&Value>) -> Rendered {
    match v {
        Some(Value::String(t)) => Rendered { text: t.clone(), ..Default::default() },
        Some(doc @ Value::Object(_)) => adf_to_text(doc),
        _ => Rendered::default(),
    }
}

/// A project (`/rest/api/3/project/search` values) as a container.
pub fn project_to_container(v: &Value) -> Result<Container, String> {
    let key = s(v, "key").ok_or("project without key")?;
    Ok(Container {
        id: ContainerId::new(Source::Jira, key),
        source: Source::Jira,
        kind: ContainerKind::Project,
        name: s(v, "name").map(|n| format!("{key}: {n}")).unwrap_or_else(|| key.to_string()),
        description: s(v, "description").unwrap_or("").to_string(),
    })
}

/// An issue's comments: `comment.comments` (the search and issue APIs), or a bare
/// list (what some examples and older servers hand out).
fn comments_of(fields: &Value) -> impl Iterator<Item = &Value> {
    let c = &fields["comment"];
    c.get("comments").unwrap_or(c).as_array().into_iter().flatten()
}

/// People found on an issue: reporter, assignee, comment authors.
pub fn issue_people(v: &Value) -> Vec<PersonRecord> {
    let f = &v["fields"];
    let mut out: Vec<PersonRecord> =
        ["reporter", "assignee", "creator"].iter().filter_map(|k| user_to_person(&f[*k])).collect();
    for c in comments_of(f) {
        out.extend(user_to_person(&c["author"]));
    }
    out
}

/// The fields whose changes the briefing and the propositions use.
const TRACKED: [&str; 3] = ["status", "assignee", "priority"];

/// The issue's status, assignee and priority changes from its changelog (`expand=changelog`),
/// oldest first, the last 20: `{at, by, by_id, field, from, to}`.
pub fn changes(v: &Value) -> Value {
    let mut out: Vec<(i64, Value)> = Vec::new();
    for h in v["changelog"]["histories"].as_array().into_iter().flatten() {
        let Ok(at) = time(h, "created") else { continue };
        for c in h["items"].as_array().into_iter().flatten() {
            let field = s(c, "field").unwrap_or("").to_lowercase();
            if !TRACKED.contains(&field.as_str()) {
                continue;
            }
            out.push((
                at.0,
                json!({"at": at.to_rfc3339(), "by": h.get("author").and_then(|a| s(a, "displayName")), "by_id": account(h.get("author")).map(|i| i.key()), "field": field, "from": s(c, "fromString"), "to": s(c, "toString")}),
            ));
        }
    }
    out.sort_by_key(|(at, _)| *at);
    let skip = out.len().saturating_sub(20);
    Value::Array(out.into_iter().skip(skip).map(|(_, c)| c).collect())
}

/// An issue and its embedded comments. `site` is `https://<site>.atlassian.net`, for links.
pub fn issue_to_items(v: &Value, site: Option<&str>) -> Result<Vec<Item>, String> {
    let key = s(v, "key").ok_or("issue without key")?;
    // The numeric id survives moves between projects; payloads trimmed to `key` fall back to it.
    let id = s(v, "id").unwrap_or(key);
    let f = v.get("fields").ok_or("issue without fields")?;
    let project = f.get("project").and_then(|p| s(p, "key")).or_else(|| key.split('-').next()).unwrap_or(key);
    let summary = s(f, "summary").unwrap_or("").to_string();
    let desc = render(f.get("description"));
    let mut references = extract(&format!("{summary}\n{}", desc.text));
    references.retain(|r| !(r.kind == RefKind::Ticket && r.value == key));
    references.push(Reference::new(RefKind::Ticket, key));
    references.extend(desc.user_mentions.iter().map(|a| Reference::new(RefKind::Person, format!("jira:{a}"))));
    if let Some(parent) = f.get("parent").and_then(|p| s(p, "key")) {
        references.push(Reference::new(RefKind::Ticket, parent));
    }
    let url = site.map(|base| format!("{}/browse/{key}", base.trim_end_matches('/')));
    let issue_item_id = ItemId::new(Source::Jira, id);
    let container = ContainerId::new(Source::Jira, project);
    let name = |k: &str| f.get(k).and_then(|x| s(x, "name")).map(str::to_string);
    let labels = f.get("labels").cloned().unwrap_or(json!([]));
    let mut participants: Vec<Identity> = account(f.get("assignee")).into_iter().collect();
    let comments: Vec<&Value> = comments_of(f).collect();
    participants.extend(comments.iter().filter_map(|c| account(c.get("author"))));
    let issue = Item {
        id: issue_item_id.clone(),
        source: Source::Jira,
        kind: ItemKind::Issue,
        container: container.clone(),
        author: account(f.get("reporter")).or_else(|| account(f.get("creator"))),
        participants,
        // Payloads trimmed by a `fields` list may lack `created`: the update is the best bound.
        created: time(f, "created").or_else(|_| time(f, "updated"))?,
        updated: time(f, "updated")?,
        title: format!("{key}: {summary}"),
        body: desc.text,
        url: url.clone(),
        parent: None,
        references,
        is_bot: false,
        extra: json!({
            "key": key,
            "status": f.get("status").and_then(|x| s(x, "name")),
            "priority": name("priority"),
            "type": name("issuetype"),
            "labels": labels,
            "assignee": f.get("assignee").and_then(|a| s(a, "displayName")),
            "assignee_id": account(f.get("assignee")).map(|i| i.key()),
            "due": f.get("duedate").and_then(Value::as_str),
            "changes": changes(v),
        }),
    };
    let mut items = vec![issue];
    for c in comments {
        let cid = s(c, "id").ok_or("comment without id")?;
        let body = render(c.get("body"));
        let mut refs = extract(&body.text);
        refs.push(Reference::new(RefKind::Ticket, key));
        refs.extend(body.user_mentions.iter().map(|a| Reference::new(RefKind::Person, format!("jira:{a}"))));
        items.push(Item {
            id: ItemId::new(Source::Jira, &format!("{id}/comment/{cid}")),
            source: Source::Jira,
            kind: ItemKind::Comment,
            container: container.clone(),
            author: account(c.get("author")),
            participants: vec![],
            created: time(c, "created")?,
            updated: time(c, "updated").or_else(|_| time(c, "created"))?,
            title: String::new(),
            body: body.text,
            url: url.as_ref().map(|u| format!("{u}?focusedCommentId={cid}")),
            parent: Some(issue_item_id.clone()),
            references: refs,
            is_bot: false,
            extra: json!({"key": key}),
        });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_recorded_jira_cli_issue() {
        let p = crate::test_data("api-payloads/jira/jira-cli/issue.json");
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("shared payload {} is required: {e}", p.display()));
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        let items = issue_to_items(&v, Some("https://example.atlassian.net")).unwrap();
        let key = v["key"].as_str().unwrap();
        assert_eq!(items[0].kind, ItemKind::Issue);
        assert!(items[0].title.starts_with(key));
        assert!(items[0].references.contains(&Reference::new(RefKind::Ticket, key)));
        assert!(!items[0].body.is_empty());
        assert_eq!(items[0].url.as_deref(), Some(format!("https://example.atlassian.net/browse/{key}").as_str()));
    }
}
