//! Import of a Slack export (a zip, or the folder it unzips to).
//!
//! Layout: `channels.json`, `users.json` (or `org_users.json`), optional `groups.json`,
//! `dms.json`, `mpims.json`, and one folder per conversation with one `YYYY-MM-DD.json`
//! per day. Each day file is imported in its own transaction together with a cursor
//! entry holding the file's hash, so an interrupted or failed import leaves the store
//! as it was before the failing file, and a re-run skips what is already in.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use chief_core::{Container, ContainerKind, Identity, IdentityKind, PersonRecord};
use chief_store::{Store, Upsert};
use serde::Serialize;
use serde_json::{Value, json};

use crate::slack::{Converted, MessageContext, SlackConversation, SlackUser, convert_message};
use crate::{SourceError, file_hash, parse_json};

/// The largest file of an export Chief reads: a day file is a few MB, so a bigger one
/// is not a Slack export (or is a zip bomb).
const MAX_FILE: u64 = 128 << 20;

/// The cursor source name for export imports.
pub const CURSOR_SOURCE: &str = "slack-export";

/// Options for an import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `https://<team>.slack.com`, to build permalinks.
    pub workspace_url: Option<String>,
    /// Re-read day files even if an earlier run imported them unchanged.
    pub force: bool,
}

/// Progress through the day files.
#[derive(Debug, Clone)]
pub struct ImportProgress {
    pub done: usize,
    pub total: usize,
    pub file: String,
}

/// A day file that could not be imported.
#[derive(Debug, Clone, Serialize)]
pub struct FileFailure {
    pub file: String,
    pub error: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub conversations: usize,
    pub people: usize,
    pub day_files: usize,
    /// Day files skipped because an earlier run imported them unchanged.
    pub day_files_already_imported: usize,
    pub messages_inserted: usize,
    pub messages_updated: usize,
    pub messages_unchanged: usize,
    pub messages_deleted: usize,
    pub bot_messages: usize,
    pub thread_replies: usize,
    /// Housekeeping messages skipped, by subtype.
    pub skipped_by_subtype: BTreeMap<String, usize>,
    /// Messages with a subtype Chief does not know, imported as plain messages.
    pub unknown_subtypes: BTreeMap<String, usize>,
    pub failures: Vec<FileFailure>,
}

impl ImportReport {
    /// Messages imported in this run or before (inserted + updated + unchanged).
    pub fn messages_seen(&self) -> usize {
        self.messages_inserted + self.messages_updated + self.messages_unchanged
    }

    /// Messages skipped as housekeeping.
    pub fn messages_skipped(&self) -> usize {
        self.skipped_by_subtype.values().sum()
    }
}

enum Archive {
    Dir(PathBuf),
    Zip { path: PathBuf, zip: Box<zip::ZipArchive<File>>, names: Vec<String>, prefix: String },
}

impl Archive {
    fn open(path: &Path) -> Result<Archive, SourceError> {
        let io = |source| SourceError::Io { path: path.to_path_buf(), source };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.is_dir() {
            return Ok(Archive::Dir(path.to_path_buf()));
        }
        let file = File::open(path).map_err(io)?;
        let zip = zip::ZipArchive::new(file).map_err(|source| SourceError::Zip { path: path.to_path_buf(), source })?;
        // Some exports wrap everything in a top-level folder.
        let names = zip
            .file_names()
            .map(|n| n.map(|n| n.into_owned()))
            .collect::<Result<Vec<String>, _>>()
            .map_err(|source| SourceError::Zip { path: path.to_path_buf(), source })?;
        let prefix = names
            .iter()
            .filter(|n| n.ends_with("channels.json") || n.ends_with("users.json"))
            .min_by_key(|n| n.len())
            .map(|n| n[..n.rfind('/').map_or(0, |i| i + 1)].to_string())
            .unwrap_or_default();
        Ok(Archive::Zip { path: path.to_path_buf(), zip: Box::new(zip), names, prefix })
    }

    fn read(&mut self, rel: &str) -> Result<Option<Vec<u8>>, SourceError> {
        let too_big = |what: &str| SourceError::Invalid {
            file: rel.to_string(),
            reason: format!(
                "{what} is larger than {} MiB; a Slack export's files are a few MB — is this a Slack export?",
                MAX_FILE >> 20
            ),
        };
        match self {
            Archive::Dir(root) => {
                let p = root.join(rel);
                // A link could point anywhere on disk: only the export's own files are read.
                if std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
                    return Err(SourceError::Invalid {
                        file: rel.to_string(),
                        reason: "is a symbolic link; Chief reads only the export's own files".into(),
                    });
                }
                if std::fs::metadata(&p).is_ok_and(|m| m.len() > MAX_FILE) {
                    return Err(too_big("the file"));
                }
                match std::fs::read(&p) {
                    Ok(b) => Ok(Some(b)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(SourceError::Io { path: p, source }),
                }
            }
            Archive::Zip { path, zip, prefix, .. } => {
                let name = format!("{prefix}{rel}");
                let mut entry = match zip.by_name(&name) {
                    Ok(e) => e,
                    Err(zip::result::ZipError::FileNotFound) => return Ok(None),
                    Err(source) => return Err(SourceError::Zip { path: path.clone(), source }),
                };
                // The declared size is only a claim: read at most the cap, and grow the
                // buffer as bytes really arrive.
                let mut buf = Vec::with_capacity((entry.size().min(1 << 20)) as usize);
                (&mut entry)
                    .take(MAX_FILE + 1)
                    .read_to_end(&mut buf)
                    .map_err(|source| SourceError::Io { path: path.join(&name), source })?;
                if buf.len() as u64 > MAX_FILE {
                    return Err(too_big("the zip entry"));
                }
                Ok(Some(buf))
            }
        }
    }

    /// `(folder, "folder/YYYY-MM-DD.json")`, sorted; what is refused (a symbolic link,
    /// a name that climbs out of the export) goes to `refused`.
    fn day_files(&self, refused: &mut Vec<FileFailure>) -> Result<Vec<(String, String)>, SourceError> {
        let mut out = Vec::new();
        let mut refuse = |file: String, error: &str| refused.push(FileFailure { file, error: error.to_string() });
        const LINK: &str = "a symbolic link; Chief reads only the export's own folders and files";
        match self {
            Archive::Dir(root) => {
                fn io(p: &Path) -> impl Fn(std::io::Error) -> SourceError + '_ {
                    move |source| SourceError::Io { path: p.to_path_buf(), source }
                }
                for entry in std::fs::read_dir(root).map_err(io(root))? {
                    let entry = entry.map_err(io(root))?;
                    let folder = entry.file_name().to_string_lossy().to_string();
                    let kind = entry.file_type().map_err(io(root))?;
                    if kind.is_symlink() {
                        refuse(folder, LINK);
                        continue;
                    }
                    if !kind.is_dir() {
                        continue;
                    }
                    for f in std::fs::read_dir(entry.path()).map_err(io(&entry.path()))? {
                        let f = f.map_err(io(&entry.path()))?;
                        let name = f.file_name().to_string_lossy().to_string();
                        if !is_day_file(&name) {
                            continue;
                        }
                        if f.file_type().map_err(io(&entry.path()))?.is_symlink() {
                            refuse(format!("{folder}/{name}"), LINK);
                            continue;
                        }
                        out.push((folder.clone(), format!("{folder}/{name}")));
                    }
                }
            }
            Archive::Zip { names, prefix, .. } => {
                for name in names {
                    let Some(rel) = name.strip_prefix(prefix.as_str()) else { continue };
                    if let Some((folder, file)) = rel.split_once('/')
                        && !folder.is_empty()
                        && !file.contains('/')
                        && is_day_file(file)
                    {
                        if matches!(folder, "." | "..") || folder.contains(['\\', ':']) {
                            refuse(rel.to_string(), "an unsafe name (it climbs out of the export); skipped");
                            continue;
                        }
                        out.push((folder.to_string(), rel.to_string()));
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

fn is_day_file(name: &str) -> bool {
    let b = name.as_bytes();
    name.len() == 15 && name.ends_with(".json") && b[4] == b'-' && b[7] == b'-' && b[..4].iter().all(u8::is_ascii_digit)
}

/// Imports a Slack export into the store. Per-file problems are reported in
/// [`ImportReport::failures`] and do not stop the other files; problems with the
/// export as a whole (unreadable zip, no `channels.json`) are errors.
pub fn import(
    store: &mut Store,
    path: &Path,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(&ImportProgress),
) -> Result<ImportReport, SourceError> {
    let mut archive = Archive::open(path)?;
    let mut report = ImportReport::default();

    let users_bytes = match archive.read("users.json")? {
        Some(b) => Some(("users.json", b)),
        None => archive.read("org_users.json")?.map(|b| ("org_users.json", b)),
    };
    let users: Vec<SlackUser> = match &users_bytes {
        Some((name, b)) => parse_json(name, b)?,
        None => Vec::new(),
    };
    let user_names: HashMap<String, String> = users.iter().map(|u| (u.id.clone(), u.display_name())).collect();

    // Conversations by export folder name.
    let mut folders: HashMap<String, Container> = HashMap::new();
    let mut any_list = false;
    for (file, kind) in [
        ("channels.json", ContainerKind::Channel),
        ("groups.json", ContainerKind::PrivateChannel),
        ("mpims.json", ContainerKind::GroupMessage),
        ("dms.json", ContainerKind::DirectMessage),
    ] {
        let Some(bytes) = archive.read(file)? else { continue };
        any_list = true;
        let list: Vec<SlackConversation> = parse_json(file, &bytes)?;
        for conv in list {
            let mut conv = conv;
            conv.is_im |= kind == ContainerKind::DirectMessage;
            conv.is_mpim |= kind == ContainerKind::GroupMessage;
            conv.is_private |= kind == ContainerKind::PrivateChannel;
            let folder = match kind {
                ContainerKind::DirectMessage => conv.id.clone(),
                _ => conv.name.clone().unwrap_or_else(|| conv.id.clone()),
            };
            folders.insert(folder, conv.to_container(kind, &|id| user_names.get(id).cloned()));
        }
    }
    if !any_list {
        return Err(SourceError::NotAnExport {
            path: path.to_path_buf(),
            reason: "no channels.json, groups.json, dms.json or mpims.json at its top level".into(),
        });
    }

    let account = users.iter().find_map(|u| u.team_id.clone().filter(|t| !t.is_empty())).unwrap_or_else(|| {
        let key = archive.read("channels.json").ok().flatten().unwrap_or_default();
        format!("export-{}", file_hash(&key))
    });

    let day_files = archive.day_files(&mut report.failures)?;
    {
        let w = store.writer()?;
        for u in &users {
            w.upsert_person(&u.to_person())?;
        }
        for (folder, _) in &day_files {
            if !folders.contains_key(folder) {
                // A conversation folder with no metadata entry: keep its messages anyway.
                let conv = SlackConversation {
                    id: folder.clone(),
                    name: Some(folder.clone()),
                    is_im: false,
                    is_mpim: false,
                    is_private: false,
                    is_archived: false,
                    members: vec![],
                    user: None,
                    topic: None,
                    purpose: None,
                };
                folders.insert(folder.clone(), conv.to_container(ContainerKind::Channel, &|_| None));
            }
        }
        for c in folders.values() {
            w.upsert_container(c)?;
        }
        w.commit()?;
    }
    report.people = users.len();
    report.conversations = folders.len();
    report.day_files = day_files.len();

    let run = {
        let w = store.writer()?;
        let run = w.start_import("slack-export", &path.display().to_string())?;
        w.commit()?;
        run
    };

    let mut cursors: HashMap<String, Value> = HashMap::new();
    for (done, (folder, rel)) in day_files.iter().enumerate() {
        progress(&ImportProgress { done, total: day_files.len(), file: rel.clone() });
        let container = &folders[folder];
        let channel_id = container.id.as_str().trim_start_matches("slack:").to_string();
        let cursor = match cursors.get(&channel_id) {
            Some(c) => c.clone(),
            None => store.cursor(CURSOR_SOURCE, &account, &channel_id)?.unwrap_or_else(|| json!({"files": {}})),
        };
        let result =
            import_day_file(store, &mut archive, rel, &channel_id, &user_names, opts, &account, cursor, &mut report);
        match result {
            Ok(Some(new_cursor)) => {
                cursors.insert(channel_id, new_cursor);
            }
            Ok(None) => report.day_files_already_imported += 1,
            Err(e) => {
                tracing::warn!(file = %rel, error = %e, "day file not imported");
                report.failures.push(FileFailure { file: rel.clone(), error: e.to_string() });
            }
        }
    }
    progress(&ImportProgress { done: day_files.len(), total: day_files.len(), file: String::new() });

    let w = store.writer()?;
    let status = if report.failures.is_empty() { "ok" } else { "partial" };
    w.finish_import(run, status, &serde_json::to_value(&report).unwrap_or(Value::Null))?;
    w.commit()?;
    Ok(report)
}

/// Imports one day file in one transaction. Returns the channel's new cursor, or
/// `None` when the file was already imported unchanged.
#[allow(clippy::too_many_arguments)]
fn import_day_file(
    store: &mut Store,
    archive: &mut Archive,
    rel: &str,
    channel_id: &str,
    users: &HashMap<String, String>,
    opts: &ImportOptions,
    account: &str,
    mut cursor: Value,
    report: &mut ImportReport,
) -> Result<Option<Value>, SourceError> {
    let bytes = archive
        .read(rel)?
        .ok_or_else(|| SourceError::Invalid { file: rel.to_string(), reason: "listed but unreadable".into() })?;
    let hash = file_hash(&bytes);
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    if !opts.force && cursor["files"][file_name].as_str() == Some(hash.as_str()) {
        return Ok(None);
    }
    let messages: Vec<Value> = parse_json(rel, &bytes)?;
    let ctx = MessageContext { channel_id, users, workspace_url: opts.workspace_url.as_deref() };
    let mut converted = Vec::with_capacity(messages.len());
    for (i, m) in messages.iter().enumerate() {
        let c = convert_message(m, &ctx).map_err(|reason| SourceError::Invalid {
            file: rel.to_string(),
            reason: format!("message {}: {reason}", i + 1),
        })?;
        converted.push(c);
    }

    let mut local = ImportReport::default();
    let w = store.writer()?;
    for c in converted {
        match c {
            Converted::Item(mut item) => {
                // History from an export: a live sync's reconciliation never deletes it
                // (the API may no longer serve it). A live sync that stores the same
                // message again makes it its own.
                match item.extra.as_object_mut() {
                    Some(o) => {
                        o.insert("imported".into(), json!(true));
                    }
                    None => item.extra = json!({"imported": true}),
                }
                if item.is_bot {
                    local.bot_messages += 1;
                    if let (Some(author), Some(name)) =
                        (&item.author, item.extra.get("username").and_then(Value::as_str))
                        && !users.contains_key(&author.value)
                    {
                        w.upsert_person(&PersonRecord {
                            display_name: name.to_string(),
                            identities: vec![Identity::new(IdentityKind::Slack, &author.value)],
                            title: String::new(),
                            is_bot: true,
                        })?;
                    }
                }
                if item.parent.is_some() {
                    local.thread_replies += 1;
                }
                if item.extra.get("unknown_subtype").is_some() {
                    let s = item.extra["subtype"].as_str().unwrap_or("?").to_string();
                    *local.unknown_subtypes.entry(s).or_default() += 1;
                }
                match w.upsert_item(&item)? {
                    Upsert::Inserted => local.messages_inserted += 1,
                    Upsert::Updated => local.messages_updated += 1,
                    Upsert::Unchanged => local.messages_unchanged += 1,
                }
            }
            Converted::Tombstone(item) => {
                if store_tombstone(&w, &item)? {
                    local.messages_deleted += 1;
                }
            }
            Converted::Delete(id) => {
                if w.delete_item(&id)? {
                    local.messages_deleted += 1;
                }
            }
            Converted::Skipped(subtype) => *local.skipped_by_subtype.entry(subtype).or_default() += 1,
        }
    }
    cursor["files"][file_name] = json!(hash);
    w.set_cursor(CURSOR_SOURCE, account, channel_id, &cursor)?;
    w.commit()?;
    merge_report(report, local);
    Ok(Some(cursor))
}

/// Stores a deleted thread anchor once: insert it, then mark it deleted. Shared with
/// the live Slack sync.
pub(crate) fn store_tombstone(
    w: &chief_store::Writer<'_>,
    item: &chief_core::Item,
) -> Result<bool, chief_store::StoreError> {
    if w.is_deleted(&item.id)? {
        return Ok(false);
    }
    let mut anchor = item.clone();
    anchor.body.clear();
    w.upsert_item(&anchor)?;
    w.delete_item(&item.id)
}

fn merge_report(into: &mut ImportReport, from: ImportReport) {
    into.messages_inserted += from.messages_inserted;
    into.messages_updated += from.messages_updated;
    into.messages_unchanged += from.messages_unchanged;
    into.messages_deleted += from.messages_deleted;
    into.bot_messages += from.bot_messages;
    into.thread_replies += from.thread_replies;
    for (k, v) in from.skipped_by_subtype {
        *into.skipped_by_subtype.entry(k).or_default() += v;
    }
    for (k, v) in from.unknown_subtypes {
        *into.unknown_subtypes.entry(k).or_default() += v;
    }
}
