//! Screen-text capture for the hotkey, in order, each within a short time budget:
//! the current selection (X11 PRIMARY on Linux), then the clipboard. macOS
//! (Accessibility selected text) and Windows (UI Automation) sit behind the same
//! function and fall back to the clipboard until they are implemented there.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

/// What was captured and where from.
#[derive(Debug, Clone, Serialize)]
pub struct Captured {
    pub text: String,
    /// `selection`, `clipboard` or `none`
    pub source: &'static str,
    pub took_ms: f64,
}

/// The longest text taken from the screen.
const MAX_CHARS: usize = 2_000;

/// Runs `f` on a helper thread, giving up after `budget` (a clipboard owner that
/// never answers must not freeze the hotkey).
fn within<T: Send + 'static>(budget: Duration, f: impl FnOnce() -> Option<T> + Send + 'static) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(budget).ok().flatten()
}

fn clean(s: String) -> Option<String> {
    let t: String = s.trim().chars().take(MAX_CHARS).collect();
    (!t.is_empty()).then_some(t)
}

#[cfg(target_os = "linux")]
fn selection() -> Option<String> {
    use arboard::{GetExtLinux, LinuxClipboardKind};
    arboard::Clipboard::new().ok()?.get().clipboard(LinuxClipboardKind::Primary).text().ok().and_then(clean)
}

#[cfg(not(target_os = "linux"))]
fn selection() -> Option<String> {
    None
}

fn clipboard() -> Option<String> {
    arboard::Clipboard::new().ok()?.get_text().ok().and_then(clean)
}

/// Captures the text the user points at.
pub fn capture() -> Captured {
    let t = Instant::now();
    let (text, source) = if let Some(s) = within(Duration::from_millis(150), selection) {
        (s, "selection")
    } else if let Some(s) = within(Duration::from_millis(150), clipboard) {
        (s, "clipboard")
    } else {
        (String::new(), "none")
    };
    Captured { text, source, took_ms: t.elapsed().as_secs_f64() * 1000.0 }
}
