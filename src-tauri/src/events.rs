//! What the shell tells the pages: one typed enum on one event name.

use serde::Serialize;

/// The one event name the pages listen on.
pub const EVENT: &str = "chief://event";

/// Everything the shell tells the pages, on [`EVENT`].
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UiEvent {
    /// The hotkey was pressed: show this captured text and look it up.
    PopupShow { text: String, source: String, pressed_ms: u64 },
    /// The hotkey could not be registered (another app holds it).
    HotkeyUnavailable { hotkey: String, message: String },
    /// Progress of a sync started from the tray.
    Sync { progress: chief_engine::SyncEvent },
    /// Something failed outside a command.
    Error { code: String, message: String },
    /// One sentence of the explanation of lookup `lookup`, as soon as it is written.
    ExplainSentence { lookup: u64, sentence: chief_engine::Sentence },
}
