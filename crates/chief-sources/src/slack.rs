//! Slack: users, conversations and messages, as both the Web API and exports shape
//! them (an export day file is an array of `conversations.history` messages).

use std::collections::HashMap;

use chief_core::refs::extract;
use chief_core::text::slack_mrkdwn;
use chief_core::{
    Container, ContainerId, ContainerKind, Identity, IdentityKind, Item, ItemId, ItemKind, PersonRecord, RefKind,
    Reference, Source, Timestamp,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// A Slack user (`users.list`, `users.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct SlackUser {
    pub id: String,
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub real_name: Option<String>,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub profile: SlackProfile,
}

/// The profile part of a user.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SlackProfile {
    #[serde(default)]
    pub real_name: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

impl SlackUser {
    /// The best human name: real name, then display name, then handle.
    pub fn display_name(&self) -> String {
        [
            self.real_name.as_deref(),
            self.profile.real_name.as_deref(),
            self.profile.display_name.as_deref(),
            Some(self.name.as_str()),
        ]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or(&self.id)
        .to_string()
    }

    /// The person record for the store (Slack id, plus email when known).
    pub fn to_person(&self) -> PersonRecord {
        let mut identities = vec![Identity::new(IdentityKind::Slack, &self.id)];
        if let Some(email) = self.profile.email.as_deref().filter(|e| e.contains('@')) {
            identities.push(Identity::new(IdentityKind::Email, email));
        }
        PersonRecord {
            display_name: self.display_name(),
            identities,
            title: self.profile.title.clone().unwrap_or_default(),
            is_bot: self.is_bot,
        }
    }
}

/// A conversation (`users.conversations`, `channels.json`, `groups.json`, `dms.json`, `mpims.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct SlackConversation {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub is_im: bool,
    #[serde(default)]
    pub is_mpim: bool,
    #[serde(default)]
    pub is_private: bool,
    #[serde(default)]
    pub is_archived: bool,
    #[serde(default)]
    pub members: Vec<String>,
    /// The other member of a DM, as `users.conversations` reports it.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub topic: Option<TextValue>,
    #[serde(default)]
    pub purpose: Option<TextValue>,
}

/// `{ "value": "..." }` as used by topics and purposes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TextValue {
    #[serde(default)]
    pub value: String,
}

impl SlackConversation {
    /// The container for the store; `kind` is decided by which list the
    /// conversation came from when the flags are absent (exports).
    pub fn to_container(&self, default_kind: ContainerKind, user_name: &dyn Fn(&str) -> Option<String>) -> Container {
        let kind = if self.is_im {
            ContainerKind::DirectMessage
        } else if self.is_mpim {
            ContainerKind::GroupMessage
        } else if self.is_private {
            ContainerKind::PrivateChannel
        } else {
            default_kind
        };
        let name = match kind {
            ContainerKind::DirectMessage | ContainerKind::GroupMessage => {
                let names: Vec<String> =
                    self.members.iter().map(|m| user_name(m).unwrap_or_else(|| m.clone())).collect();
                if names.is_empty() {
                    self.name.clone().unwrap_or_else(|| self.id.clone())
                } else {
                    format!("DM: {}", names.join(", "))
                }
            }
            _ => format!("#{}", self.name.clone().unwrap_or_else(|| self.id.clone())),
        };
        let description = [self.topic.as_ref(), self.purpose.as_ref()]
            .into_iter()
            .flatten()
            .map(|t| t.value.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" — ");
        Container { id: ContainerId::new(Source::Slack, &self.id), source: Source::Slack, kind, name, description }
    }
}

/// Subtypes that record channel housekeeping rather than conversation; skipped and counted.
pub const HOUSEKEEPING_SUBTYPES: &[&str] = &[
    "channel_join",
    "channel_leave",
    "channel_topic",
    "channel_purpose",
    "channel_name",
    "channel_archive",
    "channel_unarchive",
    "group_join",
    "group_leave",
    "group_topic",
    "group_purpose",
    "group_name",
    "group_archive",
    "group_unarchive",
    "bot_add",
    "bot_remove",
    "pinned_item",
    "unpinned_item",
    "channel_convert_to_private",
    "channel_convert_to_public",
];

/// Subtypes whose messages are conversation and are imported as such.
pub const CONTENT_SUBTYPES: &[&str] = &[
    "bot_message",
    "file_share",
    "file_comment",
    "file_mention",
    "thread_broadcast",
    "me_message",
    "reminder_add",
    "slackbot_response",
    "huddle_thread",
    "message_replied",
    "ekm_access_denied",
    "sh_room_created",
];

/// What a raw message becomes.
#[derive(Debug, Clone)]
pub enum Converted {
    /// An item to upsert.
    Item(Box<Item>),
    /// A deleted message that still anchors a thread: store it deleted.
    Tombstone(Box<Item>),
    /// Delete a previously seen message (`message_deleted` events).
    Delete(ItemId),
    /// Housekeeping, skipped; the subtype is returned for counting.
    Skipped(String),
}

/// Context a conversion needs: where the message is and who people are.
pub struct MessageContext<'a> {
    pub channel_id: &'a str,
    pub users: &'a HashMap<String, String>,
    /// `https://<team>.slack.com` when known, for permalinks.
    pub workspace_url: Option<&'a str>,
}

fn str_field<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// The id of a Slack message item.
pub fn message_id(channel_id: &str, ts: &str) -> ItemId {
    ItemId::new(Source::Slack, &format!("{channel_id}:{ts}"))
}

/// Converts one message object. Errors only when it lacks a usable `ts`.
pub fn convert_message(msg: &Value, ctx: &MessageContext<'_>) -> Result<Converted, String> {
    let subtype = str_field(msg, "subtype");
    match subtype {
        Some(s) if HOUSEKEEPING_SUBTYPES.contains(&s) => return Ok(Converted::Skipped(s.to_string())),
        Some("message_deleted") => {
            let ts = str_field(msg, "deleted_ts").ok_or("message_deleted without deleted_ts")?;
            return Ok(Converted::Delete(message_id(ctx.channel_id, ts)));
        }
        Some("message_changed") => {
            let inner = msg.get("message").ok_or("message_changed without message")?;
            return convert_message(inner, ctx);
        }
        _ => {}
    }
    let ts = str_field(msg, "ts").ok_or("message without ts")?;
    let created = Timestamp::from_slack_ts(ts).map_err(|e| e.to_string())?;
    let resolve = |id: &str| ctx.users.get(id).cloned();
    let rendered = slack_mrkdwn(str_field(msg, "text").unwrap_or(""), &resolve);
    let mut body = rendered.text;

    // Files: the API nests `files[]`; old exports have a single `file`.
    let mut files = Vec::new();
    let file_list = msg.get("files").and_then(Value::as_array).cloned().unwrap_or_default();
    for f in file_list.iter().chain(msg.get("file")) {
        let name = str_field(f, "name").unwrap_or("");
        let title = str_field(f, "title").unwrap_or("");
        if name.is_empty() && title.is_empty() {
            continue;
        }
        let label = if title.is_empty() || title == name { name.to_string() } else { format!("{title} ({name})") };
        if !body.contains(&label) {
            body.push_str(&format!("\n[file: {label}]"));
        }
        files.push(json!({"name": name, "title": title}));
    }
    for a in msg.get("attachments").and_then(Value::as_array).into_iter().flatten() {
        let text = [str_field(a, "title"), str_field(a, "text").or(str_field(a, "fallback"))]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        if !text.is_empty() {
            body.push_str(&format!("\n[{}]", slack_mrkdwn(&text, &resolve).text));
        }
    }

    let user = str_field(msg, "user");
    let bot_id = str_field(msg, "bot_id");
    let is_bot =
        subtype == Some("bot_message") || (user.is_none() && bot_id.is_some()) || msg.get("bot_profile").is_some();
    let author = user.or(bot_id).map(|u| Identity::new(IdentityKind::Slack, u));
    let thread_ts = str_field(msg, "thread_ts");
    let parent = thread_ts.filter(|t| *t != ts).map(|t| message_id(ctx.channel_id, t));
    let edited = msg.get("edited");
    let updated = edited
        .and_then(|e| str_field(e, "ts"))
        .and_then(|t| Timestamp::from_slack_ts(t).ok())
        .filter(|t| *t > created)
        .unwrap_or(created);

    let mut references = extract(&body);
    references.extend(rendered.user_mentions.iter().map(|u| Reference::new(RefKind::Person, format!("slack:{u}"))));
    references.extend(rendered.channel_mentions.iter().map(|c| Reference::new(RefKind::Channel, format!("slack:{c}"))));
    let participants = msg
        .get("reply_users")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|u| Identity::new(IdentityKind::Slack, u))
        .collect();

    let mut extra = serde_json::Map::new();
    if let Some(s) = subtype {
        extra.insert("subtype".into(), json!(s));
        if !CONTENT_SUBTYPES.contains(&s) && s != "tombstone" {
            extra.insert("unknown_subtype".into(), json!(true));
        }
    }
    if let Some(r) = msg.get("reactions").filter(|r| r.as_array().is_some_and(|a| !a.is_empty())) {
        extra.insert("reactions".into(), r.clone());
    }
    if let Some(e) = edited {
        extra.insert("edited".into(), e.clone());
    }
    if let Some(n) = msg.get("reply_count") {
        extra.insert("reply_count".into(), n.clone());
    }
    if let Some(t) = thread_ts {
        extra.insert("thread_ts".into(), json!(t));
    }
    if !files.is_empty() {
        extra.insert("files".into(), Value::Array(files));
    }
    if let Some(name) = str_field(msg, "username").or_else(|| msg.get("bot_profile").and_then(|b| str_field(b, "name")))
    {
        extra.insert("username".into(), json!(name));
    }

    let item = Item {
        id: message_id(ctx.channel_id, ts),
        source: Source::Slack,
        kind: ItemKind::Message,
        container: ContainerId::new(Source::Slack, ctx.channel_id),
        author,
        participants,
        created,
        updated,
        title: String::new(),
        body,
        url: ctx
            .workspace_url
            .map(|base| format!("{}/archives/{}/p{}", base.trim_end_matches('/'), ctx.channel_id, ts.replace('.', ""))),
        parent,
        references,
        is_bot,
        extra: Value::Object(extra),
    };
    if subtype == Some("tombstone")
        || msg.get("hidden").and_then(Value::as_bool) == Some(true)
            && str_field(msg, "text") == Some("This message was deleted.")
    {
        return Ok(Converted::Tombstone(Box::new(item)));
    }
    Ok(Converted::Item(Box::new(item)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(users: &HashMap<String, String>) -> MessageContext<'_> {
        MessageContext { channel_id: "C1", users, workspace_url: Some("https://kestrel.slack.com") }
    }

    fn item(c: Converted) -> Item {
        match c {
            Converted::Item(i) => *i,
            other => panic!("expected an item, got {other:?}"),
        }
    }

    #[test]
    fn thread_reply_edit_reactions_and_mentions() {
        let users = HashMap::from([("U1".to_string(), "Ana Ruiz".to_string())]);
        let msg = json!({"type":"message","user":"U2","text":"<@U1> PAY-142 is back","ts":"1700000100.000200","thread_ts":"1700000000.000100",
            "edited":{"user":"U2","ts":"1700000200.000000"},"reactions":[{"name":"eyes","count":1,"users":["U1"]}]});
        let it = item(convert_message(&msg, &ctx(&users)).unwrap());
        assert_eq!(it.id.as_str(), "slack:C1:1700000100.000200");
        assert_eq!(it.parent.as_ref().unwrap().as_str(), "slack:C1:1700000000.000100");
        assert_eq!(it.body, "@Ana Ruiz PAY-142 is back");
        assert_eq!(it.updated.0, 1_700_000_200_000);
        assert_eq!(it.extra["reactions"][0]["name"], "eyes");
        assert!(it.references.contains(&Reference::new(RefKind::Person, "slack:U1")));
        assert!(it.references.contains(&Reference::new(RefKind::Ticket, "PAY-142")));
        assert_eq!(it.url.as_deref(), Some("https://kestrel.slack.com/archives/C1/p1700000100000200"));
    }

    #[test]
    fn housekeeping_is_skipped_and_files_are_text() {
        let users = HashMap::new();
        assert!(
            matches!(convert_message(&json!({"subtype":"channel_join","ts":"1.0","text":"x joined"}), &ctx(&users)).unwrap(), Converted::Skipped(s) if s == "channel_join")
        );
        let it = item(convert_message(&json!({"subtype":"file_share","ts":"1.0","text":"uploaded","file":{"name":"q3.pdf","title":"Q3 plan"}}), &ctx(&users)).unwrap());
        assert!(it.body.contains("[file: Q3 plan (q3.pdf)]"), "{}", it.body);
    }

    #[test]
    fn bots_unknown_subtypes_and_tombstones() {
        let users = HashMap::new();
        let bot = item(
            convert_message(
                &json!({"subtype":"bot_message","bot_id":"B1","username":"deploybot","ts":"1.0","text":"deployed"}),
                &ctx(&users),
            )
            .unwrap(),
        );
        assert!(bot.is_bot);
        assert_eq!(bot.extra["username"], "deploybot");
        let odd = item(
            convert_message(&json!({"subtype":"brand_new_thing","ts":"2.0","user":"U1","text":"hello"}), &ctx(&users))
                .unwrap(),
        );
        assert_eq!(odd.extra["unknown_subtype"], true);
        assert!(matches!(
            convert_message(
                &json!({"subtype":"tombstone","ts":"3.0","text":"This message was deleted."}),
                &ctx(&users)
            )
            .unwrap(),
            Converted::Tombstone(_)
        ));
        assert!(convert_message(&json!({"text":"no ts"}), &ctx(&users)).is_err());
    }
}
