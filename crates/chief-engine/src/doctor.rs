//! `chief doctor`: independent checks of the user's setup, each with what to do.
//! Every check runs even when an earlier one failed.

use std::path::Path;

use serde::Serialize;

use crate::Config;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Info,
    Warning,
    Error,
}

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub level: Level,
    pub message: String,
    /// What to do about it (empty when nothing).
    pub fix: String,
}

fn finding(check: &'static str, level: Level, message: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding { check, level, message: message.into(), fix: fix.into() }
}

/// Runs every check against `home`.
pub fn doctor(home: &Path, env: impl IntoIterator<Item = (String, String)>) -> Vec<Finding> {
    let env: Vec<(String, String)> = env.into_iter().collect();
    let mut out = Vec::new();
    // Home.
    match std::fs::create_dir_all(home).and_then(|_| tempfile::tempfile_in(home)) {
        Ok(_) => out.push(finding("home", Level::Ok, format!("{} is writable", home.display()), "")),
        Err(e) => out.push(finding(
            "home",
            Level::Error,
            format!("{} is not writable: {e}", home.display()),
            "choose another home with --home or CHIEF_HOME, or fix its permissions",
        )),
    }
    // Privacy: the home holds everything synced; only its owner may read it.
    if let Some(mode) = crate::privacy::mode(home)
        && mode & 0o077 != 0
    {
        out.push(finding(
            "privacy",
            Level::Warning,
            format!("{} can be read by other users (mode {:o})", home.display(), mode & 0o777),
            format!("chmod 700 {} (Chief does this to homes it creates, not to folders that existed)", home.display()),
        ));
    }
    // Config.
    let config = match Config::load(home, env.clone()) {
        Ok(c) => {
            let path = Config::path_in(home);
            let where_ =
                if path.exists() { path.display().to_string() } else { "defaults (no chief.toml)".to_string() };
            out.push(finding("config", Level::Ok, format!("configuration loaded from {where_}"), ""));
            Some(c)
        }
        Err(e) => {
            out.push(finding(
                "config",
                Level::Error,
                e.to_string(),
                "fix the file or variable named above; chief.example.toml lists every key",
            ));
            None
        }
    };
    if let Some(c) = &config {
        if c.me.name.is_empty() && c.me.email.is_empty() {
            out.push(finding(
                "me",
                Level::Warning,
                "who you are is not set",
                "set [me] name and email in chief.toml so your own actions are not reported to you",
            ));
        }
        let enabled: Vec<&str> = [
            ("slack", &c.sources.slack),
            ("github", &c.sources.github),
            ("jira", &c.sources.jira),
            ("google", &c.sources.google),
        ]
        .into_iter()
        .filter(|(_, s)| s.enabled)
        .map(|(n, _)| n)
        .collect();
        // Google with an OAuth grant: a consent screen left in "Testing" expires it weekly.
        let env_token = env.iter().any(|(k, _)| k == "CHIEF_GOOGLE_TOKEN");
        if c.sources.google.enabled && !env_token && !c.sources.google.client_id.is_empty() {
            out.push(finding(
                "google",
                Level::Warning,
                "Google refresh tokens expire after 7 days while your OAuth consent screen is in \"Testing\"",
                "in Google Cloud console → APIs & Services → OAuth consent screen, publish the app (\"In production\"), then `chief connect google` once more",
            ));
        }
        if c.sources.jira.enabled && (c.sources.jira.api_base.is_empty() || c.sources.jira.email.is_empty()) {
            out.push(finding(
                "jira",
                Level::Warning,
                "Jira is enabled but its site or your email is not set",
                "run `chief connect jira --site https://YOUR-SITE.atlassian.net --email YOU@COMPANY.COM` with an API token on standard input",
            ));
        }
        out.push(finding(
            "sources",
            Level::Info,
            if enabled.is_empty() {
                "no live source enabled; imports work offline".to_string()
            } else {
                format!("enabled: {}", enabled.join(", "))
            },
            "",
        ));
    }
    // Store.
    let db = crate::Home::new(home).db();
    if !db.exists() {
        out.push(finding("store", Level::Info, "no store yet", "run `chief import slack-export PATH` or `chief demo`"));
    } else {
        match chief_store::Store::open(&db) {
            Ok(store) => match store.quick_check() {
                Ok(Ok(())) => {
                    let n: i64 = store.counts().map(|c| c.items.iter().map(|r| r.2).sum()).unwrap_or(0);
                    out.push(finding("store", Level::Ok, format!("{} is healthy, {n} items", db.display()), ""));
                }
                Ok(Err(problem)) => out.push(finding(
                    "store",
                    Level::Error,
                    format!("integrity check failed: {problem}"),
                    "move chief.db aside and re-import your data",
                )),
                Err(e) => out.push(finding(
                    "store",
                    Level::Error,
                    e.to_string(),
                    "move chief.db aside and re-import your data",
                )),
            },
            Err(e) => {
                out.push(finding("store", Level::Error, e.to_string(), "move chief.db aside and re-import your data"))
            }
        }
    }
    // Index.
    let idx = crate::Home::new(home).index();
    if idx.join("meta.json").exists() {
        match tantivy_meta_payload(&idx) {
            Some(seq) => {
                let store_seq = chief_store::Store::open(&db).and_then(|s| s.max_seq()).unwrap_or(0);
                if store_seq > seq {
                    out.push(finding(
                        "index",
                        Level::Info,
                        format!("search index is {} changes behind the store", store_seq - seq),
                        "it catches up on the next start; `chief reindex` rebuilds it",
                    ));
                } else {
                    out.push(finding("index", Level::Ok, "search index is up to date", ""));
                }
            }
            None => out.push(finding(
                "index",
                Level::Warning,
                "search index metadata is unreadable",
                "it is rebuilt automatically on the next start, or run `chief reindex`",
            )),
        }
    } else if db.exists() {
        out.push(finding("index", Level::Info, "no search index yet", "it is built on the next start"));
    }
    // The keychain holds API keys and tokens.
    match crate::secrets::get("doctor-probe") {
        Ok(_) => out.push(finding("keychain", Level::Ok, "the OS keychain is reachable", "")),
        Err(e) => out.push(finding(
            "keychain",
            Level::Warning,
            e.to_string(),
            "keys can also come from CHIEF_LLM_API_KEY / CHIEF_<SOURCE>_TOKEN",
        )),
    }
    // The LLM chain, without calling it (use `chief llm test` for that).
    if let Some(c) = &config {
        match c.llm.chain() {
            Ok(chain) if chain.is_empty() => {
                out.push(finding("llm", Level::Info, "no LLM provider configured; Chief works offline", ""))
            }
            Ok(chain) if c.llm.offline => out.push(finding(
                "llm",
                Level::Info,
                format!("{} provider(s) configured, offline mode on", chain.len()),
                "",
            )),
            Ok(_) => out.push(llm_probe(c, home, &env)),
            Err(e) => out.push(finding("llm", Level::Error, e.to_string(), "fix [llm] in chief.toml")),
        }
    }
    // Embeddings: the model files, their hashes, and ONNX Runtime itself.
    match &config {
        Some(c) if !c.embed.enabled => {
            out.push(finding("embeddings", Level::Info, "semantic search is disabled ([embed] enabled = false)", ""))
        }
        Some(c) => {
            let files = chief_search::semantic::model_files(&c.embed);
            match chief_embed::OnnxEmbedder::load(&files, 1) {
                Ok(e) => {
                    use chief_embed::Embed;
                    match e.embed(&["doctor check"]) {
                        Ok(v) if v.first().is_some_and(|x| x.len() == e.dims()) => out.push(finding(
                            "embeddings",
                            Level::Ok,
                            format!(
                                "model {} and ONNX Runtime {} load and embed ({} dims)",
                                files.model.display(),
                                files.onnxruntime.display(),
                                e.dims()
                            ),
                            "",
                        )),
                        Ok(_) => out.push(finding(
                            "embeddings",
                            Level::Error,
                            "the model returned vectors of the wrong size",
                            "run `python3 scripts/fetch-model.py` to restore the pinned model",
                        )),
                        Err(err) => out.push(finding(
                            "embeddings",
                            Level::Error,
                            err.to_string(),
                            "run `python3 scripts/fetch-model.py`",
                        )),
                    }
                }
                Err(err) => out.push(finding(
                    "embeddings",
                    Level::Error,
                    err.to_string(),
                    "search still works by words; semantic search needs the model files",
                )),
            }
        }
        None => {}
    }
    out
}

/// Sends one tiny request through the chain, as `chief llm test` does.
fn llm_probe(config: &Config, home: &Path, env: &[(String, String)]) -> Finding {
    let client = match crate::llm_client(config, home, true, env) {
        Ok(c) => c,
        Err(e) => return finding("llm", Level::Error, e.to_string(), "fix [llm] in chief.toml"),
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return finding("llm", Level::Error, e.to_string(), ""),
    };
    let mut req = chief_llm::ChatRequest::new(vec![chief_llm::Message::user("Reply with the single word: pong")]);
    req.max_tokens = 8;
    req.pipeline = "doctor".into();
    match rt.block_on(async { tokio::time::timeout(std::time::Duration::from_secs(30), client.complete(&req)).await }) {
        Ok(Ok(c)) => {
            finding("llm", Level::Ok, format!("{} ({}) answered in {} ms", c.provider, c.model, c.latency_ms), "")
        }
        Ok(Err(e)) => finding(
            "llm",
            Level::Error,
            e.to_string(),
            "check [llm] in chief.toml and the API key (`chief llm set-key`)",
        ),
        Err(_) => finding(
            "llm",
            Level::Error,
            "the LLM provider did not answer within 30 s",
            "check base_url and your network",
        ),
    }
}

fn tantivy_meta_payload(idx: &Path) -> Option<i64> {
    let text = std::fs::read_to_string(idx.join("meta.json")).ok()?;
    let meta: serde_json::Value = serde_json::from_str(&text).ok()?;
    match meta.get("payload") {
        Some(serde_json::Value::String(p)) => serde_json::from_str::<serde_json::Value>(p).ok()?.get("seq")?.as_i64(),
        _ => Some(0),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn checks(toml: &str, env: &[(&str, &str)]) -> Vec<Finding> {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("chief.toml"), toml).unwrap();
        doctor(home.path(), env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn google_testing_consent_screens_and_half_configured_jira_are_warned_about() {
        let google = "[sources.google]\nenabled = true\nclient_id = \"1.apps.googleusercontent.com\"\n";
        let found = checks(google, &[]);
        let g = found.iter().find(|f| f.check == "google").unwrap();
        assert_eq!(g.level, Level::Warning);
        assert!(g.message.contains("7 days") && g.fix.contains("In production"), "{g:?}");
        // A fixed access token (scripts, tests) has no refresh token to expire.
        assert!(!checks(google, &[("CHIEF_GOOGLE_TOKEN", "x")]).iter().any(|f| f.check == "google"));
        let jira = checks("[sources.jira]\nenabled = true\napi_base = \"https://acme.atlassian.net\"\n", &[]);
        assert!(jira.iter().any(|f| f.check == "jira" && f.fix.contains("--email")));
        assert!(!checks("[sources.jira]\nenabled = false\n", &[]).iter().any(|f| f.check == "jira"));
    }
}
