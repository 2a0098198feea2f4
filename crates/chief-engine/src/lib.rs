//! The engine: the one API that every surface (the `chief` CLI, the desktop shell)
//! calls. It owns the store, the search index and the importers, and knows nothing of
//! how it is presented.
//!
//! ```no_run
//! use chief_engine::{Config, Engine, SearchQuery};
//! let home = std::path::Path::new("/tmp/chief-home");
//! let engine = Engine::open(home, Config::load(home, std::env::vars())?)?;
//! let found = engine.search(&SearchQuery { text: "checkout 502".into(), ..Default::default() })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod bench;
mod config;
mod context;
mod doctor;
pub mod embedding;
pub mod eval;
mod search;
pub mod secrets;
mod settings;
mod sync;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chief_search::{CommitPolicy, IndexStatus, SearchIndex};
use chief_sources::rest_dump::DumpReport;
use chief_sources::slack_export::{ImportOptions, ImportProgress, ImportReport};
use chief_store::{Counts, ImportRun, StoredItem, Store};
use serde::Serialize;

pub use config::{Config, ConfigError, DesktopConfig, EmbedConfig, IndexConfig, LlmConfig, MeConfig, SearchConfig, SourceConfig, SourcesConfig};
pub use embedding::EmbedProgress;
pub use doctor::{Finding, Level, doctor};
pub use context::{ContextGroup, ContextResponse, Entity};
pub use settings::{LlmSettings, SettingsPatch, SettingsView, SourcePatch, SourceSettings, apply_patch};
pub use search::{SearchMode, SearchQuery, SearchResponse, SearchResult};
pub use sync::{ConnectReport, LIVE_SOURCES, SLACK_MANIFEST, SourceOutcome, SyncRequest};
pub use chief_sources::connector::{Progress as SyncProgress, SourceReport, SyncEvent};

/// What went wrong, with a kind the surfaces can match on.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] chief_store::StoreError),
    #[error(transparent)]
    Search(#[from] chief_search::SearchError),
    #[error(transparent)]
    Source(#[from] chief_sources::SourceError),
    #[error("semantic search: {0}")]
    Embed(chief_embed::EmbedError),
    #[error(transparent)]
    Llm(#[from] chief_llm::LlmError),
    #[error(transparent)]
    Secret(#[from] secrets::SecretError),
    #[error(transparent)]
    Sync(#[from] chief_sources::connector::ConnectorError),
    #[error("cannot use the Chief home {path}: {source}")]
    Home { path: PathBuf, #[source] source: std::io::Error },
    #[error("no item with id {id:?}; ids look like slack:C024BE91L:1455555555.000100 (see `chief search --json`)")]
    NotFound { id: String },
    #[error("{0}")]
    InvalidInput(String),
    #[error("{path} holds your own data (not a demo workspace); use --home to load the demo elsewhere")]
    NotADemoHome { path: PathBuf },
}

impl EngineError {
    /// A stable code for the UI and scripts (`{code, message}`).
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Config(_) => "config",
            EngineError::Store(_) => "store",
            EngineError::Search(_) => "index",
            EngineError::Source(_) => "import",
            EngineError::Embed(_) => "embed",
            EngineError::Llm(_) => "llm",
            EngineError::Secret(_) => "keychain",
            EngineError::Sync(_) => "sync",
            EngineError::Home { .. } => "home",
            EngineError::NotFound { .. } => "not_found",
            EngineError::InvalidInput(_) => "invalid_input",
            EngineError::NotADemoHome { .. } => "not_a_demo_home",
        }
    }
}

/// The default home: the platform data directory (e.g. `~/.local/share/chief`).
pub fn default_home() -> PathBuf {
    directories::ProjectDirs::from("dev", "chief", "chief").map(|d| d.data_dir().to_path_buf()).unwrap_or_else(|| PathBuf::from(".chief"))
}

/// The LLM client for the configured fallback chain, caching in the home's store
/// unless `no_cache`. Keys come from `CHIEF_LLM_<NAME>_API_KEY`, then
/// `CHIEF_LLM_API_KEY`, then the OS keychain (`chief llm set-key`).
pub fn llm_client(config: &Config, home: &Path, no_cache: bool, env: &[(String, String)]) -> Result<chief_llm::LlmClient, EngineError> {
    let chain = config.llm.chain()?;
    let lookup = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let providers = chain
        .into_iter()
        .map(|p| {
            let specific = format!("CHIEF_LLM_{}_API_KEY", p.name.to_uppercase().replace(['-', '.', ' '], "_"));
            let key = lookup(&specific).or_else(|| lookup("CHIEF_LLM_API_KEY")).or_else(|| match secrets::get(&secrets::llm_key_name(&p.name)) {
                Ok(k) => k,
                Err(e) => {
                    tracing::warn!("{e}");
                    None
                }
            });
            (p, key)
        })
        .collect();
    let mut client = chief_llm::LlmClient::new(providers, config.llm.offline)
        .with_store(Store::open(&home.join("chief.db"))?)
        .with_cache_ttl(Duration::from_secs(config.llm.cache_ttl_hours.max(1) * 3600));
    if no_cache {
        client = client.without_cache();
    }
    Ok(client)
}

/// Counts and health for `chief status`.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub home: String,
    pub counts: Counts,
    pub index: IndexStatus,
    /// Store changes not yet in the committed index.
    pub index_lag: i64,
    /// Semantic search: whether it runs, how far the embedding queue is.
    pub embeddings: EmbedStatus,
    pub recent_imports: Vec<ImportRun>,
    /// Live sources: state (ok, paused, parked, failed), last success, resume time.
    pub sources: Vec<chief_store::SourceStatus>,
    /// Items a sync could not store, kept for retry.
    pub sync_failures: Vec<chief_store::SyncFailure>,
}

/// State of semantic search for `chief status`.
#[derive(Debug, Clone, Serialize)]
pub struct EmbedStatus {
    pub enabled: bool,
    /// Why it is off, when it should be on (missing model, ...).
    pub problem: Option<String>,
    pub chunks: usize,
    /// Store changes not embedded yet.
    pub lag: i64,
    pub items_without_vectors: i64,
}

/// One item with its thread, for `chief show`.
#[derive(Debug, Clone, Serialize)]
pub struct ItemDetail {
    pub item: StoredItem,
    /// The whole thread (root first) when the item is part of one.
    pub thread: Vec<StoredItem>,
    /// Other items that mention this item's ticket key or PR.
    pub mentioned_by: Vec<String>,
}

/// What loading the demo did.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub data_dir: String,
    /// Slack and GitHub, synced through the connectors from a local mock API.
    pub sync: Vec<SourceOutcome>,
    /// Jira and Calendar, imported from saved REST responses.
    pub rest: DumpReport,
    pub indexed_seq: i64,
}

const DEMO_MARKER: &str = ".chief-demo";

/// The instant the demo workspace treats as now.
pub const DEMO_NOW: &str = chief_demo::DEMO_NOW;

/// The engine. Cheap to share behind an `Arc`; every method is blocking.
pub struct Engine {
    home: PathBuf,
    config: Config,
    store: Mutex<Store>,
    index: SearchIndex,
    semantic: Option<embedding::Semantic>,
    semantic_problem: Option<String>,
}

impl Engine {
    /// Opens (creating if needed) the Chief home: the store, then the search index,
    /// which catches up with the store in the background.
    pub fn open(home: &Path, config: Config) -> Result<Engine, EngineError> {
        std::fs::create_dir_all(home).map_err(|source| EngineError::Home { path: home.to_path_buf(), source })?;
        let db = home.join("chief.db");
        let store = Store::open(&db)?;
        let policy = CommitPolicy {
            every_items: config.index.commit_every_items.max(1),
            every: Duration::from_millis(config.index.commit_every_ms.max(10)),
            writer_memory: config.index.writer_memory_mb.max(15) << 20,
            threads: config.index.threads.max(1),
        };
        let mut index = SearchIndex::open(&home.join("index"), &db, policy)?;
        index.set_title_boost(config.search.title_boost);
        for note in index.status()?.notes {
            tracing::warn!("{note}");
        }
        let (semantic, semantic_problem) = if config.embed.enabled {
            match embedding::Semantic::start(&db, &config.embed) {
                Ok(s) => {
                    for n in &s.notes {
                        tracing::warn!("{n}");
                    }
                    (Some(s), None)
                }
                Err(e) => {
                    tracing::warn!("semantic search is off: {e}");
                    (None, Some(e.to_string()))
                }
            }
        } else {
            (None, None)
        };
        Ok(Engine { home: home.to_path_buf(), config, store: Mutex::new(store), index, semantic, semantic_problem })
    }

    /// Embeds every item not embedded yet (blocking), reporting progress.
    pub fn embed_wait(&self, progress: &mut dyn FnMut(EmbedProgress)) -> Result<i64, EngineError> {
        match &self.semantic {
            Some(s) => s.wait(progress),
            None => Err(EngineError::InvalidInput(self.semantic_problem.clone().unwrap_or_else(|| "semantic search is disabled ([embed] enabled = false)".into()))),
        }
    }

    /// True when semantic search is running.
    pub fn has_semantic(&self) -> bool {
        self.semantic.is_some()
    }

    pub(crate) fn nudge(&self) {
        self.index.nudge();
        if let Some(s) = &self.semantic {
            s.nudge();
        }
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes every store change searchable now (the CLI calls this before searching).
    pub fn sync_index(&self) -> Result<i64, EngineError> {
        if self.index.status()?.read_only {
            return Ok(self.index.status()?.committed_seq);
        }
        Ok(self.index.flush()?)
    }

    /// Imports a Slack export (zip or folder). Per-file failures are in the report.
    pub fn import_slack_export(&self, path: &Path, opts: &ImportOptions, progress: &mut dyn FnMut(&ImportProgress)) -> Result<ImportReport, EngineError> {
        let span = tracing::info_span!("import_slack_export", path = %path.display());
        let _g = span.enter();
        let mut opts = opts.clone();
        if opts.workspace_url.is_none() && !self.config.sources.slack.web_base.is_empty() {
            opts.workspace_url = Some(self.config.sources.slack.web_base.clone());
        }
        let report = chief_sources::slack_export::import(&mut self.store(), path, &opts, progress)?;
        self.nudge();
        Ok(report)
    }

    /// Imports saved REST responses (GitHub, Jira, Calendar) laid out as in
    /// [`chief_sources::rest_dump`].
    pub fn import_rest_dump(&self, dir: &Path) -> Result<DumpReport, EngineError> {
        let report = chief_sources::rest_dump::import(&mut self.store(), dir)?;
        self.nudge();
        Ok(report)
    }

    /// The instant ranking is relative to: the demo's fixed "now" in a demo home (its
    /// stories happened "yesterday"), else the real time (`None`).
    pub fn clock(&self) -> Option<chief_core::Timestamp> {
        if self.home.join(DEMO_MARKER).exists() { chief_core::Timestamp::parse_rfc3339(DEMO_NOW).ok() } else { None }
    }

    /// True if this home was created by [`Engine::load_demo`] or holds nothing yet.
    pub fn is_demo_or_empty(home: &Path) -> bool {
        home.join(DEMO_MARKER).exists() || !home.join("chief.db").exists()
    }

    /// Generates the demo workspace under the home and imports all of it.
    pub fn load_demo(&self, progress: SyncProgress) -> Result<DemoReport, EngineError> {
        let data = self.home.join("demo-data");
        let home_err = |source| EngineError::Home { path: self.home.clone(), source };
        std::fs::write(self.home.join(DEMO_MARKER), "This home holds the Chief demo workspace.\n").map_err(home_err)?;
        let truth = chief_demo::generate(&data).map_err(|e| EngineError::InvalidInput(e.to_string()))?;
        let sync = self.sync_demo(&data, &truth, progress)?;
        let rest = {
            let report = chief_sources::rest_dump::import_only(&mut self.store(), &data, &["jira/", "google/"])?;
            self.nudge();
            report
        };
        let indexed_seq = self.sync_index()?;
        if let Some(s) = &self.semantic {
            s.wait(&mut |_| {})?;
        }
        Ok(DemoReport { data_dir: data.display().to_string(), sync, rest, indexed_seq })
    }

    /// One item, its thread, and what mentions it.
    pub fn show(&self, id: &str) -> Result<ItemDetail, EngineError> {
        let store = self.store();
        let item = store.item(id)?.ok_or_else(|| EngineError::NotFound { id: id.to_string() })?;
        let root = item.item.parent.as_ref().map(|p| p.as_str().to_string()).unwrap_or_else(|| id.to_string());
        let thread = store.thread(&root)?;
        let thread = if thread.len() > 1 { thread } else { Vec::new() };
        let mut mentioned_by = Vec::new();
        for r in item.item.references.iter().filter(|r| matches!(r.kind, chief_core::RefKind::Ticket | chief_core::RefKind::PullRequest)) {
            // Only the item's own key: a Jira issue's ticket, a PR's own ref.
            let own = match item.item.source {
                chief_core::Source::Jira => item.item.extra.get("key").and_then(|k| k.as_str()) == Some(r.value.as_str()),
                chief_core::Source::Github => item.item.parent.is_none() && item.item.id.as_str().ends_with(&r.value),
                _ => false,
            };
            if own {
                mentioned_by.extend(store.items_referencing(r)?.into_iter().filter(|x| x != id));
            }
        }
        mentioned_by.sort();
        mentioned_by.dedup();
        Ok(ItemDetail { item, thread, mentioned_by })
    }

    /// Counts, index health and recent imports.
    pub fn status(&self) -> Result<Status, EngineError> {
        let store = self.store();
        let counts = store.counts()?;
        let index = self.index.status()?;
        let (_, without) = store.embed_counts()?;
        let embeddings = match &self.semantic {
            Some(s) => {
                let p = s.progress();
                EmbedStatus { enabled: true, problem: None, chunks: p.chunks, lag: counts.max_seq - p.done_seq, items_without_vectors: without }
            }
            None => EmbedStatus { enabled: false, problem: self.semantic_problem.clone(), chunks: 0, lag: counts.max_seq, items_without_vectors: without },
        };
        Ok(Status {
            embeddings,
            home: self.home.display().to_string(),
            index_lag: counts.max_seq - index.committed_seq,
            counts,
            index,
            recent_imports: store.recent_imports(5)?,
            sources: store.source_statuses()?,
            sync_failures: store.sync_failures(None)?,
        })
    }

    /// Drops the search index's documents and rebuilds it from the store.
    pub fn reindex(&self) -> Result<IndexStatus, EngineError> {
        self.index.rebuild()?;
        Ok(self.index.status()?)
    }

    /// A source's token: `CHIEF_<SOURCE>_TOKEN`, else the OS keychain (`<source>:token`).
    pub(crate) fn source_token(env: &[(String, String)], source: &str) -> Result<String, EngineError> {
        let var = format!("CHIEF_{}_TOKEN", source.to_uppercase());
        match env.iter().find(|(k, _)| *k == var) {
            Some((_, v)) => Ok(v.clone()),
            None => secrets::get(&format!("{source}:token"))?
                .ok_or_else(|| EngineError::InvalidInput(format!("no {source} token: set {var} or store one in the keychain"))),
        }
    }

    /// Runs a future to completion on a runtime of its own (the engine's API is blocking).
    pub(crate) fn block_on<F: std::future::Future>(&self, f: F) -> Result<F::Output, EngineError> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|source| EngineError::Home { path: self.home.clone(), source })?;
        Ok(rt.block_on(f))
    }

    /// The LLM client for this home's configuration (see [`llm_client`]).
    pub fn llm(&self, no_cache: bool, env: &[(String, String)]) -> Result<chief_llm::LlmClient, EngineError> {
        llm_client(&self.config, &self.home, no_cache, env)
    }

    /// Stops the embedding queue after its batch in flight and the index writer after
    /// a final commit.
    pub fn close(mut self) -> Result<(), EngineError> {
        if let Some(mut s) = self.semantic.take() {
            s.stop();
        }
        Ok(self.index.close()?)
    }
}
