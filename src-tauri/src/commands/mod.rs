//! The Tauri commands, one module per area. Each is a one-line delegate to the engine
//! (or to the window it names), traced with its error.

pub mod briefing;
pub mod popup;
pub mod settings;
