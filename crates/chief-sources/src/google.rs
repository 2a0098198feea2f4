//! Google Calendar events, as `calendar/v3/calendars/{id}/events` returns them.

use chief_core::refs::extract;
use chief_core::text::html_to_text;
use chief_core::{
    Container, ContainerId, ContainerKind, Identity, IdentityKind, Item, ItemId, ItemKind, PersonRecord, Source,
    Timestamp,
};
use serde_json::{Value, json};

use crate::json::s;

/// A calendar (`calendarList` entry) as a container.
pub fn calendar_to_container(v: &Value) -> Result<Container, String> {
    let id = s(v, "id").ok_or("calendar without id")?;
    Ok(Container {
        id: ContainerId::new(Source::Google, &format!("calendar/{id}")),
        source: Source::Google,
        kind: ContainerKind::Calendar,
        name: s(v, "summary").unwrap_or(id).to_string(),
        description: s(v, "description").unwrap_or("").to_string(),
    })
}

fn when(v: Option<&Value>) -> Result<Timestamp, String> {
    let v = v.ok_or("event without start")?;
    if let Some(dt) = s(v, "dateTime") {
        return Timestamp::parse_rfc3339(dt).map_err(|e| e.to_string());
    }
    let d = s(v, "date").ok_or("event time without dateTime or date")?;
    Timestamp::parse_rfc3339(&format!("{d}T00:00:00Z")).map_err(|e| e.to_string())
}

/// People on an event (organizer and attendees with display names).
pub fn event_people(v: &Value) -> Vec<PersonRecord> {
    let mut out = Vec::new();
    for p in v.get("attendees").and_then(Value::as_array).into_iter().flatten().chain(v.get("organizer")) {
        if let Some(email) = s(p, "email") {
            out.push(PersonRecord {
                display_name: s(p, "displayName").unwrap_or(email).to_string(),
                identities: vec![Identity::new(IdentityKind::Email, email)],
                title: String::new(),
                is_bot: false,
            });
        }
    }
    out
}

/// What an event payload means for the store.
pub enum EventChange {
    Upsert(Box<Item>),
    /// `status: cancelled`: remove the event.
    Cancelled(ItemId),
}

/// An event. Its time (`created`) is the start time, which is what users search by.
pub fn event_to_change(calendar_id: &str, v: &Value) -> Result<EventChange, String> {
    let id = s(v, "id").ok_or("event without id")?;
    let item_id = ItemId::new(Source::Google, &format!("calendar/{calendar_id}/{id}"));
    if s(v, "status") == Some("cancelled") {
        return Ok(EventChange::Cancelled(item_id));
    }
    let start = when(v.get("start"))?;
    let end = when(v.get("end")).unwrap_or(start);
    let description = html_to_text(s(v, "description").unwrap_or(""));
    let attendees: Vec<Identity> = v
        .get("attendees")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| s(a, "email"))
        .map(|e| Identity::new(IdentityKind::Email, e))
        .collect();
    let responses: serde_json::Map<String, Value> = v
        .get("attendees")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| Some((s(a, "email")?.to_lowercase(), json!(s(a, "responseStatus").unwrap_or("needsAction")))))
        .collect();
    let title = s(v, "summary").unwrap_or("(no title)").to_string();
    let updated = s(v, "updated").and_then(|u| Timestamp::parse_rfc3339(u).ok()).unwrap_or(start);
    Ok(EventChange::Upsert(Box::new(Item {
        id: item_id,
        source: Source::Google,
        kind: ItemKind::Event,
        container: ContainerId::new(Source::Google, &format!("calendar/{calendar_id}")),
        author: v.get("organizer").and_then(|o| s(o, "email")).map(|e| Identity::new(IdentityKind::Email, e)),
        participants: attendees,
        created: start,
        updated,
        references: extract(&format!("{title}\n{description}")),
        title,
        body: description,
        url: s(v, "htmlLink").map(str::to_string),
        parent: None,
        is_bot: false,
        extra: json!({
            "start": start.to_rfc3339(),
            "end": end.to_rfc3339(),
            "location": s(v, "location"),
            "responses": responses,
            "meet": s(v, "hangoutLink"),
        }),
    })))
}

/// The container of Drive documents.
pub fn drive_container() -> Container {
    Container {
        id: ContainerId::new(Source::Google, "drive"),
        source: Source::Google,
        kind: ContainerKind::Folder,
        name: "Google Drive".into(),
        description: String::new(),
    }
}

/// A Drive file's item id.
pub fn drive_file_id(file_id: &str) -> ItemId {
    ItemId::new(Source::Google, &format!("drive/{file_id}"))
}

/// Bodies are kept up to this many characters.
const MAX_DOC_CHARS: usize = 200_000;

fn drive_user(v: Option<&Value>) -> Option<Identity> {
    let u = v?;
    s(u, "emailAddress").map(|e| Identity::new(IdentityKind::Email, e))
}

/// A Google Doc (`files` metadata) with its text (`files.export` as text/plain).
pub fn doc_to_item(file: &Value, text: &str) -> Result<Item, String> {
    let id = s(file, "id").ok_or("file without id")?;
    let created = s(file, "createdTime").map(Timestamp::parse_rfc3339).transpose().map_err(|e| e.to_string())?;
    let updated = s(file, "modifiedTime").map(Timestamp::parse_rfc3339).transpose().map_err(|e| e.to_string())?;
    let created = created.or(updated).ok_or("file without createdTime or modifiedTime")?;
    let title = s(file, "name").unwrap_or("(untitled)").to_string();
    let body: String = text.trim_start_matches('\u{feff}').chars().take(MAX_DOC_CHARS).collect();
    let owner = file.get("owners").and_then(Value::as_array).and_then(|o| o.first());
    Ok(Item {
        id: drive_file_id(id),
        source: Source::Google,
        kind: ItemKind::Doc,
        container: drive_container().id,
        author: drive_user(owner).or_else(|| drive_user(file.get("lastModifyingUser"))),
        participants: vec![],
        created,
        updated: updated.unwrap_or(created),
        references: extract(&format!("{title}\n{body}")),
        title,
        body,
        url: s(file, "webViewLink").map(str::to_string),
        parent: None,
        is_bot: false,
        extra: json!({"mime": s(file, "mimeType"), "last_modified_by": file.get("lastModifyingUser").and_then(|u| s(u, "displayName"))}),
    })
}

/// People on a Drive comment thread (authors with an email).
pub fn comment_people(c: &Value) -> Vec<PersonRecord> {
    std::iter::once(c)
        .chain(c.get("replies").and_then(Value::as_array).into_iter().flatten())
        .filter_map(|x| {
            let a = x.get("author")?;
            let email = s(a, "emailAddress")?;
            Some(PersonRecord {
                display_name: s(a, "displayName").unwrap_or(email).to_string(),
                identities: vec![Identity::new(IdentityKind::Email, email)],
                title: String::new(),
                is_bot: false,
            })
        })
        .collect()
}

/// What a Drive comment means for the store: a comment thread (the comment and its
/// replies, in order, as one discussion under its document), or a deletion.
pub fn comment_to_change(file: &Value, c: &Value) -> Result<EventChange, String> {
    let file_id = s(file, "id").ok_or("file without id")?;
    let cid = s(c, "id").ok_or("comment without id")?;
    let id = ItemId::new(Source::Google, &format!("drive/{file_id}/comment/{cid}"));
    if c.get("deleted").and_then(Value::as_bool) == Some(true) {
        return Ok(EventChange::Cancelled(id));
    }
    let name = |x: &Value| x.get("author").and_then(|a| s(a, "displayName")).unwrap_or("Someone").to_string();
    let mut lines = Vec::new();
    if let Some(q) = c.get("quotedFileContent").and_then(|q| s(q, "value")).filter(|q| !q.trim().is_empty()) {
        lines.push(format!("On \"{}\":", q.trim()));
    }
    lines.push(format!("{}: {}", name(c), s(c, "content").unwrap_or("").trim()));
    let replies: Vec<&Value> = c
        .get("replies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| r.get("deleted").and_then(Value::as_bool) != Some(true))
        .collect();
    let mut participants: Vec<Identity> = Vec::new();
    for r in &replies {
        let text = s(r, "content").unwrap_or("").trim().to_string();
        let action = s(r, "action").map(|a| format!(" ({a})")).unwrap_or_default();
        lines.push(format!("{}{action}: {text}", name(r)));
        if let Some(i) = drive_user(r.get("author"))
            && !participants.contains(&i)
        {
            participants.push(i);
        }
    }
    let created = Timestamp::parse_rfc3339(s(c, "createdTime").ok_or("comment without createdTime")?)
        .map_err(|e| e.to_string())?;
    let updated = s(c, "modifiedTime").and_then(|t| Timestamp::parse_rfc3339(t).ok()).unwrap_or(created);
    let body = lines.join("\n");
    let doc = s(file, "name").unwrap_or("a document");
    Ok(EventChange::Upsert(Box::new(Item {
        id,
        source: Source::Google,
        kind: ItemKind::Comment,
        container: drive_container().id,
        author: drive_user(c.get("author")),
        participants,
        created,
        updated,
        references: extract(&body),
        title: format!("Comment on {doc}"),
        body,
        url: s(file, "webViewLink").map(|u| format!("{u}?disco={cid}")),
        parent: Some(drive_file_id(file_id)),
        is_bot: false,
        extra: json!({"resolved": c.get("resolved").and_then(Value::as_bool).unwrap_or(false), "replies": replies.len()}),
    })))
}
