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
