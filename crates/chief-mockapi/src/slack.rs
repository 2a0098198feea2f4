//! The Slack Web API methods Chief calls.

use std::sync::Mutex;

use serde_json::{Value, json};

use crate::world::{World, ts_key};
use crate::{Reply, Req, lock};

fn ok(mut v: Value) -> Reply {
    v["ok"] = json!(true);
    Reply::json(200, &v)
}

fn err(error: &str) -> Reply {
    Reply::json(200, &json!({"ok": false, "error": error}))
}

fn limit(req: &Req, default: usize, max: usize) -> usize {
    req.param("limit").and_then(|l| l.parse().ok()).filter(|&l: &usize| l > 0).unwrap_or(default).min(max)
}

/// Opaque page cursors: `base64`-looking, carrying a generation and an offset.
fn cursor_out(generation: u64, offset: usize) -> String {
    format!("bmV4dF9{generation}x{offset}")
}

fn cursor_in(req: &Req, generation: u64) -> Result<usize, Reply> {
    match req.param("cursor").filter(|c| !c.is_empty()) {
        None => Ok(0),
        Some(c) => {
            let parsed = c
                .strip_prefix("bmV4dF9")
                .and_then(|r| r.split_once('x'))
                .and_then(|(g, o)| Some((g.parse::<u64>().ok()?, o.parse::<usize>().ok()?)));
            match parsed {
                Some((g, o)) if g == generation => Ok(o),
                _ => Err(err("invalid_cursor")),
            }
        }
    }
}

/// One page of `items` starting at the request's cursor.
fn page(
    req: &Req,
    generation: u64,
    items: Vec<Value>,
    default: usize,
    max: usize,
) -> Result<(Vec<Value>, Value, bool), Reply> {
    let start = cursor_in(req, generation)?;
    let n = limit(req, default, max);
    let end = (start + n).min(items.len());
    let more = end < items.len();
    let next = if more { cursor_out(generation, end) } else { String::new() };
    Ok((items.get(start..end).map(<[Value]>::to_vec).unwrap_or_default(), json!({"next_cursor": next}), more))
}

fn truthy(v: Option<&str>) -> bool {
    matches!(v, Some("true" | "1"))
}

pub(crate) fn handle(world: &Mutex<World>, req: &Req, authorized: bool, generation: u64) -> Reply {
    let method = req.path.trim_start_matches("/slack/api/");
    if !authorized {
        let w = lock(world);
        let given = req.header("authorization").and_then(|a| a.strip_prefix("Bearer ")).unwrap_or("");
        return err(if given.is_empty() {
            "not_authed"
        } else if w.token.starts_with("revoked-") {
            "token_revoked"
        } else {
            "invalid_auth"
        });
    }
    let w = lock(world);
    let s = &w.slack;
    let result = (|| -> Result<Reply, Reply> {
        Ok(match method {
            "auth.test" => {
                ok(json!({"url": s.url, "team": s.team, "user": s.user, "team_id": s.team_id, "user_id": s.user_id}))
                    .header("x-oauth-scopes", s.scopes.join(","))
            }
            "users.list" => {
                let (members, meta, _) = page(req, generation, s.users.clone(), 200, 1000)?;
                ok(json!({"members": members, "cache_ts": crate::now_secs(), "response_metadata": meta}))
            }
            "users.conversations" => {
                let (channels, meta, _) = page(req, generation, s.conversations.clone(), 100, 1000)?;
                ok(json!({"channels": channels, "response_metadata": meta}))
            }
            "conversations.info" => {
                let ch = req.param("channel").unwrap_or("");
                match s.conversations.iter().find(|c| c["id"] == ch) {
                    Some(c) => ok(json!({"channel": c})),
                    None => err("channel_not_found"),
                }
            }
            "conversations.history" => {
                let ch = req.param("channel").unwrap_or("");
                if !s.conversations.iter().any(|c| c["id"] == ch) {
                    return Err(err("channel_not_found"));
                }
                let oldest = ts_key(req.param("oldest").unwrap_or("0"));
                let latest = req.param("latest").map(ts_key).unwrap_or((u64::MAX, 0));
                let inclusive = truthy(req.param("inclusive"));
                let mut msgs: Vec<Value> = s
                    .top_level(ch)
                    .into_iter()
                    .filter(|m| {
                        let k = ts_key(m["ts"].as_str().unwrap_or("0"));
                        (k > oldest || (inclusive && k == oldest)) && (k < latest || (inclusive && k == latest))
                    })
                    .map(|m| s.with_thread_fields(ch, m))
                    .collect();
                msgs.reverse();
                let (messages, meta, more) = page(req, generation, msgs, 100, 999)?;
                ok(json!({"messages": messages, "has_more": more, "pin_count": 0, "response_metadata": meta}))
            }
            "conversations.replies" => {
                let ch = req.param("channel").unwrap_or("");
                let ts = req.param("ts").unwrap_or("");
                let Some(parent) = s.messages.get(ch).and_then(|c| c.get(&ts_key(ts))) else {
                    return Err(err("thread_not_found"));
                };
                let oldest = ts_key(req.param("oldest").unwrap_or("0"));
                let inclusive = truthy(req.param("inclusive"));
                let mut msgs = vec![s.with_thread_fields(ch, parent)];
                msgs.extend(
                    s.replies(ch, ts)
                        .into_iter()
                        .filter(|r| {
                            let k = ts_key(r["ts"].as_str().unwrap_or("0"));
                            k > oldest || (inclusive && k == oldest)
                        })
                        .cloned(),
                );
                let (messages, meta, more) = page(req, generation, msgs, 100, 999)?;
                ok(json!({"messages": messages, "has_more": more, "response_metadata": meta}))
            }
            "search.messages" => {
                let q = req.param("query").unwrap_or("");
                let after = q.split_whitespace().find_map(|t| t.strip_prefix("after:")).and_then(|d| {
                    let date = time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
                    // `after:DAY` means from the next day on.
                    Some(date.next_day()?.midnight().assume_utc().unix_timestamp() as u64)
                });
                let count = req.param("count").and_then(|c| c.parse().ok()).unwrap_or(20usize).clamp(1, 100);
                let page_no = req.param("page").and_then(|p| p.parse().ok()).unwrap_or(1usize).max(1);
                let mut matches: Vec<(u64, u64, Value)> = Vec::new();
                for conv in &s.conversations {
                    let ch = conv["id"].as_str().unwrap_or("");
                    for m in s.messages.get(ch).into_iter().flat_map(|c| c.values()) {
                        let ts = m["ts"].as_str().unwrap_or("0");
                        let k = ts_key(ts);
                        if after.is_some_and(|a| k.0 < a) || m["subtype"] == "tombstone" {
                            continue;
                        }
                        let mut permalink = format!("{}archives/{ch}/p{}", s.url, ts.replace('.', ""));
                        if let Some(parent) = m["thread_ts"].as_str().filter(|p| *p != ts) {
                            permalink.push_str(&format!("?thread_ts={parent}&cid={ch}"));
                        }
                        let channel = json!({"id": ch, "name": conv["name"].as_str().unwrap_or(ch), "is_im": conv["is_im"].as_bool().unwrap_or(false), "is_private": conv["is_private"].as_bool().unwrap_or(false)});
                        matches.push((k.0, k.1, json!({"type": "message", "iid": format!("{ch}-{ts}"), "ts": ts, "text": m["text"], "user": m["user"], "username": m["user"], "channel": channel, "permalink": permalink, "team": s.team_id})));
                    }
                }
                matches.sort_by_key(|(a, b, _)| (*a, *b));
                if req.param("sort_dir") == Some("desc") {
                    matches.reverse();
                }
                let total = matches.len();
                let pages = total.div_ceil(count).max(1);
                let slice: Vec<Value> =
                    matches.into_iter().skip((page_no - 1) * count).take(count).map(|(_, _, v)| v).collect();
                ok(json!({"query": q, "messages": {"total": total, "matches": slice,
                    "pagination": {"total_count": total, "page": page_no, "per_page": count, "page_count": pages, "first": (page_no - 1) * count + 1, "last": ((page_no) * count).min(total)},
                    "paging": {"count": count, "total": total, "page": page_no, "pages": pages}}}))
            }
            _ => err("unknown_method"),
        })
    })();
    result.unwrap_or_else(|e| e)
}
