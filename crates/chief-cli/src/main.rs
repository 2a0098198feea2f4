//! `chief`: the command-line surface over the engine. Each command is a module of
//! [`cmd`] — parse, call the engine once, print through [`output`] — and exit codes
//! are decided in one place ([`exit_code`]).

use std::process::ExitCode;

use anyhow::Result;
use chief_engine::EngineError;
use clap::{Parser, Subcommand};

use cmd::{Global, Outcome};

mod cmd;
mod output;

#[derive(Parser)]
#[command(
    name = "chief",
    version,
    about = "Chief: instant, grounded, personal context from your Slack, GitHub, Jira and Google Workspace"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import data exported from a source.
    #[command(subcommand)]
    Import(cmd::import::Cmd),
    /// Search everything Chief knows.
    Search(cmd::search::Args),
    /// What a piece of text names and the items around it, grouped (the hotkey popup).
    Context(cmd::context::Args),
    /// Counts per source, index health, last imports.
    Status(cmd::status::Args),
    /// One item with its references and thread.
    Show(cmd::show::Args),
    /// Check the setup and say what to fix.
    Doctor(cmd::doctor::Args),
    /// Rebuild the search index from the store.
    Reindex(cmd::reindex::Args),
    /// Sync live sources now from their cursors (default: every enabled source), or
    /// keep syncing in the background with --watch.
    Sync(cmd::sync::Args),
    /// Connect a source: reads its token from standard input, checks it against the
    /// API, reports missing scopes and stores it in the OS keychain.
    Connect(cmd::connect::Args),
    /// Embed every item not embedded yet (semantic search), with progress.
    Embed(cmd::embed::Args),
    /// Retrieval quality on a benchmark.
    #[command(subcommand)]
    Eval(cmd::eval::Cmd),
    /// Load the bundled demo workspace (a fictional engineering org) into the home.
    Demo(cmd::demo::Args),
    /// Print the configuration in force (defaults, chief.toml, CHIEF_* variables).
    Config(cmd::config::Args),
    /// The LLM providers.
    #[command(subcommand)]
    Llm(cmd::llm::Cmd),
    /// LLM calls, tokens and estimated cost per provider, model and pipeline.
    Usage(cmd::usage::Args),
    /// Benchmarks that print numbers.
    #[command(subcommand)]
    Bench(cmd::bench::Cmd),
    /// Today's briefing: the three stories that matter most to you, cited.
    Brief(cmd::brief::Args),
    /// The briefing pipeline's journaled runs and every step's output.
    #[command(subcommand)]
    Runs(cmd::runs::Cmd),
    /// What Chief thinks you care about, with the evidence.
    Interests(cmd::interests::Args),
    /// Rate a briefing story up or down; the next ranking follows.
    Feedback(cmd::feedback::Args),
    /// Who you are in each source, and where Chief learned it.
    Whoami(cmd::whoami::Args),
    /// What the notifier sent (or would have sent): the reason, the sources, what was held.
    Notifications(cmd::notifications::Args),
    /// A meeting's prep card: attendees, what is open between you, related items.
    Prep(cmd::prep::Args),
    /// Sync on each source's interval and deliver due notifications, in the foreground.
    Watch(cmd::watch::Args),
}

impl Command {
    fn run(&self, cli: &Global) -> Result<Outcome> {
        match self {
            Command::Import(cmd) => cmd::import::run(cli, cmd),
            Command::Search(args) => cmd::search::run(cli, args),
            Command::Context(args) => cmd::context::run(cli, args),
            Command::Status(args) => cmd::status::run(cli, args),
            Command::Show(args) => cmd::show::run(cli, args),
            Command::Doctor(args) => cmd::doctor::run(cli, args),
            Command::Reindex(args) => cmd::reindex::run(cli, args),
            Command::Sync(args) => cmd::sync::run(cli, args),
            Command::Connect(args) => cmd::connect::run(cli, args),
            Command::Embed(args) => cmd::embed::run(cli, args),
            Command::Eval(cmd) => cmd::eval::run(cli, cmd),
            Command::Demo(args) => cmd::demo::run(cli, args),
            Command::Config(args) => cmd::config::run(cli, args),
            Command::Llm(cmd) => cmd::llm::run(cli, cmd),
            Command::Usage(args) => cmd::usage::run(cli, args),
            Command::Bench(cmd) => cmd::bench::run(cli, cmd),
            Command::Brief(args) => cmd::brief::run(cli, args),
            Command::Runs(cmd) => cmd::runs::run(cli, cmd),
            Command::Interests(args) => cmd::interests::run(cli, args),
            Command::Feedback(args) => cmd::feedback::run(cli, args),
            Command::Whoami(args) => cmd::whoami::run(cli, args),
            Command::Notifications(args) => cmd::notifications::run(cli, args),
            Command::Prep(args) => cmd::prep::run(cli, args),
            Command::Watch(args) => cmd::watch::run(cli, args),
        }
    }
}

/// `chief … | head`: once the reader has gone, printing fails, and that ends the command
/// quietly, as a closed pipe ends other tools, instead of with a panic and a backtrace.
fn quiet_when_stdout_closes() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        // EPIPE (32) on Unix; ERROR_NO_DATA (232) on Windows.
        let closed = message.contains("(os error 32)") || message.contains("(os error 232)");
        if message.starts_with("failed printing to stdout") && closed {
            std::process::exit(0);
        }
        report(info);
    }));
}

fn main() -> ExitCode {
    quiet_when_stdout_closes();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // What runs for hours keeps its heap flat (see `with_lean_malloc`).
    if matches!(&cli.command, Command::Watch(_)) || matches!(&cli.command, Command::Sync(a) if a.watch) {
        chief_engine::with_lean_malloc("chief");
    }
    init_tracing(cli.global.verbose, cli.global.quiet);
    exit_code(cli.command.run(&cli.global))
}

/// The one place that maps results to exit codes: 0 ok, 1 error, 2 usage (what the
/// user can fix in the command), 3 partial.
fn exit_code(result: Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Partial) => ExitCode::from(3),
        Err(e) => {
            let engine = e.downcast_ref::<EngineError>();
            eprintln!("error[{}]: {}", engine.map_or("error", EngineError::code), chain_text(&e));
            ExitCode::from(engine.map_or(1, EngineError::exit_code))
        }
    }
}

/// The error and its causes, `a: b: c`, leaving out a cause the text already says
/// (an I/O error quoted in its wrapper's message is not repeated).
fn chain_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let t = cause.to_string();
        if out.contains(&t) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&t);
    }
    out
}

fn init_tracing(verbose: u8, quiet: bool) {
    use tracing_subscriber::fmt::format::FmtSpan;
    let filter = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => concat!(
            "warn,chief_engine=info,chief_bench=info,chief_sources=info,",
            "chief_search=info,chief_store=info,chief_llm=info"
        ),
        _ => "debug,tantivy=info",
    };
    let filter = chief_engine::secrets::log_filter(&std::env::var("CHIEF_LOG").unwrap_or_else(|_| filter.to_string()));
    let events = if verbose > 0 { FmtSpan::CLOSE } else { FmtSpan::NONE };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_span_events(events)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(verbose > 1)
        .try_init();
}
