//! Loading the demo workspace: generate the org (`chief-demo`), serve its Slack, GitHub,
//! Jira and Google Calendar data from a local mock of their APIs (`chief-mockapi`) and
//! sync it through the real connectors, and wait
//! until everything is searchable. It lives here, not in the engine, so the desktop
//! app never links a mock HTTP server.

use std::path::Path;

use chief_engine::{Config, Engine, EngineError, Home, SourceOutcome, SourceState, SyncProgress};
use chief_sources::rest_dump::DumpReport;
use serde::Serialize;

/// What loading the demo did.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub data_dir: String,
    /// Slack, GitHub, Jira and Google, synced through the connectors from a local mock API.
    pub sync: Vec<SourceOutcome>,
    /// Saved REST responses imported besides (none since every source syncs live).
    pub rest: DumpReport,
    pub indexed_seq: i64,
    pub seed: u64,
    /// Who the user is in this org.
    pub user: String,
    /// The workspace's ground truth (stories, distractors, forbidden phrases).
    #[serde(skip)]
    pub truth: chief_demo::GroundTruth,
}

/// The `chief.toml` of a fresh demo home: who the user is, and the web roots links use.
fn demo_config(truth: &chief_demo::GroundTruth) -> String {
    format!(
        "# Chief demo home (seed {seed}): you are {name}.\n[me]\nname = {name:?}\nemail = {email:?}\nslack_id = {slack:?}\ngithub_login = {github:?}\n\n[sources.slack]\nweb_base = {web:?}\n\n[sources.jira]\nweb_base = {jira:?}\n",
        seed = truth.seed,
        name = truth.me.name,
        email = truth.me.email,
        slack = truth.me.slack,
        github = truth.me.github,
        web = truth.slack_url,
        jira = truth.jira_url,
    )
}

/// Replaces the home's data with the Kestrel demo workspace (seed 0); see [`load_seeded`].
pub fn load(
    home: &Path,
    force: bool,
    env: impl IntoIterator<Item = (String, String)>,
    progress: SyncProgress,
) -> Result<(Engine, DemoReport), EngineError> {
    load_seeded(home, 0, force, env, progress)
}

/// Replaces the home's data with the demo workspace of `seed` (refusing a home with
/// the user's own data unless `force`) and returns the open engine with what was loaded.
pub fn load_seeded(
    home: &Path,
    seed: u64,
    force: bool,
    env: impl IntoIterator<Item = (String, String)>,
    progress: SyncProgress,
) -> Result<(Engine, DemoReport), EngineError> {
    Engine::reset_demo_home(home, force)?;
    let data = Home::new(home).demo_data();
    let truth = chief_demo::generate_seeded(&data, seed)
        .map_err(|e| EngineError::internal("generating the demo workspace", e))?;
    let now = chief_core::Timestamp::parse_rfc3339(&truth.now)
        .map_err(|e| EngineError::internal("reading the demo's clock", e))?;
    Engine::mark_demo_home(home, now, &demo_config(&truth))?;
    let engine = Engine::open(home, Config::load(home, env)?)?;
    let report = sync_into(&engine, &data, &truth, progress)?;
    Ok((engine, report))
}

/// Loads generated demo data in `data` into an open engine.
fn sync_into(
    engine: &Engine,
    data: &Path,
    truth: &chief_demo::GroundTruth,
    progress: SyncProgress,
) -> Result<DemoReport, EngineError> {
    let world =
        chief_mockapi::World::from_demo(data, &truth.slack_url, &truth.me.slack, &truth.me.github, &truth.me.email)
            .map_err(|e| EngineError::internal("reading the demo data", e))?;
    let (mock, endpoints) = crate::serve(world, Some(truth.slack_url.clone()))?;
    let sync = engine.sync_at(&endpoints, progress)?;
    drop(mock);
    if let Some(bad) = sync.iter().find(|o| o.state != SourceState::Ok) {
        return Err(EngineError::InvalidInput(format!("demo sync of {} failed: {}", bad.source, bad.message)));
    }
    // Everything arrives through the connectors now; nothing is left to import.
    let rest = engine.import_rest_dump(data, Some(&[]))?;
    engine.extract_propositions(&[])?;
    let indexed_seq = engine.sync_index()?;
    if engine.has_semantic() {
        engine.embed_wait(&mut |_| {})?;
    }
    Ok(DemoReport {
        data_dir: data.display().to_string(),
        sync,
        rest,
        indexed_seq,
        seed: truth.seed,
        user: truth.me.name.clone(),
        truth: truth.clone(),
    })
}
