//! Live sync through the connectors: building them from the configuration and the
//! credentials, running them once or in the background, and connecting a source
//! (token checked against the API, scopes reported, stored in the keychain).

use std::sync::Arc;
use std::time::Duration;

use chief_sources::connector::{Connector, ConnectorError, Progress, SourceReport, SyncOptions};
use chief_sources::github_sync::{GithubApi, GithubConnector};
use chief_sources::google_auth::{Credentials, OAuthClient, RefreshStore, TokenSource};
use chief_sources::google_sync::{GoogleApi, GoogleConnector, GoogleScope};
use chief_sources::jira_sync::{JiraApi, JiraConnector};
use chief_sources::scheduler::{Job, Scheduler};
use chief_sources::slack_sync::{SlackApi, SlackConnector};
use chief_store::SourceState;
use serde::{Deserialize, Serialize};

use crate::{Config, Engine, EngineError, SourceConfig, secrets};

pub use chief_sources::SLACK_MANIFEST;

/// A source with a live connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LiveSource {
    Slack,
    Github,
    Jira,
    Google,
}

impl LiveSource {
    /// Every live source.
    pub const ALL: [LiveSource; 4] = [LiveSource::Slack, LiveSource::Github, LiveSource::Jira, LiveSource::Google];

    /// The source's name in commands, config and status.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveSource::Slack => "slack",
            LiveSource::Github => "github",
            LiveSource::Jira => "jira",
            LiveSource::Google => "google",
        }
    }

    /// The scopes Chief's sync needs from a token.
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            LiveSource::Slack => chief_sources::SLACK_SCOPES,
            LiveSource::Github => chief_sources::GITHUB_SCOPES,
            // An API token acts with the account's own permissions: nothing to grant.
            LiveSource::Jira => &[],
            LiveSource::Google => chief_sources::google_auth::SCOPES,
        }
    }

    /// The source's section of the configuration.
    pub fn config(self, config: &Config) -> &SourceConfig {
        match self {
            LiveSource::Slack => &config.sources.slack,
            LiveSource::Github => &config.sources.github,
            LiveSource::Jira => &config.sources.jira,
            LiveSource::Google => &config.sources.google,
        }
    }
}

impl std::str::FromStr for LiveSource {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<LiveSource, EngineError> {
        LiveSource::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| {
            let live: Vec<&str> = LiveSource::ALL.iter().map(|x| x.as_str()).collect();
            EngineError::InvalidInput(format!("no live connector for {s:?}; live sources: {}", live.join(", ")))
        })
    }
}

impl std::fmt::Display for LiveSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where and as whom to sync one source, given explicitly rather than by the
/// configuration and the keychain (a mock API for the demo, tests and benchmarks).
#[derive(Debug, Clone)]
pub struct SyncEndpoint {
    pub source: LiveSource,
    pub api_base: String,
    pub token: String,
    /// Slack: the workspace's web root for links.
    pub web_base: Option<String>,
    /// GitHub: the repositories to sync (empty: discovered); Jira: project keys
    /// (empty: every project the user can browse).
    pub containers: Vec<String>,
    /// Jira: the account email that goes with the token (Basic auth).
    pub account: String,
    /// Google: with an empty `token`, access tokens are refreshed through this client
    /// from the refresh token in the keychain.
    pub oauth: Option<OAuthClient>,
    /// Google: what to sync.
    pub google: GoogleScope,
}

/// The keychain entry of Google's refresh token.
const GOOGLE_REFRESH: &str = "google:refresh_token";
/// The keychain entry of the Google OAuth client's secret.
const GOOGLE_CLIENT_SECRET: &str = "google:client_secret";

/// Whether a Google grant (refresh token) is in the keychain.
pub(crate) fn google_grant_stored() -> Result<bool, crate::secrets::SecretError> {
    Ok(secrets::get(GOOGLE_REFRESH)?.is_some())
}

/// Google's refresh token in the OS keychain.
struct KeychainRefresh;

impl RefreshStore for KeychainRefresh {
    fn load(&self) -> Result<Option<String>, String> {
        secrets::get(GOOGLE_REFRESH).map_err(|e| e.to_string())
    }
    fn save(&self, token: &str) -> Result<(), String> {
        secrets::set(GOOGLE_REFRESH, token).map_err(|e| e.to_string())
    }
}

/// The configured OAuth client (its secret from `CHIEF_GOOGLE_CLIENT_SECRET` or the keychain).
fn google_client(cfg: &SourceConfig, env: &[(String, String)]) -> Result<OAuthClient, EngineError> {
    if cfg.client_id.trim().is_empty() {
        return Err(EngineError::InvalidInput(
            "Google needs an OAuth client: create a \"Desktop app\" client in your Google Cloud project, then `chief connect google --client-id ID` with its secret on standard input".into(),
        ));
    }
    let secret = match env.iter().find(|(k, _)| k == "CHIEF_GOOGLE_CLIENT_SECRET") {
        Some((_, v)) => Some(v.clone()),
        None => secrets::get(GOOGLE_CLIENT_SECRET)?,
    };
    Ok(OAuthClient {
        client_id: cfg.client_id.trim().to_string(),
        client_secret: secret.filter(|s| !s.trim().is_empty()),
        auth_url: cfg.auth_url.clone(),
        token_url: cfg.token_url.clone(),
    })
}

fn google_scope(cfg: &SourceConfig) -> GoogleScope {
    GoogleScope { calendars: cfg.containers.clone(), calendar: true, drive: cfg.drive, gmail_days: cfg.gmail_days }
}

/// What `chief sync` should do.
#[derive(Debug, Clone, Default)]
pub struct SyncRequest {
    /// Sources to run; empty: every enabled source.
    pub sources: Vec<LiveSource>,
    /// List every id to find deletions now (otherwise weekly).
    pub reconcile: bool,
    /// Ignore a parked source's resume time.
    pub force: bool,
}

/// One source's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct SourceOutcome {
    pub source: String,
    /// `ok`, `paused` (credentials), `parked` (rate limit), `failed`, `not_connected`.
    pub state: SourceState,
    pub message: String,
    pub report: Option<SourceReport>,
}

/// Where and as whom `chief connect` checks a token; absent fields come from `chief.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConnectTarget {
    /// Jira: the site (`https://acme.atlassian.net`).
    pub api_base: Option<String>,
    /// Jira: the account's email.
    pub email: Option<String>,
}

/// The result of `chief connect`.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectReport {
    pub source: String,
    /// Who the token is (`team/user` on Slack, the login on GitHub).
    pub identity: String,
    pub granted: Vec<String>,
    pub missing: Vec<String>,
    /// Where the token went (`keychain`, or `not stored` for a dry run).
    pub stored: String,
}

/// A source that could not run for want of a token or settings, with what to do.
fn not_connected(source: LiveSource, message: impl Into<String>) -> SourceOutcome {
    SourceOutcome {
        source: source.to_string(),
        state: SourceState::NotConnected,
        message: message.into(),
        report: None,
    }
}

fn outcome(source: &str, result: Result<SourceReport, ConnectorError>) -> SourceOutcome {
    let (state, message, report) = match result {
        Ok(r) => (SourceState::Ok, String::new(), Some(r)),
        Err(ConnectorError::Auth(m)) => (SourceState::Paused, m, None),
        Err(ConnectorError::Parked { message, .. }) => (SourceState::Parked, message, None),
        Err(e) => (SourceState::Failed, e.to_string(), None),
    };
    SourceOutcome { source: source.to_string(), state, message, report }
}

impl Engine {
    fn options_for(&self, cfg: &SourceConfig, reconcile: bool, live: bool) -> SyncOptions {
        SyncOptions {
            keep_days: (cfg.keep_days > 0).then_some(cfg.keep_days),
            live,
            reconcile,
            now: self.now(),
            clock: self.clock(),
            ..SyncOptions::default()
        }
    }

    fn connector(ep: &SyncEndpoint) -> Arc<dyn Connector> {
        match ep.source {
            LiveSource::Slack => {
                Arc::new(SlackConnector::new(SlackApi::new(&ep.api_base, &ep.token), ep.web_base.clone()))
            }
            LiveSource::Github => {
                Arc::new(GithubConnector::new(GithubApi::new(&ep.api_base, &ep.token), ep.containers.clone()))
            }
            LiveSource::Jira => Arc::new(JiraConnector::new(
                JiraApi::new(&ep.api_base, &ep.account, &ep.token),
                ep.containers.clone(),
                ep.web_base.clone(),
            )),
            LiveSource::Google => {
                let creds = match (&ep.oauth, ep.token.is_empty()) {
                    (Some(client), true) => {
                        Credentials::Refresh { client: client.clone(), store: Arc::new(KeychainRefresh) }
                    }
                    _ => Credentials::Access(ep.token.clone()),
                };
                Arc::new(GoogleConnector::new(GoogleApi::new(&ep.api_base, TokenSource::new(creds)), ep.google.clone()))
            }
        }
    }

    /// A source's token: from the environment, else the keychain; empty for Google
    /// with no access token given, whose stored grant is refreshed instead.
    fn credentials(env: &[(String, String)], name: LiveSource) -> Result<String, EngineError> {
        match Self::source_token(env, name.as_str()) {
            Err(EngineError::NotConnected { .. })
                if name == LiveSource::Google && secrets::get(GOOGLE_REFRESH).ok().flatten().is_some() =>
            {
                Ok(String::new())
            }
            other => other,
        }
    }

    /// The sources `req` names, else the enabled ones; an error that says what to do
    /// when there are none.
    fn sources_to_sync(&self, req: &SyncRequest) -> Result<Vec<LiveSource>, EngineError> {
        let config = self.config();
        let names: Vec<LiveSource> = if req.sources.is_empty() {
            LiveSource::ALL.into_iter().filter(|s| s.config(&config).enabled).collect()
        } else {
            req.sources.clone()
        };
        if names.is_empty() {
            return Err(EngineError::InvalidInput(
                "no source to sync: name one (`chief sync slack`) or enable it in chief.toml ([sources.slack] enabled = true) after `chief connect slack`".into(),
            ));
        }
        Ok(names)
    }

    /// The jobs for `sources` (empty: the enabled ones) and the sources that could not
    /// run (no token).
    fn jobs(&self, req: &SyncRequest, env: &[(String, String)]) -> Result<(Vec<Job>, Vec<SourceOutcome>), EngineError> {
        let names = self.sources_to_sync(req)?;
        let config = self.config();
        let mut jobs = Vec::new();
        let mut missing = Vec::new();
        for name in names {
            let cfg = name.config(&config);
            if name == LiveSource::Jira && (cfg.api_base.trim().is_empty() || cfg.email.trim().is_empty()) {
                missing.push(not_connected(name, "Jira needs its site and your email: run `chief connect jira --site https://YOUR-SITE.atlassian.net --email YOU@COMPANY.COM` (the API token on standard input)"));
                continue;
            }
            let token = match Self::credentials(env, name) {
                Ok(t) => t,
                Err(e) => {
                    missing.push(not_connected(name, e.to_string()));
                    continue;
                }
            };
            let oauth = match (name == LiveSource::Google && token.is_empty()).then(|| google_client(cfg, env)) {
                Some(Err(e)) => {
                    missing.push(not_connected(name, e.to_string()));
                    continue;
                }
                Some(Ok(c)) => Some(c),
                None => None,
            };
            let ep = SyncEndpoint {
                source: name,
                api_base: cfg.api_base.clone(),
                token,
                web_base: (!cfg.web_base.is_empty()).then(|| cfg.web_base.clone()),
                containers: if name == LiveSource::Jira && !cfg.projects.is_empty() {
                    cfg.projects.clone()
                } else {
                    cfg.containers.clone()
                },
                account: cfg.email.trim().to_string(),
                oauth,
                google: google_scope(cfg),
            };
            jobs.push(Job {
                connector: Self::connector(&ep),
                options: self.options_for(cfg, req.reconcile, name == LiveSource::Slack && cfg.live),
                interval: Duration::from_secs(u64::from(cfg.interval_minutes.max(1)) * 60),
            });
        }
        Ok((jobs, missing))
    }

    /// Syncs each source once from the given endpoints (not the configured ones), with
    /// the configured retention; for the demo's mock API, tests and benchmarks.
    pub fn sync_at(&self, endpoints: &[SyncEndpoint], progress: Progress) -> Result<Vec<SourceOutcome>, EngineError> {
        let config = self.config();
        let jobs = endpoints
            .iter()
            .map(|ep| Job {
                connector: Self::connector(ep),
                options: self.options_for(ep.source.config(&config), false, false),
                interval: Duration::from_secs(600),
            })
            .collect();
        let scheduler = Scheduler::new(self.home.db(), jobs);
        let results = self.block_on(scheduler.run_once(&progress, true))?;
        self.nudge();
        Ok(results.into_iter().map(|o| outcome(&o.source, o.result)).collect())
    }

    /// Runs the requested sources once, concurrently. One source failing (a revoked
    /// token, a parked rate limit) does not stop the others; each outcome is also in
    /// `chief status`.
    pub fn sync(
        &self,
        req: &SyncRequest,
        env: &[(String, String)],
        progress: Progress,
    ) -> Result<Vec<SourceOutcome>, EngineError> {
        let (jobs, mut out) = self.jobs(req, env)?;
        let scheduler = Scheduler::new(self.home.db(), jobs);
        let results = self.block_on(scheduler.run_once(&progress, req.force))?;
        self.nudge();
        out.extend(results.into_iter().map(|o| outcome(&o.source, o.result)));
        out.sort_by(|a, b| a.source.cmp(&b.source));
        Ok(out)
    }

    /// Runs the enabled sources in the background until `stop` turns true (see
    /// [`Engine::sync_in_background`]); fails at once when no source is enabled, as
    /// `chief sync --watch` then has nothing to do.
    pub fn sync_forever(
        &self,
        env: &[(String, String)],
        progress: Progress,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), EngineError> {
        self.sources_to_sync(&SyncRequest::default())?;
        self.sync_in_background(env, progress, stop)
    }

    /// Runs the enabled sources in the background until `stop` turns true, each on
    /// its interval. When the sources change it starts over with the new set: one
    /// connected or reconnected (through this engine, or by `chief connect` in
    /// another process), enabled or disabled. With no source to sync it waits for one.
    pub fn sync_in_background(
        &self,
        env: &[(String, String)],
        progress: Progress,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), EngineError> {
        let mut changed = self.sources_changed.subscribe();
        loop {
            let (jobs, missing) = match self.jobs(&SyncRequest::default(), env) {
                Ok(found) => found,
                // No source enabled.
                Err(EngineError::InvalidInput(m)) => {
                    tracing::info!("{m}");
                    (Vec::new(), Vec::new())
                }
                Err(e) => return Err(e),
            };
            for m in missing {
                tracing::warn!(source = %m.source, "{}", m.message);
            }
            let mut seen = self.sources_seen();
            let scheduler = Scheduler::new(self.home.db(), jobs);
            let (end_round, round) = tokio::sync::watch::channel(false);
            let retriever = &self.retriever;
            let again = self.block_on(async {
                let mut stop = stop.clone();
                let watcher = async {
                    let mut ticks = 0u64;
                    let again = loop {
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_secs(1)) => retriever.nudge(),
                            _ = changed.changed() => break true,
                            r = stop.changed() => if r.is_err() || *stop.borrow() { break false },
                        }
                        ticks += 1;
                        if ticks.is_multiple_of(SOURCES_CHECK_SECS) && self.sources_changed_elsewhere(&mut seen, env) {
                            break true;
                        }
                    };
                    // The sources' runs in flight finish first; their cursors are kept.
                    let _ = end_round.send(true);
                    again
                };
                tokio::join!(scheduler.run_forever(&progress, round), watcher).1
            })?;
            if !again || *stop.borrow() {
                return Ok(());
            }
            tracing::info!("sources changed: background sync starts over with them");
        }
    }

    /// Tells background sync that the sources changed.
    pub(crate) fn sources_changed(&self) {
        self.sources_changed.send_modify(|n| *n += 1);
    }

    /// What another process can change about the sources: `chief.toml` (its time),
    /// which sources are paused, and how many connects there were.
    fn sources_seen(&self) -> SourcesSeen {
        let store = self.store();
        let paused = store
            .source_statuses()
            .map(|all| all.into_iter().filter(|s| s.state == SourceState::Paused).map(|s| s.source).collect())
            .unwrap_or_default();
        let connects = store.agent_state(CONNECTS).ok().flatten().map_or(0, |(n, _)| n);
        SourcesSeen { toml: modified(&Config::path_in(self.home())), paused, connects }
    }

    /// Did another process connect, reconnect, enable or disable a source since
    /// `seen` (which becomes now)? A changed `chief.toml` is read again for its sources.
    fn sources_changed_elsewhere(&self, seen: &mut SourcesSeen, env: &[(String, String)]) -> bool {
        let now = self.sources_seen();
        // A source paused since is seen from now on, so its reconnect is noticed too.
        let reconnected = seen.paused.iter().any(|s| !now.paused.contains(s)) || now.connects != seen.connects;
        let mut edited = false;
        if now.toml != seen.toml {
            match Config::load(self.home(), env.to_vec()) {
                Ok(loaded) => {
                    let mut current = self.config.write().unwrap_or_else(|p| p.into_inner());
                    edited = current.sources != loaded.sources;
                    current.sources = loaded.sources;
                }
                Err(e) => tracing::warn!("chief.toml changed but cannot be read; sync goes on as it was: {e}"),
            }
        }
        *seen = now;
        reconnected || edited
    }

    /// Checks a token against the source's API, reports missing scopes and stores it
    /// in the OS keychain (unless `store` is false).
    pub fn connect(&self, source: LiveSource, token: &str, store: bool) -> Result<ConnectReport, EngineError> {
        self.connect_with(source, token, &ConnectTarget::default(), store)
    }

    /// [`Engine::connect`] with where and as whom (Jira: the site and the account's
    /// email, saved to `chief.toml` once the token is accepted).
    pub fn connect_with(
        &self,
        source: LiveSource,
        token: &str,
        target: &ConnectTarget,
        store: bool,
    ) -> Result<ConnectReport, EngineError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(EngineError::InvalidInput(format!("empty token; paste the {source} token on standard input")));
        }
        let config = self.config();
        let cfg = source.config(&config);
        let pick = |given: &Option<String>, configured: &str| {
            given.as_deref().map(str::trim).filter(|v| !v.is_empty()).unwrap_or(configured.trim()).to_string()
        };
        let site = pick(&target.api_base, &cfg.api_base);
        let email = pick(&target.email, &cfg.email);
        let (identity, granted) = match source {
            LiveSource::Slack => {
                if !token.starts_with("xoxp-") && !token.starts_with("xoxe.xoxp-") {
                    tracing::warn!("Slack tokens of the Chief app start with xoxp- (a user token)");
                }
                let api = SlackApi::new(&cfg.api_base, token);
                let (me, scopes) =
                    self.block_on(api.auth_test())?.map_err(|e| EngineError::Sync(ConnectorError::from(e)))?;
                (format!("{}/{}", me["team"].as_str().unwrap_or(""), me["user"].as_str().unwrap_or("")), scopes)
            }
            LiveSource::Github => {
                let api = GithubApi::new(&cfg.api_base, token);
                let page = self
                    .block_on(api.get_page("/user", None))?
                    .map_err(|e| EngineError::Sync(ConnectorError::from(e)))?;
                let login = page.value.as_ref().and_then(|v| v["login"].as_str()).unwrap_or("").to_string();
                // Fine-grained tokens send no scope header; their access shows at sync time.
                let scopes = page
                    .scopes
                    .map(|s| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
                    .unwrap_or_default();
                (login, scopes)
            }
            LiveSource::Jira => {
                if site.is_empty() || email.is_empty() {
                    return Err(EngineError::InvalidInput(
                        "Jira needs its site and your email: `chief connect jira --site https://YOUR-SITE.atlassian.net --email YOU@COMPANY.COM`, with an API token from id.atlassian.com on standard input".into(),
                    ));
                }
                // The token goes with the very first request: never in clear text.
                if !crate::config::url_is_safe(&site) || !site.contains("://") {
                    return Err(EngineError::InvalidInput(format!(
                        "{site:?}: give the Jira site as an https:// address, like https://YOUR-SITE.atlassian.net"
                    )));
                }
                let api = JiraApi::new(&site, &email, token);
                let me = self.block_on(api.myself())?.map_err(|e| EngineError::Sync(ConnectorError::from(e)))?;
                let name = me["displayName"].as_str().unwrap_or("");
                (format!("{name} <{email}>"), Vec::new())
            }
            LiveSource::Google => {
                return Err(EngineError::InvalidInput(
                    "Google connects through your browser: run `chief connect google --client-id ID` with the OAuth client's secret on standard input".into(),
                ));
            }
        };
        let wanted = source.scopes();
        let missing: Vec<String> = if granted.is_empty() && source == LiveSource::Github {
            Vec::new()
        } else {
            wanted
                .iter()
                .filter(|w| !granted.iter().any(|g| g == *w || (**w == "read:org" && g == "admin:org")))
                .map(|s| s.to_string())
                .collect()
        };
        let stored = if store {
            // A connected source syncs from now on; Jira's site and email go with its token
            // (written first: a rejected edit stores no token).
            let jira = source == LiveSource::Jira && (site != cfg.api_base || email != cfg.email);
            if jira || !cfg.enabled {
                let patch = crate::SettingsPatch {
                    source: Some(crate::SourcePatch {
                        name: source.to_string(),
                        enabled: (!cfg.enabled).then_some(true),
                        api_base: jira.then(|| site.clone()),
                        email: jira.then(|| email.clone()),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                // The process's own environment, as the configuration was loaded with.
                let env: Vec<(String, String)> = std::env::vars().collect();
                self.update_settings(&patch, &env)?;
            }
            secrets::set(&format!("{source}:token"), token)?;
            self.mark_connected(source)?;
            "keychain".to_string()
        } else {
            "not stored".to_string()
        };
        Ok(ConnectReport { source: source.to_string(), identity, granted, missing, stored })
    }
}

impl Engine {
    /// Connects Google: `open` shows the consent page (the system browser), a loopback
    /// listener takes the code, the refresh token and the client's secret go to the
    /// keychain, the client id to `chief.toml`. Checked by reading the calendar list.
    pub fn connect_google(
        &self,
        client_id: Option<&str>,
        client_secret: &str,
        open: &(dyn Fn(&str) -> Result<(), String> + Sync),
        timeout: Duration,
    ) -> Result<ConnectReport, EngineError> {
        let config = self.config();
        let cfg = &config.sources.google;
        let client_id = client_id.map(str::trim).filter(|c| !c.is_empty()).unwrap_or(cfg.client_id.trim()).to_string();
        if client_id.is_empty() {
            return Err(EngineError::InvalidInput(
                "Google needs an OAuth client: create a \"Desktop app\" client in your Google Cloud project, then `chief connect google --client-id ID` with its secret on standard input".into(),
            ));
        }
        let secret = client_secret.trim();
        let client = OAuthClient {
            client_id: client_id.clone(),
            client_secret: (!secret.is_empty()).then(|| secret.to_string()),
            auth_url: cfg.auth_url.clone(),
            token_url: cfg.token_url.clone(),
        };
        let auth_err = |e: chief_sources::google_auth::AuthError| {
            EngineError::Sync(ConnectorError::from(chief_sources::google_sync::GoogleError::from(e)))
        };
        let grant = self.block_on(client.authorize(open, timeout))?.map_err(auth_err)?;
        let Some(refresh) = grant.refresh_token.clone() else {
            return Err(EngineError::InvalidInput(
                "Google granted no refresh token; remove Chief at https://myaccount.google.com/permissions and connect again".into(),
            ));
        };
        let api = GoogleApi::new(&cfg.api_base, TokenSource::new(Credentials::Access(grant.access_token.clone())));
        let list = self
            .block_on(api.get("/calendar/v3/users/me/calendarList", &[("maxResults", "250".to_string())]))?
            .map_err(|e| EngineError::Sync(ConnectorError::from(e)))?;
        let items = list["items"].as_array().cloned().unwrap_or_default();
        let identity = items
            .iter()
            .find(|c| c["primary"].as_bool() == Some(true))
            .and_then(|c| c["id"].as_str())
            .unwrap_or("your Google account")
            .to_string();
        secrets::set(GOOGLE_REFRESH, &refresh)?;
        if !secret.is_empty() {
            secrets::set(GOOGLE_CLIENT_SECRET, secret)?;
        }
        let patch = crate::SettingsPatch {
            source: Some(crate::SourcePatch {
                name: LiveSource::Google.to_string(),
                enabled: (!cfg.enabled).then_some(true),
                client_id: (client_id != cfg.client_id).then(|| client_id.clone()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let env: Vec<(String, String)> = std::env::vars().collect();
        self.update_settings(&patch, &env)?;
        self.mark_connected(LiveSource::Google)?;
        let calendars = items.iter().filter_map(|c| c["summary"].as_str()).collect::<Vec<_>>().join(", ");
        Ok(ConnectReport {
            source: LiveSource::Google.to_string(),
            identity: if calendars.is_empty() { identity } else { format!("{identity} (calendars: {calendars})") },
            granted: chief_sources::google_auth::SCOPES.iter().map(|s| s.to_string()).collect(),
            missing: Vec::new(),
            stored: "keychain".into(),
        })
    }

    /// A source was just connected or reconnected: it is no longer paused, its status
    /// says so, and its last attempt is cleared, so background sync runs it at once with
    /// the new credentials rather than on its interval. This process's loop is told
    /// through `sources_changed`; another process's sees the count of connects change
    /// (see [`Engine::sources_seen`]).
    fn mark_connected(&self, source: LiveSource) -> Result<(), EngineError> {
        let mut st = self.store();
        let mut status = st
            .source_status(source.as_str())?
            .unwrap_or_else(|| chief_store::SourceStatus { source: source.to_string(), ..Default::default() });
        // A failed run's message stays until the next run; a rejected token's goes.
        if matches!(status.state, SourceState::Paused | SourceState::Never) {
            let synced = status.last_success.is_some();
            status.state = if synced { SourceState::Ok } else { SourceState::Never };
            status.message = if synced { "reconnected" } else { "connected" }.into();
        }
        status.last_attempt = None;
        let connects = st.agent_state(CONNECTS)?.map_or(0, |(n, _)| n);
        let w = st.writer()?;
        w.set_source_status(&status)?;
        w.set_agent_state(CONNECTS, connects + 1, &serde_json::json!({"last": source.as_str()}))?;
        w.commit()?;
        drop(st);
        self.sources_changed();
        Ok(())
    }

    /// Slack live mode stores no text: fetches the current text of the shown item and
    /// its thread from Slack. Returns how many texts were filled in.
    pub fn fill_live_text(
        &self,
        detail: &mut crate::ItemDetail,
        env: &[(String, String)],
    ) -> Result<usize, EngineError> {
        let is_live = |s: &chief_store::StoredItem| {
            s.item.extra.get("live").and_then(serde_json::Value::as_bool) == Some(true) && !s.deleted
        };
        if !is_live(&detail.item) && !detail.thread.iter().any(is_live) {
            return Ok(0);
        }
        let cfg = self.config().sources.slack;
        let api = SlackApi::new(&cfg.api_base, &Self::source_token(env, "slack")?);
        let names = self.store().identity_names("slack")?;
        let web = (!cfg.web_base.is_empty()).then_some(cfg.web_base.as_str());
        let mut filled = 0;
        for s in std::iter::once(&mut detail.item).chain(detail.thread.iter_mut()).filter(|s| is_live(s)) {
            let Some((channel, ts)) = s.item.id.as_str().strip_prefix("slack:").and_then(|r| r.split_once(':')) else {
                continue;
            };
            let thread_ts = s.item.parent.as_ref().and_then(|p| p.as_str().rsplit(':').next().map(str::to_string));
            let text = self
                .block_on(chief_sources::slack_sync::fetch_text(&api, channel, ts, thread_ts.as_deref(), &names, web))?
                .map_err(|e| EngineError::Sync(ConnectorError::from(e)))?;
            if let Some(t) = text {
                s.item.body = t;
                filled += 1;
            }
        }
        Ok(filled)
    }
}

/// How often (seconds) background sync looks for sources changed by another process.
const SOURCES_CHECK_SECS: u64 = 15;

/// Where the home counts connects (a connect from any process bumps it, for the
/// background sync of every other to see); its position is the count.
const CONNECTS: &str = "sources.connects";

/// See [`Engine::sources_seen`].
struct SourcesSeen {
    toml: Option<std::time::SystemTime>,
    paused: Vec<String>,
    /// How many connects the home has seen (`CONNECTS`).
    connects: i64,
}

fn modified(path: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}
