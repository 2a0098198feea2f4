//! `chief`: the command-line surface over the engine. Commands are thin: parse, call
//! one engine method, print. Exit codes are decided in one place ([`exit_code`]).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chief_core::{ItemKind, Source, Timestamp};
use chief_engine::{Config, Engine, EngineError, Level, SearchMode, SearchQuery};
use chief_sources::slack_export::ImportOptions;
use clap::{Args, Parser, Subcommand};

mod output;

#[derive(Parser)]
#[command(name = "chief", version, about = "Chief: instant, grounded, personal context from your Slack, GitHub, Jira and Google Workspace")]
struct Cli {
    /// Chief home (store, index, config). Default: the platform data directory.
    #[arg(long, global = true, env = "CHIEF_HOME")]
    home: Option<PathBuf>,
    /// Show every external call and step with timings (-vv for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only print results and errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import data exported from a source.
    #[command(subcommand)]
    Import(ImportCmd),
    /// Search everything Chief knows.
    Search(SearchArgs),
    /// What a piece of text names and the items around it, grouped (the hotkey popup).
    Context {
        /// The text (what you would select on screen).
        text: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Counts per source, index health, last imports.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// One item with its references and thread.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Check the setup and say what to fix.
    Doctor {
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the search index from the store.
    Reindex,
    /// Sync live sources now from their cursors (default: every enabled source), or
    /// keep syncing in the background with --watch.
    Sync {
        /// slack | github (default: the enabled sources)
        sources: Vec<String>,
        /// List every id in the retention window to find deletions (otherwise weekly).
        #[arg(long)]
        reconcile: bool,
        /// Keep running: each source every `interval_minutes`, until Ctrl+C.
        #[arg(long)]
        watch: bool,
        #[arg(long)]
        json: bool,
    },
    /// Connect a source: reads its token from standard input, checks it against the
    /// API, reports missing scopes and stores it in the OS keychain.
    Connect {
        /// slack | github
        source: String,
        /// Print the Slack app manifest to install as an internal app, and exit.
        #[arg(long)]
        manifest: bool,
        /// Check the token without storing it.
        #[arg(long)]
        check_only: bool,
        #[arg(long)]
        json: bool,
    },
    /// Embed every item not embedded yet (semantic search), with progress.
    Embed,
    /// Retrieval quality on a benchmark.
    #[command(subcommand)]
    Eval(EvalCmd),
    /// Load the bundled demo workspace (a fictional engineering org) into the home.
    Demo {
        /// Replace the home's data even if it is not a demo home.
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
    /// Print the configuration in force (defaults, chief.toml, CHIEF_* variables).
    Config,
    /// The LLM providers.
    #[command(subcommand)]
    Llm(LlmCmd),
    /// LLM calls, tokens and estimated cost per provider, model and pipeline.
    Usage {
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks that print numbers.
    #[command(subcommand)]
    Bench(BenchCmd),
}

#[derive(Subcommand)]
enum ImportCmd {
    /// A Slack export: the zip Slack gives you, or the folder it unzips to.
    SlackExport {
        path: PathBuf,
        /// https://<team>.slack.com, to link results back to Slack.
        #[arg(long)]
        workspace_url: Option<String>,
        /// Re-read day files already imported.
        #[arg(long)]
        force: bool,
        /// Don't wait for the new items to be embedded (they are on the next start).
        #[arg(long)]
        no_embed: bool,
        #[arg(long)]
        json: bool,
    },
    /// Saved GitHub / Jira / Calendar REST responses (layout in the README).
    RestDump {
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum LlmCmd {
    /// Store a provider's API key in the OS keychain, read from standard input
    /// (so it never lands in your shell history): `chief llm set-key < key.txt`.
    SetKey {
        /// The provider entry's name (default: the first in the chain).
        #[arg(long)]
        provider: Option<String>,
    },
    /// Remove a provider's API key from the OS keychain.
    DeleteKey {
        #[arg(long)]
        provider: Option<String>,
    },
    /// Send one tiny request through the configured chain and report what happened.
    Test {
        /// Ignore the response cache.
        #[arg(long)]
        no_cache: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum EvalCmd {
    /// A BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv): nDCG@10, recall@100, MRR@10.
    Beir {
        dir: PathBuf,
        /// bm25 | dense | hybrid | all
        #[arg(long, default_value = "all")]
        mode: String,
        /// Keep the evaluation home here (re-runs skip loading and embedding).
        #[arg(long)]
        keep: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Ingest speed (SQLite + tantivy) vs FTS5, disk per item, peak RSS.
    Ingest {
        #[arg(long, default_value_t = 100_000)]
        items: usize,
        #[arg(long)]
        json: bool,
    },
    /// Embedding speed, short messages and passages, 1 and 2 threads, vs Python onnxruntime.
    Embed {
        /// A Python with onnxruntime, tokenizers and numpy, for the reference pipeline.
        #[arg(long, env = "CHIEF_BENCH_PYTHON")]
        python: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// LLM client overhead vs raw reqwest on a local mock, and 60 RPM budget throughput.
    Llm {
        #[arg(long, default_value_t = 300)]
        calls: usize,
        /// How long the 60 RPM / 20 caller budget run lasts.
        #[arg(long, default_value_t = 65)]
        budget_seconds: u64,
        #[arg(long)]
        json: bool,
    },
    /// Sync throughput from the local mock API through the real connectors: items/s,
    /// requests per item, time to the first searchable item.
    Sync {
        #[arg(long, default_value_t = 100_000)]
        messages: usize,
        #[arg(long, default_value_t = 10_000)]
        pulls: usize,
        /// Added to every mock response, like a real API's round trip.
        #[arg(long, default_value_t = 20)]
        latency_ms: u64,
        #[arg(long)]
        json: bool,
    },
    /// Search latency percentiles, with and without filters, vs FTS5.
    Search {
        #[arg(long, default_value_t = 100_000)]
        items: usize,
        #[arg(long, default_value_t = 500)]
        queries: usize,
        /// bm25 (vs FTS5) or hybrid (BM25 + query embedding + vector scan + fusion)
        #[arg(long, default_value = "bm25")]
        mode: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct SearchArgs {
    /// Words, names, ticket keys (PAY-142) or PR refs (org/repo#12).
    query: Vec<String>,
    /// hybrid (default) | bm25 | dense
    #[arg(long, default_value = "hybrid")]
    mode: String,
    /// slack | github | jira | google (repeatable)
    #[arg(long)]
    source: Vec<String>,
    /// message | issue | pull_request | review | comment | event | doc | email (repeatable)
    #[arg(long)]
    kind: Vec<String>,
    /// Channel, repo, project or calendar name or id (repeatable)
    #[arg(long)]
    container: Vec<String>,
    /// Someone's name, email or handle
    #[arg(long)]
    person: Option<String>,
    /// From: YYYY-MM-DD, RFC 3339, or a span back from now (7d, 12h)
    #[arg(long)]
    since: Option<String>,
    /// Until (exclusive), same formats as --since
    #[arg(long)]
    until: Option<String>,
    #[arg(long, default_value_t = 10)]
    limit: usize,
    #[arg(long)]
    json: bool,
}

/// Outcomes that are not plain success.
enum Outcome {
    Ok,
    /// Something was done, but not everything (failed files, doctor errors).
    Partial,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    init_tracing(cli.verbose, cli.quiet);
    exit_code(run(cli))
}

/// The one place that maps results to exit codes: 0 ok, 1 error, 2 usage, 3 partial.
fn exit_code(result: Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Partial) => ExitCode::from(3),
        Err(e) => {
            let code = e.downcast_ref::<EngineError>().map(EngineError::code).unwrap_or("error");
            eprintln!("error[{code}]: {e:#}");
            ExitCode::from(if code == "invalid_input" { 2 } else { 1 })
        }
    }
}

fn init_tracing(verbose: u8, quiet: bool) {
    use tracing_subscriber::fmt::format::FmtSpan;
    let filter = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "warn,chief_engine=info,chief_sources=info,chief_search=info,chief_store=info,chief_llm=info",
        _ => "debug,tantivy=info",
    };
    let filter = std::env::var("CHIEF_LOG").unwrap_or_else(|_| filter.to_string());
    let events = if verbose > 0 { FmtSpan::CLOSE } else { FmtSpan::NONE };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_span_events(events)
        .with_writer(std::io::stderr)
        .with_target(verbose > 1)
        .try_init();
}

fn home(cli: &Cli) -> PathBuf {
    cli.home.clone().unwrap_or_else(chief_engine::default_home)
}

fn open(cli: &Cli) -> Result<Engine> {
    let home = home(cli);
    let config = Config::load(&home, std::env::vars())?;
    let engine = Engine::open(&home, config).with_context(|| format!("opening the Chief home {}", home.display()))?;
    Ok(engine)
}

fn progress_bar(cli: &Cli, what: &str) -> Option<indicatif::ProgressBar> {
    if cli.quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {wide_msg}").expect("valid template").progress_chars("=> "));
    bar.set_prefix(what.to_string());
    Some(bar)
}

/// Sync progress: a bar per source on a terminal, one line per finished source otherwise.
fn sync_printer(cli: &Cli, json: bool) -> chief_engine::SyncProgress {
    use chief_engine::SyncEvent;
    let terminal = !cli.quiet && !json && std::io::stderr().is_terminal();
    let quiet = cli.quiet || json;
    let multi = indicatif::MultiProgress::new();
    let bars: std::sync::Mutex<std::collections::HashMap<String, indicatif::ProgressBar>> = Default::default();
    std::sync::Arc::new(move |e: &SyncEvent| {
        let mut bars = bars.lock().unwrap_or_else(|p| p.into_inner());
        match e {
            SyncEvent::Container { source, container, done, total } if terminal => {
                let bar = bars.entry(source.clone()).or_insert_with(|| {
                    let b = multi.add(indicatif::ProgressBar::new(*total as u64));
                    b.set_style(indicatif::ProgressStyle::with_template("{prefix:>7} [{bar:30}] {pos}/{len} {wide_msg}").expect("valid template").progress_chars("=> "));
                    b.set_prefix(source.clone());
                    b
                });
                bar.set_length(*total as u64);
                bar.set_position(*done as u64);
                bar.set_message(container.clone());
            }
            SyncEvent::Finished { source, .. } | SyncEvent::Paused { source, .. } | SyncEvent::Parked { source, .. } | SyncEvent::Failed { source, .. } => {
                if let Some(b) = bars.remove(source) {
                    b.finish_and_clear();
                }
                if !quiet && !terminal {
                    let line = match e {
                        SyncEvent::Finished { report, .. } => format!("{source}: {} new, {} updated, {} deleted", report.inserted, report.updated, report.deleted),
                        SyncEvent::Paused { message, .. } => format!("{source}: paused: {message}"),
                        SyncEvent::Parked { message, .. } => format!("{source}: parked: {message}"),
                        SyncEvent::Failed { message, .. } => format!("{source}: failed: {message}"),
                        _ => String::new(),
                    };
                    eprintln!("{line}");
                }
            }
            _ => {}
        }
    })
}

fn run(cli: Cli) -> Result<Outcome> {
    match &cli.command {
        Command::Import(ImportCmd::SlackExport { path, workspace_url, force, no_embed, json }) => {
            let engine = open(&cli)?;
            let bar = progress_bar(&cli, "importing");
            let opts = ImportOptions { workspace_url: workspace_url.clone(), force: *force };
            let report = engine.import_slack_export(path, &opts, &mut |p| {
                if let Some(b) = &bar {
                    b.set_length(p.total as u64);
                    b.set_position(p.done as u64);
                    b.set_message(p.file.clone());
                }
            })?;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            engine.sync_index()?;
            if !*no_embed {
                embed_with_progress(&cli, &engine)?;
            }
            engine.close()?;
            output::import_report(&report, *json, cli.quiet)?;
            Ok(if report.failures.is_empty() { Outcome::Ok } else { Outcome::Partial })
        }
        Command::Import(ImportCmd::RestDump { dir, json }) => {
            let engine = open(&cli)?;
            let report = engine.import_rest_dump(dir)?;
            engine.sync_index()?;
            engine.close()?;
            output::print_json_or(&report, *json, || {
                println!("imported {} files: {} new, {} updated, {} unchanged, {} deleted", report.files, report.inserted, report.updated, report.unchanged, report.deleted);
                for f in &report.failures {
                    eprintln!("failed: {}: {}", f.file, f.error);
                }
            })?;
            Ok(if report.failures.is_empty() { Outcome::Ok } else { Outcome::Partial })
        }
        Command::Search(args) => {
            let engine = open(&cli)?;
            engine.sync_index()?;
            let query = search_query(args)?;
            let response = engine.search(&query)?;
            output::search(&response, args.json)?;
            engine.close()?;
            Ok(Outcome::Ok)
        }
        Command::Status { json } => {
            let engine = open(&cli)?;
            let status = engine.status()?;
            output::status(&status, *json)?;
            engine.close()?;
            Ok(Outcome::Ok)
        }
        Command::Context { text, json } => {
            let engine = open(&cli)?;
            engine.sync_index()?;
            let resp = engine.context(&text.join(" "), engine.clock())?;
            output::context(&resp, *json)?;
            engine.close()?;
            Ok(Outcome::Ok)
        }
        Command::Show { id, json } => {
            let engine = open(&cli)?;
            let mut detail = engine.show(id)?;
            // Slack live mode keeps no text locally: fetch it now (offline: say so).
            let env: Vec<(String, String)> = std::env::vars().collect();
            if let Err(e) = engine.fill_live_text(&mut detail, &env) {
                eprintln!("warning: this Slack workspace syncs in live mode and its text could not be fetched now: {e}");
            }
            output::show(&detail, *json)?;
            engine.close()?;
            Ok(Outcome::Ok)
        }
        Command::Doctor { json } => {
            let findings = chief_engine::doctor(&home(&cli), std::env::vars());
            output::doctor(&findings, *json)?;
            Ok(if findings.iter().any(|f| f.level == Level::Error) { Outcome::Partial } else { Outcome::Ok })
        }
        Command::Sync { sources, reconcile, watch, json } => {
            let engine = open(&cli)?;
            let env: Vec<(String, String)> = std::env::vars().collect();
            if *watch {
                // Runs until interrupted: cursors commit with their pages, so stopping
                // at any point loses nothing.
                let (_keep, rx) = tokio::sync::watch::channel(false);
                engine.sync_forever(&env, sync_printer(&cli, *json), rx)?;
                engine.close()?;
                return Ok(Outcome::Ok);
            }
            let req = chief_engine::SyncRequest { sources: sources.clone(), reconcile: *reconcile, force: true };
            let outcomes = engine.sync(&req, &env, sync_printer(&cli, *json))?;
            engine.sync_index()?;
            engine.close()?;
            output::sync(&outcomes, *json, cli.quiet)?;
            Ok(if outcomes.iter().all(|o| o.state == "ok") { Outcome::Ok } else { Outcome::Partial })
        }
        Command::Connect { source, manifest, check_only, json } => {
            if *manifest {
                if source != "slack" {
                    return Err(EngineError::InvalidInput("only Slack needs an app manifest; GitHub takes a personal access token (scopes: repo, read:user, read:org)".into()).into());
                }
                print!("{}", chief_engine::SLACK_MANIFEST);
                return Ok(Outcome::Ok);
            }
            let engine = open(&cli)?;
            let mut token = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut token)?;
            let report = engine.connect(source, &token, !*check_only)?;
            engine.close()?;
            output::connect(&report, *json)?;
            Ok(if report.missing.is_empty() { Outcome::Ok } else { Outcome::Partial })
        }
        Command::Embed => {
            let engine = open(&cli)?;
            let seq = embed_with_progress(&cli, &engine)?;
            let status = engine.status()?;
            if !cli.quiet {
                println!("embedded up to change {seq}: {} chunks in the vector index", status.embeddings.chunks);
            }
            engine.close()?;
            Ok(Outcome::Ok)
        }
        Command::Eval(EvalCmd::Beir { dir, mode, keep, json }) => {
            let modes: Vec<SearchMode> = match mode.as_str() {
                "all" => vec![SearchMode::Bm25, SearchMode::Dense, SearchMode::Hybrid],
                m => vec![m.parse().map_err(EngineError::InvalidInput)?],
            };
            let temp = tempfile::tempdir()?;
            let home = keep.clone().unwrap_or_else(|| temp.path().to_path_buf());
            let engine = chief_engine::eval::open_home(&home, std::env::vars())?;
            if modes.iter().any(|m| *m != SearchMode::Bm25) && !engine.has_semantic() {
                return Err(EngineError::InvalidInput(format!("semantic search is unavailable: {}", engine.status()?.embeddings.problem.unwrap_or_default())).into());
            }
            let quiet = cli.quiet;
            let t = std::time::Instant::now();
            let docs = chief_engine::eval::load(&engine, dir, &mut |m| {
                if !quiet && std::io::stderr().is_terminal() {
                    eprint!("\r\x1b[K{m}");
                }
            })?;
            if !quiet {
                eprintln!("\r\x1b[Kloaded {docs} documents in {:.1}s", t.elapsed().as_secs_f64());
            }
            let scores = chief_engine::eval::run(&engine, dir, &modes)?;
            output::print_json_or(&scores, *json, || {
                for (mode, s) in &scores {
                    println!("{mode:<7} nDCG@10 {:.3}  recall@100 {:.3}  MRR@10 {:.3}", s.ndcg10, s.recall100, s.mrr10);
                }
            })?;
            engine.close()?;
            Ok(Outcome::Ok)
        }
        Command::Reindex => {
            let engine = open(&cli)?;
            let status = engine.reindex()?;
            if !cli.quiet {
                println!("reindexed {} documents from the store", status.documents);
            }
            engine.close()?;
            Ok(Outcome::Ok)
        }
        Command::Demo { force, json } => {
            let home = home(&cli);
            if !*force && !Engine::is_demo_or_empty(&home) {
                return Err(EngineError::NotADemoHome { path: home }.into());
            }
            for stale in ["chief.db", "chief.db-wal", "chief.db-shm", "index", "demo-data"] {
                let p = home.join(stale);
                let _ = if p.is_dir() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
            }
            std::fs::create_dir_all(&home)?;
            let cfg_path = Config::path_in(&home);
            if !cfg_path.exists() {
                std::fs::write(&cfg_path, output::DEMO_CONFIG)?;
            }
            let engine = open(&cli)?;
            let report = engine.load_demo(sync_printer(&cli, *json))?;
            let status = engine.status()?;
            output::demo(&report, &status, &engine, *json, cli.quiet)?;
            engine.close()?;
            Ok(Outcome::Ok)
        }
        Command::Llm(LlmCmd::SetKey { provider }) | Command::Llm(LlmCmd::DeleteKey { provider }) => {
            let config = Config::load(&home(&cli), std::env::vars())?;
            let chain = config.llm.chain()?;
            let name = match provider {
                Some(p) => p.clone(),
                None => chain.first().map(|p| p.name.clone()).ok_or_else(|| EngineError::InvalidInput("no LLM provider is configured; set [llm] provider in chief.toml first".into()))?,
            };
            let entry = chief_engine::secrets::llm_key_name(&name);
            if matches!(cli.command, Command::Llm(LlmCmd::SetKey { .. })) {
                let mut key = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut key)?;
                let key = key.trim();
                if key.is_empty() {
                    return Err(EngineError::InvalidInput("no key on standard input".into()).into());
                }
                chief_engine::secrets::set(&entry, key)?;
                if !cli.quiet {
                    println!("stored the API key for {name} in the OS keychain");
                }
            } else {
                let removed = chief_engine::secrets::delete(&entry)?;
                if !cli.quiet {
                    println!("{}", if removed { format!("removed the API key for {name}") } else { format!("no API key stored for {name}") });
                }
            }
            Ok(Outcome::Ok)
        }
        Command::Llm(LlmCmd::Test { no_cache, json }) => {
            let engine = open(&cli)?;
            let env: Vec<(String, String)> = std::env::vars().collect();
            let llm = engine.llm(*no_cache, &env)?;
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let mut req = chief_llm::ChatRequest::new(vec![chief_llm::Message::user("Reply with the single word: pong")]);
            req.max_tokens = 8;
            req.pipeline = "llm.test".into();
            let result = rt.block_on(llm.complete(&req));
            engine.close()?;
            match result {
                Ok(c) => {
                    output::print_json_or(&c, *json, || {
                        println!("ok: {} ({}) answered {:?} in {} ms, {} tokens in / {} out{}", c.provider, c.model, c.text.trim(), c.latency_ms, c.usage.input_tokens, c.usage.output_tokens, if c.cached { " (from cache)" } else { "" });
                    })?;
                    Ok(Outcome::Ok)
                }
                Err(e) => Err(EngineError::from(e).into()),
            }
        }
        Command::Usage { json } => {
            let engine = open(&cli)?;
            let env: Vec<(String, String)> = std::env::vars().collect();
            let rows = engine.llm(false, &env)?.usage();
            engine.close()?;
            output::print_json_or(&rows, *json, || {
                if rows.is_empty() {
                    println!("no LLM calls yet");
                }
                for r in &rows {
                    println!(
                        "{:<12} {:<24} {:<18} {:>5} calls ({} cached, {} failed)  {:>8} in {:>7} out  avg {:>6.0} ms  ~${:.4}",
                        r.provider, r.model, if r.pipeline.is_empty() { "-" } else { &r.pipeline }, r.calls, r.cache_hits, r.errors, r.input_tokens, r.output_tokens, r.avg_latency_ms, r.estimated_cost_usd
                    );
                }
            })?;
            Ok(Outcome::Ok)
        }
        Command::Config => {
            let config = Config::load(&home(&cli), std::env::vars())?;
            print!("{}", config.to_toml());
            Ok(Outcome::Ok)
        }
        Command::Bench(cmd) => {
            let dir = tempfile::tempdir()?;
            let quiet = cli.quiet;
            let mut progress = |m: &str| {
                if !quiet && std::io::stderr().is_terminal() {
                    eprint!("\r\x1b[K{m}");
                }
            };
            match cmd {
                BenchCmd::Embed { python, json } => {
                    let config = Config::load(&home(&cli), std::env::vars())?;
                    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/embed_reference.py");
                    let rows = chief_engine::bench::run_embed(&config.embed, python.as_deref(), &script, &mut progress)?;
                    if !quiet && std::io::stderr().is_terminal() {
                        eprint!("\r\x1b[K");
                    }
                    output::bench_embed(&rows, *json)?;
                }
                BenchCmd::Llm { calls, budget_seconds, json } => {
                    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
                    let r = rt.block_on(chief_llm::bench::run(*calls, *budget_seconds)).map_err(EngineError::InvalidInput)?;
                    output::print_json_or(&r, *json, || {
                        println!("LLM client vs raw reqwest, {} calls to a local mock", r.calls);
                        println!("  raw reqwest       p50 {:.3} ms  p95 {:.3} ms", r.raw_reqwest.p50, r.raw_reqwest.p95);
                        println!("  chief client      p50 {:.3} ms  p95 {:.3} ms  (overhead p50 {:.3} ms)", r.chief_client.p50, r.chief_client.p95, r.overhead_p50_ms);
                        println!("  first token raw   p50 {:.3} ms  p95 {:.3} ms", r.raw_first_token.p50, r.raw_first_token.p95);
                        println!("  first token chief p50 {:.3} ms  p95 {:.3} ms", r.chief_first_token.p50, r.chief_first_token.p95);
                        println!(
                            "budget {} RPM, {} callers, {} s: {} requests, at most {} in any minute, {}..{} per caller",
                            r.budget_rpm, r.budget_callers, r.budget_seconds, r.budget_completed, r.budget_max_per_minute, r.budget_min_per_caller, r.budget_max_per_caller
                        );
                    })?;
                }
                BenchCmd::Ingest { items, json } => {
                    let report = chief_engine::bench::run_ingest(dir.path(), *items, &mut progress)?;
                    output::bench_ingest(&report, *json)?;
                }
                BenchCmd::Sync { messages, pulls, latency_ms, json } => {
                    let report = chief_engine::bench::run_sync(dir.path(), *messages, *pulls, std::time::Duration::from_millis(*latency_ms), &mut progress)?;
                    output::bench_sync(&report, *json)?;
                }
                BenchCmd::Search { items, queries, mode, json } => match mode.as_str() {
                    "bm25" => {
                        let report = chief_engine::bench::run_search(dir.path(), *items, *queries, &mut progress)?;
                        output::bench_search(&report, *json)?;
                    }
                    "hybrid" => {
                        let config = Config::load(&home(&cli), std::env::vars())?;
                        let report = chief_engine::bench::run_hybrid(dir.path(), *items, *queries, &config.embed, &mut progress)?;
                        output::bench_hybrid(&report, *json)?;
                    }
                    other => return Err(EngineError::InvalidInput(format!("unknown bench mode {other:?}: expected bm25 or hybrid")).into()),
                },
            }
            Ok(Outcome::Ok)
        }
    }
}

fn embed_with_progress(cli: &Cli, engine: &Engine) -> Result<i64> {
    if !engine.has_semantic() {
        if !cli.quiet {
            eprintln!("note: {}", engine.status()?.embeddings.problem.unwrap_or_else(|| "semantic search is disabled".into()));
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

fn search_query(args: &SearchArgs) -> Result<SearchQuery> {
    let now = Timestamp::now();
    let bad = |e: chief_core::CoreError| EngineError::InvalidInput(e.to_string());
    Ok(SearchQuery {
        text: args.query.join(" "),
        mode: args.mode.parse().map_err(EngineError::InvalidInput)?,
        sources: args.source.iter().map(|s| s.parse::<Source>().map_err(bad)).collect::<Result<_, _>>()?,
        kinds: args.kind.iter().map(|k| k.parse::<ItemKind>().map_err(bad)).collect::<Result<_, _>>()?,
        containers: args.container.clone(),
        person: args.person.clone(),
        since: args.since.as_deref().map(|s| Timestamp::parse_user(s, now).map_err(bad)).transpose()?,
        until: args.until.as_deref().map(|s| Timestamp::parse_user(s, now).map_err(bad)).transpose()?,
        limit: Some(args.limit),
        ..Default::default()
    })
}
