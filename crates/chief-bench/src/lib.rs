//! Chief on generated and benchmark data, for the `chief` command line and the tests:
//! the demo workspace loader (which serves the demo's Slack and GitHub data from a
//! local mock API), benchmarks that print numbers (`chief bench …`) and retrieval
//! evaluations (`chief eval beir`).
//!
//! Why a crate of its own: these need a mock HTTP server (axum), generators and
//! measuring code that the product does not. The CLI links this crate; the desktop
//! app does not (`cargo tree -p chief-desktop` has no axum), and the engine stays a
//! composition of the product's crates.

pub mod beir;
pub mod brief_eval;
pub mod demo;
pub mod llm;
pub mod perf;
pub mod search_eval;

use chief_engine::{EngineError, LiveSource, SyncEndpoint};

/// A mock Slack + GitHub API serving `world` on 127.0.0.1, and the endpoints that sync
/// every repository of it through the real connectors. The server stops when the
/// returned `MockApi` drops.
pub fn serve(
    world: chief_mockapi::World,
    web_base: Option<String>,
) -> Result<(chief_mockapi::MockApi, [SyncEndpoint; 2]), EngineError> {
    let repos: Vec<String> = world.github.repos.keys().cloned().collect();
    let token = world.token.clone();
    let mock = chief_mockapi::MockApi::start_background(world)
        .map_err(|e| EngineError::internal("starting the mock API", e))?;
    let slack = SyncEndpoint {
        source: LiveSource::Slack,
        api_base: mock.slack_base(),
        token: token.clone(),
        web_base,
        containers: Vec::new(),
    };
    let github = SyncEndpoint {
        source: LiveSource::Github,
        api_base: mock.github_base(),
        token,
        web_base: None,
        containers: repos,
    };
    Ok((mock, [slack, github]))
}
