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

mod agents;
mod brain;
mod config;
mod context;
mod doctor;
mod error;
mod llm;
mod privacy;
pub mod secrets;
mod settings;
mod sync;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock};
use std::time::Duration;

use chief_search::{CommitPolicy, IndexStatus, Retriever};
pub use chief_sources::ics::IcsReport;
pub use chief_sources::mbox::MboxReport;
pub use chief_sources::rest_dump::DumpReport;
pub use chief_sources::slack_export::{ImportOptions, ImportProgress, ImportReport};
use chief_store::{Counts, ImportRun, Store, StoredItem};
use serde::Serialize;

pub use agents::{AgentRound, Decision};
pub use brain::{
    BriefRequest, Briefing, BriefingStory, ExplainRequest, Explanation, FeedbackOutcome, KnownIdentity, Notification,
    NotificationKind, Prep, SourceRef, UsualStart, WhoAmI, Window,
};
pub use chief_brain::Sentence;
pub use chief_brain::Step as BriefStep;
pub use chief_brain::interests::{Interest, InterestGraph};
pub use chief_core::Home;
pub use chief_llm::{ChatRequest, Completion, Message, UsageRow};
pub use chief_search::{EmbedProgress, SearchMode, SearchQuery, SearchResponse, SearchResult};
pub use chief_sources::connector::{Progress as SyncProgress, SourceReport, SyncEvent, no_progress};
pub use chief_store::{RunRecord, RunStatus, StepRecord};
pub use chief_store::{SourceState, SourceStatus};
pub use config::{
    BrainConfig, BrainMode, Config, ConfigError, DesktopConfig, EmbedConfig, Fusion, IndexConfig, LlmConfig, MeConfig,
    SearchConfig, SourceConfig, SourcesConfig,
};
pub use context::{ContextGroup, ContextResponse, Entity, EntityKind, GroupKind};
pub use doctor::{Finding, Level, doctor};
pub use error::{EngineError, ErrorClass};
pub use llm::{llm_client, llm_key_entry};
pub use settings::{LlmSettings, SettingsPatch, SettingsView, SourcePatch, SourceSettings, apply_patch};
pub use sync::{ConnectReport, ConnectTarget, LiveSource, SLACK_MANIFEST, SourceOutcome, SyncEndpoint, SyncRequest};

/// The "now" a demo home was generated for (in its marker file).
fn demo_now(home: &Home) -> Option<chief_core::Timestamp> {
    let text = std::fs::read_to_string(home.demo_marker()).ok()?;
    text.lines().find_map(|l| l.strip_prefix("now=")).and_then(|t| chief_core::Timestamp::parse_rfc3339(t.trim()).ok())
}

/// For a process that runs for hours (the desktop app, `chief watch`), two glibc
/// settings that it reads only at start:
/// - `MALLOC_ARENA_MAX=2`: glibc gives each thread that allocates its own heap arena
///   (up to 8 per core) and keeps what was freed in them, so an app that syncs and runs
///   agents on pools of threads every minute crept up 20 % in 30 minutes
///   (scripts/soak.sh). Two arenas keep it flat.
/// - `MALLOC_MMAP_THRESHOLD_=262144`: blocks of 256 KiB and more (the embedding model's
///   weights and activations) are mapped on their own and go back to the system when
///   freed. By default glibc raises that threshold after each such free, so the same
///   blocks end up in the heap, where they stay: the idle app held 70 MB more.
///
/// The process starts itself again with them once (the same arguments); if that fails
/// it runs as it is. Elsewhere it does nothing.
pub fn with_lean_malloc(program: &str) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else { return };
        let err = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("MALLOC_ARENA_MAX", "2")
            .env("MALLOC_MMAP_THRESHOLD_", "262144")
            .exec();
        eprintln!("{program}: could not restart with lean malloc settings ({err}); going on without them");
        // The failed exec reset SIGPIPE for the image it was starting.
        if let Err(e) = ignore_sigpipe() {
            eprintln!("{program}: a broken pipe may end it: {e}");
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = program;
}

/// Makes a write to a closed pipe or socket fail with `BrokenPipe` rather than end the
/// process, as Rust arranges at start: for a process whose `exec` failed, which leaves
/// SIGPIPE at its default (Rust resets it for the image it was starting). Tokio's
/// handler for the signal stays installed for the process's life; it takes effect the
/// first time only (later calls find it registered).
#[cfg(unix)]
pub fn ignore_sigpipe() -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_io().build()?;
    rt.block_on(async { tokio::signal::unix::signal(tokio::signal::unix::SignalKind::pipe()).map(drop) })
}

/// The default home: the platform data directory (e.g. `~/.local/share/chief`).
pub fn default_home() -> PathBuf {
    directories::ProjectDirs::from("dev", "chief", "chief")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".chief"))
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
    /// The short factoids derived from it (searched with it), with how each was made.
    pub propositions: Vec<Proposition>,
}

/// A proposition as `chief show` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Proposition {
    pub text: String,
    /// `rule:<what>` or `llm`.
    pub by: String,
}

/// The engine. `Send + Sync`: share it behind an `Arc` and call it from several
/// threads at once (a sync and a popup lookup run side by side; the settings sit
/// behind a lock). Every method is blocking.
pub struct Engine {
    home: Home,
    config: RwLock<Config>,
    store: Mutex<Store>,
    retriever: Retriever,
    /// The instant time-relative decisions use, when not the wall clock.
    now: Option<chief_core::Timestamp>,
    /// Bumped when a source is connected, reconnected, enabled or disabled: background
    /// sync starts over with the new set (see [`Engine::sync_in_background`]).
    sources_changed: tokio::sync::watch::Sender<u64>,
}

impl Engine {
    /// Opens (creating if needed) the Chief home: the store, then the search index,
    /// which catches up with the store in the background.
    pub fn open(home: &Path, config: Config) -> Result<Engine, EngineError> {
        let home = Home::new(home);
        let created = !home.root().exists();
        std::fs::create_dir_all(home.root())
            .map_err(|source| EngineError::Home { path: home.root().to_path_buf(), source })?;
        let store = Store::open(&home.db())?;
        privacy::restrict(&home, created);
        // A sync that has said "running" for six hours belongs to a process that is gone
        // (a live one finishing later writes its own state over this).
        let stale = store.reset_stale_running(chief_core::Timestamp(chief_core::Timestamp::now().0 - 6 * 3_600_000))?;
        if stale > 0 {
            tracing::warn!(sources = stale, "reset sources left running by an interrupted sync");
        }
        // Expired LLM answers (they hold prompts with synced text) are not kept.
        store.llm_cache_purge(chief_core::Timestamp::now().0)?;
        let policy = CommitPolicy {
            every_items: config.index.commit_every_items.max(1),
            every: Duration::from_millis(config.index.commit_every_ms.max(10)),
            writer_memory: config.index.writer_memory_mb.max(15) << 20,
            threads: config.index.threads.max(1),
        };
        let retriever = Retriever::open(&home, policy, &config.search, &config.embed)?;
        let now = demo_now(&home);
        let (sources_changed, _) = tokio::sync::watch::channel(0);
        Ok(Engine { home, config: RwLock::new(config), store: Mutex::new(store), retriever, now, sources_changed })
    }

    /// Embeds every item not embedded yet (blocking), reporting progress.
    pub fn embed_wait(&self, progress: &mut dyn FnMut(EmbedProgress)) -> Result<i64, EngineError> {
        Ok(self.retriever.embed_wait(progress)?)
    }

    /// True when semantic search is running.
    pub fn has_semantic(&self) -> bool {
        self.retriever.semantic().is_some()
    }

    pub(crate) fn nudge(&self) {
        self.retriever.nudge();
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        self.home.root()
    }

    /// The configuration in force (a copy: settings can change while the engine runs).
    pub fn config(&self) -> Config {
        self.config.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes to the store in one transaction (committed when `f` succeeds) and lets
    /// the index and the embedding queue pick the changes up. For importers of data
    /// that has no connector (benchmark corpora, generated homes).
    pub fn write<R>(
        &self,
        f: impl FnOnce(&chief_store::Writer<'_>) -> Result<R, chief_store::StoreError>,
    ) -> Result<R, EngineError> {
        let out = {
            let mut store = self.store();
            let w = store.writer()?;
            let out = f(&w)?;
            w.commit()?;
            out
        };
        self.nudge();
        Ok(out)
    }

    /// Makes every store change searchable now (the CLI calls this before searching).
    pub fn sync_index(&self) -> Result<i64, EngineError> {
        Ok(self.retriever.flush()?)
    }

    /// Searches the local index and vectors. Newest first when there are no words.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResponse, EngineError> {
        Ok(self.retriever.search(&self.store(), q)?)
    }

    /// Imports a Slack export (zip or folder). Per-file failures are in the report.
    pub fn import_slack_export(
        &self,
        path: &Path,
        opts: &ImportOptions,
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> Result<ImportReport, EngineError> {
        let span = tracing::info_span!("import_slack_export", path = %path.display());
        let _g = span.enter();
        let mut opts = opts.clone();
        let web_base = self.config().sources.slack.web_base;
        if opts.workspace_url.is_none() && !web_base.is_empty() {
            opts.workspace_url = Some(web_base);
        }
        let report = chief_sources::slack_export::import(&mut self.store(), path, &opts, progress)?;
        self.nudge();
        Ok(report)
    }

    /// Imports saved REST responses (GitHub, Jira, Calendar) laid out as in
    /// [`chief_sources::rest_dump`]; with `only`, just the files under those prefixes
    /// (`jira/`, `google/`).
    pub fn import_rest_dump(&self, dir: &Path, only: Option<&[&str]>) -> Result<DumpReport, EngineError> {
        let report = match only {
            Some(prefixes) => chief_sources::rest_dump::import_only(&mut self.store(), dir, prefixes)?,
            None => chief_sources::rest_dump::import(&mut self.store(), dir)?,
        };
        self.nudge();
        Ok(report)
    }

    /// Imports mail from an mbox file or a folder of them (see [`chief_sources::mbox`]);
    /// `progress` sees each file and its message count so far.
    pub fn import_mbox(&self, path: &Path, progress: &mut dyn FnMut(&str, usize)) -> Result<MboxReport, EngineError> {
        let span = tracing::info_span!("import_mbox", path = %path.display());
        let _g = span.enter();
        let report = chief_sources::mbox::import(&mut self.store(), path, progress)?;
        self.nudge();
        Ok(report)
    }

    /// Imports the events of an iCalendar file (see [`chief_sources::ics`]); recurring
    /// events become their instances around now (the engine's clock).
    pub fn import_ics(&self, path: &Path) -> Result<IcsReport, EngineError> {
        let span = tracing::info_span!("import_ics", path = %path.display());
        let _g = span.enter();
        let report = chief_sources::ics::import(&mut self.store(), path, self.now().0)?;
        self.nudge();
        Ok(report)
    }

    /// The instant ranking is relative to: the demo's fixed "now" in a demo home (its
    /// stories happened "yesterday"), else the real time (`None`).
    pub fn clock(&self) -> Option<chief_core::Timestamp> {
        self.now
    }

    /// Empties a home for the demo workspace: refuses a home with the user's own data
    /// unless `force`, and removes the store, index and generated data.
    pub fn reset_demo_home(home: &Path, force: bool) -> Result<(), EngineError> {
        let home = Home::new(home);
        if !force && !home.is_demo_or_empty() {
            return Err(EngineError::NotADemoHome { path: home.root().to_path_buf() });
        }
        let io = |source| EngineError::Home { path: home.root().to_path_buf(), source };
        for stale in home.db_files().into_iter().chain([home.index(), home.demo_data(), home.demo_marker()]) {
            let removed = if stale.is_dir() { std::fs::remove_dir_all(&stale) } else { std::fs::remove_file(&stale) };
            match removed {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
                _ => {}
            }
        }
        std::fs::create_dir_all(home.root()).map_err(io)
    }

    /// Marks a home as holding a generated workspace whose "now" is `now` (time-relative
    /// decisions use it), and writes `config` as its `chief.toml` unless one exists.
    pub fn mark_demo_home(home: &Path, now: chief_core::Timestamp, config: &str) -> Result<(), EngineError> {
        let home = Home::new(home);
        let io = |source| EngineError::Home { path: home.root().to_path_buf(), source };
        std::fs::create_dir_all(home.root()).map_err(io)?;
        if !home.config().exists() {
            std::fs::write(home.config(), config).map_err(io)?;
        }
        std::fs::write(
            home.demo_marker(),
            format!("This home holds a generated Chief demo workspace.\nnow={}\n", now.to_rfc3339()),
        )
        .map_err(io)
    }

    /// One item, its thread, and what mentions it.
    pub fn show(&self, id: &str) -> Result<ItemDetail, EngineError> {
        let store = self.store();
        let item = store.item(id)?.ok_or_else(|| EngineError::NotFound { id: id.to_string() })?;
        let root = item.item.parent.as_ref().map(|p| p.as_str().to_string()).unwrap_or_else(|| id.to_string());
        let thread = store.thread(&root)?;
        let thread = if thread.len() > 1 { thread } else { Vec::new() };
        let mut mentioned_by = Vec::new();
        for r in item
            .item
            .references
            .iter()
            .filter(|r| matches!(r.kind, chief_core::RefKind::Ticket | chief_core::RefKind::PullRequest))
        {
            // Only the item's own key: a Jira issue's ticket, a PR's own ref.
            let own = match item.item.source {
                chief_core::Source::Jira => {
                    item.item.extra.get("key").and_then(|k| k.as_str()) == Some(r.value.as_str())
                }
                chief_core::Source::Github => item.item.parent.is_none() && item.item.id.as_str().ends_with(&r.value),
                _ => false,
            };
            if own {
                mentioned_by.extend(store.items_referencing(r)?.into_iter().filter(|x| x != id));
            }
        }
        mentioned_by.sort();
        mentioned_by.dedup();
        let propositions = store.propositions(id)?.into_iter().map(|(text, by)| Proposition { text, by }).collect();
        Ok(ItemDetail { item, thread, mentioned_by, propositions })
    }

    /// Each live source's sync state: a small read, for the tray.
    pub fn source_statuses(&self) -> Result<Vec<chief_store::SourceStatus>, EngineError> {
        Ok(self.store().source_statuses()?)
    }

    /// Counts, index health and recent imports.
    pub fn status(&self) -> Result<Status, EngineError> {
        let store = self.store();
        let counts = store.counts()?;
        let index = self.retriever.status()?;
        let (_, without) = store.embed_counts()?;
        let embeddings = match self.retriever.semantic() {
            Some(s) => {
                let p = s.progress();
                EmbedStatus {
                    enabled: true,
                    problem: None,
                    chunks: p.chunks,
                    lag: counts.max_seq - p.done_seq,
                    items_without_vectors: without,
                }
            }
            None => EmbedStatus {
                enabled: false,
                problem: self.retriever.semantic_problem().map(str::to_string),
                chunks: 0,
                lag: counts.max_seq,
                items_without_vectors: without,
            },
        };
        Ok(Status {
            embeddings,
            home: self.home.root().display().to_string(),
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
        self.retriever.index().rebuild()?;
        Ok(self.retriever.status()?)
    }

    /// A source's token: `CHIEF_<SOURCE>_TOKEN`, else the OS keychain (`<source>:token`).
    pub(crate) fn source_token(env: &[(String, String)], source: &str) -> Result<String, EngineError> {
        let var = format!("CHIEF_{}_TOKEN", source.to_uppercase());
        match env.iter().find(|(k, _)| *k == var) {
            Some((_, v)) => Ok(v.clone()),
            None => secrets::get(&format!("{source}:token"))?
                .ok_or(EngineError::NotConnected { name: source.to_string(), var }),
        }
    }

    /// Runs a future to completion on a runtime of its own (the engine's API is blocking).
    pub(crate) fn block_on<F: std::future::Future>(&self, f: F) -> Result<F::Output, EngineError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| EngineError::internal("starting an async runtime", e))?;
        Ok(rt.block_on(f))
    }

    /// The LLM client for this home's configuration (see [`llm_client`]).
    pub fn llm(&self, no_cache: bool, env: &[(String, String)]) -> Result<chief_llm::LlmClient, EngineError> {
        llm_client(&self.config(), self.home.root(), no_cache, env)
    }

    /// Stops the embedding queue after its batch in flight and the index writer after
    /// a final commit.
    pub fn close(self) -> Result<(), EngineError> {
        Ok(self.retriever.close()?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_engine_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<super::Engine>();
    }
}
