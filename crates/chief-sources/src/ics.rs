//! `chief import ics PATH`: calendar events from an iCalendar file (RFC 5545), as a
//! calendar export (Google Takeout, Outlook, Apple) gives them.
//!
//! Lines are unfolded and read as `NAME;PARAM=V:VALUE`; each `VEVENT` becomes an event
//! item (kind `event`, like a synced Calendar event, so meeting prep and the notifier
//! see it). Times with a `TZID` are read in that IANA zone (tz database bundled), UTC
//! times as UTC, floating and all-day times as UTC. A recurring event (`RRULE`: daily,
//! weekly with `BYDAY`, monthly by day or by `1MO`/`-1FR`, yearly; `INTERVAL`, `COUNT`,
//! `UNTIL`; `EXDATE`) becomes its instances in a window around now — 14 days back, 60
//! ahead — with `RECURRENCE-ID` overrides applied and cancelled instances dropped; a
//! rule Chief does not expand keeps its first instance and says so. Attendees are
//! people by email, with their response (`PARTSTAT`).

use std::collections::BTreeMap;
use std::path::Path;

use chief_core::refs::extract;
use chief_core::{
    Container, ContainerId, ContainerKind, Identity, IdentityKind, Item, ItemId, ItemKind, PersonRecord, Source,
    Timestamp,
};
use chief_store::{Store, Upsert};
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::{Value, json};

use crate::SourceError;

/// Instances of a recurring event are kept from this long before now…
const BACK_MS: i64 = 14 * 86_400_000;
/// …to this long after it.
const AHEAD_MS: i64 = 60 * 86_400_000;
/// Files larger than this are refused.
const MAX_FILE_BYTES: u64 = 64 << 20;

/// What `chief import ics` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IcsReport {
    pub calendar: String,
    /// `VEVENT`s in the file (series, single events and overrides).
    pub events: usize,
    /// Items written: single events and the instances of series in the window.
    pub instances: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Cancelled events and instances removed (or never stored).
    pub cancelled: usize,
    pub people: usize,
    /// Events that could not be read, and rules not expanded, with the event's UID.
    pub problems: Vec<String>,
}

/// One content line: name, parameters, value.
#[derive(Debug, Clone)]
struct Prop {
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Prop {
    fn param(&self, k: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str())
    }
}

/// Unfolds lines (a line starting with a space or tab continues the previous one).
fn unfold(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        match (line.chars().next(), out.last_mut()) {
            (Some(' ' | '\t'), Some(last)) => last.push_str(&line[1..]),
            _ if line.is_empty() => {}
            _ => out.push(line.to_string()),
        }
    }
    out
}

fn parse_line(line: &str) -> Option<Prop> {
    // The value starts at the first ':' outside a quoted parameter value.
    let mut in_quotes = false;
    let colon = line.char_indices().find_map(|(i, c)| {
        if c == '"' {
            in_quotes = !in_quotes;
        }
        (c == ':' && !in_quotes).then_some(i)
    })?;
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let mut parts = head.split(';');
    let name = parts.next()?.trim().to_ascii_uppercase();
    let params = parts
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_uppercase(), v.trim().trim_matches('"').to_string()))
        .collect();
    Some(Prop { name, params, value: value.to_string() })
}

/// TEXT values: `\n`, `\,`, `\;`, `\\`.
fn unescape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut it = v.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(x) => out.push(x),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A time as written: a civil date-time and the zone it is in.
#[derive(Debug, Clone)]
struct When {
    civil: DateTime,
    tz: TimeZone,
    all_day: bool,
}

impl When {
    fn ms(&self) -> Option<i64> {
        Some(self.civil.to_zoned(self.tz.clone()).ok()?.timestamp().as_millisecond())
    }
    fn at(&self, civil: DateTime) -> When {
        When { civil, tz: self.tz.clone(), all_day: self.all_day }
    }
}

fn when(p: &Prop, zones: &BTreeMap<String, TimeZone>) -> Result<When, String> {
    let v = p.value.trim();
    // Dates and times are ASCII digits; anything else is refused before it is sliced.
    if !v.is_ascii() {
        return Err(format!("{} {v:?} is not a date", p.name));
    }
    let num = |s: &str| s.parse::<i32>().map_err(|_| format!("{} {v:?} is not a date", p.name));
    let date = |s: &str| -> Result<Date, String> {
        if s.len() < 8 {
            return Err(format!("{} {v:?} is not a date", p.name));
        }
        Date::new(num(&s[0..4])? as i16, num(&s[4..6])? as i8, num(&s[6..8])? as i8).map_err(|e| e.to_string())
    };
    if p.param("VALUE").is_some_and(|x| x.eq_ignore_ascii_case("DATE")) || v.len() == 8 {
        return Ok(When {
            civil: date(v)?.to_datetime(jiff::civil::Time::midnight()),
            tz: TimeZone::UTC,
            all_day: true,
        });
    }
    let (d, t) = v.split_once('T').ok_or_else(|| format!("{} {v:?} is not a date-time", p.name))?;
    let utc = t.ends_with('Z');
    let t = t.trim_end_matches('Z');
    if t.len() < 6 {
        return Err(format!("{} {v:?} is not a date-time", p.name));
    }
    let time = jiff::civil::Time::new(num(&t[0..2])? as i8, num(&t[2..4])? as i8, num(&t[4..6])? as i8, 0)
        .map_err(|e| e.to_string())?;
    let tz = if utc {
        TimeZone::UTC
    } else {
        match p.param("TZID") {
            Some(id) => zone(id, zones),
            None => TimeZone::UTC,
        }
    };
    Ok(When { civil: date(d)?.to_datetime(time), tz, all_day: false })
}

/// An IANA zone by name (`Europe/Berlin`, also `/Europe/Berlin`), else the file's own
/// `VTIMEZONE` offset for that id, else UTC.
fn zone(id: &str, zones: &BTreeMap<String, TimeZone>) -> TimeZone {
    let id = id.trim().trim_start_matches('/');
    TimeZone::get(id).ok().or_else(|| zones.get(id).cloned()).unwrap_or(TimeZone::UTC)
}

/// `+0100` / `-0530` as a fixed zone.
fn fixed_offset(v: &str) -> Option<TimeZone> {
    let v = v.trim();
    let sign = match v.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let h: i32 = v.get(1..3)?.parse().ok()?;
    let m: i32 = v.get(3..5)?.parse().ok()?;
    let off = jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()?;
    Some(TimeZone::fixed(off))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

#[derive(Debug, Clone)]
struct Rule {
    freq: Freq,
    interval: i64,
    count: Option<usize>,
    until: Option<i64>,
    by_day: Vec<(Option<i8>, Weekday)>,
    by_month_day: Vec<i8>,
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    })
}

/// The subset of RRULE Chief expands; `Err` names what it does not.
fn rule(v: &str, zones: &BTreeMap<String, TimeZone>) -> Result<Rule, String> {
    let mut r = Rule { freq: Freq::Daily, interval: 1, count: None, until: None, by_day: vec![], by_month_day: vec![] };
    let mut freq = None;
    for part in v.split(';').filter(|p| !p.is_empty()) {
        let (k, val) = part.split_once('=').ok_or_else(|| format!("RRULE part {part:?}"))?;
        match k.to_ascii_uppercase().as_str() {
            "FREQ" => {
                freq = Some(match val.to_ascii_uppercase().as_str() {
                    "DAILY" => Freq::Daily,
                    "WEEKLY" => Freq::Weekly,
                    "MONTHLY" => Freq::Monthly,
                    "YEARLY" => Freq::Yearly,
                    other => return Err(format!("FREQ={other}")),
                })
            }
            "INTERVAL" => {
                r.interval =
                    val.parse::<i64>().ok().filter(|i| (1..=1000).contains(i)).ok_or(format!("INTERVAL={val}"))?
            }
            "COUNT" => r.count = Some(val.parse().map_err(|_| format!("COUNT={val}"))?),
            "UNTIL" => {
                let p = Prop { name: "UNTIL".into(), params: vec![], value: val.into() };
                r.until = when(&p, zones)?.ms();
            }
            "BYDAY" => {
                for d in val.split(',') {
                    let d = d.trim();
                    if !d.is_ascii() {
                        return Err(format!("BYDAY={val}"));
                    }
                    let (n, w) = d.split_at(d.len().saturating_sub(2));
                    let w = weekday(w).ok_or_else(|| format!("BYDAY={val}"))?;
                    let n =
                        if n.is_empty() { None } else { Some(n.parse::<i8>().map_err(|_| format!("BYDAY={val}"))?) };
                    r.by_day.push((n, w));
                }
            }
            "BYMONTHDAY" => {
                for d in val.split(',') {
                    r.by_month_day.push(d.trim().parse().map_err(|_| format!("BYMONTHDAY={val}"))?);
                }
            }
            "WKST" => {}
            other => return Err(format!("{other}={val}")),
        }
    }
    r.freq = freq.ok_or("RRULE without FREQ")?;
    Ok(r)
}

/// The start times of a series, in order, until `to_ms` (or the rule's end).
fn expand(start: &When, r: &Rule, to_ms: i64) -> Vec<When> {
    let d0 = start.civil.date();
    let t0 = start.civil.time();
    let mut out: Vec<When> = Vec::new();
    let mut seen = 0usize;
    for k in 0..20_000i64 {
        let Some(step) = k.checked_mul(r.interval) else { break };
        let mut days: Vec<Date> = match r.freq {
            Freq::Daily => {
                jiff::Span::new().try_days(step).ok().and_then(|sp| d0.checked_add(sp).ok()).into_iter().collect()
            }
            Freq::Weekly => {
                let week = jiff::Span::new().try_weeks(step).ok().and_then(|sp| d0.checked_add(sp).ok());
                let monday = week.and_then(|w| {
                    w.checked_sub(jiff::Span::new().days(i64::from(w.weekday().to_monday_zero_offset()))).ok()
                });
                let wanted: Vec<Weekday> =
                    if r.by_day.is_empty() { vec![d0.weekday()] } else { r.by_day.iter().map(|(_, w)| *w).collect() };
                monday
                    .into_iter()
                    .flat_map(|m| {
                        wanted.iter().filter_map(move |w| {
                            m.checked_add(jiff::Span::new().days(i64::from(w.to_monday_zero_offset()))).ok()
                        })
                    })
                    .collect()
            }
            Freq::Monthly => {
                let Some(first) =
                    jiff::Span::new().try_months(step).ok().and_then(|sp| d0.first_of_month().checked_add(sp).ok())
                else {
                    break;
                };
                if !r.by_month_day.is_empty() {
                    r.by_month_day
                        .iter()
                        .filter_map(|&md| {
                            let day = if md < 0 { first.days_in_month() + md + 1 } else { md };
                            Date::new(first.year(), first.month(), day).ok()
                        })
                        .collect()
                } else if !r.by_day.is_empty() {
                    r.by_day
                        .iter()
                        .flat_map(|(n, w)| match n {
                            Some(n) => first.nth_weekday_of_month(*n, *w).ok().into_iter().collect::<Vec<_>>(),
                            None => (1..=5).filter_map(|i| first.nth_weekday_of_month(i, *w).ok()).collect(),
                        })
                        .collect()
                } else {
                    Date::new(first.year(), first.month(), d0.day()).ok().into_iter().collect()
                }
            }
            Freq::Yearly => i16::try_from(step)
                .ok()
                .and_then(|st| Date::new(d0.year().checked_add(st)?, d0.month(), d0.day()).ok())
                .into_iter()
                .collect(),
        };
        days.sort();
        days.dedup();
        let mut past_end = false;
        for d in days {
            if d < d0 {
                continue;
            }
            // Daily rules with BYDAY keep only those weekdays.
            if r.freq == Freq::Daily && !r.by_day.is_empty() && !r.by_day.iter().any(|(_, w)| *w == d.weekday()) {
                continue;
            }
            let w = start.at(d.to_datetime(t0));
            let Some(ms) = w.ms() else { continue };
            if r.until.is_some_and(|u| ms > u) || ms > to_ms || r.count.is_some_and(|c| seen >= c) {
                past_end = true;
                break;
            }
            seen += 1;
            out.push(w);
        }
        if past_end {
            break;
        }
    }
    out
}

/// One `VEVENT` as read.
#[derive(Debug, Clone, Default)]
struct Event {
    props: Vec<Prop>,
}

impl Event {
    fn get(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }
    fn text(&self, name: &str) -> String {
        self.get(name).map(|p| unescape(&p.value).trim().to_string()).unwrap_or_default()
    }
}

/// The components of a file: its events, its calendar name and its own time zones.
fn read(text: &str) -> (Vec<Event>, String, BTreeMap<String, TimeZone>) {
    let mut events = Vec::new();
    let mut zones = BTreeMap::new();
    let mut name = String::new();
    let mut stack: Vec<String> = Vec::new();
    let mut current: Option<Event> = None;
    let mut tzid: Option<String> = None;
    for line in unfold(text) {
        let Some(p) = parse_line(&line) else { continue };
        match p.name.as_str() {
            "BEGIN" => {
                let c = p.value.trim().to_ascii_uppercase();
                if c == "VEVENT" && stack.last().is_some_and(|s| s == "VCALENDAR") {
                    current = Some(Event::default());
                }
                stack.push(c);
            }
            "END" => {
                let c = p.value.trim().to_ascii_uppercase();
                if c == "VEVENT" && stack.len() == 2 {
                    events.extend(current.take());
                }
                if c == "VTIMEZONE" {
                    tzid = None;
                }
                stack.pop();
            }
            _ => match stack.last().map(String::as_str) {
                Some("VCALENDAR") if p.name == "X-WR-CALNAME" => name = unescape(&p.value).trim().to_string(),
                // Properties of the event itself, not of its alarms.
                Some("VEVENT") => current.iter_mut().for_each(|e| e.props.push(p.clone())),
                Some("VTIMEZONE") if p.name == "TZID" => tzid = Some(p.value.trim().to_string()),
                Some("STANDARD") if p.name == "TZOFFSETTO" => {
                    if let (Some(id), Some(tz)) = (&tzid, fixed_offset(&p.value)) {
                        zones.entry(id.clone()).or_insert(tz);
                    }
                }
                _ => {}
            },
        }
    }
    (events, name, zones)
}

/// `mailto:a@b` (any case) → `a@b`, lower-cased.
fn mailto(v: &str) -> Option<String> {
    let v = v.trim();
    let addr = match v.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("mailto:") => &v[7..],
        _ => v,
    };
    addr.contains('@').then(|| addr.to_lowercase())
}

fn response(partstat: Option<&str>) -> &'static str {
    match partstat.map(str::to_ascii_uppercase).as_deref() {
        Some("ACCEPTED") => "accepted",
        Some("DECLINED") => "declined",
        Some("TENTATIVE") => "tentative",
        _ => "needsAction",
    }
}

fn stamp(w: &When) -> String {
    stamp_ms(w.ms().unwrap_or(0))
}

/// `20260105T083000Z`: an instance's start in its id.
fn stamp_ms(ms: i64) -> String {
    Timestamp(ms).to_rfc3339().replace(['-', ':'], "").trim_end_matches(".000Z").trim_end_matches('Z').to_string() + "Z"
}

/// Imports the events of the iCalendar file at `path` into the calendar named after it
/// (or its `X-WR-CALNAME`), as of `now_ms` (which recurring instances are kept).
pub fn import(store: &mut Store, path: &Path, now_ms: i64) -> Result<IcsReport, SourceError> {
    let io = |source| SourceError::Io { path: path.to_path_buf(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return Err(SourceError::NotCalendar {
            path: path.to_path_buf(),
            reason: if meta.is_file() { "larger than 64 MiB".into() } else { "not a file".into() },
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let text = String::from_utf8_lossy(&bytes);
    if !text.trim_start_matches('\u{feff}').trim_start().to_ascii_uppercase().starts_with("BEGIN:VCALENDAR") {
        return Err(SourceError::NotCalendar {
            path: path.to_path_buf(),
            reason: "it does not start with BEGIN:VCALENDAR".into(),
        });
    }
    let (events, cal_name, zones) = read(&text);
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "calendar".into());
    let cal_key = stem.to_lowercase().replace(char::is_whitespace, "-");
    let container = Container {
        id: ContainerId::new(Source::Local, &format!("calendar/{cal_key}")),
        source: Source::Local,
        kind: ContainerKind::Calendar,
        name: if cal_name.is_empty() { stem.clone() } else { cal_name },
        description: path.display().to_string(),
    };
    let mut report = IcsReport { calendar: container.name.clone(), events: events.len(), ..IcsReport::default() };
    let (from_ms, to_ms) = (now_ms - BACK_MS, now_ms + AHEAD_MS);

    // Overrides of single instances, by (UID, original start).
    let mut overrides: BTreeMap<(String, i64), &Event> = BTreeMap::new();
    for e in &events {
        if let Some(rid) = e.get("RECURRENCE-ID").and_then(|p| when(p, &zones).ok()).and_then(|w| w.ms()) {
            overrides.insert((e.text("UID"), rid), e);
        }
    }
    let mut items: Vec<Item> = Vec::new();
    let mut removed: Vec<ItemId> = Vec::new();
    let mut people: BTreeMap<String, PersonRecord> = BTreeMap::new();
    for e in events.iter().filter(|e| e.get("RECURRENCE-ID").is_none()) {
        let uid = e.text("UID");
        if uid.is_empty() {
            report.problems.push("an event without UID was skipped".into());
            continue;
        }
        let Some(start) = e.get("DTSTART").map(|p| when(p, &zones)) else {
            report.problems.push(format!("{uid}: no DTSTART; skipped"));
            continue;
        };
        let start = match start {
            Ok(s) => s,
            Err(err) => {
                report.problems.push(format!("{uid}: {err}; skipped"));
                continue;
            }
        };
        // A series whose rule is expanded: its items are instances (`UID_start`).
        let mut recurring = false;
        let starts: Vec<When> = match e.get("RRULE") {
            None => vec![start.clone()],
            Some(p) => match rule(&p.value, &zones) {
                Ok(r) => {
                    recurring = true;
                    let excluded: Vec<i64> = e
                        .props
                        .iter()
                        .filter(|p| p.name == "EXDATE")
                        .flat_map(|p| {
                            p.value.split(',').filter_map(|v| {
                                when(&Prop { value: v.to_string(), ..p.clone() }, &zones).ok().and_then(|w| w.ms())
                            })
                        })
                        .collect();
                    expand(&start, &r, to_ms)
                        .into_iter()
                        .filter(|w| w.ms().is_some_and(|ms| ms >= from_ms && !excluded.contains(&ms)))
                        .collect()
                }
                Err(what) => {
                    report
                        .problems
                        .push(format!("{uid}: recurrence {what} is not expanded; only its first instance is kept"));
                    vec![start.clone()]
                }
            },
        };
        let duration_ms = match (start.ms(), e.get("DTEND").and_then(|p| when(p, &zones).ok()).and_then(|w| w.ms())) {
            (Some(s), Some(end)) if end >= s => end - s,
            _ if start.all_day => 86_400_000,
            _ => 0,
        };
        for inst in starts {
            let Some(orig_ms) = inst.ms() else { continue };
            // An override replaces the instance it names.
            let ev = overrides.get(&(uid.clone(), orig_ms)).copied().unwrap_or(e);
            let native = if recurring { format!("{uid}_{}", stamp(&inst)) } else { uid.clone() };
            let id = ItemId::new(Source::Local, &format!("calendar/{cal_key}/{native}"));
            if ev.text("STATUS").eq_ignore_ascii_case("CANCELLED") {
                report.cancelled += 1;
                removed.push(id);
                continue;
            }
            let s_ms = match ev.get("DTSTART").and_then(|p| when(p, &zones).ok()).and_then(|w| w.ms()) {
                Some(ms) if !std::ptr::eq(ev, e) => ms,
                _ => orig_ms,
            };
            let end_ms = if std::ptr::eq(ev, e) {
                s_ms + duration_ms
            } else {
                ev.get("DTEND").and_then(|p| when(p, &zones).ok()).and_then(|w| w.ms()).unwrap_or(s_ms + duration_ms)
            };
            items.push(event_item(
                ev,
                id,
                &container,
                Timestamp(s_ms),
                Timestamp(end_ms),
                recurring.then_some(&uid),
                &mut people,
            ));
        }
    }
    // An override whose series is not in the file (an invitation to one instance of
    // someone else's series) is an event of its own.
    let masters: std::collections::BTreeSet<String> =
        events.iter().filter(|e| e.get("RECURRENCE-ID").is_none()).map(|e| e.text("UID")).collect();
    for ((uid, rid_ms), e) in &overrides {
        if masters.contains(uid) {
            continue;
        }
        let native = format!("{uid}_{}", stamp_ms(*rid_ms));
        let id = ItemId::new(Source::Local, &format!("calendar/{cal_key}/{native}"));
        if e.text("STATUS").eq_ignore_ascii_case("CANCELLED") {
            report.cancelled += 1;
            removed.push(id);
            continue;
        }
        let start = e.get("DTSTART").and_then(|p| when(p, &zones).ok()).and_then(|w| w.ms()).unwrap_or(*rid_ms);
        let end = e.get("DTEND").and_then(|p| when(p, &zones).ok()).and_then(|w| w.ms()).unwrap_or(start);
        items.push(event_item(e, id, &container, Timestamp(start), Timestamp(end), Some(uid), &mut people));
    }
    report.instances = items.len();
    // Instances of a series this file no longer produces in the window (its time moved,
    // an UNTIL was added, an instance was excluded) are removed, not left as ghosts.
    let produced: std::collections::BTreeSet<String> = items.iter().map(|i| i.id.as_str().to_string()).collect();
    for old in store.items_in_window(container.id.as_str(), Timestamp(from_ms), Timestamp(to_ms), 100_000)? {
        let series = old.item.extra.get("series").and_then(Value::as_str);
        if series.is_some_and(|u| masters.contains(u)) && !produced.contains(old.item.id.as_str()) {
            removed.push(old.item.id.clone());
        }
    }
    let w = store.writer()?;
    w.upsert_container(&container)?;
    for p in people.values() {
        w.upsert_person(p)?;
    }
    for mut it in items {
        it.normalize();
        match w.upsert_item(&it)? {
            Upsert::Inserted => report.inserted += 1,
            Upsert::Updated => report.updated += 1,
            Upsert::Unchanged => report.unchanged += 1,
        }
    }
    for id in &removed {
        w.delete_item(id)?;
    }
    w.commit()?;
    report.people = people.len();
    Ok(report)
}

fn event_item(
    e: &Event,
    id: ItemId,
    container: &Container,
    start: Timestamp,
    end: Timestamp,
    series: Option<&String>,
    people: &mut BTreeMap<String, PersonRecord>,
) -> Item {
    let mut person = |email: &str, cn: Option<&str>| {
        let entry = people.entry(email.to_string()).or_insert_with(|| PersonRecord {
            display_name: email.to_string(),
            identities: vec![Identity::new(IdentityKind::Email, email)],
            title: String::new(),
            is_bot: false,
        });
        if let Some(n) = cn.map(str::trim).filter(|n| !n.is_empty() && !n.contains('@')) {
            entry.display_name = n.to_string();
        }
    };
    let organizer = e.get("ORGANIZER").and_then(|p| Some((mailto(&p.value)?, p.param("CN").map(str::to_string))));
    if let Some((email, cn)) = &organizer {
        person(email, cn.as_deref());
    }
    let mut attendees = Vec::new();
    let mut responses = serde_json::Map::new();
    for p in e.props.iter().filter(|p| p.name == "ATTENDEE") {
        let Some(email) = mailto(&p.value) else { continue };
        person(&email, p.param("CN"));
        responses.insert(email.clone(), json!(response(p.param("PARTSTAT"))));
        attendees.push(Identity::new(IdentityKind::Email, &email));
    }
    let title = match e.text("SUMMARY") {
        t if t.is_empty() => "(no title)".to_string(),
        t => t,
    };
    let description = e.text("DESCRIPTION");
    let updated = e
        .get("LAST-MODIFIED")
        .and_then(|p| when(p, &BTreeMap::new()).ok())
        .and_then(|w| w.ms())
        .map_or(start, Timestamp);
    let location = e.text("LOCATION");
    let url = Some(e.text("URL")).filter(|u| u.starts_with("http"));
    Item {
        id,
        source: Source::Local,
        kind: ItemKind::Event,
        container: container.id.clone(),
        author: organizer.as_ref().map(|(email, _)| Identity::new(IdentityKind::Email, email)),
        participants: attendees,
        created: start,
        updated,
        references: extract(&format!("{title}\n{description}")),
        title,
        body: description,
        url,
        parent: None,
        is_bot: false,
        extra: json!({
            "start": start.to_rfc3339(),
            "end": end.to_rfc3339(),
            "location": Some(location).filter(|l| !l.is_empty()),
            "responses": Value::Object(responses),
            "series": series,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAL: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Team\r\nBEGIN:VTIMEZONE\r\nTZID:Custom/Zone\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0530\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:standup@x\r\nSUMMARY:Daily standup\r\nDTSTART;TZID=Europe/Berlin:20260105T093000\r\nDTEND;TZID=Europe/Berlin:20260105T094500\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=12\r\nEXDATE;TZID=Europe/Berlin:20260107T093000\r\nORGANIZER;CN=Wen Okafor:mailto:Wen@corp.example\r\nATTENDEE;CN=Ines Duarte;PARTSTAT=DECLINED:mailto:ines@corp.example\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:me@corp.example\r\nBEGIN:VALARM\r\nDESCRIPTION:alarm text\r\nEND:VALARM\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:standup@x\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260109T093000\r\nSUMMARY:Standup (moved)\r\nDTSTART;TZID=Europe/Berlin:20260109T110000\r\nDTEND;TZID=Europe/Berlin:20260109T111500\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:standup@x\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260112T093000\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:review@x\r\nSUMMARY:Budget review\\, Q1\r\nDESCRIPTION:Line one\\nPAY-142 and\r\n  more\r\nDTSTART;TZID=Custom/Zone:20260106T100000\r\nDTEND;TZID=Custom/Zone:20260106T110000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:offsite@x\r\nSUMMARY:Offsite\r\nDTSTART;VALUE=DATE:20260115\r\nDTEND;VALUE=DATE:20260117\r\nRRULE:FREQ=HOURLY\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

    fn import_text(text: &str, now: &str) -> (Store, IcsReport) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("team.ics");
        std::fs::write(&p, text).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let now = Timestamp::parse_rfc3339(now).unwrap().0;
        let r = import(&mut store, &p, now).unwrap();
        (store, r)
    }

    #[test]
    fn a_weekly_series_becomes_its_instances_with_overrides_exclusions_and_zones() {
        let (store, r) = import_text(CAL, "2026-01-08T12:00:00Z");
        assert_eq!(r.calendar, "Team");
        assert_eq!(r.events, 5);
        // 12 instances: 1 excluded, 1 cancelled; the rest in the window (14 days back,
        // 60 ahead of Jan 8): all of them. Plus the review and the offsite.
        assert_eq!(r.cancelled, 1, "{r:#?}");
        assert_eq!(r.instances, 10 + 2, "{r:#?}");
        assert!(r.problems.iter().any(|p| p.contains("FREQ=HOURLY")), "{r:#?}");
        let get = |id: &str| store.item(id).unwrap().unwrap_or_else(|| panic!("{id} missing"));
        // 09:30 in Berlin is 08:30 UTC in January.
        let first = get("local:calendar/team/standup@x_20260105T083000Z");
        assert_eq!(first.item.extra["start"], "2026-01-05T08:30:00Z");
        assert_eq!(first.item.extra["end"], "2026-01-05T08:45:00Z");
        assert_eq!(first.item.extra["series"], "standup@x");
        assert_eq!(first.item.extra["responses"]["ines@corp.example"], "declined");
        assert_eq!(first.item.author.as_ref().unwrap().value, "wen@corp.example");
        assert_eq!(first.author_name.as_deref(), Some("Wen Okafor"));
        assert!(store.item("local:calendar/team/standup@x_20260107T083000Z").unwrap().is_none(), "EXDATE");
        let moved = get("local:calendar/team/standup@x_20260109T083000Z");
        assert_eq!(
            (moved.item.title.as_str(), moved.item.extra["start"].as_str()),
            ("Standup (moved)", Some("2026-01-09T10:00:00Z"))
        );
        assert!(store.item("local:calendar/team/standup@x_20260112T083000Z").unwrap().is_none(), "cancelled");
        // The file's own zone (+05:30), escaped text and folded lines.
        let review = get("local:calendar/team/review@x");
        assert_eq!(review.item.title, "Budget review, Q1");
        assert_eq!(review.item.body, "Line one\nPAY-142 and more");
        assert_eq!(review.item.extra["start"], "2026-01-06T04:30:00Z");
        assert!(review.item.references.iter().any(|x| x.value == "PAY-142"));
        // All day, two days.
        let offsite = get("local:calendar/team/offsite@x");
        assert_eq!(
            (offsite.item.extra["start"].as_str(), offsite.item.extra["end"].as_str()),
            (Some("2026-01-15T00:00:00Z"), Some("2026-01-17T00:00:00Z"))
        );
    }

    #[test]
    fn monthly_rules_and_the_window_keep_what_matters() {
        let cal = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1on1\nSUMMARY:1:1\nDTSTART:20250106T150000Z\nRRULE:FREQ=MONTHLY;BYDAY=1MO\nEND:VEVENT\nBEGIN:VEVENT\nUID:close\nSUMMARY:Month close\nDTSTART:20250131T090000Z\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20260301T000000Z\nEND:VEVENT\nEND:VCALENDAR\n";
        let (store, r) = import_text(cal, "2026-01-20T00:00:00Z");
        // Window Jan 6 – Mar 21, 2026: first Mondays Feb 2, Mar 2 (Jan 5 is before it);
        // last days Jan 31, Feb 28 (UNTIL stops March).
        let mut ids: Vec<String> = store
            .items_created_between(Timestamp(0), Timestamp(i64::MAX / 2), 100)
            .unwrap()
            .into_iter()
            .map(|s| s.item.id.as_str().to_string())
            .collect();
        ids.sort();
        assert_eq!(
            ids,
            [
                "local:calendar/team/1on1_20260202T150000Z",
                "local:calendar/team/1on1_20260302T150000Z",
                "local:calendar/team/close_20260131T090000Z",
                "local:calendar/team/close_20260228T090000Z",
            ],
            "{r:#?}"
        );
    }

    #[test]
    fn hostile_values_are_problems_not_panics_and_a_lone_override_is_an_event() {
        let cal = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20240101T1é0000\nEND:VEVENT\nBEGIN:VEVENT\nUID:b\nDTSTART:20260101T100000Z\nRRULE:FREQ=DAILY;BYDAY=éM\nATTENDEE:王小明@x.cn\nEND:VEVENT\nBEGIN:VEVENT\nUID:c\nDTSTART:20260101T100000Z\nRRULE:FREQ=DAILY;INTERVAL=8000000\nEND:VEVENT\nBEGIN:VEVENT\nUID:d\nDTSTART:20260101T100000Z\nRRULE:FREQ=YEARLY;INTERVAL=1000\nEND:VEVENT\nBEGIN:VEVENT\nUID:theirs\nRECURRENCE-ID:20260110T090000Z\nSUMMARY:Their planning (one instance)\nDTSTART:20260110T093000Z\nEND:VEVENT\nEND:VCALENDAR\n";
        let (store, r) = import_text(cal, "2026-01-08T00:00:00Z");
        assert!(r.problems.iter().any(|p| p.starts_with("a:")), "{r:#?}");
        assert!(r.problems.iter().any(|p| p.contains("BYDAY")), "{r:#?}");
        assert!(r.problems.iter().any(|p| p.contains("INTERVAL=8000000")), "{r:#?}");
        let lone = store.item("local:calendar/team/theirs_20260110T090000Z").unwrap().unwrap();
        assert_eq!(lone.item.extra["start"], "2026-01-10T09:30:00Z");
    }

    #[test]
    fn a_series_that_moved_leaves_no_ghost_instances() {
        let at = |time: &str| {
            format!(
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:s\nSUMMARY:Sync\nDTSTART:20260105T{time}Z\nRRULE:FREQ=WEEKLY;COUNT=3\nEND:VEVENT\nEND:VCALENDAR\n"
            )
        };
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("team.ics");
        let mut store = Store::open_in_memory().unwrap();
        let now = Timestamp::parse_rfc3339("2026-01-06T00:00:00Z").unwrap().0;
        std::fs::write(&p, at("100000")).unwrap();
        import(&mut store, &p, now).unwrap();
        std::fs::write(&p, at("110000")).unwrap();
        import(&mut store, &p, now).unwrap();
        let live: Vec<String> = store
            .items_in_window("local:calendar/team", Timestamp(0), Timestamp(i64::MAX / 2), 100)
            .unwrap()
            .into_iter()
            .map(|s| s.item.id.as_str().to_string())
            .collect();
        assert_eq!(live.len(), 3, "{live:?}");
        assert!(live.iter().all(|id| id.ends_with("T110000Z")), "{live:?}");
    }

    #[test]
    fn a_file_that_is_not_a_calendar_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("notes.ics");
        std::fs::write(&p, "hello").unwrap();
        let err = import(&mut Store::open_in_memory().unwrap(), &p, 0).unwrap_err().to_string();
        assert!(err.contains("notes.ics") && err.contains("BEGIN:VCALENDAR"), "{err}");
    }
}
