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

/// A mock Slack + GitHub + Jira + Google API serving `world` on 127.0.0.1, and the endpoints that
/// sync every repository, project and calendar of it through the real connectors (Jira links
/// point at the world's site). The server stops when the returned `MockApi` drops.
pub fn serve(
    world: chief_mockapi::World,
    web_base: Option<String>,
) -> Result<(chief_mockapi::MockApi, [SyncEndpoint; 4]), EngineError> {
    let repos: Vec<String> = world.github.repos.keys().cloned().collect();
    let token = world.token.clone();
    let jira_email = world.jira.email.clone();
    let jira_web = Some(world.jira.site.clone());
    let mock = chief_mockapi::MockApi::start_background(world)
        .map_err(|e| EngineError::internal("starting the mock API", e))?;
    let slack = SyncEndpoint {
        source: LiveSource::Slack,
        api_base: mock.slack_base(),
        token: token.clone(),
        web_base,
        containers: Vec::new(),
        account: String::new(),
        oauth: None,
        google: Default::default(),
    };
    let github = SyncEndpoint {
        source: LiveSource::Github,
        api_base: mock.github_base(),
        token: token.clone(),
        web_base: None,
        containers: repos,
        account: String::new(),
        oauth: None,
        google: Default::default(),
    };
    let jira = SyncEndpoint {
        source: LiveSource::Jira,
        api_base: mock.jira_base(),
        token: token.clone(),
        web_base: jira_web,
        containers: Vec::new(),
        account: jira_email,
        oauth: None,
        google: Default::default(),
    };
    let google = SyncEndpoint {
        source: LiveSource::Google,
        api_base: mock.google_base(),
        token,
        web_base: None,
        containers: Vec::new(),
        account: String::new(),
        oauth: None,
        google: Default::default(),
    };
    Ok((mock, [slack, github, jira, google]))
}
