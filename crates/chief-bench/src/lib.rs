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
pub mod demo;
pub mod llm;
pub mod perf;
