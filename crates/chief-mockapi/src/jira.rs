//! The Jira Cloud REST endpoints Chief calls, under `/jira`: `myself`, project
//! search (offset paging), the enhanced issue search `search/jql` (`nextPageToken`
//! paging, `fields` defaulting to `id` only, `expand=changelog`, a bounded JQL
//! required) and an issue's comments (offset paging). The retired `/search`
//! answers 410, as on Jira Cloud.
//!
//! The JQL subset: `updated >= X`, `updated <= X`, `created >= X` (X in epoch
//! milliseconds, or a quoted `"yyyy-MM-dd HH:mm"` read in the *profile's* time zone,
//! which is the trap a connector must avoid), `project = K`, `project in (K, …)`,
//! joined by `AND`, with `ORDER BY updated|created ASC|DESC`.

use serde_json::{Value, json};

use crate::world::JiraWorld;
use crate::{Reply, Req};

fn error(status: u16, message: &str) -> Reply {
    Reply::json(status, &json!({"errorMessages": [message], "errors": {}}))
}

fn num(req: &Req, k: &str, default: usize) -> usize {
    req.param(k).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Epoch milliseconds of a JQL time value.
fn jql_time(raw: &str, tz_offset_min: i32) -> Result<i64, String> {
    let raw = raw.trim();
    if let Ok(ms) = raw.parse::<i64>() {
        return Ok(ms);
    }
    let quoted = raw.trim_matches(|c| c == '"' || c == '\'');
    // `yyyy-MM-dd HH:mm` or `yyyy-MM-dd`, in the profile's time zone.
    let (date, clock) = quoted.split_once(' ').unwrap_or((quoted, "00:00"));
    let iso = format!("{date}T{clock}:00Z");
    let utc = chief_core::Timestamp::parse_rfc3339(&iso).map_err(|_| format!("Date value '{quoted}' is invalid"))?;
    Ok(utc.0 - i64::from(tz_offset_min) * 60_000)
}

/// A parsed JQL query.
#[derive(Debug, Default)]
struct Jql {
    updated_from: Option<i64>,
    updated_to: Option<i64>,
    created_from: Option<i64>,
    projects: Option<Vec<String>>,
    order: Option<(String, bool)>,
}

fn parse_jql(jql: &str, tz_offset_min: i32) -> Result<Jql, String> {
    let lower = jql.to_lowercase();
    let (cond, order) = match lower.find("order by") {
        Some(i) => (&jql[..i], Some(&jql[i + 8..])),
        None => (jql, None),
    };
    let mut q = Jql::default();
    if let Some(o) = order {
        let mut parts = o.split_whitespace();
        let field = parts.next().unwrap_or("").to_lowercase();
        let asc = parts.next().is_none_or(|d| d.eq_ignore_ascii_case("asc"));
        q.order = Some((field, asc));
    }
    let cond = cond.trim();
    if cond.is_empty() {
        return Err("Unbounded JQL queries are not allowed here. Please add a search restriction to your query.".into());
    }
    for clause in cond.split(" AND ").flat_map(|c| c.split(" and ")) {
        let c = clause.trim();
        let (field, rest) = c.split_once(char::is_whitespace).ok_or_else(|| format!("Error in the JQL Query: {c}"))?;
        let rest = rest.trim();
        match field.to_lowercase().as_str() {
            "updated" | "created" => {
                let (op, value) = if let Some(v) = rest.strip_prefix(">=") {
                    (">=", v)
                } else if let Some(v) = rest.strip_prefix("<=") {
                    ("<=", v)
                } else {
                    return Err(format!("Error in the JQL Query: unsupported operator in {c:?}"));
                };
                let t = jql_time(value, tz_offset_min)?;
                match (field.to_lowercase().as_str(), op) {
                    ("updated", ">=") => q.updated_from = Some(t),
                    ("updated", _) => q.updated_to = Some(t),
                    ("created", ">=") => q.created_from = Some(t),
                    _ => return Err(format!("Error in the JQL Query: unsupported clause {c:?}")),
                }
            }
            "project" => {
                let keys: Vec<String> = if let Some(v) = rest.strip_prefix('=') {
                    vec![v.trim().trim_matches('"').to_string()]
                } else if let Some(v) = rest.to_lowercase().strip_prefix("in") {
                    let v = &rest[rest.len() - v.len()..];
                    v.trim()
                        .trim_start_matches('(')
                        .trim_end_matches(')')
                        .split(',')
                        .map(|k| k.trim().trim_matches('"').to_string())
                        .filter(|k| !k.is_empty())
                        .collect()
                } else {
                    return Err(format!("Error in the JQL Query: unsupported clause {c:?}"));
                };
                q.projects = Some(keys);
            }
            _ => return Err(format!("Error in the JQL Query: field {field:?} is not supported by this mock")),
        }
    }
    Ok(q)
}

fn ms(v: &Value, key: &str) -> i64 {
    v["fields"][key].as_str().and_then(|t| chief_core::Timestamp::parse_rfc3339(t).ok()).map(|t| t.0).unwrap_or(0)
}

/// The opaque page token: the cursor generation, the offset and a digest of the query.
fn token(generation: u64, offset: usize, jql: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(jql.as_bytes());
    format!("{generation}-{offset}-{}", d.iter().take(6).map(|b| format!("{b:02x}")).collect::<String>())
}

/// An issue as the search returns it with the requested fields.
fn shape(j: &JiraWorld, issue: &Value, fields: &[String], changelog: bool) -> Value {
    let all = fields.iter().any(|f| f == "*all" || f == "*navigable");
    let mut out = json!({"id": issue["id"]});
    let wants_more = all || fields.iter().any(|f| f != "id");
    if !wants_more {
        return out;
    }
    out["key"] = issue["key"].clone();
    out["self"] = json!(format!("{}/rest/api/3/issue/{}", j.site, issue["id"].as_str().unwrap_or("")));
    let mut f = serde_json::Map::new();
    for (k, v) in issue["fields"].as_object().into_iter().flatten() {
        if all || fields.iter().any(|x| x == k) {
            let v = if k == "comment" {
                let comments = v["comments"].as_array().cloned().unwrap_or_default();
                let total = comments.len();
                let first: Vec<Value> = comments.into_iter().take(j.embedded_comments).collect();
                json!({"comments": first, "total": total, "maxResults": j.embedded_comments, "startAt": 0})
            } else {
                v.clone()
            };
            f.insert(k.clone(), v);
        }
    }
    out["fields"] = Value::Object(f);
    if changelog {
        let histories = issue["changelog"]["histories"].as_array().cloned().unwrap_or_default();
        out["changelog"] =
            json!({"startAt": 0, "maxResults": histories.len(), "total": histories.len(), "histories": histories});
    }
    out
}

fn search(j: &JiraWorld, req: &Req, generation: u64) -> Reply {
    let jql = req.param("jql").unwrap_or("");
    let q = match parse_jql(jql, j.tz_offset_min) {
        Ok(q) => q,
        Err(e) => return error(400, &e),
    };
    let max = num(req, "maxResults", 50).clamp(1, j.max_results);
    let offset = match req.param("nextPageToken") {
        None => 0,
        Some(t) => {
            let off = t.split('-').nth(1).and_then(|o| o.parse::<usize>().ok()).unwrap_or(usize::MAX);
            if off == usize::MAX || token(generation, off, jql) != t {
                return error(400, "The provided next page token is invalid or expired.");
            }
            off
        }
    };
    let fields: Vec<String> = req
        .param("fields")
        .map(|f| f.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
        .unwrap_or_else(|| vec!["id".to_string()]);
    let changelog = req.param("expand").is_some_and(|e| e.split(',').any(|x| x.trim() == "changelog"));
    let mut hits: Vec<&Value> = j
        .issues
        .values()
        .filter(|i| {
            let project = i["fields"]["project"]["key"].as_str().unwrap_or("");
            q.updated_from.is_none_or(|t| ms(i, "updated") >= t)
                && q.updated_to.is_none_or(|t| ms(i, "updated") <= t)
                && q.created_from.is_none_or(|t| ms(i, "created") >= t)
                && q.projects.as_ref().is_none_or(|p| p.iter().any(|k| k.eq_ignore_ascii_case(project)))
        })
        .collect();
    let (field, asc) = q.order.clone().unwrap_or(("created".into(), false));
    hits.sort_by_key(|i| {
        (ms(i, if field == "updated" { "updated" } else { "created" }), i["id"].as_str().map(str::to_string))
    });
    if !asc {
        hits.reverse();
    }
    let page: Vec<Value> = hits.iter().skip(offset).take(max).map(|i| shape(j, i, &fields, changelog)).collect();
    let last = offset + max >= hits.len();
    let mut body = json!({"issues": page, "isLast": last});
    if !last {
        body["nextPageToken"] = json!(token(generation, offset + max, jql));
    }
    Reply::json(200, &body)
}

fn find<'a>(j: &'a JiraWorld, id_or_key: &str) -> Option<&'a Value> {
    j.issues.get(id_or_key).or_else(|| j.issues.values().find(|i| i["key"].as_str() == Some(id_or_key)))
}

pub(crate) fn handle(j: &JiraWorld, req: &Req, method: &str, authorized: bool, generation: u64) -> Reply {
    let path = req.path.trim_start_matches("/jira");
    if !authorized {
        // Jira answers a bad token with 401 and a plain message.
        return error(401, "Client must be authenticated to access this resource.");
    }
    if method != "GET" {
        return error(405, "Method not allowed by this mock");
    }
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["rest", "api", "3", "myself"] => Reply::json(200, &j.me),
        ["rest", "api", "3", "serverInfo"] => {
            Reply::json(200, &json!({"baseUrl": j.site, "deploymentType": "Cloud", "version": "1001.0.0"}))
        }
        ["rest", "api", "3", "project", "search"] => {
            let start = num(req, "startAt", 0);
            let max = num(req, "maxResults", 50).clamp(1, 100);
            let values: Vec<Value> = j.projects.iter().skip(start).take(max).cloned().collect();
            let last = start + max >= j.projects.len();
            Reply::json(
                200,
                &json!({"values": values, "startAt": start, "maxResults": max, "total": j.projects.len(), "isLast": last}),
            )
        }
        ["rest", "api", "3", "search", "jql"] => search(j, req, generation),
        ["rest", "api", "2" | "3", "search"] => {
            error(410, "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API.")
        }
        ["rest", "api", "3", "issue", id, "comment"] => match find(j, id) {
            Some(issue) => {
                let mut all = issue["fields"]["comment"]["comments"].as_array().cloned().unwrap_or_default();
                if req.param("orderBy") == Some("-created") {
                    all.reverse();
                }
                let start = num(req, "startAt", 0);
                let max = num(req, "maxResults", 50).clamp(1, 100);
                let page: Vec<Value> = all.iter().skip(start).take(max).cloned().collect();
                Reply::json(200, &json!({"comments": page, "startAt": start, "maxResults": max, "total": all.len()}))
            }
            None => error(404, "Issue does not exist or you do not have permission to see it."),
        },
        ["rest", "api", "3", "issue", id] => match find(j, id) {
            Some(issue) => Reply::json(200, issue),
            None => error(404, "Issue does not exist or you do not have permission to see it."),
        },
        _ => error(404, "Not Found"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn quoted_datetimes_are_read_in_the_profile_time_zone_and_epoch_ms_exactly() {
        let utc = chief_core::Timestamp::parse_rfc3339("2026-03-01T10:00:00Z").unwrap().0;
        assert_eq!(jql_time("\"2026-03-01 10:00\"", 0).unwrap(), utc);
        // A profile at UTC-8 reads "10:00" as 18:00 UTC.
        assert_eq!(jql_time("\"2026-03-01 10:00\"", -480).unwrap(), utc + 8 * 3_600_000);
        assert_eq!(jql_time(&utc.to_string(), -480).unwrap(), utc);
        let q = parse_jql("updated >= 5 AND project in (AB, \"CD\") ORDER BY updated ASC", 0).unwrap();
        assert_eq!(q.updated_from, Some(5));
        assert_eq!(q.projects, Some(vec!["AB".to_string(), "CD".to_string()]));
        assert_eq!(q.order, Some(("updated".to_string(), true)));
        assert!(parse_jql("ORDER BY updated", 0).is_err(), "an unbounded query is refused");
    }
}
