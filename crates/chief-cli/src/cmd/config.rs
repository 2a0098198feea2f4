//! `chief config`: the configuration in force.

use anyhow::Result;

use super::{Global, Outcome, load_config};

#[derive(clap::Args)]
pub struct Args {}

pub fn run(cli: &Global, _args: &Args) -> Result<Outcome> {
    print!("{}", load_config(cli)?.to_toml());
    Ok(Outcome::Ok)
}
