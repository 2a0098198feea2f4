//! Settings as the desktop shows and edits them: per live source its connection,
//! status and retention; the LLM provider and whether its key is stored; the hotkey
//! and capture exclusions. Edits go into the home's `chief.toml` in place (comments
//! and other keys kept), are validated by loading the result, and a rejected edit
//! leaves the file as it was.

use std::path::Path;

use serde::{Deserialize, Serialize};

use chief_store::SourceState;

use crate::{Config, ConfigError, DesktopConfig, Engine, EngineError, LiveSource, secrets};

/// One live source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceSettings {
    pub name: String,
    pub enabled: bool,
    /// A token is available (keychain or `CHIEF_<SOURCE>_TOKEN`).
    pub connected: bool,
    pub keep_days: u32,
    pub live: bool,
    /// `ok`, `paused`, `parked`, `failed`, `running`, or `never` (not synced yet).
    pub state: SourceState,
    pub message: String,
    pub account: String,
    pub last_success: Option<String>,
    /// The API root (Jira: the site).
    pub api_base: String,
    /// Jira: the account email that goes with the token.
    pub email: String,
    /// Jira: project keys (empty: every project you can browse).
    pub projects: Vec<String>,
    /// Google: the OAuth client id, and the calendars synced (empty: all).
    pub client_id: String,
    pub calendars: Vec<String>,
}

/// The LLM provider.
#[derive(Debug, Clone, Serialize)]
pub struct LlmSettings {
    pub provider: String,
    pub model: String,
    pub base_url: String,
    pub offline: bool,
    pub key_stored: bool,
}

/// Everything the settings page shows.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsView {
    pub sources: Vec<SourceSettings>,
    pub llm: LlmSettings,
    pub desktop: DesktopConfig,
    pub notifications: NotificationSettings,
    /// Problems reading the keychain, shown once rather than per field.
    pub notes: Vec<String>,
}

/// The notifier's rules (`[brain]`); whether and how they show is `desktop`.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationSettings {
    pub quiet_hours: String,
    pub per_hour: usize,
    /// The kinds that notify.
    pub kinds: Vec<String>,
    /// When today's briefing is prepared (UTC `HH:MM`; empty: learned).
    pub briefing_at: String,
}

/// An edit; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SettingsPatch {
    pub source: Option<SourcePatch>,
    pub llm_provider: Option<String>,
    pub llm_model: Option<String>,
    pub llm_base_url: Option<String>,
    pub llm_offline: Option<bool>,
    pub hotkey: Option<String>,
    pub hotkey_enabled: Option<bool>,
    pub capture_exclude: Option<Vec<String>>,
    pub launch_at_login: Option<bool>,
    pub notifications: Option<bool>,
    pub private_notifications: Option<bool>,
    pub quiet_hours: Option<String>,
    pub notifications_per_hour: Option<u32>,
    pub notify: Option<Vec<String>>,
    pub briefing_at: Option<String>,
}

/// An edit of one source.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SourcePatch {
    pub name: String,
    pub enabled: Option<bool>,
    pub keep_days: Option<u32>,
    pub live: Option<bool>,
    pub api_base: Option<String>,
    pub email: Option<String>,
    pub projects: Option<Vec<String>>,
    /// Google: the OAuth client id.
    pub client_id: Option<String>,
    /// Google: calendar ids (empty: every calendar in your list).
    pub calendars: Option<Vec<String>>,
}

/// One edit of `chief.toml`: table path, key, value.
type Edit = (Vec<String>, &'static str, toml::Value);

impl SettingsPatch {
    /// The `(table path, key, value)` edits this patch makes.
    fn edits(&self) -> Result<Vec<Edit>, EngineError> {
        let mut out = Vec::new();
        let t = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        if let Some(s) = &self.source {
            s.name.parse::<LiveSource>()?;
            let table = t(&["sources", &s.name]);
            if let Some(v) = s.enabled {
                out.push((table.clone(), "enabled", toml::Value::Boolean(v)));
            }
            if let Some(v) = s.keep_days {
                out.push((table.clone(), "keep_days", toml::Value::Integer(i64::from(v))));
            }
            if let Some(v) = s.live {
                out.push((table.clone(), "live", toml::Value::Boolean(v)));
            }
            if let Some(v) = &s.api_base {
                let v = v.trim().trim_end_matches('/');
                if !v.is_empty() && !v.starts_with("https://") && !v.starts_with("http://") {
                    return Err(EngineError::InvalidInput(format!(
                        "{v:?} is not a web address; give the site like https://YOUR-SITE.atlassian.net"
                    )));
                }
                out.push((table.clone(), "api_base", toml::Value::String(v.to_string())));
            }
            if let Some(v) = &s.email {
                let v = v.trim();
                if !v.is_empty() && !v.contains('@') {
                    return Err(EngineError::InvalidInput(format!("{v:?} is not an email address")));
                }
                out.push((table.clone(), "email", toml::Value::String(v.to_string())));
            }
            if let Some(v) = &s.client_id {
                out.push((table.clone(), "client_id", toml::Value::String(v.trim().to_string())));
            }
            if let Some(v) = &s.calendars {
                let list = v
                    .iter()
                    .map(|c| c.trim())
                    .filter(|c| !c.is_empty())
                    .map(|c| toml::Value::String(c.into()))
                    .collect();
                out.push((table.clone(), "containers", toml::Value::Array(list)));
            }
            if let Some(v) = &s.projects {
                let list = v
                    .iter()
                    .map(|k| k.trim().to_uppercase())
                    .filter(|k| !k.is_empty())
                    .map(toml::Value::String)
                    .collect();
                out.push((table.clone(), "projects", toml::Value::Array(list)));
            }
        }
        let llm = t(&["llm"]);
        for (key, v) in [("provider", &self.llm_provider), ("model", &self.llm_model), ("base_url", &self.llm_base_url)]
        {
            if let Some(v) = v {
                out.push((llm.clone(), key, toml::Value::String(v.trim().to_string())));
            }
        }
        if let Some(v) = self.llm_offline {
            out.push((llm.clone(), "offline", toml::Value::Boolean(v)));
        }
        let desktop = t(&["desktop"]);
        if let Some(v) = &self.hotkey {
            out.push((desktop.clone(), "hotkey", toml::Value::String(v.trim().to_string())));
        }
        if let Some(v) = self.hotkey_enabled {
            out.push((desktop.clone(), "hotkey_enabled", toml::Value::Boolean(v)));
        }
        if let Some(v) = self.launch_at_login {
            out.push((desktop.clone(), "launch_at_login", toml::Value::Boolean(v)));
        }
        if let Some(v) = self.notifications {
            out.push((desktop.clone(), "notifications", toml::Value::Boolean(v)));
        }
        if let Some(v) = self.private_notifications {
            out.push((desktop.clone(), "private_notifications", toml::Value::Boolean(v)));
        }
        let brain = t(&["brain"]);
        if let Some(v) = &self.quiet_hours {
            out.push((brain.clone(), "quiet_hours", toml::Value::String(v.trim().to_string())));
        }
        if let Some(v) = self.notifications_per_hour {
            out.push((brain.clone(), "notifications_per_hour", toml::Value::Integer(i64::from(v.max(1)))));
        }
        if let Some(v) = &self.briefing_at {
            out.push((brain.clone(), "briefing_at", toml::Value::String(v.trim().to_string())));
        }
        if let Some(v) = &self.notify {
            let list = v.iter().map(|s| toml::Value::String(s.trim().to_string())).collect();
            out.push((brain, "notify", toml::Value::Array(list)));
        }
        if let Some(v) = &self.capture_exclude {
            let list = v
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_string()))
                .collect();
            out.push((desktop, "capture_exclude", toml::Value::Array(list)));
        }
        Ok(out)
    }
}

/// Applies `patch` to `home/chief.toml` in place, keeping comments and other keys;
/// returns the new configuration. An invalid result is rolled back and reported.
pub fn apply_patch(home: &Path, patch: &SettingsPatch, env: &[(String, String)]) -> Result<Config, EngineError> {
    let path = Config::path_in(home);
    let before = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(EngineError::Home { path, source }),
    };
    let mut doc: toml_edit::Document = before.parse().map_err(|e: toml_edit::TomlError| {
        EngineError::Config(ConfigError::Invalid { path: path.clone(), message: e.to_string() })
    })?;
    for (tables, key, value) in patch.edits()? {
        let mut item = doc.as_item_mut();
        for name in &tables {
            if item.get(name).is_none() {
                item[name.as_str()] = toml_edit::table();
            }
            item = &mut item[name.as_str()];
        }
        item[key] = toml_edit::value(to_edit(&value));
    }
    let after = doc.to_string();
    // Written beside and renamed over: a crash mid-write never leaves half a chief.toml.
    let write = |text: &str| {
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, text)
            .map(|()| crate::privacy::private_file(&tmp))
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|source| EngineError::Home { path: path.clone(), source })
    };
    write(&after)?;
    match Config::load(home, env.to_vec()) {
        Ok(c) => Ok(c),
        Err(e) => {
            write(&before)?;
            Err(EngineError::Config(e))
        }
    }
}

fn to_edit(v: &toml::Value) -> toml_edit::Value {
    match v {
        toml::Value::String(s) => s.as_str().into(),
        toml::Value::Integer(i) => (*i).into(),
        toml::Value::Boolean(b) => (*b).into(),
        toml::Value::Float(f) => (*f).into(),
        toml::Value::Array(a) => a.iter().map(to_edit).collect::<toml_edit::Array>().into(),
        other => other.to_string().as_str().into(),
    }
}

impl Engine {
    /// The settings as the desktop shows them.
    pub fn settings(&self, env: &[(String, String)]) -> Result<SettingsView, EngineError> {
        let mut notes = Vec::new();
        let statuses = self.store().source_statuses()?;
        let mut sources = Vec::new();
        let config = self.config();
        for name in LiveSource::ALL {
            let cfg = name.config(&config);
            let token = match Self::source_token(env, name.as_str()) {
                // Google's grant is a refresh token, not a token of its own.
                Err(EngineError::NotConnected { .. }) if name == LiveSource::Google => {
                    crate::sync::google_grant_stored().map_err(EngineError::Secret)
                }
                other => other.map(|_| true),
            };
            let connected = match token {
                Ok(c) => c,
                Err(EngineError::Secret(e)) => {
                    notes.push(e.to_string());
                    false
                }
                Err(_) => false,
            };
            let st = statuses.iter().find(|s| s.source == name.as_str());
            sources.push(SourceSettings {
                name: name.to_string(),
                enabled: cfg.enabled,
                connected,
                keep_days: cfg.keep_days,
                live: cfg.live,
                state: st.map(|s| s.state).unwrap_or_default(),
                message: st.map(|s| s.message.clone()).unwrap_or_default(),
                account: st.map(|s| s.account.clone()).unwrap_or_default(),
                last_success: st.and_then(|s| s.last_success).map(|t| t.to_rfc3339()),
                api_base: cfg.api_base.clone(),
                email: cfg.email.clone(),
                projects: cfg.projects.clone(),
                client_id: cfg.client_id.clone(),
                calendars: if name == LiveSource::Google { cfg.containers.clone() } else { Vec::new() },
            });
        }
        let llm = &config.llm;
        let key_stored = match crate::llm_key_entry(&config, None) {
            Ok((_, entry)) => match secrets::get(&entry) {
                Ok(k) => k.is_some(),
                Err(e) => {
                    notes.push(e.to_string());
                    false
                }
            },
            Err(_) => false,
        } || env.iter().any(|(k, _)| k == "CHIEF_LLM_API_KEY");
        notes.dedup();
        Ok(SettingsView {
            sources,
            llm: LlmSettings {
                provider: llm.provider.clone(),
                model: llm.model.clone(),
                base_url: llm.base_url.clone(),
                offline: llm.offline,
                key_stored,
            },
            desktop: config.desktop.clone(),
            notifications: NotificationSettings {
                quiet_hours: config.brain.quiet_hours.clone(),
                per_hour: config.brain.notifications_per_hour,
                kinds: config.brain.notify.clone(),
                briefing_at: config.brain.briefing_at.clone(),
            },
            notes,
        })
    }

    /// Applies an edit to `chief.toml` and to this engine's configuration.
    pub fn update_settings(
        &self,
        patch: &SettingsPatch,
        env: &[(String, String)],
    ) -> Result<SettingsView, EngineError> {
        let config = apply_patch(self.home(), patch, env)?;
        {
            // What can change while running: sources, the LLM chain, the desktop settings.
            let mut current = self.config.write().unwrap_or_else(|p| p.into_inner());
            current.sources = config.sources;
            current.llm = config.llm;
            current.desktop = config.desktop;
        }
        if patch.source.is_some() {
            self.sources_changed();
        }
        self.settings(env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_keep_comments_and_other_keys_and_unknown_sources_write_nothing() {
        let home = tempfile::tempdir().unwrap();
        let path = Config::path_in(home.path());
        std::fs::write(&path, "# my settings\n[sources.slack]\napi_base = \"http://127.0.0.1:9\" # local mock\n")
            .unwrap();
        let patch = SettingsPatch {
            source: Some(SourcePatch {
                name: "slack".into(),
                keep_days: Some(30),
                live: Some(true),
                enabled: Some(true),
                ..SourcePatch::default()
            }),
            hotkey: Some(" Ctrl+Alt+K ".into()),
            capture_exclude: Some(vec!["Vault".into(), "  ".into()]),
            llm_offline: Some(true),
            ..SettingsPatch::default()
        };
        let c = apply_patch(home.path(), &patch, &[]).unwrap();
        assert_eq!((c.sources.slack.keep_days, c.sources.slack.live, c.sources.slack.enabled), (30, true, true));
        assert_eq!(c.sources.slack.api_base, "http://127.0.0.1:9");
        assert_eq!(c.desktop.hotkey, "Ctrl+Alt+K");
        assert_eq!(c.desktop.capture_exclude, vec!["Vault".to_string()]);
        assert!(c.llm.offline);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# my settings") && text.contains("# local mock"), "{text}");

        let bad = SettingsPatch {
            source: Some(SourcePatch { name: "myspace".into(), keep_days: Some(1), ..SourcePatch::default() }),
            ..SettingsPatch::default()
        };
        let err = apply_patch(home.path(), &bad, &[]).unwrap_err();
        assert!(err.to_string().contains("myspace"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "nothing written");
    }
}
