//! `chief import mbox PATH`: mail from an mbox file (or a folder of them), streamed.
//!
//! The file is read line by line and cut at `From ` separator lines (at the start or
//! after an empty line); mboxrd's escaped body lines (`>From `, `>>From `) lose one `>`.
//! Each message is parsed with its MIME structure and charsets (quoted-printable,
//! base64, RFC 2047 words, legacy charsets), so a message is never held twice and a
//! file of any size streams through. Messages are items of kind `email`:
//!
//! - id `<source>:mail/<Message-ID>`, so the same message imported twice (or from two
//!   files) is one item; without a Message-ID, a hash of the message;
//! - source `google` for Gmail Takeout files (they carry `X-GM-THRID` and
//!   `X-Gmail-Labels`), `local` otherwise; the container is the mailing list
//!   (`List-Id`), Gmail, or the file;
//! - the thread root (`References`' first id, else `In-Reply-To`) as parent, so a
//!   thread is a discussion for the briefing (Gmail's `X-GM-THRID` is kept too);
//! - the time from `Date`, or from the separator line when `Date` is missing or
//!   unreadable; sender and recipients as people (by email; a list archive's
//!   `name at domain` is read as `name@domain`).
//!
//! A message that cannot be read is a failure with its position; the others import.

use std::collections::{BTreeSet, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chief_core::refs::extract;
use chief_core::{
    Container, ContainerId, ContainerKind, Identity, IdentityKind, Item, ItemId, ItemKind, PersonRecord, Source,
    Timestamp,
};
use chief_store::{Store, Upsert};
use mail_parser::{Address, HeaderValue, MessageParser};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::SourceError;

/// A message larger than this is skipped (and reported) without being held in memory.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// Bodies are kept up to this many characters.
const MAX_BODY_CHARS: usize = 200_000;
/// Messages written per transaction.
const BATCH: usize = 500;

/// A message that could not be imported.
#[derive(Debug, Clone, Serialize)]
pub struct MessageFailure {
    /// 1-based position of the message in its file.
    pub message: usize,
    /// Line of its separator.
    pub line: usize,
    pub error: String,
}

/// What one file gave.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MboxFileReport {
    pub file: String,
    /// Messages found (separators).
    pub messages: usize,
    pub inserted: usize,
    pub updated: usize,
    /// Already stored with the same content (imported before, or earlier in this run).
    pub unchanged: usize,
    /// Of those, messages whose Message-ID appeared earlier in this run.
    pub duplicates: usize,
    /// Messages whose `Date` was missing or unreadable (their separator line's time was used).
    pub dated_by_separator: usize,
    pub failures: Vec<MessageFailure>,
}

/// What `chief import mbox` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MboxReport {
    pub files: Vec<MboxFileReport>,
    pub messages: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub people: usize,
}

/// One message as cut from the file.
struct Raw {
    /// 1-based position in the file.
    index: usize,
    line: usize,
    separator: String,
    bytes: Vec<u8>,
    too_big: bool,
    /// When neither `Date` nor the separator says (Gmail's `internalDate`).
    fallback: Option<Timestamp>,
}

/// Cuts an mbox stream into messages.
struct Cutter<R: BufRead> {
    reader: R,
    line_no: usize,
    pending: Option<(usize, String)>,
    prev_empty: bool,
    count: usize,
    done: bool,
}

fn is_separator(line: &[u8]) -> bool {
    line.starts_with(b"From ")
}

impl<R: BufRead> Cutter<R> {
    fn new(reader: R) -> Self {
        Cutter { reader, line_no: 0, pending: None, prev_empty: true, count: 0, done: false }
    }

    fn next_message(&mut self) -> std::io::Result<Option<Raw>> {
        let mut buf = Vec::new();
        let mut bytes: Vec<u8> = Vec::new();
        let mut too_big = false;
        loop {
            if self.done {
                return Ok(None);
            }
            buf.clear();
            // At most a message's worth per line: a file without newlines is not read
            // into memory whole (the rest of such a line is skipped below).
            let n = Read::take(&mut self.reader, MAX_MESSAGE_BYTES as u64 + 1).read_until(b'\n', &mut buf)?;
            if n > MAX_MESSAGE_BYTES && !buf.ends_with(b"\n") {
                self.skip_line()?;
                if self.pending.is_some() {
                    too_big = true;
                    bytes = Vec::new();
                }
                self.line_no += 1;
                self.prev_empty = false;
                continue;
            }
            if n == 0 {
                self.done = true;
                let Some((line, separator)) = self.pending.take() else { return Ok(None) };
                return Ok(Some(self.cut(line, separator, bytes, too_big)));
            }
            self.line_no += 1;
            let content: &[u8] = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let content = content.strip_suffix(b"\r").unwrap_or(content);
            if self.prev_empty && is_separator(content) {
                let separator = String::from_utf8_lossy(content).into_owned();
                let started = self.pending.replace((self.line_no, separator));
                self.prev_empty = false;
                if let Some((line, sep)) = started {
                    // The empty line before a separator belongs to the mbox format.
                    if bytes.ends_with(b"\n") {
                        bytes.pop();
                        if bytes.ends_with(b"\r") {
                            bytes.pop();
                        }
                    }
                    return Ok(Some(self.cut(line, sep, bytes, too_big)));
                }
                continue;
            }
            self.prev_empty = content.is_empty();
            if self.pending.is_none() {
                // Text before the first separator is not a message.
                continue;
            }
            if too_big {
                continue;
            }
            // mboxrd: ">From " (any number of '>') loses one.
            let unescaped = if content.starts_with(b">") && escaped_from(content) { &buf[1..] } else { &buf[..] };
            if bytes.len() + unescaped.len() > MAX_MESSAGE_BYTES {
                too_big = true;
                bytes = Vec::new();
                continue;
            }
            bytes.extend_from_slice(unescaped);
        }
    }

    /// Reads past the rest of the current line without keeping it.
    fn skip_line(&mut self) -> std::io::Result<()> {
        loop {
            let (done, used) = {
                let chunk = self.reader.fill_buf()?;
                if chunk.is_empty() {
                    return Ok(());
                }
                match chunk.iter().position(|b| *b == b'\n') {
                    Some(i) => (true, i + 1),
                    None => (false, chunk.len()),
                }
            };
            self.reader.consume(used);
            if done {
                return Ok(());
            }
        }
    }

    fn cut(&mut self, line: usize, separator: String, bytes: Vec<u8>, too_big: bool) -> Raw {
        self.count += 1;
        Raw { index: self.count, line, separator, bytes, too_big, fallback: None }
    }
}

/// `>From `, `>>From `, …: a body line mboxrd escaped.
fn escaped_from(line: &[u8]) -> bool {
    let n = line.iter().take_while(|b| **b == b'>').count();
    line[n..].starts_with(b"From ")
}

/// The time in a separator line, as UTC: `From sender  Wed Dec  1 08:26:40 2010`
/// (asctime, read as UTC) or Takeout's `From 1799… Mon Jan 05 10:00:00 +0000 2026`.
pub fn separator_time(line: &str) -> Option<Timestamp> {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let words: Vec<&str> = line.split_whitespace().collect();
    // The month is the first month name after the sender; day and time follow it.
    let at = words.iter().skip(2).position(|w| MONTHS.iter().any(|m| w.eq_ignore_ascii_case(m)))? + 2;
    let month = MONTHS.iter().position(|m| words[at].eq_ignore_ascii_case(m))? as u8 + 1;
    let day: u8 = words.get(at + 1)?.parse().ok()?;
    let mut hms = words.get(at + 2)?.split(':').map(|p| p.parse::<u8>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next().flatten().unwrap_or(0));
    let rest = words.get(at + 3..)?;
    let year: i32 = rest.iter().rev().find_map(|w| w.parse::<i32>().ok().filter(|y| (1970..=9999).contains(y)))?;
    let offset_s: i64 = rest
        .iter()
        .find(|w| w.len() == 5 && (w.starts_with('+') || w.starts_with('-')))
        .and_then(|w| {
            let v: i64 = w[1..].parse().ok()?;
            let secs = (v / 100) * 3600 + (v % 100) * 60;
            Some(if w.starts_with('-') { -secs } else { secs })
        })
        .unwrap_or(0);
    let date = time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let t = time::PrimitiveDateTime::new(date, time::Time::from_hms(h, m, s).ok()?).assume_utc();
    let ms = i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()? - offset_s * 1000;
    Some(Timestamp(ms))
}

/// An address as an email identity key: lower-cased; `name at domain` (list archives)
/// read as `name@domain`.
fn email_of(addr: &str) -> Option<String> {
    let a = addr.trim().trim_matches(['<', '>']);
    let a = match a.split_once(" at ") {
        Some((user, domain)) if !a.contains('@') && !user.contains(' ') && !domain.contains(' ') => {
            format!("{user}@{domain}")
        }
        _ => a.to_string(),
    };
    (a.contains('@') && !a.contains(char::is_whitespace)).then(|| a.to_lowercase())
}

/// `(email, display name)` of every address in a header.
fn addresses(a: Option<&Address<'_>>) -> Vec<(String, String)> {
    let Some(a) = a else { return Vec::new() };
    a.iter()
        .filter_map(|x| {
            // "goran at domain.com (Göran Lastname)" parses as a name only.
            let raw = x.address().map(str::to_string).or_else(|| x.name().map(str::to_string))?;
            let (raw, name_from_comment) = match raw.split_once(" (") {
                Some((a, n)) => (a.to_string(), Some(n.trim_end_matches(')').to_string())),
                None => (raw, None),
            };
            let email = email_of(&raw)?;
            let name = x
                .name()
                .filter(|n| email_of(n).is_none() && !n.contains(" at "))
                .map(str::to_string)
                .or(name_from_comment)
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| email.clone());
            Some((email, name.trim().trim_matches('"').to_string()))
        })
        .collect()
}

fn ids(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .map(|s| s.trim().trim_matches(['<', '>']).to_string())
    .filter(|s| !s.is_empty())
    .collect()
}

/// Headers must be ASCII (RFC 5322), but old archives carry raw 8-bit names in them
/// ("From: lucía…"): a header block that is not UTF-8 is read as Windows-1252 (which
/// every byte is), so names come out as written instead of as replacement characters.
fn readable_headers(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let end = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .or_else(|| bytes.windows(4).position(|w| w == b"\r\n\r\n"))
        .unwrap_or(bytes.len());
    if std::str::from_utf8(&bytes[..end]).is_ok() {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes[..end]);
    let mut out = text.into_owned().into_bytes();
    out.extend_from_slice(&bytes[end..]);
    std::borrow::Cow::Owned(out)
}

/// A parsed message, ready for the store.
struct Parsed {
    item: Item,
    container: Container,
    people: Vec<PersonRecord>,
    dated_by_separator: bool,
}

fn parse(raw: &Raw, file_stem: &str) -> Result<Parsed, String> {
    if raw.too_big {
        return Err(format!("larger than {} MiB; skipped", MAX_MESSAGE_BYTES >> 20));
    }
    if raw.bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("empty message".into());
    }
    let bytes = readable_headers(&raw.bytes);
    let m = MessageParser::default().parse(bytes.as_ref()).ok_or("not a mail message")?;
    let gmail_thread = m.header_raw("X-GM-THRID").map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    let labels: Vec<String> = m
        .header_raw("X-Gmail-Labels")
        .map(|l| l.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
        .unwrap_or_default();
    let gmail = gmail_thread.is_some() || !labels.is_empty();
    let source = if gmail { Source::Google } else { Source::Local };

    let (created, dated_by_separator) = match m.date().filter(|d| d.is_valid()) {
        Some(d) => (Timestamp(d.to_timestamp() * 1000), false),
        None => {
            (separator_time(&raw.separator).or(raw.fallback).ok_or("no readable Date header or separator time")?, true)
        }
    };
    let own_id = m.message_id().map(|s| s.trim().trim_matches(['<', '>']).to_string()).filter(|s| !s.is_empty());
    let native = match &own_id {
        Some(id) => id.clone(),
        None => {
            let digest = Sha256::digest(&raw.bytes);
            format!("h-{}", digest.iter().take(8).map(|b| format!("{b:02x}")).collect::<String>())
        }
    };
    let id = ItemId::new(source, &format!("mail/{native}"));
    let refs = ids(m.references());
    let reply_to = ids(m.in_reply_to());
    let root = refs.first().or(reply_to.first()).cloned();
    let parent = root.filter(|r| Some(r) != own_id.as_ref()).map(|r| ItemId::new(source, &format!("mail/{r}")));

    let from = addresses(m.from()).into_iter().next();
    let mut recipients = addresses(m.to());
    recipients.extend(addresses(m.cc()));
    let list = m.header_raw("List-Id").map(|l| l.trim().to_string()).filter(|l| !l.is_empty());
    let container = match (&list, gmail) {
        (_, true) => Container {
            id: ContainerId::new(Source::Google, "mail"),
            source: Source::Google,
            kind: ContainerKind::Mailbox,
            name: "Gmail".into(),
            description: String::new(),
        },
        (Some(l), false) => {
            let key = l.rsplit_once('<').map_or(l.as_str(), |(_, k)| k.trim_end_matches('>')).trim().to_lowercase();
            let name = l.rsplit_once('<').map(|(n, _)| n.trim().trim_matches('"').to_string()).unwrap_or_default();
            Container {
                id: ContainerId::new(Source::Local, &format!("mail/list/{key}")),
                source: Source::Local,
                kind: ContainerKind::Mailbox,
                name: if name.is_empty() { key.clone() } else { name },
                description: key,
            }
        }
        (None, false) => Container {
            id: ContainerId::new(Source::Local, &format!("mail/{}", file_stem.to_lowercase())),
            source: Source::Local,
            kind: ContainerKind::Mailbox,
            name: file_stem.to_string(),
            description: String::new(),
        },
    };
    let subject = m.subject().unwrap_or("").trim().to_string();
    let body: String = m.body_text(0).map(|b| b.chars().take(MAX_BODY_CHARS).collect()).unwrap_or_default();
    let mut people: Vec<PersonRecord> = Vec::new();
    for (email, name) in from.iter().chain(recipients.iter()) {
        if !people.iter().any(|p| p.identities.iter().any(|i| &i.value == email)) {
            people.push(PersonRecord {
                display_name: name.clone(),
                identities: vec![Identity::new(IdentityKind::Email, email)],
                title: String::new(),
                is_bot: false,
            });
        }
    }
    let mut extra = json!({ "message_id": own_id, "from_line": raw.separator });
    if !labels.is_empty() {
        extra["labels"] = json!(labels);
    }
    if let Some(t) = &gmail_thread {
        extra["thread"] = json!(t);
    }
    if let Some(l) = &list {
        extra["list"] = json!(l);
    }
    if let Some(r) = reply_to.first() {
        extra["in_reply_to"] = json!(r);
    }
    let item = Item {
        id,
        source,
        kind: ItemKind::Email,
        container: container.id.clone(),
        author: from.as_ref().map(|(e, _)| Identity::new(IdentityKind::Email, e)),
        participants: recipients.iter().map(|(e, _)| Identity::new(IdentityKind::Email, e)).collect(),
        created,
        updated: created,
        references: extract(&format!("{subject}\n{body}")),
        title: subject,
        body,
        url: None,
        parent,
        is_bot: false,
        extra,
    };
    Ok(Parsed { item, container, people, dated_by_separator })
}

/// A Gmail API message (`format=raw`, decoded) as an item, with the id a Takeout
/// import of the same message gets (`google:mail/<Message-ID>`): the thread and
/// labels as Takeout writes them, a link to it in Gmail.
pub(crate) fn gmail_message(
    raw: &[u8],
    gmail_id: &str,
    thread_id: &str,
    labels: &[String],
    internal: Option<Timestamp>,
) -> Result<(Item, Container, Vec<PersonRecord>), String> {
    let clean = |s: &str| s.replace(['\r', '\n'], " ");
    let mut bytes =
        format!("X-GM-THRID: {}\r\nX-Gmail-Labels: {}\r\n", clean(thread_id), clean(&labels.join(","))).into_bytes();
    bytes.extend_from_slice(raw);
    let r = Raw {
        index: 0,
        line: 0,
        separator: String::new(),
        too_big: raw.len() > MAX_MESSAGE_BYTES,
        bytes,
        fallback: internal,
    };
    let mut p = parse(&r, "gmail")?;
    p.item.url = Some(format!("https://mail.google.com/mail/u/0/#all/{gmail_id}"));
    p.item.extra["gmail_id"] = json!(gmail_id);
    Ok((p.item, p.container, p.people))
}

/// Whether a file looks like an mbox: named `*.mbox`, or starting with a separator line.
fn looks_like_mbox(p: &Path) -> bool {
    p.extension().is_some_and(|x| x.eq_ignore_ascii_case("mbox"))
        || std::fs::File::open(p)
            .ok()
            .and_then(|f| {
                let mut first = Vec::new();
                Read::take(BufReader::new(f), 5).read_to_end(&mut first).ok()?;
                Some(first.starts_with(b"From "))
            })
            .unwrap_or(false)
}

/// The mbox files at `path`: the file, or every mbox file under the folder (a Takeout
/// nests them), in path order. Links are not followed.
fn files(path: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let meta = std::fs::metadata(path).map_err(|source| SourceError::Io { path: path.to_path_buf(), source })?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut dirs = vec![path.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let io = |source| SourceError::Io { path: dir.clone(), source };
        for e in std::fs::read_dir(&dir).map_err(io)? {
            let e = e.map_err(io)?;
            let kind = e.file_type().map_err(io)?;
            let p = e.path();
            if kind.is_dir() {
                dirs.push(p);
            } else if kind.is_file() && looks_like_mbox(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(SourceError::NoMail { path: path.to_path_buf() });
    }
    Ok(out)
}

/// Imports the mbox file at `path` (or every mbox file in the folder). `progress` sees
/// each file's name and its message count so far.
pub fn import(
    store: &mut Store,
    path: &Path,
    progress: &mut dyn FnMut(&str, usize),
) -> Result<MboxReport, SourceError> {
    let files = files(path)?;
    let run = {
        let w = store.writer()?;
        let run = w.start_import("mbox", &path.display().to_string())?;
        w.commit()?;
        run
    };
    let mut report = MboxReport::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut people: BTreeSet<String> = BTreeSet::new();
    for file in files {
        let name = file.display().to_string();
        let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "mbox".into());
        let f = std::fs::File::open(&file).map_err(|source| SourceError::Io { path: file.clone(), source })?;
        let mut cutter = Cutter::new(BufReader::with_capacity(1 << 16, f));
        let mut fr = MboxFileReport { file: name.clone(), ..MboxFileReport::default() };
        let mut batch: Vec<(usize, usize, Parsed)> = Vec::with_capacity(BATCH);
        loop {
            let raw = cutter.next_message().map_err(|source| SourceError::Io { path: file.clone(), source })?;
            let end = raw.is_none();
            if let Some(raw) = raw {
                fr.messages += 1;
                match parse(&raw, &stem) {
                    Ok(p) => batch.push((raw.index, raw.line, p)),
                    Err(error) => fr.failures.push(MessageFailure { message: raw.index, line: raw.line, error }),
                }
            }
            if batch.len() >= BATCH || (end && !batch.is_empty()) {
                let w = store.writer()?;
                for (_, _, p) in batch.drain(..) {
                    for person in &p.people {
                        // Each address once per import, with the name it first came with.
                        if people.insert(person.identities[0].value.clone()) {
                            w.upsert_person(person)?;
                        }
                    }
                    w.upsert_container(&p.container)?;
                    fr.dated_by_separator += usize::from(p.dated_by_separator);
                    if !seen.insert(p.item.id.as_str().to_string()) {
                        // The same Message-ID again in this import (a resent or re-archived
                        // copy): the first one read stays.
                        fr.unchanged += 1;
                        fr.duplicates += 1;
                        continue;
                    }
                    let mut item = p.item;
                    item.normalize();
                    match w.upsert_item(&item)? {
                        Upsert::Inserted => fr.inserted += 1,
                        Upsert::Updated => fr.updated += 1,
                        Upsert::Unchanged => fr.unchanged += 1,
                    }
                }
                w.commit()?;
                progress(&name, fr.messages);
            }
            if end {
                break;
            }
        }
        report.messages += fr.messages;
        report.inserted += fr.inserted;
        report.updated += fr.updated;
        report.unchanged += fr.unchanged;
        report.failed += fr.failures.len();
        report.files.push(fr);
    }
    report.people = people.len();
    let w = store.writer()?;
    let status = if report.failed == 0 { "ok" } else { "partial" };
    w.finish_import(run, status, &serde_json::to_value(&report).unwrap_or(Value::Null))?;
    w.commit()?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str) -> Vec<(usize, String)> {
        let mut c = Cutter::new(text.as_bytes());
        let mut out = Vec::new();
        while let Some(r) = c.next_message().unwrap() {
            out.push((r.line, String::from_utf8(r.bytes).unwrap()));
        }
        out
    }

    #[test]
    fn separators_cut_messages_and_mboxrd_escapes_are_undone() {
        let text = "preamble\n\nFrom a@x.org Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n>From the start\n>>From deeper\nFrom inside a paragraph is text\n\nFrom b@x.org Tue Jan  2 00:00:00 2024\r\nSubject: two\r\n\r\nlast";
        let got = cut(text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, 3);
        assert_eq!(got[0].1, "Subject: one\n\nbody\nFrom the start\n>From deeper\nFrom inside a paragraph is text\n");
        assert_eq!(got[1].1, "Subject: two\r\n\r\nlast");
    }

    #[test]
    fn a_line_longer_than_a_message_may_be_is_skipped_not_held() {
        let mut text = b"From a@x.org Mon Jan  1 00:00:00 2024\nSubject: big\n\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_MESSAGE_BYTES + 10));
        text.extend_from_slice(b"\n\nFrom b@x.org Tue Jan  2 00:00:00 2024\nSubject: small\n\nok\n");
        let mut c = Cutter::new(&text[..]);
        let first = c.next_message().unwrap().unwrap();
        assert!(first.too_big && first.bytes.is_empty());
        let second = c.next_message().unwrap().unwrap();
        assert_eq!(String::from_utf8(second.bytes).unwrap(), "Subject: small\n\nok\n");
        assert!(c.next_message().unwrap().is_none());
    }

    #[test]
    fn a_separator_gives_the_time_when_the_date_header_does_not() {
        let t = separator_time("From goran at domain.com  Wed Dec  1 08:26:40 2010").unwrap();
        assert_eq!(t.to_rfc3339(), "2010-12-01T08:26:40Z");
        assert!(separator_time("From nobody").is_none());
        let takeout = separator_time("From 1799999999999999999@xxx Mon Jan 05 10:00:00 +0100 2026").unwrap();
        assert_eq!(takeout.to_rfc3339(), "2026-01-05T09:00:00Z");
        assert!(separator_time("From x Wed Foo 99 99:99:99 2010").is_none());
    }

    fn shared(rel: &str) -> PathBuf {
        let p = crate::test_data("mbox/tests/data").join(rel);
        assert!(p.exists(), "the shared mbox files are required: {} is missing", p.display());
        p
    }

    fn separators(p: &Path) -> usize {
        // Every line that starts with "From " after an empty line (or first) in these files.
        let text = std::fs::read(p).unwrap();
        let mut n = 0;
        let mut prev_empty = true;
        for line in text.split(|b| *b == b'\n') {
            if prev_empty && line.starts_with(b"From ") {
                n += 1;
            }
            prev_empty = line.is_empty() || line == b"\r";
        }
        n
    }

    #[test]
    fn every_shared_mbox_imports_with_its_message_count_and_charsets() {
        let mut store = Store::open_in_memory().unwrap();
        let root = shared("");
        let r = import(&mut store, &root, &mut |_, _| {}).unwrap();
        assert_eq!(r.files.len(), 12, "{r:#?}");
        for f in &r.files {
            assert_eq!(f.messages, separators(Path::new(&f.file)), "{}", f.file);
            assert!(f.failures.is_empty(), "{f:#?}");
        }
        assert_eq!(r.messages, 26);
        assert_eq!(r.failed, 0);
        // The same Message-ID in several files (list archives of the same month, resent
        // copies) is one item.
        assert_eq!(r.inserted, 18, "{r:#?}");
        let by = |name: &str| r.files.iter().find(|f| f.file.ends_with(name)).unwrap();
        let nf = by("mbox_no_fields.mbox");
        assert_eq!((nf.messages, nf.inserted, nf.duplicates, nf.dated_by_separator), (6, 3, 3, 2), "{nf:#?}");

        let item = |id: &str| store.item(id).unwrap().unwrap_or_else(|| panic!("{id} not stored"));
        // Latin-1 bytes in a header, an RFC 2047 subject.
        let latin = item("local:mail/4fce8064d819e07fd80267aaecaf30ef@www.platvoet.de");
        assert_eq!(latin.item.title, "[ovs-dev] Remittance Advice");
        assert_eq!(latin.item.author.as_ref().unwrap().value, "lucíacharlie@wellsfargo.com");
        // Its name is an RFC 2047 word that claims UTF-8 but holds a Latin-1 byte: the
        // rest of it still reads.
        let name = latin.author_name.unwrap();
        assert!(name.starts_with("Luc") && name.ends_with("a Charlie"), "{name}");
        // A multipart message keeps its text part, not the HTML.
        let multi = item("local:mail/019801ca633f$f4376140$dca623c0$@yang@example.com");
        assert!(
            multi.item.body.contains("successful completion") && !multi.item.body.contains("<html"),
            "{}",
            multi.item.body
        );
        // A missing Date: the separator's time.
        let no_date = item("local:mail/0000be042b7b@domain.com");
        assert!(no_date.item.created.to_rfc3339().starts_with("2016-09-21"), "{}", no_date.item.created.to_rfc3339());
        // A list archive's "name at domain" sender is an email, and a reply hangs under
        // its thread's first message.
        let reply = item("local:mail/1447627429.3593.319.camel@example.com");
        assert_eq!(reply.item.author.as_ref().unwrap().value, "jgb@gsyc.es");
        assert!(reply.item.parent.is_some(), "{reply:#?}");

        // Importing again changes nothing.
        let again = import(&mut store, &root, &mut |_, _| {}).unwrap();
        assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 26), "{again:#?}");
    }

    #[test]
    fn gmail_takeout_headers_make_google_mail_with_labels_and_threads() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("All mail Including Spam and Trash.mbox");
        std::fs::write(
            &p,
            "From 1799999999999999999@xxx Mon Jan 05 10:00:00 +0000 2026\nX-GM-THRID: 1799999999999999999\nX-Gmail-Labels: Inbox,Important,Vendors\nMessage-ID: <a1@mail.example>\nDate: Mon, 5 Jan 2026 10:00:00 +0000\nFrom: Ines Duarte <ines@vendor.example>\nTo: me@corp.example\nSubject: Contract renewal\n\nCan you sign the renewal?\n>From the legal team: thanks.\n\nFrom 1799999999999999999@xxx Mon Jan 05 11:00:00 +0000 2026\nX-GM-THRID: 1799999999999999999\nX-Gmail-Labels: Sent\nMessage-ID: <a2@mail.example>\nIn-Reply-To: <a1@mail.example>\nReferences: <a1@mail.example>\nDate: Mon, 5 Jan 2026 11:00:00 +0000\nFrom: me@corp.example\nTo: Ines Duarte <ines@vendor.example>\nSubject: Re: Contract renewal\n\nSigned.\n",
        )
        .unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let r = import(&mut store, &p, &mut |_, _| {}).unwrap();
        assert_eq!((r.messages, r.inserted, r.failed), (2, 2, 0), "{r:#?}");
        let first = store.item("google:mail/a1@mail.example").unwrap().unwrap();
        assert_eq!(first.item.extra["labels"], json!(["Inbox", "Important", "Vendors"]));
        assert_eq!(first.item.extra["thread"], "1799999999999999999");
        assert!(first.item.body.trim_end().ends_with("\nFrom the legal team: thanks."), "{:?}", first.item.body);
        assert_eq!(first.container_name, "Gmail");
        let reply = store.item("google:mail/a2@mail.example").unwrap().unwrap();
        assert_eq!(reply.item.parent.as_ref().map(|p| p.as_str()), Some("google:mail/a1@mail.example"));
        assert_eq!(reply.item.participants[0].value, "ines@vendor.example");
    }

    #[test]
    fn list_archive_addresses_are_read_as_emails() {
        assert_eq!(email_of("goran at domain.com").as_deref(), Some("goran@domain.com"));
        assert_eq!(email_of("<Ana@Example.org>").as_deref(), Some("ana@example.org"));
        assert_eq!(email_of("not an address"), None);
    }
}
