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
    /// `selection`, `clipboard`, `excluded` (a private window had focus) or `none`
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

/// True if a window (title, class) is on the exclusion list (case-insensitive substring).
pub fn excluded(title: &str, class: &str, patterns: &[String]) -> bool {
    let (title, class) = (title.to_lowercase(), class.to_lowercase());
    patterns
        .iter()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .any(|p| title.contains(&p) || class.contains(&p))
}

/// The focused window's title and class (EWMH `_NET_ACTIVE_WINDOW`), if a window
/// manager reports one.
#[cfg(target_os = "linux")]
fn active_window() -> Option<(String, String)> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{AtomEnum, ConnectionExt};
    let (conn, screen) = x11rb::connect(None).ok()?;
    let root = conn.setup().roots.get(screen)?.root;
    let atom = |name: &str| conn.intern_atom(false, name.as_bytes()).ok()?.reply().ok().map(|r| r.atom);
    let active =
        conn.get_property(false, root, atom("_NET_ACTIVE_WINDOW")?, AtomEnum::WINDOW, 0, 1).ok()?.reply().ok()?;
    let win = active.value32()?.next().filter(|w| *w != 0)?;
    let text = |prop: u32, ty: u32| {
        conn.get_property(false, win, prop, ty, 0, 1024)
            .ok()?
            .reply()
            .ok()
            .map(|r| String::from_utf8_lossy(&r.value).replace('\0', " "))
    };
    let title = text(atom("_NET_WM_NAME")?, atom("UTF8_STRING")?).unwrap_or_default();
    let class = text(AtomEnum::WM_CLASS.into(), AtomEnum::STRING.into()).unwrap_or_default();
    Some((title, class))
}

#[cfg(not(target_os = "linux"))]
fn active_window() -> Option<(String, String)> {
    None
}

/// Captures the text the user points at, unless the focused window is excluded.
pub fn capture(exclude: &[String]) -> Captured {
    let t = Instant::now();
    if let Some((title, class)) = within(Duration::from_millis(100), active_window)
        && excluded(&title, &class, exclude)
    {
        tracing::info!("capture skipped: the focused window is on the exclusion list");
        return Captured { text: String::new(), source: "excluded", took_ms: t.elapsed().as_secs_f64() * 1000.0 };
    }
    let (text, source) = if let Some(s) = within(Duration::from_millis(150), selection) {
        (s, "selection")
    } else if let Some(s) = within(Duration::from_millis(150), clipboard) {
        (s, "clipboard")
    } else {
        (String::new(), "none")
    };
    Captured { text, source, took_ms: t.elapsed().as_secs_f64() * 1000.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions_match_title_or_class_in_any_case() {
        let list = vec!["1Password".to_string(), "keepassxc".to_string(), " ".to_string()];
        assert!(excluded("Vault — 1PASSWORD", "", &list));
        assert!(excluded("passwords.kdbx", "keepassxc KeePassXC", &list));
        assert!(!excluded("#incidents — Slack", "slack Slack", &list));
        assert!(!excluded("anything", "", &[]));
    }
}
