//! One module per `chief` command: its arguments and a `run` that parses them, makes
//! one engine (or `chief_bench`) call and prints through [`crate::output`]. What the
//! commands share lives here: the global flags, opening the engine, progress bars, the
//! sync printer and the [`Outcome`] the exit code is decided from.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use chief_engine::{Config, Engine, SyncEvent, SyncProgress};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

pub mod bench;
pub mod brief;
pub mod config;
pub mod connect;
pub mod context;
pub mod demo;
pub mod doctor;
pub mod embed;
pub mod eval;
pub mod feedback;
pub mod import;
pub mod interests;
pub mod llm;
pub mod notifications;
pub mod prep;
pub mod reindex;
pub mod runs;
pub mod search;
pub mod show;
pub mod status;
pub mod sync;
pub mod usage;
pub mod watch;
pub mod whoami;

/// The flags every command takes.
#[derive(clap::Args)]
pub struct Global {
    /// Chief home (store, index, config). Default: the platform data directory.
    #[arg(long, global = true, env = "CHIEF_HOME")]
    pub home: Option<PathBuf>,
    /// Show every external call and step with timings (-vv for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only print results and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The instant every time-relative decision uses (sync windows, ranking, the
    /// briefing window): YYYY-MM-DD or an RFC 3339 time. Replays a saved workspace as
    /// of that day.
    #[arg(long, global = true, env = "CHIEF_NOW", value_name = "TIME")]
    pub now: Option<String>,
}

impl Global {
    /// The clock `--now` / `CHIEF_NOW` sets, if any.
    pub fn clock(&self) -> Result<Option<chief_core::Timestamp>> {
        let Some(text) = self.now.as_deref().map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
        let t = chief_core::Timestamp::parse_rfc3339(text)
            .or_else(|_| chief_core::Timestamp::parse_rfc3339(&format!("{text}T00:00:00Z")))
            .map_err(|_| {
                chief_engine::EngineError::InvalidInput(format!(
                    "--now {text:?} is not a time: use YYYY-MM-DD or an RFC 3339 time such as 2026-11-25T09:00:00Z"
                ))
            })?;
        Ok(Some(t))
    }
}

/// Outcomes that are not plain success.
pub enum Outcome {
    Ok,
    /// Something was done, but not everything (failed files, doctor errors).
    Partial,
}

impl Outcome {
    /// [`Outcome::Ok`] when nothing was left undone.
    pub fn ok_if(complete: bool) -> Outcome {
        if complete { Outcome::Ok } else { Outcome::Partial }
    }
}

/// The Chief home: `--home`, `CHIEF_HOME`, else the platform data directory.
pub fn home(cli: &Global) -> PathBuf {
    cli.home.clone().unwrap_or_else(chief_engine::default_home)
}

/// The configuration in force for the home.
pub fn load_config(cli: &Global) -> Result<Config> {
    Ok(Config::load(&home(cli), std::env::vars())?)
}

/// Opens the engine on the home.
pub fn open(cli: &Global) -> Result<Engine> {
    let home = home(cli);
    let config = Config::load(&home, std::env::vars())?;
    let clock = cli.clock()?;
    let engine = Engine::open(&home, config).with_context(|| format!("opening the Chief home {}", home.display()))?;
    Ok(engine.with_clock(clock))
}

/// The process environment, for engine calls that read tokens and keys from it.
pub fn env() -> Vec<(String, String)> {
    std::env::vars().collect()
}

/// Everything on standard input (tokens and keys are read so, never from arguments).
pub fn read_stdin() -> Result<String> {
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
    Ok(text)
}

fn bar_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("valid template").progress_chars("=> ")
}

/// A progress bar on a terminal (none when quiet or redirected).
pub fn progress_bar(cli: &Global, what: &str) -> Option<ProgressBar> {
    if cli.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(0);
    bar.set_style(bar_style("{prefix} [{bar:30}] {pos}/{len} {wide_msg}"));
    bar.set_prefix(what.to_string());
    Some(bar)
}

/// A one-line status for long runs (benchmarks, evaluations), rewritten in place on a
/// terminal and silent otherwise.
pub fn status_line(cli: &Global) -> impl FnMut(&str) + use<> {
    let show = !cli.quiet && std::io::stderr().is_terminal();
    move |m: &str| {
        if show {
            eprint!("\r\x1b[K{m}");
        }
    }
}

/// Sync progress: a bar per source on a terminal, one line per finished source otherwise.
pub fn sync_printer(cli: &Global, json: bool) -> SyncProgress {
    let terminal = !cli.quiet && !json && std::io::stderr().is_terminal();
    let quiet = cli.quiet || json;
    let multi = MultiProgress::new();
    let bars: Mutex<HashMap<String, ProgressBar>> = Default::default();
    Arc::new(move |e: &SyncEvent| {
        let mut bars = bars.lock().unwrap_or_else(|p| p.into_inner());
        match e {
            SyncEvent::Container { source, container, done, total } if terminal => {
                let bar = bars.entry(source.clone()).or_insert_with(|| {
                    let b = multi.add(ProgressBar::new(*total as u64));
                    b.set_style(bar_style("{prefix:>7} [{bar:30}] {pos}/{len} {wide_msg}"));
                    b.set_prefix(source.clone());
                    b
                });
                bar.set_length(*total as u64);
                bar.set_position(*done as u64);
                bar.set_message(container.clone());
            }
            SyncEvent::Finished { source, .. }
            | SyncEvent::Paused { source, .. }
            | SyncEvent::Parked { source, .. }
            | SyncEvent::Failed { source, .. } => {
                if let Some(b) = bars.remove(source) {
                    b.finish_and_clear();
                }
                if !quiet && !terminal {
                    eprintln!("{}", finished_line(e));
                }
            }
            _ => {}
        }
    })
}

/// The line printed when a source's sync ends (off a terminal).
fn finished_line(e: &SyncEvent) -> String {
    match e {
        SyncEvent::Finished { source, report } => {
            format!("{source}: {} new, {} updated, {} deleted", report.inserted, report.updated, report.deleted)
        }
        SyncEvent::Paused { source, message } => format!("{source}: paused: {message}"),
        SyncEvent::Parked { source, message, .. } => format!("{source}: parked: {message}"),
        SyncEvent::Failed { source, message } => format!("{source}: failed: {message}"),
        _ => String::new(),
    }
}

/// Embeds every item not embedded yet with a progress bar; says why when semantic
/// search is off. Returns the change sequence embedded up to.
pub fn embed_with_progress(cli: &Global, engine: &Engine) -> Result<i64> {
    if !engine.has_semantic() {
        if !cli.quiet {
            let problem = engine.status()?.embeddings.problem;
            eprintln!("note: {}", problem.unwrap_or_else(|| "semantic search is disabled".into()));
        }
        return Ok(0);
    }
    let total = engine.status()?.counts.max_seq;
    let bar = progress_bar(cli, "embedding");
    let seq = engine.embed_wait(&mut |p| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(p.done_seq as u64);
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(seq)
}
