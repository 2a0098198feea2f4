//! The app's side of the background work ([`chief_desktop::work`]): sync progress to
//! the pages, the tray's tooltip and unread dot, and a notification's click opening
//! the popup on its item or the briefing window.

use std::sync::Arc;

use chief_desktop::backend::EngineHandle;
use chief_desktop::epoch_ms;
use chief_desktop::work::{self, Target};
use chief_engine::DesktopConfig;
use tauri::{AppHandle, Emitter};

use crate::events::{EVENT, UiEvent};

struct AppShell(AppHandle);

impl work::Shell for AppShell {
    fn sync_progress(&self, event: &chief_engine::SyncEvent) {
        let _ = self.0.emit(EVENT, UiEvent::Sync { progress: event.clone() });
    }

    fn set_status(&self, text: String) {
        if let Some(tray) = self.0.tray_by_id("chief") {
            let _ = tray.set_tooltip(Some(text));
        }
    }

    fn set_unread(&self, unread: bool) {
        set_unread(&self.0, unread);
    }

    fn open(&self, target: Target) {
        match target {
            Target::Item(item) => open_popup_on(&self.0, &item),
            Target::Briefing => crate::show_briefing(&self.0),
        }
    }
}

/// Starts the background sync and the agents' rounds on Tauri's runtime, and listens
/// for clicks on the notifications the resting process left on screen (`waiting`, with
/// its unread dot).
pub fn start(
    app: &AppHandle,
    engine: EngineHandle,
    env: Vec<(String, String)>,
    cfg: &DesktopConfig,
    (waiting, unread): (Vec<(u32, Target)>, bool),
) {
    let rt = tauri::async_runtime::handle().inner().clone();
    let shell: Arc<dyn work::Shell> = Arc::new(AppShell(app.clone()));
    work::adopt(shell.clone(), waiting, unread);
    work::start(&rt, shell, engine, env, cfg);
}

/// Listens for clicks on notifications another image left on screen (and shows its
/// unread dot).
pub fn adopt(app: &AppHandle, waiting: Vec<(u32, Target)>, unread: bool) {
    work::adopt(Arc::new(AppShell(app.clone())), waiting, unread);
}

/// Shows the popup looking up `text`, as the hotkey would.
pub fn open_popup_on(app: &AppHandle, text: &str) {
    let Some(w) = crate::popup_window(app) else { return };
    let event = UiEvent::PopupShow { text: text.to_string(), source: "notification".into(), pressed_ms: epoch_ms() };
    crate::present_popup(app, &w, event);
    set_unread(app, false);
}

/// The tray icon, with a dot in its corner while a notification waits unread.
pub fn set_unread(app: &AppHandle, unread: bool) {
    // Redrawn only when the state changes (the popup and briefing clear it on every open).
    if !work::note_unread(unread) {
        return;
    }
    let (Some(tray), Some(icon)) = (app.tray_by_id("chief"), app.default_window_icon()) else { return };
    let (w, h) = (icon.width(), icon.height());
    let rgba = if unread { work::with_dot(icon.rgba(), w, h) } else { icon.rgba().to_vec() };
    let _ = tray.set_icon(Some(tauri::image::Image::new_owned(rgba, w, h)));
}
