//! `chief runs`: the briefing pipeline's journal — every run, every step's output.

use anyhow::Result;

use super::{Global, Outcome, open};
use crate::output;

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Runs, newest first.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// One run: its steps with timings, and with --step N that step's full output.
    Show {
        run: i64,
        /// Print this step's full output: 0 discussions, 1 summarize, 2 consolidate,
        /// 3 interests, 4 rank, 5 refine (LLM mode), 6 generate, 7 guard.
        #[arg(long)]
        step: Option<i64>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cli: &Global, cmd: &Cmd) -> Result<Outcome> {
    let engine = open(cli)?;
    match cmd {
        Cmd::List { json, limit } => output::runs(&engine.runs(*limit)?, *json)?,
        Cmd::Show { run, step, json } => {
            let (r, steps) = engine.run_detail(*run)?;
            output::run_detail(&r, &steps, *step, *json)?;
        }
    }
    engine.close()?;
    Ok(Outcome::Ok)
}
