//! Live sync through the connectors: building them from the configuration and the
//! credentials, running them once or in the background, connecting a source (token
//! checked against the API, scopes reported, stored in the keychain), and the demo
//! workspace served by a local mock API so `chief demo` exercises the same path.

use std::sync::Arc;
use std::time::Duration;

use chief_sources::connector::{Connector, ConnectorError, Progress, SourceReport, SyncOptions};
use chief_sources::github_sync::{GithubApi, GithubConnector};
use chief_sources::scheduler::{Job, Scheduler};
use chief_sources::slack_sync::{SlackApi, SlackConnector};
use serde::Serialize;

use crate::{Engine, EngineError, SourceConfig, secrets};

/// The sources with live connectors.
pub const LIVE_SOURCES: &[&str] = &["slack", "github"];

/// The Slack app manifest the user installs as an internal app of their workspace.
pub const SLACK_MANIFEST: &str = include_str!("../../chief-sources/slack-app-manifest.yaml");

/// What `chief sync` should do.
#[derive(Debug, Clone, Default)]
pub struct SyncRequest {
    /// Sources to run; empty: every enabled source.
    pub sources: Vec<String>,
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
    pub state: String,
    pub message: String,
    pub report: Option<SourceReport>,
}

/// Connection endpoints and credentials for one source, resolved.
struct Endpoint {
    api_base: String,
    token: String,
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
        Ok(r) => ("ok", String::new(), Some(r)),
        Err(ConnectorError::Auth(m)) => ("paused", m, None),
        Err(ConnectorError::Parked { message, .. }) => ("parked", message, None),
        Err(e) => ("failed", e.to_string(), None),
    };
    SourceOutcome { source: source.to_string(), state: state.into(), message, report }
}

impl Engine {
    fn source_config(&self, source: &str) -> Result<&SourceConfig, EngineError> {
        match source {
            "slack" => Ok(&self.config.sources.slack),
            "github" => Ok(&self.config.sources.github),
            other => Err(EngineError::InvalidInput(format!("no live connector for {other:?}; live sources: {}", LIVE_SOURCES.join(", ")))),
        }
    }

    fn options_for(cfg: &SourceConfig, reconcile: bool, live: bool) -> SyncOptions {
        SyncOptions { keep_days: (cfg.keep_days > 0).then_some(cfg.keep_days), live, reconcile, ..SyncOptions::default() }
    }

    fn connector(&self, source: &str, ep: &Endpoint) -> Result<Arc<dyn Connector>, EngineError> {
        let cfg = self.source_config(source)?;
        Ok(match source {
            "slack" => Arc::new(SlackConnector::new(SlackApi::new(&ep.api_base, &ep.token), (!cfg.web_base.is_empty()).then(|| cfg.web_base.clone()))),
            _ => Arc::new(GithubConnector::new(GithubApi::new(&ep.api_base, &ep.token), cfg.containers.clone())),
        })
    }

    /// The jobs for `sources` (empty: the enabled ones) and the sources that could not
    /// run (no token).
    fn jobs(&self, req: &SyncRequest, env: &[(String, String)]) -> Result<(Vec<Job>, Vec<SourceOutcome>), EngineError> {
        let names: Vec<String> = if req.sources.is_empty() {
            LIVE_SOURCES.iter().filter(|s| self.source_config(s).is_ok_and(|c| c.enabled)).map(|s| s.to_string()).collect()
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
            let cfg = self.source_config(&name)?;
            let token = match Self::source_token(env, &name) {
                Ok(t) => t,
                Err(e) => {
                    missing.push(SourceOutcome { source: name.clone(), state: "not_connected".into(), message: e.to_string(), report: None });
                    continue;
                }
            };
            let ep = Endpoint { api_base: cfg.api_base.clone(), token };
            jobs.push(Job {
                connector: self.connector(&name, &ep)?,
                options: Self::options_for(cfg, req.reconcile, name == "slack" && cfg.live),
                interval: Duration::from_secs(u64::from(cfg.interval_minutes.max(1)) * 60),
            });
        }
        Ok((jobs, missing))
    }

    /// Runs the requested sources once, concurrently. One source failing (a revoked
    /// token, a parked rate limit) does not stop the others; each outcome is also in
    /// `chief status`.
    pub fn sync(&self, req: &SyncRequest, env: &[(String, String)], progress: Progress) -> Result<Vec<SourceOutcome>, EngineError> {
        let (jobs, mut out) = self.jobs(req, env)?;
        let scheduler = Scheduler::new(self.home.join("chief.db"), jobs);
        let results = self.block_on(scheduler.run_once(&progress, req.force))?;
        self.nudge();
        out.extend(results.into_iter().map(|o| outcome(&o.source, o.result)));
        out.sort_by(|a, b| a.source.cmp(&b.source));
        Ok(out)
    }

    /// Runs the enabled sources in the background until `stop` turns true.
    pub fn sync_forever(&self, env: &[(String, String)], progress: Progress, stop: tokio::sync::watch::Receiver<bool>) -> Result<(), EngineError> {
        let (jobs, missing) = self.jobs(&SyncRequest::default(), env)?;
        for m in missing {
            tracing::warn!(source = %m.source, "{}", m.message);
        }
        let scheduler = Scheduler::new(self.home.join("chief.db"), jobs);
        let index = &self.index;
        self.block_on(async {
            let mut stop2 = stop.clone();
            let ticker = async {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(1)) => index.nudge(),
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
    pub fn connect(&self, source: &str, token: &str, store: bool) -> Result<ConnectReport, EngineError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(EngineError::InvalidInput(format!("empty token; paste the {source} token on standard input")));
        }
        let cfg = self.source_config(source)?;
        let (identity, granted, wanted): (String, Vec<String>, &[&str]) = match source {
            "slack" => {
                if !token.starts_with("xoxp-") && !token.starts_with("xoxe.xoxp-") {
                    tracing::warn!("Slack tokens of the Chief app start with xoxp- (a user token)");
                }
                let api = SlackApi::new(&cfg.api_base, token);
                let (me, scopes) = self.block_on(api.auth_test())?.map_err(|e| EngineError::Sync(ConnectorError::from(e)))?;
                (format!("{}/{}", me["team"].as_str().unwrap_or(""), me["user"].as_str().unwrap_or("")), scopes, chief_mockapi::SLACK_SCOPES)
            }
            _ => {
                let api = GithubApi::new(&cfg.api_base, token);
                let page = self.block_on(api.get_page("/user", None))?.map_err(|e| EngineError::Sync(ConnectorError::from(e)))?;
                let login = page.value.as_ref().and_then(|v| v["login"].as_str()).unwrap_or("").to_string();
                // Fine-grained tokens send no scope header; their access shows at sync time.
                let scopes = page.scopes.map(|s| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()).unwrap_or_default();
                (login, scopes, chief_mockapi::GITHUB_SCOPES)
            }
        };
        let missing: Vec<String> = if granted.is_empty() && source == "github" {
            Vec::new()
        } else {
            wanted.iter().filter(|w| !granted.iter().any(|g| g == *w || (**w == "read:org" && g == "admin:org"))).map(|s| s.to_string()).collect()
        };
        let stored = if store {
            secrets::set(&format!("{source}:token"), token)?;
            // A reconnected source is no longer paused.
            let mut st = self.store();
            if let Some(mut status) = st.source_status(source)? {
                if status.state == "paused" {
                    status.state = "ok".into();
                    status.message = "reconnected".into();
                    let w = st.writer()?;
                    w.set_source_status(&status)?;
                    w.commit()?;
                }
            }
            "keychain".to_string()
        } else {
            "not stored".to_string()
        };
        Ok(ConnectReport { source: source.to_string(), identity, granted, missing, stored })
    }

    /// Serves the demo workspace from a local mock API and syncs Slack and GitHub
    /// through the real connectors.
    pub(crate) fn sync_demo(&self, data: &std::path::Path, truth: &chief_demo::GroundTruth, progress: Progress) -> Result<Vec<SourceOutcome>, EngineError> {
        let world = chief_mockapi::World::from_demo(data, chief_demo::SLACK_URL, &truth.me.slack, &truth.me.github).map_err(|e| EngineError::InvalidInput(e.to_string()))?;
        let repos: Vec<String> = world.github.repos.keys().cloned().collect();
        let mock = chief_mockapi::MockApi::start_background(world).map_err(|e| EngineError::InvalidInput(e.to_string()))?;
        let token = chief_mockapi::DEMO_TOKEN.to_string();
        let slack_cfg = &self.config.sources.slack;
        let jobs = vec![
            Job {
                connector: Arc::new(SlackConnector::new(SlackApi::new(&mock.slack_base(), &token), Some(chief_demo::SLACK_URL.to_string()))),
                options: Self::options_for(slack_cfg, false, false),
                interval: Duration::from_secs(600),
            },
            Job { connector: Arc::new(GithubConnector::new(GithubApi::new(&mock.github_base(), &token), repos)), options: SyncOptions::default(), interval: Duration::from_secs(600) },
        ];
        let scheduler = Scheduler::new(self.home.join("chief.db"), jobs);
        let results = self.block_on(scheduler.run_once(&progress, true))?;
        drop(mock);
        let out: Vec<SourceOutcome> = results.into_iter().map(|o| outcome(&o.source, o.result)).collect();
        if let Some(bad) = out.iter().find(|o| o.state != "ok") {
            return Err(EngineError::InvalidInput(format!("demo sync of {} failed: {}", bad.source, bad.message)));
        }
        Ok(out)
    }
}

impl Engine {
    /// Slack live mode stores no text: fetches the current text of the shown item and
    /// its thread from Slack. Returns how many texts were filled in.
    pub fn fill_live_text(&self, detail: &mut crate::ItemDetail, env: &[(String, String)]) -> Result<usize, EngineError> {
        let is_live = |s: &chief_store::StoredItem| s.item.extra.get("live").and_then(serde_json::Value::as_bool) == Some(true) && !s.deleted;
        if !is_live(&detail.item) && !detail.thread.iter().any(is_live) {
            return Ok(0);
        }
        let cfg = &self.config.sources.slack;
        let api = SlackApi::new(&cfg.api_base, &Self::source_token(env, "slack")?);
        let names = self.store().identity_names("slack")?;
        let web = (!cfg.web_base.is_empty()).then_some(cfg.web_base.as_str());
        let mut filled = 0;
        for s in std::iter::once(&mut detail.item).chain(detail.thread.iter_mut()).filter(|s| is_live(s)) {
            let Some((channel, ts)) = s.item.id.as_str().strip_prefix("slack:").and_then(|r| r.split_once(':')) else { continue };
            let thread_ts = s.item.parent.as_ref().and_then(|p| p.as_str().rsplit(':').next().map(str::to_string));
            let text = self.block_on(chief_sources::slack_sync::fetch_text(&api, channel, ts, thread_ts.as_deref(), &names, web))?.map_err(|e| EngineError::Sync(ConnectorError::from(e)))?;
            if let Some(t) = text {
                s.item.body = t;
                filled += 1;
            }
        }
        Ok(filled)
    }
}
