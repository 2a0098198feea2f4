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
    /// `selection`, `clipboard`, `excluded` (a private window had focus),
    /// `unknown_window` (exclusions are set and the focused window could not be read
    /// in time: nothing is read) or `none`
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

/// The focused window's title and class: the window manager's `_NET_ACTIVE_WINDOW`,
/// else the X input focus (walked up to the window that names its class).
/// `Ok(None)`: no window has focus. `Err`: the display could not be asked.
#[cfg(target_os = "linux")]
fn active_window() -> Result<Option<(String, String)>, String> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{AtomEnum, ConnectionExt};
    let (conn, screen) = x11rb::connect(None).map_err(|e| e.to_string())?;
    let root = conn.setup().roots.get(screen).ok_or("no X screen")?.root;
    let atom = |name: &str| -> Result<u32, String> {
        Ok(conn
            .intern_atom(false, name.as_bytes())
            .map_err(|e| e.to_string())?
            .reply()
            .map_err(|e| e.to_string())?
            .atom)
    };
    let prop = |win: u32, prop: u32, ty: u32| -> Result<Vec<u8>, String> {
        let r = conn.get_property(false, win, prop, ty, 0, 1024).map_err(|e| e.to_string())?;
        Ok(r.reply().map_err(|e| e.to_string())?.value)
    };
    let active = conn
        .get_property(false, root, atom("_NET_ACTIVE_WINDOW")?, AtomEnum::WINDOW, 0, 1)
        .map_err(|e| e.to_string())?
        .reply()
        .map_err(|e| e.to_string())?;
    let mut win = match active.value32().and_then(|mut v| v.next()).filter(|w| *w != 0) {
        Some(w) => w,
        None => {
            // No window manager: the input focus (0 = none, 1 = pointer root).
            let focus = conn.get_input_focus().map_err(|e| e.to_string())?.reply().map_err(|e| e.to_string())?.focus;
            if focus <= 1 || focus == root {
                return Ok(None);
            }
            focus
        }
    };
    // The focus can sit on a child: the top-level window carries WM_CLASS.
    for _ in 0..16 {
        if !prop(win, AtomEnum::WM_CLASS.into(), AtomEnum::STRING.into())?.is_empty() {
            break;
        }
        let tree = conn.query_tree(win).map_err(|e| e.to_string())?.reply().map_err(|e| e.to_string())?;
        if tree.parent == 0 || tree.parent == tree.root {
            break;
        }
        win = tree.parent;
    }
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).replace('\0', " ");
    let mut title = text(prop(win, atom("_NET_WM_NAME")?, atom("UTF8_STRING")?)?);
    if title.is_empty() {
        title = text(prop(win, AtomEnum::WM_NAME.into(), AtomEnum::STRING.into())?);
    }
    let class = text(prop(win, AtomEnum::WM_CLASS.into(), AtomEnum::STRING.into())?);
    Ok(Some((title, class)))
}

#[cfg(not(target_os = "linux"))]
fn active_window() -> Result<Option<(String, String)>, String> {
    Ok(None)
}

/// Whether the focus allows reading: with exclusions set, a focused window that
/// cannot be read in time (or at all) reads nothing — fail closed.
fn gate(exclude: &[String], focused: Option<Result<Option<(String, String)>, String>>) -> Option<&'static str> {
    if exclude.iter().all(|p| p.trim().is_empty()) {
        return None;
    }
    match focused {
        Some(Ok(Some((title, class)))) if excluded(&title, &class, exclude) => Some("excluded"),
        Some(Ok(_)) => None,
        Some(Err(e)) => {
            tracing::warn!(error = %e, "capture skipped: the focused window could not be read");
            Some("unknown_window")
        }
        None => {
            tracing::warn!("capture skipped: the focused window did not answer in time");
            Some("unknown_window")
        }
    }
}

/// Captures the text the user points at, unless the focused window is excluded (or,
/// with exclusions set, cannot be identified).
pub fn capture(exclude: &[String]) -> Captured {
    let t = Instant::now();
    let focused = within(Duration::from_millis(100), || Some(active_window()));
    if let Some(source) = gate(exclude, focused) {
        tracing::info!(source, "capture skipped");
        return Captured { text: String::new(), source, took_ms: t.elapsed().as_secs_f64() * 1000.0 };
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

    #[test]
    fn capture_fails_closed_when_the_focused_window_cannot_be_read() {
        let list = vec!["1Password".to_string()];
        let window = |t: &str| Some(Ok(Some((t.to_string(), String::new()))));
        assert_eq!(gate(&list, window("1Password — Vault")), Some("excluded"));
        assert_eq!(gate(&list, window("#incidents — Slack")), None);
        assert_eq!(gate(&list, Some(Ok(None))), None, "no focused window: nothing to protect");
        assert_eq!(gate(&list, Some(Err("no display".into()))), Some("unknown_window"));
        assert_eq!(gate(&list, None), Some("unknown_window"), "timed out");
        // Without exclusions there is nothing to protect, so nothing to fail on.
        assert_eq!(gate(&[], None), None);
        assert_eq!(gate(&[" ".into()], Some(Err("no display".into()))), None);
    }
}
