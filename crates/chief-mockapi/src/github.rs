//! The GitHub REST endpoints Chief calls.

use std::sync::Mutex;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::world::{RepoData, World};
use crate::{Faults, Reply, Req, lock, now_secs};

const QUOTA: u64 = 5_000;

fn not_found() -> Reply {
    Reply::json(404, &json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}))
}

/// Sorts, filters by `since` and pages a listing; adds `Link` and `ETag`.
fn listing(req: &Req, mut items: Vec<Value>, default_sort: &str) -> Reply {
    let since = req.param("since").unwrap_or("");
    if !since.is_empty() {
        items.retain(|v| v["updated_at"].as_str().unwrap_or("") >= since);
    }
    let sort = match req.param("sort").unwrap_or(default_sort) {
        "updated" => "updated_at",
        "created" => "created_at",
        _ => "created_at",
    };
    let default_dir = if req.param("sort").is_some() { "desc" } else { "asc" };
    items.sort_by(|a, b| {
        a[sort].as_str().unwrap_or("").cmp(b[sort].as_str().unwrap_or("")).then(a["id"].as_u64().cmp(&b["id"].as_u64()))
    });
    if req.param("direction").unwrap_or(default_dir) == "desc" {
        items.reverse();
    }
    page(req, items, Value::Array)
}

fn page(req: &Req, items: Vec<Value>, wrap: impl Fn(Vec<Value>) -> Value) -> Reply {
    let per_page = req.param("per_page").and_then(|p| p.parse().ok()).unwrap_or(30usize).clamp(1, 100);
    let page_no = req.param("page").and_then(|p| p.parse().ok()).unwrap_or(1usize).max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let slice: Vec<Value> = items.into_iter().skip((page_no - 1) * per_page).take(per_page).collect();
    let mut reply = body(&wrap(slice), req);
    let link_to = |n: usize| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.extend_pairs(req.query.iter().filter(|(k, _)| k != "page"));
        q.append_pair("page", &n.to_string());
        format!("<http://{}{}?{}>", req.host, req.path, q.finish())
    };
    if page_no < last {
        reply =
            reply.header("link", format!("{}; rel=\"next\", {}; rel=\"last\"", link_to(page_no + 1), link_to(last)));
    } else if page_no > 1 {
        reply = reply.header("link", format!("{}; rel=\"first\", {}; rel=\"prev\"", link_to(1), link_to(page_no - 1)));
    }
    reply
}

/// A JSON body with its ETag; `If-None-Match` with the same tag gives 304.
fn body(v: &Value, req: &Req) -> Reply {
    let text = v.to_string();
    let digest = Sha256::digest(text.as_bytes());
    let tag = format!("W/\"{}\"", digest.iter().take(12).map(|b| format!("{b:02x}")).collect::<String>());
    if req.header("if-none-match") == Some(tag.as_str()) {
        return Reply { status: 304, headers: vec![("etag".into(), tag)], body: String::new() };
    }
    Reply::json(200, v).header("etag", tag)
}

fn involves(v: &Value, login: &str) -> bool {
    let is = |u: &Value| u["login"].as_str() == Some(login);
    is(&v["user"])
        || is(&v["assignee"])
        || v["assignees"].as_array().is_some_and(|a| a.iter().any(is))
        || v["requested_reviewers"].as_array().is_some_and(|a| a.iter().any(is))
        || v["body"].as_str().is_some_and(|b| b.contains(&format!("@{login}")))
}

pub(crate) fn handle(world: &Mutex<World>, faults: &Mutex<Faults>, req: &Req, authorized: bool) -> Reply {
    let path = req.path.trim_start_matches("/github");
    let reset = now_secs() + 3_600;
    if let Some(until) = lock(faults).github_quota_until.filter(|u| *u > now_secs()) {
        return Reply::json(403, &json!({"message": "API rate limit exceeded for user."}))
            .header("x-ratelimit-limit", QUOTA.to_string())
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", until.to_string());
    }
    if !authorized {
        return Reply::json(
            401,
            &json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
        );
    }
    let w = lock(world);
    let g = &w.github;
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let reply = match parts.as_slice() {
        ["user"] => body(&g.user, req).header("x-oauth-scopes", g.scopes.join(", ")),
        ["user", "repos"] => page(req, g.repos.values().map(|r| r.meta.clone()).collect(), Value::Array),
        ["users", login] => match g
            .users
            .get(*login)
            .or_else(|| g.users.iter().find(|(k, _)| k.eq_ignore_ascii_case(login)).map(|(_, v)| v))
        {
            Some(u) => body(u, req),
            None => not_found(),
        },
        ["search", "repositories"] => {
            let q = req.param("q").unwrap_or("");
            let wanted: Vec<&str> = q.split_whitespace().filter_map(|t| t.strip_prefix("repo:")).collect();
            let items: Vec<Value> = g
                .repos
                .iter()
                .filter(|(k, _)| wanted.iter().any(|w| k.eq_ignore_ascii_case(w)))
                .map(|(_, r)| r.meta.clone())
                .collect();
            let total = items.len();
            page(req, items, |items| json!({"total_count": total, "incomplete_results": false, "items": items}))
        }
        ["rate_limit"] => {
            body(&json!({"resources": {"core": {"limit": QUOTA, "remaining": QUOTA, "reset": reset, "used": 0}}}), req)
        }
        ["search", "issues"] => {
            let q = req.param("q").unwrap_or("");
            let who = q
                .split_whitespace()
                .find_map(|t| t.strip_prefix("involves:"))
                .map(|w| if w == "@me" { g.login.as_str() } else { w })
                .unwrap_or("");
            let since = q.split_whitespace().find_map(|t| t.strip_prefix("updated:>=")).unwrap_or("");
            let mut found = Vec::new();
            for (full, repo) in &g.repos {
                for (n, issue) in &repo.issues {
                    let record = repo.pulls.get(n).unwrap_or(issue);
                    if involves(record, who) && issue["updated_at"].as_str().unwrap_or("") >= since {
                        let mut hit = issue.clone();
                        hit["repository_url"] = json!(format!("https://api.github.com/repos/{full}"));
                        found.push(hit);
                    }
                }
            }
            found.sort_by(|a, b| b["updated_at"].as_str().cmp(&a["updated_at"].as_str()));
            let total = found.len();
            page(req, found, |items| json!({"total_count": total, "incomplete_results": false, "items": items}))
        }
        ["repos", owner, name, rest @ ..] => {
            let full = format!("{owner}/{name}");
            let Some(repo) = g
                .repos
                .get(&full)
                .or_else(|| g.repos.iter().find(|(k, _)| k.eq_ignore_ascii_case(&full)).map(|(_, v)| v))
            else {
                return not_found();
            };
            repo_endpoint(repo, rest, req)
        }
        _ => not_found(),
    };
    reply
        .header("x-ratelimit-limit", QUOTA.to_string())
        .header("x-ratelimit-remaining", (QUOTA - 1).to_string())
        .header("x-ratelimit-reset", reset.to_string())
}

fn repo_endpoint(repo: &RepoData, rest: &[&str], req: &Req) -> Reply {
    match rest {
        [] => body(&repo.meta, req),
        ["issues"] => {
            let state = req.param("state").unwrap_or("open");
            let items = repo
                .issues
                .values()
                .filter(|i| state == "all" || i["state"].as_str() == Some(state))
                .cloned()
                .collect();
            listing(req, items, "created")
        }
        ["issues", "comments"] => listing(req, repo.issue_comments.values().cloned().collect(), "created"),
        ["pulls"] => {
            let state = req.param("state").unwrap_or("open");
            let items =
                repo.pulls.values().filter(|i| state == "all" || i["state"].as_str() == Some(state)).cloned().collect();
            listing(req, items, "created")
        }
        ["pulls", "comments"] => listing(req, repo.review_comments.values().cloned().collect(), "created"),
        ["pulls", n] => match n.parse::<u64>().ok().and_then(|n| repo.pulls.get(&n)) {
            Some(p) => body(p, req),
            None => not_found(),
        },
        ["pulls", n, "reviews"] => match n.parse::<u64>().ok().filter(|n| repo.pulls.contains_key(n)) {
            Some(n) => page(req, repo.reviews.get(&n).cloned().unwrap_or_default(), Value::Array),
            None => not_found(),
        },
        ["pulls", n, "requested_reviewers"] => match n.parse::<u64>().ok().and_then(|n| repo.pulls.get(&n)) {
            Some(p) => body(&json!({"users": p["requested_reviewers"], "teams": []}), req),
            None => not_found(),
        },
        _ => not_found(),
    }
}
