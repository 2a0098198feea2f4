//! `chief llm`: the LLM providers' keys, and a test request through the chain.

use anyhow::Result;
use chief_engine::{ChatRequest, EngineError, Message, secrets};

use super::{Global, Outcome, env, load_config, open, read_stdin};
use crate::output;

#[derive(clap::Subcommand)]
pub enum Cmd {
    /// Store a provider's API key in the OS keychain, read from standard input
    /// (so it never lands in your shell history): `chief llm set-key < key.txt`.
    SetKey(SetKeyArgs),
    /// Remove a provider's API key from the OS keychain.
    DeleteKey(DeleteKeyArgs),
    /// Send one tiny request through the configured chain and report what happened.
    Test(TestArgs),
}

#[derive(clap::Args)]
pub struct SetKeyArgs {
    /// The provider entry's name (default: the first in the chain).
    #[arg(long)]
    provider: Option<String>,
}

#[derive(clap::Args)]
pub struct DeleteKeyArgs {
    #[arg(long)]
    provider: Option<String>,
}

#[derive(clap::Args)]
pub struct TestArgs {
    /// Ignore the response cache.
    #[arg(long)]
    no_cache: bool,
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Global, cmd: &Cmd) -> Result<Outcome> {
    match cmd {
        Cmd::SetKey(args) => set_key(cli, args),
        Cmd::DeleteKey(args) => delete_key(cli, args),
        Cmd::Test(args) => test(cli, args),
    }
}

fn set_key(cli: &Global, args: &SetKeyArgs) -> Result<Outcome> {
    let (name, entry) = chief_engine::llm_key_entry(&load_config(cli)?, args.provider.as_deref())?;
    let key = read_stdin()?;
    let key = key.trim();
    if key.is_empty() {
        return Err(EngineError::InvalidInput("no key on standard input".into()).into());
    }
    secrets::set(&entry, key)?;
    if !cli.quiet {
        println!("stored the API key for {name} in the OS keychain");
    }
    Ok(Outcome::Ok)
}

fn delete_key(cli: &Global, args: &DeleteKeyArgs) -> Result<Outcome> {
    let (name, entry) = chief_engine::llm_key_entry(&load_config(cli)?, args.provider.as_deref())?;
    let removed = secrets::delete(&entry)?;
    if !cli.quiet {
        println!(
            "{}",
            if removed { format!("removed the API key for {name}") } else { format!("no API key stored for {name}") }
        );
    }
    Ok(Outcome::Ok)
}

fn test(cli: &Global, args: &TestArgs) -> Result<Outcome> {
    let engine = open(cli)?;
    let llm = engine.llm(args.no_cache, &env())?;
    let mut req = ChatRequest::new(vec![Message::user("Reply with the single word: pong")]);
    req.max_tokens = 8;
    req.pipeline = "llm.test".into();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let result = rt.block_on(llm.complete(&req));
    engine.close()?;
    let completion = result.map_err(EngineError::from)?;
    output::llm_test(&completion, args.json)?;
    Ok(Outcome::Ok)
}
