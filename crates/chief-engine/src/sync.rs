//! Live sync through the connectors: building them from the configuration and the
//! credentials, running them once or in the background, and connecting a source
//! (token checked against the API, scopes reported, stored in the keychain).

use std::sync::Arc;
use std::time::Duration;

use chief_sources::connector::{Connector, ConnectorError, Progress, SourceReport, SyncOptions};
use chief_sources::github_sync::{GithubApi, GithubConnector};
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
}

impl LiveSource {
    /// Every live source.
    pub const ALL: [LiveSource; 3] = [LiveSource::Slack, LiveSource::Github, LiveSource::Jira];

    /// The source's name in commands, config and status.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveSource::Slack => "slack",
            LiveSource::Github => "github",
            LiveSource::Jira => "jira",
        }
    }

    /// The scopes Chief's sync needs from a token.
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            LiveSource::Slack => chief_sources::SLACK_SCOPES,
            LiveSource::Github => chief_sources::GITHUB_SCOPES,
            // An API token acts with the account's own permissions: nothing to grant.
            LiveSource::Jira => &[],
        }
    }

    /// The source's section of the configuration.
    pub fn config(self, config: &Config) -> &SourceConfig {
        match self {
            LiveSource::Slack => &config.sources.slack,
            LiveSource::Github => &config.sources.github,
            LiveSource::Jira => &config.sources.jira,
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
        }
    }

    /// The jobs for `sources` (empty: the enabled ones) and the sources that could not
    /// run (no token).
    fn jobs(&self, req: &SyncRequest, env: &[(String, String)]) -> Result<(Vec<Job>, Vec<SourceOutcome>), EngineError> {
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
        let mut jobs = Vec::new();
        let mut missing = Vec::new();
        for name in names {
            let cfg = name.config(&config);
            if name == LiveSource::Jira && (cfg.api_base.trim().is_empty() || cfg.email.trim().is_empty()) {
                missing.push(SourceOutcome {
                    source: name.to_string(),
                    state: SourceState::NotConnected,
                    message: "Jira needs its site and your email: run `chief connect jira --site https://YOUR-SITE.atlassian.net --email YOU@COMPANY.COM` (the API token on standard input)".into(),
                    report: None,
                });
                continue;
            }
            let token = match Self::source_token(env, name.as_str()) {
                Ok(t) => t,
                Err(e) => {
                    missing.push(SourceOutcome {
                        source: name.to_string(),
                        state: SourceState::NotConnected,
                        message: e.to_string(),
                        report: None,
                    });
                    continue;
                }
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

    /// Runs the enabled sources in the background until `stop` turns true.
    pub fn sync_forever(
        &self,
        env: &[(String, String)],
        progress: Progress,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), EngineError> {
        let (jobs, missing) = self.jobs(&SyncRequest::default(), env)?;
        for m in missing {
            tracing::warn!(source = %m.source, "{}", m.message);
        }
        let scheduler = Scheduler::new(self.home.db(), jobs);
        let retriever = &self.retriever;
        self.block_on(async {
            let mut stop2 = stop.clone();
            let ticker = async {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => retriever.nudge(),
                        _ = stop2.changed() => return,
                    }
                }
            };
            tokio::join!(scheduler.run_forever(&progress, stop), ticker);
        })?;
        Ok(())
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
                let api = JiraApi::new(&site, &email, token);
                let me = self.block_on(api.myself())?.map_err(|e| EngineError::Sync(ConnectorError::from(e)))?;
                let name = me["displayName"].as_str().unwrap_or("");
                (format!("{name} <{email}>"), Vec::new())
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
            secrets::set(&format!("{source}:token"), token)?;
            // A connected source syncs from now on; Jira's site and email go with its token.
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
            // A reconnected source is no longer paused.
            let mut st = self.store();
            if let Some(mut status) = st.source_status(source.as_str())?
                && status.state == SourceState::Paused
            {
                status.state = SourceState::Ok;
                status.message = "reconnected".into();
                let w = st.writer()?;
                w.set_source_status(&status)?;
                w.commit()?;
            }
            "keychain".to_string()
        } else {
            "not stored".to_string()
        };
        Ok(ConnectReport { source: source.to_string(), identity, granted, missing, stored })
    }
}

impl Engine {
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
