//! Google under `/google`: OAuth (a consent page that redirects straight back with a
//! code, and a token endpoint checking PKCE, refreshing, rotating refresh tokens and
//! answering `invalid_grant`), Calendar (`calendarList`, `events` with sync tokens
//! that expire into 410), Drive (`changes`, `files`, `export`, `comments`) and Gmail
//! (`profile`, `messages`, `history` whose old ids answer 404).
//!
//! One change clock (`seq`) orders every change; sync tokens, page tokens and history
//! ids are positions on it, and `expire_tokens` makes every one handed out so far
//! invalid.

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::world::GoogleWorld;
use crate::{Reply, Req};

fn error(status: u16, reason: &str, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error": {"code": status, "message": message, "errors": [{"reason": reason, "message": message}]}}),
    )
}

fn public(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| !k.starts_with('_'));
    }
    v
}

fn seq_of(v: &Value) -> u64 {
    v["_seq"].as_u64().unwrap_or(0)
}

fn decode_segment(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(x) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(x);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn page(items: Vec<Value>, req: &Req, max_default: usize, key: &str) -> (Value, bool) {
    let max = req
        .param("maxResults")
        .or(req.param("pageSize"))
        .and_then(|m| m.parse().ok())
        .unwrap_or(max_default)
        .clamp(1, 500);
    let offset =
        req.param("pageToken").and_then(|p| p.strip_prefix('p')).and_then(|p| p.parse().ok()).unwrap_or(0usize);
    let total = items.len();
    let slice: Vec<Value> = items.into_iter().skip(offset).take(max).collect();
    let mut out = json!({ key: slice });
    let last = offset + max >= total;
    if !last {
        out["nextPageToken"] = json!(format!("p{}", offset + max));
    }
    (out, last)
}

/// `POST /oauth/token`.
fn token_endpoint(g: &mut GoogleWorld, form: &[(String, String)]) -> Reply {
    let f = |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str()).unwrap_or("");
    if f("client_id") != g.client_id {
        return Reply::json(
            401,
            &json!({"error": "invalid_client", "error_description": "The OAuth client was not found."}),
        );
    }
    match f("grant_type") {
        "authorization_code" => {
            let Some((challenge, redirect)) = g.codes.remove(f("code")) else {
                return Reply::json(
                    400,
                    &json!({"error": "invalid_grant", "error_description": "Malformed auth code."}),
                );
            };
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(f("code_verifier")));
            if computed != challenge || redirect != f("redirect_uri") {
                return Reply::json(
                    400,
                    &json!({"error": "invalid_grant", "error_description": "Bad code verifier or redirect."}),
                );
            }
            g.refreshes += 1;
            g.refresh_token = format!("1//mock-refresh-{}", g.refreshes);
            let access = format!("ya29.mock-{}", g.refreshes);
            g.issued.push(access.clone());
            Reply::json(
                200,
                &json!({"access_token": access, "expires_in": 3599, "refresh_token": g.refresh_token, "scope": "openid email", "token_type": "Bearer"}),
            )
        }
        "refresh_token" => {
            if f("refresh_token").is_empty() || f("refresh_token") != g.refresh_token {
                return Reply::json(
                    400,
                    &json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
                );
            }
            g.refreshes += 1;
            let access = format!("ya29.mock-{}", g.refreshes);
            g.issued.push(access.clone());
            let mut body = json!({"access_token": access, "expires_in": 3599, "token_type": "Bearer"});
            if g.rotate_refresh {
                g.refresh_token = format!("1//mock-rotated-{}", g.refreshes);
                body["refresh_token"] = json!(g.refresh_token);
            }
            Reply::json(200, &body)
        }
        other => Reply::json(400, &json!({"error": "unsupported_grant_type", "error_description": other})),
    }
}

/// Everything under `/google`. `token`: the world's fixed token, accepted besides issued ones.
pub(crate) fn handle(g: &mut GoogleWorld, req: &Req, method: &str, bearer: Option<&str>, token: &str) -> Reply {
    let path = req.path.trim_start_matches("/google");
    let parts: Vec<String> = path.trim_start_matches('/').split('/').map(decode_segment).collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    match (method, parts.as_slice()) {
        ("GET", ["oauth", "auth"]) => {
            let (Some(redirect), Some(state), Some(challenge)) =
                (req.param("redirect_uri"), req.param("state"), req.param("code_challenge"))
            else {
                return Reply::json(400, &json!({"error": "invalid_request"}));
            };
            if req.param("code_challenge_method") != Some("S256")
                || req.param("client_id") != Some(g.client_id.as_str())
            {
                return Reply::json(400, &json!({"error": "invalid_request"}));
            }
            g.refreshes += 1;
            let code = format!("4/mock-code-{}", g.refreshes);
            g.codes.insert(code.clone(), (challenge.to_string(), redirect.to_string()));
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("code", &code).append_pair("state", state);
            Reply {
                status: 302,
                headers: vec![("location".into(), format!("{redirect}/?{}", q.finish()))],
                body: String::new(),
            }
        }
        ("POST", ["oauth", "token"]) => {
            let form: Vec<(String, String)> = form_urlencoded::parse(&req.body).into_owned().collect();
            token_endpoint(g, &form)
        }
        _ => {
            let ok = bearer.is_some_and(|b| b == token || g.issued.iter().any(|t| t == b));
            if !ok {
                return error(401, "authError", "Request had invalid authentication credentials.");
            }
            if method != "GET" {
                return error(405, "methodNotAllowed", "Only GET in this mock");
            }
            api(g, req, &parts)
        }
    }
}

fn api(g: &mut GoogleWorld, req: &Req, parts: &[&str]) -> Reply {
    match parts {
        ["calendar", "v3", "users", "me", "calendarList"] => {
            Reply::json(200, &page(g.calendars.clone(), req, 100, "items").0)
        }
        ["calendar", "v3", "calendars", cal, "events"] => events(g, req, cal),
        ["drive", "v3", "changes", "startPageToken"] => Reply::json(200, &json!({"startPageToken": g.seq.to_string()})),
        ["drive", "v3", "changes"] => {
            let Some(from) = req.param("pageToken").and_then(|t| t.parse::<u64>().ok()) else {
                return error(400, "invalid", "Invalid pageToken");
            };
            if from < g.sync_floor {
                return error(404, "notFound", "Page token is no longer valid");
            }
            let changes: Vec<Value> = g
                .files
                .values()
                .filter(|f| seq_of(f) > from)
                .map(|f| {
                    let removed = f["_removed"].as_bool() == Some(true);
                    let mut c =
                        json!({"kind": "drive#change", "changeType": "file", "fileId": f["id"], "removed": removed});
                    if !removed {
                        c["file"] = public(f);
                    }
                    c
                })
                .collect();
            Reply::json(200, &json!({"changes": changes, "newStartPageToken": g.seq.to_string()}))
        }
        ["drive", "v3", "files"] => {
            let docs: Vec<Value> = g
                .files
                .values()
                .filter(|f| f["_removed"].as_bool() != Some(true) && f["trashed"].as_bool() != Some(true))
                .map(public)
                .collect();
            Reply::json(200, &page(docs, req, 100, "files").0)
        }
        ["drive", "v3", "files", id, "export"] => {
            match g.files.get(*id).filter(|f| f["_removed"].as_bool() != Some(true)) {
                Some(f) => Reply {
                    status: 200,
                    headers: vec![("content-type".into(), "text/plain; charset=utf-8".into())],
                    body: f["_text"].as_str().unwrap_or("").to_string(),
                },
                None => error(404, "notFound", "File not found"),
            }
        }
        ["drive", "v3", "files", id, "comments"] => {
            match g.files.get(*id).filter(|f| f["_removed"].as_bool() != Some(true)) {
                Some(f) => {
                    let all = req.param("includeDeleted") == Some("true");
                    let comments: Vec<Value> = f["_comments"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|c| all || c["deleted"].as_bool() != Some(true))
                        .cloned()
                        .collect();
                    Reply::json(200, &page(comments, req, 20, "comments").0)
                }
                None => error(404, "notFound", "File not found"),
            }
        }
        ["gmail", "v1", "users", "me", "profile"] => Reply::json(
            200,
            &json!({"emailAddress": g.email, "messagesTotal": g.messages.len(), "threadsTotal": g.messages.len(), "historyId": g.seq.to_string()}),
        ),
        ["gmail", "v1", "users", "me", "messages"] => {
            let list: Vec<Value> = g
                .messages
                .values()
                .filter(|m| m["_deleted"].as_bool() != Some(true))
                .map(|m| json!({"id": m["id"], "threadId": m["threadId"]}))
                .collect();
            Reply::json(200, &page(list, req, 100, "messages").0)
        }
        ["gmail", "v1", "users", "me", "messages", id] => {
            match g.messages.get(*id).filter(|m| m["_deleted"].as_bool() != Some(true)) {
                Some(m) => Reply::json(200, &public(m)),
                None => error(404, "notFound", "Requested entity was not found."),
            }
        }
        ["gmail", "v1", "users", "me", "history"] => {
            let Some(from) = req.param("startHistoryId").and_then(|t| t.parse::<u64>().ok()) else {
                return error(400, "invalidArgument", "Invalid startHistoryId");
            };
            if from < g.sync_floor {
                return error(404, "notFound", "Requested entity was not found.");
            }
            let history: Vec<Value> = g
                .messages
                .values()
                .filter(|m| seq_of(m) > from)
                .map(|m| {
                    let short = json!({"id": m["id"], "threadId": m["threadId"]});
                    if m["_deleted"].as_bool() == Some(true) {
                        json!({"id": seq_of(m).to_string(), "messagesDeleted": [{"message": short}]})
                    } else {
                        json!({"id": seq_of(m).to_string(), "messagesAdded": [{"message": short}]})
                    }
                })
                .collect();
            Reply::json(200, &json!({"history": history, "historyId": g.seq.to_string()}))
        }
        _ => error(404, "notFound", "Not Found"),
    }
}

fn events(g: &GoogleWorld, req: &Req, cal: &str) -> Reply {
    let Some(all) = g.events.get(cal) else { return error(404, "notFound", "Not Found") };
    let items: Vec<Value> = match req.param("syncToken") {
        Some(t) => {
            if req.param("timeMin").is_some() || req.param("timeMax").is_some() {
                return error(400, "invalid", "syncToken cannot be combined with timeMin or timeMax");
            }
            match t.strip_prefix('s').and_then(|n| n.parse::<u64>().ok()) {
                Some(n) if n >= g.sync_floor => all.values().filter(|e| seq_of(e) > n).map(public).collect(),
                _ => {
                    return error(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.");
                }
            }
        }
        None => {
            let min = req.param("timeMin").unwrap_or("");
            let deleted = req.param("showDeleted") == Some("true");
            all.values()
                .filter(|e| deleted || e["status"].as_str() != Some("cancelled"))
                .filter(|e| {
                    let end = e["end"]["dateTime"].as_str().or(e["end"]["date"].as_str()).unwrap_or("");
                    min.is_empty() || end >= min
                })
                .map(public)
                .collect()
        }
    };
    let (mut body, last) = page(items, req, 250, "items");
    if last {
        body["nextSyncToken"] = json!(format!("s{}", g.seq));
    }
    Reply::json(200, &body)
}
