//! `chief context`: what a piece of text names and the items around it (the popup).

use anyhow::Result;

use super::{Global, Outcome, open};
use crate::output;

#[derive(clap::Args)]
pub struct Args {
    /// The text (what you would select on screen).
    text: Vec<String>,
    #[arg(long)]
    json: bool,
    /// Add a short cited explanation: what this is, what happened around it, why it
    /// matters to you. Written by the LLM in `[brain] mode = "llm"`, else extractive.
    #[arg(long)]
    explain: bool,
    /// Print the related items at once and each sentence of the explanation as it is
    /// written (with --json: one JSON object per line).
    #[arg(long, requires = "explain")]
    stream: bool,
    /// Explain without the LLM, whatever the config says.
    #[arg(long, requires = "explain")]
    offline: bool,
}

pub fn run(cli: &Global, args: &Args) -> Result<Outcome> {
    let engine = open(cli)?;
    engine.sync_index()?;
    let resp = engine.context(&args.text.join(" "), engine.clock())?;
    if args.explain && args.stream {
        // The local part first; the explanation never holds it up.
        output::stream_start(&resp, args.json)?;
        let req = chief_engine::ExplainRequest { offline: args.offline, env: std::env::vars().collect() };
        let mut n = 0;
        let explanation = engine.explain_streaming(&resp, &req, &mut |s| {
            n += 1;
            output::stream_sentence(n, s, args.json);
        })?;
        output::stream_end(&explanation, args.json)?;
    } else if args.explain {
        let req = chief_engine::ExplainRequest { offline: args.offline, env: std::env::vars().collect() };
        let explanation = engine.explain_streaming(&resp, &req, &mut |_| {})?;
        output::context_explained(&resp, &explanation, args.json)?;
    } else {
        output::context(&resp, args.json)?;
    }
    engine.close()?;
    Ok(Outcome::Ok)
}
