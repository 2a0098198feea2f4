//! Configuration, layered: built-in defaults → `chief.toml` in the home → `CHIEF_*`
//! environment variables. The result is one typed [`Config`] passed explicitly; there
//! is no global state. Secrets never live here: tokens and API keys are in the OS
//! keychain (or `CHIEF_<SOURCE>_TOKEN` / `CHIEF_LLM_API_KEY` for headless use).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use chief_search::{EmbedConfig, Fusion, SearchConfig};

/// Errors reading configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}. Compare with chief.example.toml in the Chief repository")]
    Invalid { path: PathBuf, message: String },
    #[error("environment variable {var}={value:?}: {message}")]
    Env { var: String, value: String, message: String },
}

/// Who the user is in each source, so Chief can tell their own actions apart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MeConfig {
    pub name: String,
    pub email: String,
    pub slack_id: String,
    pub github_login: String,
    pub jira_account_id: String,
}

/// When the search index commits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexConfig {
    /// Commit after this many changed items.
    pub commit_every_items: usize,
    /// Commit pending changes after this many milliseconds.
    pub commit_every_ms: u64,
    /// Memory budget of the index writer, in MiB.
    pub writer_memory_mb: usize,
    /// Indexing threads.
    pub threads: usize,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig { commit_every_items: 50_000, commit_every_ms: 2_000, writer_memory_mb: 64, threads: 1 }
    }
}

/// One source's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourceConfig {
    pub enabled: bool,
    /// API root; point it at GitHub Enterprise, your Jira site, or a local mock server.
    pub api_base: String,
    /// Keep message bodies this many days (0 = forever).
    pub keep_days: u32,
    /// Web root used to build links (`https://<team>.slack.com`, your Jira site).
    pub web_base: String,
    /// What to sync: repositories (`owner/name`) for GitHub, calendar ids for Google;
    /// empty = the repositories of your recent activity, every calendar in your list.
    pub containers: Vec<String>,
    /// Jira: the account email that goes with the API token.
    pub email: String,
    /// Jira: project keys to sync; empty = every project you can browse that had
    /// activity in the window.
    pub projects: Vec<String>,
    /// Google: the OAuth client id (a "Desktop app" client of your Google Cloud
    /// project; its secret goes to the keychain with `chief connect google`).
    pub client_id: String,
    /// Google: the consent page and the token endpoint (a mock's, in tests).
    pub auth_url: String,
    pub token_url: String,
    /// Google: days of mail the first sync reads (0 = no Gmail).
    pub gmail_days: u32,
    /// Google: sync Drive (Docs and their comment threads).
    pub drive: bool,
    /// Slack live mode: keep ids, permalinks and derived signals only; text is fetched
    /// when shown.
    pub live: bool,
    /// Background sync interval in minutes.
    pub interval_minutes: u32,
}

impl SourceConfig {
    fn with_base(api_base: &str) -> Self {
        SourceConfig {
            enabled: false,
            api_base: api_base.into(),
            keep_days: 0,
            web_base: String::new(),
            containers: Vec::new(),
            email: String::new(),
            projects: Vec::new(),
            client_id: String::new(),
            auth_url: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            token_url: "https://oauth2.googleapis.com/token".into(),
            gmail_days: 30,
            drive: true,
            live: false,
            interval_minutes: 10,
        }
    }
}

/// All sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcesConfig {
    pub slack: SourceConfig,
    pub github: SourceConfig,
    pub jira: SourceConfig,
    pub google: SourceConfig,
}

impl Default for SourcesConfig {
    fn default() -> Self {
        SourcesConfig {
            slack: SourceConfig::with_base("https://slack.com/api"),
            github: SourceConfig::with_base("https://api.github.com"),
            jira: SourceConfig::with_base(""),
            google: SourceConfig::with_base("https://www.googleapis.com"),
        }
    }
}

/// The LLM providers (used by the pipelines; `offline` turns every remote call off).
///
/// Either one provider in short form (`provider`, `model`, `base_url`), or a fallback
/// chain as `[[llm.providers]]` entries, tried in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// openai | azure | anthropic | openai-compatible | none
    pub provider: String,
    pub model: String,
    pub base_url: String,
    pub offline: bool,
    /// Cached answers expire after this many hours.
    pub cache_ttl_hours: u64,
    pub providers: Vec<chief_llm::ProviderConfig>,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            provider: "none".into(),
            model: String::new(),
            base_url: String::new(),
            offline: false,
            cache_ttl_hours: 168,
            providers: Vec::new(),
        }
    }
}

impl LlmConfig {
    /// The fallback chain: `[[llm.providers]]`, or the short form as one entry.
    pub fn chain(&self) -> Result<Vec<chief_llm::ProviderConfig>, ConfigError> {
        if !self.providers.is_empty() {
            return Ok(self.providers.clone());
        }
        let kind = match self.provider.as_str() {
            "none" | "" => return Ok(Vec::new()),
            "openai" => chief_llm::ProviderKind::Openai,
            "azure" => chief_llm::ProviderKind::Azure,
            "anthropic" => chief_llm::ProviderKind::Anthropic,
            "openai-compatible" | "ollama" | "llama.cpp" | "vllm" | "lmstudio" => {
                chief_llm::ProviderKind::OpenaiCompatible
            }
            other => {
                return Err(ConfigError::Env {
                    var: "[llm] provider".into(),
                    value: other.into(),
                    message: "expected openai, azure, anthropic, openai-compatible or none".into(),
                });
            }
        };
        let base_url = if !self.base_url.is_empty() {
            self.base_url.clone()
        } else {
            match kind {
                chief_llm::ProviderKind::Openai => "https://api.openai.com/v1".into(),
                chief_llm::ProviderKind::Anthropic => "https://api.anthropic.com".into(),
                _ => String::new(),
            }
        };
        Ok(vec![chief_llm::ProviderConfig {
            name: self.provider.clone(),
            kind,
            model: self.model.clone(),
            base_url,
            ..Default::default()
        }])
    }
}

/// The desktop app: the hotkey and what screen capture never reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DesktopConfig {
    /// The global hotkey; empty: Ctrl+Shift+O (Cmd+Shift+O on macOS).
    pub hotkey: String,
    /// Off: no global hotkey (the tray's Search still opens the popup).
    pub hotkey_enabled: bool,
    /// Windows whose title or class contains one of these (any case) are never captured.
    pub capture_exclude: Vec<String>,
    /// Start the desktop app when the user logs in.
    pub launch_at_login: bool,
    /// Tray notifications from the notifier (through the OS).
    pub notifications: bool,
    /// Notifications say only their kind, never message text (lock screens show them).
    pub private_notifications: bool,
    /// Seconds between the background rounds of the brain's agents.
    pub agents_every_secs: u64,
    /// The popup's window (and its WebKit process) is closed after this many seconds
    /// hidden and made again on the next hotkey, which then takes longer; 0 keeps it
    /// ready for good.
    pub popup_unload_after_secs: u64,
    /// Once the popup is closed so and no other window is open, the desktop app rests:
    /// a small process without windows (`chief-desktop-rest`) keeps the tray, the
    /// hotkey, sync and notifications, and the next lookup starts the windows again.
    pub rest_when_idle: bool,
}

impl Default for DesktopConfig {
    fn default() -> Self {
        DesktopConfig {
            hotkey: String::new(),
            hotkey_enabled: true,
            capture_exclude: ["1Password", "Bitwarden", "KeePassXC", "Keychain Access"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            launch_at_login: false,
            notifications: true,
            private_notifications: false,
            agents_every_secs: 60,
            popup_unload_after_secs: 1800,
            rest_when_idle: true,
        }
    }
}

/// Which implementation the brain's tasks use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BrainMode {
    /// Extractive and rule-based, no LLM (deterministic; what `--offline` forces).
    #[default]
    Local,
    /// The configured LLM writes the prose, through the same steps and guard.
    Llm,
}

/// The briefing and the interest graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrainConfig {
    pub mode: BrainMode,
    /// Half-life of the interest graph's weights, in days.
    pub half_life_days: f64,
    /// Stories in a briefing.
    pub stories: usize,
    /// Quiet hours, UTC, `HH:MM-HH:MM` (empty: none): notifications due then wait.
    pub quiet_hours: String,
    /// At most this many notifications go out in any hour; the rest wait their turn.
    pub notifications_per_hour: usize,
    /// The kinds that notify: question_to_me, review_requested, assigned_to_me,
    /// incident, meeting_soon (empty: none).
    pub notify: Vec<String>,
    /// When the app prepares today's briefing, UTC `HH:MM`; empty: an hour before the
    /// user's learned start.
    pub briefing_at: String,
    /// Derive propositions (short factoids: who is assigned what, what was merged or
    /// approved; with `mode = "llm"`, facts stated in messages) and search them with
    /// their items.
    pub propositions: bool,
    /// With `mode = "llm"`: at most this many messages go to the model for propositions
    /// per agent round (the rest wait for the next round).
    pub propositions_llm_per_round: usize,
}

impl Default for BrainConfig {
    fn default() -> Self {
        BrainConfig {
            mode: BrainMode::Local,
            half_life_days: 14.0,
            stories: 3,
            quiet_hours: "22:00-08:00".into(),
            notifications_per_hour: 4,
            notify: chief_brain::notify::NotificationKind::ALL.iter().map(|k| k.as_str().to_string()).collect(),
            briefing_at: String::new(),
            propositions: true,
            propositions_llm_per_round: 50,
        }
    }
}

/// Minutes after midnight of `HH:MM`.
fn hh_mm(t: &str) -> Option<u32> {
    let (h, m) = t.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

impl BrainConfig {
    /// `briefing_at` in minutes after midnight UTC; `None` when empty (learned start).
    pub fn briefing_at_min(&self) -> Result<Option<u32>, ConfigError> {
        match self.briefing_at.trim() {
            "" => Ok(None),
            t => hh_mm(t).map(Some).ok_or_else(|| ConfigError::Invalid {
                path: PathBuf::from("chief.toml"),
                message: format!("[brain] briefing_at: {t:?} is not HH:MM (e.g. \"07:30\"), or empty for an hour before you usually start"),
            }),
        }
    }

    /// False when `notify = []` turned every kind off.
    pub fn notifies(&self) -> bool {
        !self.notify.is_empty()
    }

    /// The notifier's rules from `[brain]`, or what to fix. With `notify = []` nothing
    /// notifies (the caller checks [`BrainConfig::notifies`]).
    pub fn notify_rules(&self) -> Result<chief_brain::notify::NotifyRules, ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            path: PathBuf::from("chief.toml"),
            message: format!("[brain] {key}: {message}"),
        };
        let mut rules =
            chief_brain::notify::NotifyRules { per_hour: self.notifications_per_hour.max(1), ..Default::default() };
        let (start, end) = match self.quiet_hours.trim() {
            "" => (0, 0),
            q => q.split_once('-').and_then(|(a, b)| Some((hh_mm(a)?, hh_mm(b)?))).ok_or_else(|| {
                invalid("quiet_hours", format!("{q:?} is not HH:MM-HH:MM (e.g. \"22:00-08:00\"), or empty for none"))
            })?,
        };
        (rules.quiet_start_min, rules.quiet_end_min) = (start, end);
        let mut kinds = Vec::new();
        for k in &self.notify {
            let kind = chief_brain::notify::NotificationKind::ALL.iter().find(|x| x.as_str() == k.trim()).ok_or_else(|| {
                invalid("notify", format!("unknown kind {k:?}; use question_to_me, review_requested, assigned_to_me, incident, meeting_soon"))
            })?;
            kinds.push(*kind);
        }
        rules.kinds = kinds;
        Ok(rules)
    }
}

/// Chief's configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub me: MeConfig,
    pub index: IndexConfig,
    pub embed: EmbedConfig,
    pub search: SearchConfig,
    pub sources: SourcesConfig,
    pub llm: LlmConfig,
    pub desktop: DesktopConfig,
    pub brain: BrainConfig,
}

/// Environment variables that are not configuration keys.
const NOT_CONFIG: &[&str] = &["CHIEF_HOME", "CHIEF_LOG", "CHIEF_LLM_API_KEY", "CHIEF_SHARED_DIR", "CHIEF_NOW"];

impl Config {
    /// The config file inside a home.
    pub fn path_in(home: &Path) -> PathBuf {
        home.join("chief.toml")
    }

    /// Loads defaults, then `home/chief.toml` if present, then `CHIEF_*` variables from `env`.
    pub fn load(home: &Path, env: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let path = Config::path_in(home);
        let mut tree = toml::Value::try_from(Config::default())
            .map_err(|e| ConfigError::Invalid { path: path.clone(), message: e.to_string() })?;
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let file: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError::Invalid {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                merge(&mut tree, toml::Value::Table(file));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(ConfigError::Read { path, source }),
        }
        // Validate the file on its own first so its errors name the file.
        let cfg: Config = tree
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid { path: path.clone(), message: e.to_string() })?;
        let _ = cfg;
        let mut env: Vec<(String, String)> = env.into_iter().filter(|(k, _)| k.starts_with("CHIEF_")).collect();
        env.sort();
        for (var, value) in env {
            if NOT_CONFIG.contains(&var.as_str()) || var.ends_with("_TOKEN") || var.ends_with("_API_KEY") {
                continue;
            }
            let segments: Vec<String> = var["CHIEF_".len()..].to_lowercase().split('_').map(str::to_string).collect();
            apply_env(&mut tree, &segments, &var, &value)?;
        }
        // The file alone was valid, so what fails now came from the environment.
        let cfg: Config = tree.try_into().map_err(|e: toml::de::Error| ConfigError::Env {
            var: "CHIEF_*".into(),
            value: String::new(),
            message: e.to_string(),
        })?;
        cfg.check_urls(&path)?;
        let at_path = |e: ConfigError| match e {
            ConfigError::Invalid { message, .. } => ConfigError::Invalid { path: path.clone(), message },
            other => other,
        };
        cfg.brain.notify_rules().map_err(at_path)?;
        cfg.brain.briefing_at_min().map_err(at_path)?;
        Ok(cfg)
    }

    /// API roots must be https (a token or key goes with every request); plain http
    /// only to this machine (local servers, mocks).
    fn check_urls(&self, path: &Path) -> Result<(), ConfigError> {
        let s = &self.sources;
        let mut urls: Vec<(String, &str)> = vec![
            ("[sources.slack] api_base".into(), s.slack.api_base.as_str()),
            ("[sources.github] api_base".into(), s.github.api_base.as_str()),
            ("[sources.jira] api_base".into(), s.jira.api_base.as_str()),
            ("[sources.google] api_base".into(), s.google.api_base.as_str()),
            ("[sources.google] auth_url".into(), s.google.auth_url.as_str()),
            ("[sources.google] token_url".into(), s.google.token_url.as_str()),
            ("[llm] base_url".into(), self.llm.base_url.as_str()),
        ];
        for p in &self.llm.providers {
            urls.push((format!("[[llm.providers]] {} base_url", p.name), p.base_url.as_str()));
        }
        for (key, url) in urls {
            if !url_is_safe(url) {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "{key} = {url:?}: use an https:// address (http:// only for this machine: 127.0.0.1 or localhost)"
                    ),
                });
            }
        }
        Ok(())
    }

    /// The config as commented-free TOML (what `chief config` prints).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// Whether credentials may go to `url`: https, or plain http to this machine only
/// (local servers, mocks). Empty is "not set", and safe.
pub fn url_is_safe(url: &str) -> bool {
    if url.is_empty() || url.starts_with("https://") {
        return true;
    }
    url.strip_prefix("http://").is_some_and(|rest| {
        let host = rest.split(['/', '?']).next().unwrap_or("");
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let name = if host.starts_with('[') {
            host.split(']').next().unwrap_or("").trim_start_matches('[')
        } else {
            host.split(':').next().unwrap_or("")
        };
        name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    })
}

fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Finds the key path for `CHIEF_SOURCES_GITHUB_API_BASE` by matching the longest
/// underscore-joined prefix at each level (keys such as `api_base` contain `_`).
fn apply_env(tree: &mut toml::Value, segs: &[String], var: &str, value: &str) -> Result<(), ConfigError> {
    let err = |message: String| ConfigError::Env { var: var.to_string(), value: value.to_string(), message };
    let toml::Value::Table(table) = tree else { return Err(err("not a configuration key".into())) };
    for take in (1..=segs.len()).rev() {
        let key = segs[..take].join("_");
        let Some(slot) = table.get_mut(&key) else { continue };
        if take == segs.len() {
            let parsed = match slot {
                toml::Value::Boolean(_) => match value.to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" | "on" => toml::Value::Boolean(true),
                    "0" | "false" | "no" | "off" | "" => toml::Value::Boolean(false),
                    _ => return Err(err("expected true or false".into())),
                },
                toml::Value::Integer(_) => {
                    toml::Value::Integer(value.parse().map_err(|_| err("expected a whole number".into()))?)
                }
                toml::Value::Float(_) => {
                    toml::Value::Float(value.parse().map_err(|_| err("expected a number".into()))?)
                }
                toml::Value::Table(_) => return Err(err("names a section, not a key".into())),
                // A list from the environment is comma-separated: `a/b,c/d`.
                toml::Value::Array(_) => toml::Value::Array(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(|v| toml::Value::String(v.to_string()))
                        .collect(),
                ),
                _ => toml::Value::String(value.to_string()),
            };
            *slot = parsed;
            return Ok(());
        }
        if slot.is_table() {
            return apply_env(slot, &segs[take..], var, value);
        }
    }
    // Unknown CHIEF_ variables are ignored with a note rather than failing startup.
    tracing::debug!(%var, "ignoring environment variable that names no configuration key");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn layers_defaults_file_and_env() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join("chief.toml"),
            "[sources.github]\nenabled = true\napi_base = \"http://127.0.0.1:4010\"\n[me]\nname = \"Maya\"\n",
        )
        .unwrap();
        let cfg = Config::load(
            home.path(),
            env(&[
                ("CHIEF_SOURCES_GITHUB_API_BASE", "http://127.0.0.1:9999"),
                ("CHIEF_LLM_OFFLINE", "true"),
                ("CHIEF_INDEX_THREADS", "2"),
                ("CHIEF_SEARCH_DENSE_WEIGHT", "1.5"),
                ("CHIEF_SOURCES_GITHUB_CONTAINERS", "acme/api, acme/web,"),
                ("CHIEF_GITHUB_TOKEN", "x"),
                ("PATH", "/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.search.dense_weight, 1.5);
        assert!(cfg.sources.github.enabled);
        assert_eq!(cfg.sources.github.api_base, "http://127.0.0.1:9999");
        assert_eq!(cfg.sources.github.containers, ["acme/api", "acme/web"]);
        assert_eq!(cfg.sources.slack.api_base, "https://slack.com/api");
        assert_eq!(cfg.me.name, "Maya");
        assert!(cfg.llm.offline);
        assert_eq!(cfg.index.threads, 2);
    }

    #[test]
    fn notification_rules_come_from_brain_and_bad_ones_name_the_key() {
        let home = tempfile::tempdir().unwrap();
        let rules = Config::load(home.path(), env(&[])).unwrap().brain.notify_rules().unwrap();
        assert_eq!((rules.quiet_start_min, rules.quiet_end_min, rules.per_hour), (22 * 60, 8 * 60, 4));
        assert_eq!(rules.kinds.len(), 5);
        let cfg = Config::load(
            home.path(),
            env(&[
                ("CHIEF_BRAIN_QUIET_HOURS", "21:30-07:15"),
                ("CHIEF_BRAIN_NOTIFICATIONS_PER_HOUR", "2"),
                ("CHIEF_BRAIN_NOTIFY", "meeting_soon,incident"),
            ]),
        )
        .unwrap();
        let rules = cfg.brain.notify_rules().unwrap();
        assert_eq!((rules.quiet_start_min, rules.quiet_end_min, rules.per_hour), (21 * 60 + 30, 7 * 60 + 15, 2));
        assert_eq!(rules.kinds.len(), 2);
        let none =
            Config::load(home.path(), env(&[("CHIEF_BRAIN_QUIET_HOURS", "")])).unwrap().brain.notify_rules().unwrap();
        assert_eq!(none.quiet_start_min, none.quiet_end_min, "no quiet hours");
        std::fs::write(home.path().join("chief.toml"), "[brain]\nquiet_hours = \"late\"\n").unwrap();
        let e = Config::load(home.path(), env(&[])).unwrap_err().to_string();
        assert!(e.contains("chief.toml") && e.contains("quiet_hours") && e.contains("HH:MM-HH:MM"), "{e}");
        std::fs::write(home.path().join("chief.toml"), "[brain]\nnotify = [\"gossip\"]\n").unwrap();
        let e = Config::load(home.path(), env(&[])).unwrap_err().to_string();
        assert!(e.contains("notify") && e.contains("gossip") && e.contains("question_to_me"), "{e}");
        std::fs::write(home.path().join("chief.toml"), "[brain]\nbriefing_at = \"soon\"\n").unwrap();
        let e = Config::load(home.path(), env(&[])).unwrap_err().to_string();
        assert!(e.contains("briefing_at") && e.contains("HH:MM"), "{e}");
        std::fs::write(home.path().join("chief.toml"), "[brain]\nbriefing_at = \"07:30\"\n").unwrap();
        assert_eq!(Config::load(home.path(), env(&[])).unwrap().brain.briefing_at_min().unwrap(), Some(450));
    }

    #[test]
    fn bad_files_and_values_name_what_to_fix() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("chief.toml"), "[sources.github]\napi_bse = \"x\"\n").unwrap();
        let e = Config::load(home.path(), env(&[])).unwrap_err().to_string();
        assert!(e.contains("chief.toml") && e.contains("api_bse"), "{e}");
        std::fs::write(home.path().join("chief.toml"), "[index\n").unwrap();
        assert!(Config::load(home.path(), env(&[])).unwrap_err().to_string().contains("chief.toml"));
        std::fs::remove_file(home.path().join("chief.toml")).unwrap();
        let e = Config::load(home.path(), env(&[("CHIEF_INDEX_THREADS", "many")])).unwrap_err().to_string();
        assert!(e.contains("CHIEF_INDEX_THREADS") && e.contains("whole number"), "{e}");
    }

    #[test]
    fn api_roots_must_be_https_except_on_this_machine() {
        let home = tempfile::tempdir().unwrap();
        for ok in ["https://slack.com/api", "http://127.0.0.1:4010", "http://localhost:8089/v1", "http://[::1]:9/x"] {
            std::fs::write(home.path().join("chief.toml"), format!("[sources.slack]\napi_base = {ok:?}\n")).unwrap();
            Config::load(home.path(), env(&[])).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in
            ["http://evil.example/api", "ftp://slack.com", "http://127.0.0.1.evil.example", "http://user@evil.example"]
        {
            std::fs::write(home.path().join("chief.toml"), format!("[sources.slack]\napi_base = {bad:?}\n")).unwrap();
            let e = Config::load(home.path(), env(&[])).unwrap_err().to_string();
            assert!(e.contains("https://"), "{bad}: {e}");
        }
        std::fs::remove_file(home.path().join("chief.toml")).unwrap();
        let e = Config::load(home.path(), env(&[("CHIEF_LLM_BASE_URL", "http://10.0.0.5/v1")])).unwrap_err();
        assert!(e.to_string().contains("[llm] base_url"), "{e}");
    }

    #[test]
    fn the_example_config_parses_and_is_complete() {
        let example =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../chief.example.toml")).unwrap();
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("chief.toml"), &example).unwrap();
        Config::load(home.path(), env(&[])).unwrap();
    }
}
