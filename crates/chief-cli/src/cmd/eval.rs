//! `chief eval`: retrieval quality on a benchmark.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use chief_engine::{EngineError, SearchMode};

use super::{Global, Outcome, status_line};
use crate::output;

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// A BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv): nDCG@10, recall@100, MRR@10.
    Beir(BeirArgs),
}

/// The modes to evaluate (`--mode`).
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// Words and identifiers only.
    Bm25,
    /// Meaning only (local embeddings).
    Dense,
    /// Both, fused.
    Hybrid,
    /// Each of the three.
    All,
}

impl ModeArg {
    fn modes(self) -> Vec<SearchMode> {
        match self {
            ModeArg::Bm25 => vec![SearchMode::Bm25],
            ModeArg::Dense => vec![SearchMode::Dense],
            ModeArg::Hybrid => vec![SearchMode::Hybrid],
            ModeArg::All => SearchMode::ALL.to_vec(),
        }
    }
}

#[derive(clap::Args)]
pub struct BeirArgs {
    dir: PathBuf,
    /// The modes to evaluate.
    #[arg(long, value_enum, default_value_t = ModeArg::All)]
    mode: ModeArg,
    /// Keep the evaluation home here (re-runs skip loading and embedding).
    #[arg(long)]
    keep: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, cmd: &Cmd) -> Result<Outcome> {
    match cmd {
        Cmd::Beir(args) => beir(cli, args),
    }
}

fn beir(cli: &Global, args: &BeirArgs) -> Result<Outcome> {
    let modes = args.mode.modes();
    let temp = tempfile::tempdir()?;
    let home = args.keep.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let engine = chief_bench::beir::open_home(&home, std::env::vars())?;
    if modes.iter().any(|m| *m != SearchMode::Bm25) && !engine.has_semantic() {
        let problem = engine.status()?.embeddings.problem.unwrap_or_default();
        return Err(EngineError::InvalidInput(format!("semantic search is unavailable: {problem}")).into());
    }
    let t = Instant::now();
    let docs = chief_bench::beir::load(&engine, &args.dir, &mut status_line(cli))?;
    if !cli.quiet {
        eprintln!("\r\x1b[Kloaded {docs} documents in {:.1}s", t.elapsed().as_secs_f64());
    }
    let scores = chief_bench::beir::run(&engine, &args.dir, &modes)?;
    output::beir(&scores, args.json)?;
    engine.close()?;
    Ok(Outcome::Ok)
}
