//! Import of saved REST API responses laid out on disk, one file per endpoint. This is
//! the format of the demo workspace's GitHub, Jira and Calendar data, and a way to load
//! responses saved with `curl` for offline use:
//!
//! ```text
//! github/users.json                          [ /users/{login} ... ]
//! github/repos.json                          [ /repos/{o}/{r} ... ]
//! github/{owner}/{repo}/issues.json          /repos/{o}/{r}/issues?state=all
//! github/{owner}/{repo}/pulls.json           /repos/{o}/{r}/pulls?state=all
//! github/{owner}/{repo}/issue_comments.json  /repos/{o}/{r}/issues/comments
//! github/{owner}/{repo}/review_comments.json /repos/{o}/{r}/pulls/comments
//! github/{owner}/{repo}/reviews/{n}.json     /repos/{o}/{r}/pulls/{n}/reviews
//! jira/serverInfo.json                       /rest/api/3/serverInfo (baseUrl)
//! jira/projects.json                         /rest/api/3/project/search
//! jira/issues.json                           /rest/api/3/search/jql
//! google/calendar/calendarList.json          calendar/v3/users/me/calendarList
//! google/calendar/events/{calendarId}.json   calendar/v3/calendars/{id}/events
//! ```
//!
//! Each file is one transaction; a bad file is reported and the others go on.

use std::path::Path;

use chief_core::Item;
use chief_store::{Store, Upsert, Writer};
use serde::Serialize;
use serde_json::Value;

use crate::slack_export::FileFailure;
use crate::{SourceError, github, google, jira, parse_json};

/// What a dump import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DumpReport {
    pub files: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deleted: usize,
    pub people: usize,
    pub failures: Vec<FileFailure>,
}

/// True when `rel` stays inside the dump: plain names only (no `..`, no root).
fn inside(rel: &str) -> bool {
    !rel.contains('\\') && Path::new(rel).components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// A repository name as GitHub writes it: `owner/name`, letters, digits, `-`, `_`, `.`.
fn valid_repo(full_name: &str) -> bool {
    let parts: Vec<&str> = full_name.split('/').collect();
    parts.len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && *p != "."
                && *p != ".."
                && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
}

fn read_json(root: &Path, rel: &str) -> Result<Option<Value>, SourceError> {
    if !inside(rel) {
        return Err(invalid(rel, "the name leads outside the dump folder; fix the id in the listing".into()));
    }
    let p = root.join(rel);
    match std::fs::read(&p) {
        Ok(bytes) => Ok(Some(parse_json(rel, &bytes)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SourceError::Io { path: p, source }),
    }
}

fn array(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn invalid(rel: &str, reason: String) -> SourceError {
    SourceError::Invalid { file: rel.to_string(), reason }
}

fn put(w: &Writer<'_>, item: &Item, report: &mut DumpReport) -> Result<(), SourceError> {
    match w.upsert_item(item)? {
        Upsert::Inserted => report.inserted += 1,
        Upsert::Updated => report.updated += 1,
        Upsert::Unchanged => report.unchanged += 1,
    }
    Ok(())
}

/// Imports every file of the layout above that exists under `root`.
/// One file's import, run in order.
type Step<'a> = Box<dyn Fn(&mut Store, &mut DumpReport) -> Result<(), SourceError> + 'a>;

pub fn import(store: &mut Store, root: &Path) -> Result<DumpReport, SourceError> {
    import_only(store, root, &["github/", "jira/", "google/"])
}

/// Imports the files whose path starts with one of `prefixes` (`"jira/"`, ...).
pub fn import_only(store: &mut Store, root: &Path, prefixes: &[&str]) -> Result<DumpReport, SourceError> {
    let mut report = DumpReport::default();
    let mut steps: Vec<(String, Step<'_>)> = Vec::new();

    // GitHub.
    steps.push((
        "github/users.json".into(),
        Box::new(|store, rep| {
            let Some(v) = read_json(root, "github/users.json")? else { return Ok(()) };
            let w = store.writer()?;
            for u in array(&v) {
                w.upsert_person(&github::user_to_person(u).map_err(|e| invalid("github/users.json", e))?)?;
                rep.people += 1;
            }
            Ok(w.commit()?)
        }),
    ));
    let repos: Vec<String> = match read_json(root, "github/repos.json")? {
        Some(v) => {
            let names: Vec<String> = array(&v)
                .iter()
                .filter_map(|r| r.get("full_name").and_then(Value::as_str))
                .map(str::to_string)
                .collect();
            for bad in names.iter().filter(|n| !valid_repo(n)) {
                tracing::warn!(repo = %bad, "skipping a repository whose name is not owner/name");
            }
            names.into_iter().filter(|n| valid_repo(n)).collect()
        }
        None => Vec::new(),
    };
    steps.push((
        "github/repos.json".into(),
        Box::new(|store, _| {
            let Some(v) = read_json(root, "github/repos.json")? else { return Ok(()) };
            let w = store.writer()?;
            for r in array(&v) {
                w.upsert_container(&github::repo_to_container(r).map_err(|e| invalid("github/repos.json", e))?)?;
            }
            Ok(w.commit()?)
        }),
    ));
    for repo in &repos {
        // The issues listing includes pull requests; when the pulls listing is there
        // too, it is the fuller record (head, reviewers), so PRs come from it alone.
        let has_pulls = root.join(format!("github/{repo}/pulls.json")).exists();
        for (file, kind) in [
            ("issues.json", None),
            ("pulls.json", None),
            ("issue_comments.json", Some(github::CommentKind::Issue)),
            ("review_comments.json", Some(github::CommentKind::Review)),
        ] {
            let rel = format!("github/{repo}/{file}");
            let repo = repo.clone();
            steps.push((
                rel.clone(),
                Box::new(move |store, rep| {
                    let Some(v) = read_json(root, &rel)? else { return Ok(()) };
                    let w = store.writer()?;
                    for x in array(&v) {
                        if file == "issues.json" && has_pulls && x.get("pull_request").is_some() {
                            continue;
                        }
                        let item = match kind {
                            None => github::issue_to_item(&repo, x),
                            Some(k) => github::comment_to_item(&repo, k, x),
                        }
                        .map_err(|e| invalid(&rel, e))?;
                        put(&w, &item, rep)?;
                    }
                    Ok(w.commit()?)
                }),
            ));
        }
        let reviews_dir = root.join("github").join(repo).join("reviews");
        if let Ok(entries) = std::fs::read_dir(&reviews_dir) {
            let mut files: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.ends_with(".json"))
                .collect();
            files.sort();
            for name in files {
                let rel = format!("github/{repo}/reviews/{name}");
                let repo = repo.clone();
                steps.push((
                    rel.clone(),
                    Box::new(move |store, rep| {
                        let number: u64 = name
                            .trim_end_matches(".json")
                            .parse()
                            .map_err(|_| invalid(&rel, "expected reviews/<pull number>.json".into()))?;
                        let Some(v) = read_json(root, &rel)? else { return Ok(()) };
                        let w = store.writer()?;
                        for x in array(&v) {
                            put(&w, &github::review_to_item(&repo, number, x).map_err(|e| invalid(&rel, e))?, rep)?;
                        }
                        Ok(w.commit()?)
                    }),
                ));
            }
        }
    }

    // Jira.
    steps.push((
        "jira/projects.json".into(),
        Box::new(|store, _| {
            let Some(v) = read_json(root, "jira/projects.json")? else { return Ok(()) };
            let w = store.writer()?;
            for p in array(v.get("values").unwrap_or(&v)) {
                w.upsert_container(&jira::project_to_container(p).map_err(|e| invalid("jira/projects.json", e))?)?;
            }
            Ok(w.commit()?)
        }),
    ));
    steps.push((
        "jira/issues.json".into(),
        Box::new(|store, rep| {
            let Some(v) = read_json(root, "jira/issues.json")? else { return Ok(()) };
            let site = read_json(root, "jira/serverInfo.json")?
                .and_then(|s| s.get("baseUrl").and_then(Value::as_str).map(str::to_string));
            let w = store.writer()?;
            for issue in array(v.get("issues").unwrap_or(&Value::Null)) {
                for p in jira::issue_people(issue) {
                    w.upsert_person(&p)?;
                }
                for item in jira::issue_to_items(issue, site.as_deref()).map_err(|e| invalid("jira/issues.json", e))? {
                    put(&w, &item, rep)?;
                }
            }
            Ok(w.commit()?)
        }),
    ));

    // Google Calendar.
    let calendars: Vec<Value> = match read_json(root, "google/calendar/calendarList.json")? {
        Some(v) => array(v.get("items").unwrap_or(&Value::Null)).to_vec(),
        None => Vec::new(),
    };
    for cal in calendars {
        let Some(cal_id) = cal.get("id").and_then(Value::as_str).map(str::to_string) else { continue };
        if cal_id.contains(['/', '\\']) || cal_id == "." || cal_id == ".." {
            tracing::warn!(calendar = %cal_id, "skipping a calendar whose id is not a file name");
            continue;
        }
        let rel = format!("google/calendar/events/{cal_id}.json");
        steps.push((
            rel.clone(),
            Box::new(move |store, rep| {
                let Some(v) = read_json(root, &rel)? else { return Ok(()) };
                let w = store.writer()?;
                w.upsert_container(&google::calendar_to_container(&cal).map_err(|e| invalid(&rel, e))?)?;
                for ev in array(v.get("items").unwrap_or(&Value::Null)) {
                    for p in google::event_people(ev) {
                        w.upsert_person(&p)?;
                    }
                    match google::event_to_change(&cal_id, ev).map_err(|e| invalid(&rel, e))? {
                        google::EventChange::Upsert(item) => put(&w, &item, rep)?,
                        google::EventChange::Cancelled(id) => {
                            if w.delete_item(&id)? {
                                rep.deleted += 1;
                            }
                        }
                    }
                }
                Ok(w.commit()?)
            }),
        ));
    }

    for (rel, step) in steps {
        if !root.join(&rel).exists() || !prefixes.iter().any(|p| rel.starts_with(p)) {
            continue;
        }
        report.files += 1;
        let mut local = DumpReport::default();
        match step(store, &mut local) {
            Ok(()) => {
                report.inserted += local.inserted;
                report.updated += local.updated;
                report.unchanged += local.unchanged;
                report.deleted += local.deleted;
                report.people += local.people;
            }
            Err(e) => report.failures.push(FileFailure { file: rel, error: e.to_string() }),
        }
    }
    Ok(report)
}
