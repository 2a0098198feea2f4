//! `chief eval`: retrieval quality on a benchmark; the briefing on seeded demos.

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
    /// The offline briefing on seeded demo orgs, scored against their ground truth:
    /// gold in the top 3 per story kind, duplicates, distractors, BCubed, citation
    /// precision, the hard-fact check, second person, forbidden phrases.
    Brief(BriefArgs),
    /// Search on seeded demo orgs: each org's ground-truth queries against its own home,
    /// recall@5 and MRR@10 per mode (BM25, dense, hybrid).
    Search(BriefArgs),
}

#[derive(clap::Args)]
pub struct BriefArgs {
    /// Seeds: `1..20` (inclusive), `3`, or `1,4,9`.
    #[arg(long, default_value = "1..20")]
    seeds: String,
    #[arg(long)]
    json: bool,
}

fn parse_seeds(text: &str) -> Result<Vec<u64>> {
    let bad = || {
        EngineError::InvalidInput(format!("--seeds {text:?}: use a range like 1..20, a number, or a list like 1,4,9"))
    };
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once("..") {
            Some((a, b)) => {
                let (a, b): (u64, u64) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
                if b < a || b - a > 1000 {
                    return Err(bad().into());
                }
                out.extend(a..=b);
            }
            None => out.push(part.parse().map_err(|_| bad())?),
        }
    }
    if out.is_empty() {
        return Err(bad().into());
    }
    Ok(out)
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
    /// Also write each mode's ranking to this folder as a TREC run file (`<mode>.run`).
    #[arg(long)]
    runs: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, cmd: &Cmd) -> Result<Outcome> {
    match cmd {
        Cmd::Beir(args) => beir(cli, args),
        Cmd::Brief(args) => brief(cli, args),
        Cmd::Search(args) => search(cli, args),
    }
}

fn search(cli: &Global, args: &BriefArgs) -> Result<Outcome> {
    let seeds = parse_seeds(&args.seeds)?;
    let temp = tempfile::tempdir()?;
    let mut line = status_line(cli);
    let report = chief_bench::search_eval::run(temp.path(), &seeds, std::env::vars().collect(), &mut |m| line(m))?;
    if !cli.quiet {
        eprint!("\r\x1b[K");
    }
    output::search_eval(&report, args.json)?;
    Ok(Outcome::Ok)
}

fn brief(cli: &Global, args: &BriefArgs) -> Result<Outcome> {
    let seeds = parse_seeds(&args.seeds)?;
    let mut line = status_line(cli);
    let report = chief_bench::brief_eval::run(&seeds, &mut |m| line(m))?;
    if !cli.quiet {
        eprint!("\r\x1b[K");
    }
    output::brief_eval(&report, args.json)?;
    Ok(Outcome::Ok)
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
    let scores = chief_bench::beir::run(&engine, &args.dir, &modes, args.runs.as_deref())?;
    output::beir(&scores, args.json)?;
    engine.close()?;
    Ok(Outcome::Ok)
}
