//! `chief bench`: benchmarks that print numbers (in a temporary directory).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use chief_bench::perf;
use chief_engine::EngineError;

use super::{Global, Outcome, load_config, status_line};
use crate::output;

#[derive(clap::Subcommand)]
pub enum Cmd {
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
        /// What to measure.
        #[arg(long, value_enum, default_value_t = SearchBench::Bm25)]
        mode: SearchBench,
        #[arg(long)]
        json: bool,
    },
    /// The offline briefing: on the demo (first run and re-run) and on a synthetic home
    /// of --items messages; peak RSS.
    Brief {
        #[arg(long, default_value_t = 100_000)]
        items: usize,
        #[arg(long)]
        json: bool,
    },
    /// Context (popup) lookup latency on the demo home, idle and while the same engine
    /// syncs a synthetic workspace from the local mock API.
    Context {
        #[arg(long, default_value_t = 20_000)]
        messages: usize,
        /// Add this many synthetic messages to the demo home first (e.g. 1000000).
        #[arg(long, default_value_t = 0)]
        items: usize,
        /// Added to every mock response, like a real API's round trip.
        #[arg(long, default_value_t = 20)]
        latency_ms: u64,
        #[arg(long)]
        json: bool,
    },
}

/// What `chief bench search` measures (`--mode`).
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum SearchBench {
    /// BM25, vs FTS5.
    Bm25,
    /// BM25 + query embedding + vector scan + fusion.
    Hybrid,
}

pub fn run(cli: &Global, cmd: &Cmd) -> Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let dir = dir.path();
    let mut progress = status_line(cli);
    match cmd {
        Cmd::Ingest { items, json } => output::bench_ingest(&perf::run_ingest(dir, *items, &mut progress)?, *json)?,
        Cmd::Embed { python, json } => embed(cli, python.as_deref(), *json)?,
        Cmd::Llm { calls, budget_seconds, json } => llm(*calls, *budget_seconds, *json)?,
        Cmd::Sync { messages, pulls, latency_ms, json } => {
            let latency = Duration::from_millis(*latency_ms);
            output::bench_sync(&perf::run_sync(dir, *messages, *pulls, latency, &mut progress)?, *json)?;
        }
        Cmd::Search { items, queries, mode: SearchBench::Bm25, json } => {
            output::bench_search(&perf::run_search(dir, *items, *queries, &mut progress)?, *json)?;
        }
        Cmd::Search { items, queries, mode: SearchBench::Hybrid, json } => {
            let config = load_config(cli)?;
            output::bench_hybrid(&perf::run_hybrid(dir, *items, *queries, &config.embed, &mut progress)?, *json)?;
        }
        Cmd::Brief { items, json } => output::bench_brief(&perf::run_brief(dir, *items, &mut progress)?, *json)?,
        Cmd::Context { messages, items, latency_ms, json } => {
            let latency = Duration::from_millis(*latency_ms);
            let report = perf::run_context_during_sync(dir, *messages, latency, *items, &mut progress)?;
            output::bench_context(&report, *json)?;
        }
    }
    Ok(Outcome::Ok)
}

fn embed(cli: &Global, python: Option<&Path>, json: bool) -> Result<()> {
    let config = load_config(cli)?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/embed_reference.py");
    let rows = perf::run_embed(&config.embed, python, &script, &mut status_line(cli))?;
    if !cli.quiet && std::io::stderr().is_terminal() {
        eprint!("\r\x1b[K");
    }
    output::bench_embed(&rows, json)
}

fn llm(calls: usize, budget_seconds: u64, json: bool) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let report = rt.block_on(chief_bench::llm::run(calls, budget_seconds)).map_err(EngineError::InvalidInput)?;
    output::bench_llm(&report, json)
}
