//! Chief's desktop shell: a tray app with no window at start. The global hotkey
//! (Ctrl+Shift+O, Cmd+Shift+O on macOS) captures the text on screen and shows the
//! pre-created context popup near the cursor with what the local index knows about
//! it. Commands live in [`commands`], by area, each a few lines over one engine call
//! on the shared engine ([`backend`]); errors reach the UI as `{code, message,
//! retryable}`, events as one typed enum on [`events::EVENT`].

mod autostart;
mod background;
mod commands;
mod events;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chief_desktop::backend::EngineHandle;
pub(crate) use chief_desktop::epoch_ms;
use chief_desktop::handover::{self, Open};
use chief_desktop::{backend, capture};
use events::{EVENT, UiEvent};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, RunEvent, WebviewUrl, WebviewWindowBuilder, WindowEvent};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, ShortcutState};

/// The popup window's label.
pub(crate) const POPUP: &str = "popup";
/// The settings window's label (created when first opened).
const SETTINGS: &str = "settings";
/// The briefing window's label (created when first opened).
const BRIEFING: &str = "briefing";

/// The default hotkey.
#[cfg(target_os = "macos")]
pub(crate) const DEFAULT_HOTKEY: &str = "Cmd+Shift+O";
#[cfg(not(target_os = "macos"))]
pub(crate) const DEFAULT_HOTKEY: &str = "Ctrl+Shift+O";

pub(crate) struct AppState {
    pub(crate) engine: EngineHandle,
    /// When the popup was last shown (focus loss right after showing is ignored).
    pub(crate) shown_at: Mutex<Option<Instant>>,
    /// The last hotkey press, kept for a page that was still loading when it came.
    pub(crate) pending: Mutex<Option<UiEvent>>,
    /// `CHIEF_DESKTOP_REPORT`: where hotkey-to-results latencies are appended (tests, bench).
    pub(crate) report: Option<PathBuf>,
    /// Windows never captured (`[desktop] capture_exclude`).
    pub(crate) exclude: Mutex<Vec<String>>,
    /// The registered hotkey (None: off), and whether Settings changed it (then the
    /// start's retry gives up: it must not take back the key it replaced).
    pub(crate) hotkey: Mutex<Option<String>>,
    pub(crate) hotkey_changed: std::sync::atomic::AtomicBool,
    pub(crate) env: Vec<(String, String)>,
    /// The last lookup's text and related items, which its explanation starts from.
    pub(crate) last_context: Mutex<Option<(String, chief_engine::ContextResponse)>>,
}

/// Hotkey pressed: capture, place the popup near the cursor, show it, hand it the text.
fn on_hotkey(app: &AppHandle) {
    let pressed_ms = epoch_ms();
    // In use from the press on: the idle check does not close the popup during capture.
    mark_shown(app);
    let app = app.clone();
    std::thread::spawn(move || {
        let exclude = app
            .try_state::<AppState>()
            .map(|s| s.exclude.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .unwrap_or_default();
        let captured = capture::capture(&exclude);
        tracing::info!(source = captured.source, chars = captured.text.len(), took_ms = captured.took_ms, "captured");
        show_lookup(&app, captured.text, captured.source.into(), pressed_ms);
    });
}

/// Shows the popup near the cursor looking up `text` (captured from `source` at
/// `pressed_ms`).
fn show_lookup(app: &AppHandle, text: String, source: String, pressed_ms: u64) {
    let Some(w) = popup_window(app) else { return };
    // Near the cursor, kept on its screen (above the cursor when there is no room below).
    if let (Ok(p), Ok(size)) = (app.cursor_position(), w.outer_size()) {
        let (mut x, mut y) = (p.x - 40.0, p.y + 16.0);
        if let Ok(Some(m)) = w.current_monitor().or_else(|_| w.primary_monitor()) {
            let (mx, my) = (m.position().x as f64, m.position().y as f64);
            let (mw, mh) = (m.size().width as f64, m.size().height as f64);
            let (ww, wh) = (size.width as f64, size.height as f64);
            if y + wh > my + mh {
                y = p.y - 16.0 - wh;
            }
            x = x.clamp(mx, (mx + mw - ww).max(mx));
            y = y.clamp(my, (my + mh - wh).max(my));
        }
        let _ = w.set_position(tauri::PhysicalPosition::new(x, y));
    }
    present_popup(app, &w, UiEvent::PopupShow { text, source, pressed_ms });
}

/// Opens what a command line asked for (at start, or a second launch's).
fn open(app: &AppHandle, what: Open) {
    match what {
        Open::Nothing => {}
        Open::Popup => show_popup_empty(app),
        Open::Lookup { text, source, pressed_ms } => show_lookup(app, text, source, pressed_ms),
        Open::Item(item) => background::open_popup_on(app, &item),
        Open::Briefing => show_briefing(app),
        Open::Settings => show_settings(app),
    }
}

/// Records that the popup is in use now (focus loss right after is ignored; the idle
/// check counts from here).
fn mark_shown(app: &AppHandle) {
    if let Some(state) = app.try_state::<AppState>() {
        *state.shown_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }
}

/// Shows the popup and hands it `event` (kept for a page still loading); a focus loss
/// right after showing is ignored.
pub(crate) fn present_popup(app: &AppHandle, w: &tauri::WebviewWindow, event: UiEvent) {
    mark_shown(app);
    if let Some(state) = app.try_state::<AppState>() {
        *state.pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(event.clone());
    }
    let _ = w.show();
    let _ = w.set_focus();
    let _ = app.emit_to(POPUP, EVENT, event);
}

/// Tray → Sync now: every enabled source, progress to the pages, the outcome logged.
fn sync_now(app: &AppHandle, item: tauri::menu::MenuItem<tauri::Wry>) {
    let Some(state) = app.try_state::<AppState>() else { return };
    let (engine, env) = (state.engine.clone(), state.env.clone());
    let app = app.clone();
    let _ = item.set_enabled(false);
    let _ = item.set_text("Syncing…");
    tauri::async_runtime::spawn(async move {
        let events = app.clone();
        let progress: chief_engine::SyncProgress = std::sync::Arc::new(move |e: &chief_engine::SyncEvent| {
            let _ = events.emit(EVENT, UiEvent::Sync { progress: e.clone() });
        });
        match engine
            .call(move |e| e.sync(&chief_engine::SyncRequest { force: true, ..Default::default() }, &env, progress))
            .await
        {
            Ok(outcomes) => {
                for o in outcomes {
                    tracing::info!(source = %o.source, state = %o.state, "{}", o.message);
                }
            }
            Err(e) => {
                tracing::warn!(code = %e.code, "sync: {}", e.message);
                let _ = app.emit(EVENT, UiEvent::Error { code: e.code, message: e.message });
            }
        }
        let _ = item.set_text("Sync now");
        let _ = item.set_enabled(true);
    });
}

/// Opens (or focuses) the settings window.
fn show_settings(app: &AppHandle) {
    show_window(app, SETTINGS, "settings.html", "Chief settings", (680.0, 720.0));
}

/// Opens (or focuses) the briefing window.
pub(crate) fn show_briefing(app: &AppHandle) {
    background::set_unread(app, false);
    show_window(app, BRIEFING, "briefing.html", "Chief briefing", (720.0, 760.0));
}

/// Shows the window `label`, creating it from `page` the first time.
fn show_window(app: &AppHandle, label: &str, page: &str, title: &str, (w, h): (f64, f64)) {
    if let Some(w) = app.get_webview_window(label) {
        let _ = w.show();
        let _ = w.set_focus();
        return;
    }
    let built =
        WebviewWindowBuilder::new(app, label, WebviewUrl::App(page.into())).title(title).inner_size(w, h).build();
    if let Err(e) = built {
        tracing::error!("cannot open {title}: {e}");
    }
}

fn show_popup_empty(app: &AppHandle) {
    if let Some(w) = popup_window(app) {
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// The popup window, hidden, with its page loading. Focus loss hides it, except right
/// after it was shown.
fn build_popup(app: &AppHandle) -> tauri::Result<tauri::WebviewWindow> {
    let popup = WebviewWindowBuilder::new(app, POPUP, WebviewUrl::App("popup.html".into()))
        .title("Chief")
        .inner_size(560.0, 420.0)
        .decorations(false)
        .always_on_top(true)
        .skip_taskbar(true)
        .resizable(false)
        .visible(false)
        .build()?;
    let handle = app.clone();
    popup.on_window_event(move |e| {
        if let WindowEvent::Focused(false) = e {
            let state = handle.state::<AppState>();
            let recent = state
                .shown_at
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some_and(|t| t.elapsed() < Duration::from_millis(500));
            if !recent && let Some(w) = handle.get_webview_window(POPUP) {
                let _ = w.hide();
            }
        }
    });
    Ok(popup)
}

/// The popup window, made again if it was closed while idle. Its page takes the
/// hotkey press from `pending` once it has loaded.
pub(crate) fn popup_window(app: &AppHandle) -> Option<tauri::WebviewWindow> {
    if let Some(w) = app.get_webview_window(POPUP) {
        return Some(w);
    }
    let t = Instant::now();
    match build_popup(app) {
        Ok(w) => {
            // Counts as shown now, so the idle check does not close it before it shows.
            mark_shown(app);
            tracing::info!(ms = t.elapsed().as_millis() as u64, "popup made again");
            Some(w)
        }
        Err(e) => {
            tracing::error!("cannot make the popup: {e}");
            None
        }
    }
}

/// `[desktop] popup_unload_after_secs`: closes the popup (and so its WebKit process)
/// once it has been hidden that long; the next hotkey makes it again. With `rest`
/// (`rest_when_idle`), once no window is left and none has shown for that long, the
/// app hands over to its resting process ([`handover`]).
fn unload_idle_popup(app: &AppHandle, after: Duration, mut rest: bool) {
    let app = app.clone();
    let started = Instant::now();
    let tick = (after / 4).clamp(Duration::from_secs(1), Duration::from_secs(30));
    std::thread::spawn(move || {
        let mut on_screen = started;
        loop {
            std::thread::sleep(tick);
            let windows = app.webview_windows();
            if windows.values().any(|w| w.is_visible().unwrap_or(true)) {
                on_screen = Instant::now();
            }
            let used = app.try_state::<AppState>().and_then(|s| *s.shown_at.lock().unwrap_or_else(|p| p.into_inner()));
            let idle = |since: Instant| since.elapsed() >= after && started.elapsed() >= after;
            if let Some(w) = windows.get(POPUP) {
                if w.is_visible().unwrap_or(true) || !idle(used.unwrap_or(started)) {
                    continue;
                }
                tracing::info!(idle_secs = after.as_secs(), "popup closed until the next lookup");
                // The page that comes next must not replay the last lookup (the tray's
                // Search opens it empty; a hotkey leaves its own press).
                if let Some(state) = app.try_state::<AppState>() {
                    *state.pending.lock().unwrap_or_else(|p| p.into_inner()) = None;
                }
                let _ = w.destroy();
                continue;
            }
            if rest && windows.is_empty() && idle(on_screen.max(used.unwrap_or(started))) && may_rest(&app) {
                tracing::info!(idle_secs = after.as_secs(), "resting until the next lookup ({})", handover::REST_BIN);
                // The name a second launch calls and the hotkey's grab are let go by the
                // exec itself (their connections close with it); the resting process
                // waits a moment for them. Until the exec has worked they stay the app's,
                // so a failed one leaves the app as it was.
                // Notifications still on screen: the resting process hears their clicks.
                let waiting =
                    handover::awaiting_to_args(&chief_desktop::work::awaiting(), chief_desktop::work::unread());
                let e = handover::exec_sibling(handover::REST_BIN, &waiting);
                // A binary half-way through an upgrade may be whole next time; one that is
                // gone is not coming back.
                if e.kind() == std::io::ErrorKind::NotFound {
                    tracing::warn!("cannot rest ({e}); the app stays up");
                    rest = false;
                } else {
                    tracing::warn!(retry_in_s = after.as_secs(), "cannot rest ({e}); staying up");
                }
                on_screen = Instant::now();
            }
        }
    });
}

/// Whether nothing would be cut short by resting now: no source is in the middle of a
/// sync.
fn may_rest(app: &AppHandle) -> bool {
    let Some(state) = app.try_state::<AppState>() else { return false };
    let engine = state.engine.clone();
    match tauri::async_runtime::block_on(engine.call(|e| e.source_statuses())) {
        Ok(sources) => !sources.iter().any(|s| s.state == chief_engine::SourceState::Running),
        Err(_) => false,
    }
}

/// Registers the hotkey. The resting process that woke the app may hold its grab a
/// moment longer (it goes when that image's X connection closes), so a refusal is
/// retried for a few seconds, off the main thread, before the pages are told.
fn register_hotkey(app: AppHandle, hotkey: String) {
    let attempt = move |app: &AppHandle| {
        let state = app.state::<AppState>();
        let mut registered = state.hotkey.lock().unwrap_or_else(|p| p.into_inner());
        if state.hotkey_changed.load(std::sync::atomic::Ordering::SeqCst) {
            tracing::info!(%hotkey, "the hotkey was changed in Settings meanwhile; not taking this one");
            return Ok(());
        }
        match app.global_shortcut().register(hotkey.as_str()) {
            Ok(()) => {
                tracing::info!(%hotkey, "hotkey registered");
                *registered = Some(hotkey.clone());
                Ok(())
            }
            Err(e) => Err((hotkey.clone(), e)),
        }
    };
    if attempt(&app).is_ok() {
        return;
    }
    std::thread::spawn(move || {
        let started = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(100));
            match attempt(&app) {
                Ok(()) => return,
                Err((hotkey, e)) if started.elapsed() >= Duration::from_secs(3) => {
                    tracing::error!(%hotkey, "the hotkey is taken or invalid: {e}");
                    let message = format!(
                        "{hotkey} is taken by another app or invalid ({e}); choose another in Settings, e.g. Ctrl+Alt+O"
                    );
                    let _ = app.emit(EVENT, UiEvent::HotkeyUnavailable { hotkey, message });
                    return;
                }
                Err(_) => {}
            }
        }
    });
}

fn main() {
    handover::exit_if_probe();
    chief_engine::with_lean_malloc(handover::APP_BIN);
    chief_desktop::init_logging();
    let env: Vec<(String, String)> = std::env::vars().collect();
    let (home, desktop) = chief_desktop::desktop_config(&env);
    let hotkey = std::env::var("CHIEF_DESKTOP_HOTKEY")
        .ok()
        .or_else(|| (!desktop.hotkey.is_empty()).then(|| desktop.hotkey.clone()))
        .unwrap_or_else(|| DEFAULT_HOTKEY.to_string());
    // The state (and the engine's opening) starts in `setup`: a second launch hands its
    // arguments to the running instance and exits before that, opening nothing.
    let exclude = desktop.capture_exclude.clone();
    let stash = handover::stash_dir(&home);
    handover::sweep_stale(&stash);
    let state = move || AppState {
        engine: EngineHandle::start(tauri::async_runtime::handle().inner().clone(), home, env.clone()),
        shown_at: Mutex::new(None),
        pending: Mutex::new(None),
        report: std::env::var_os("CHIEF_DESKTOP_REPORT").map(PathBuf::from),
        exclude: Mutex::new(exclude),
        hotkey: Mutex::new(None),
        hotkey_changed: std::sync::atomic::AtomicBool::new(false),
        last_context: Mutex::new(None),
        env,
    };

    // Tests run under their own identifier, so they never meet a running Chief (single
    // instance) or its app data.
    // The same one the resting process answers on (an empty value means the default).
    let mut tauri_context = tauri::generate_context!();
    tauri_context.config_mut().identifier = handover::identifier();
    let forwarded_stash = stash.clone();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(move |app, argv, _cwd| {
            // A second launch opens a window of the running app: `--settings`,
            // `--briefing` or the popup. A woken image that found the name taken (a
            // launch came in the moment it was free) hands over what it was woken for:
            // its lookup (read from the stash, so a command line cannot name any other
            // file) and the notifications it was waiting on.
            background::adopt(app, handover::awaiting_from_args(&argv), handover::unread_from_args(&argv));
            if handover::adopt_only(&argv) {
                return;
            }
            match Open::from_args(&argv, &forwarded_stash) {
                Open::Nothing => show_popup_empty(app),
                what => open(app, what),
            }
        }))
        .plugin(
            tauri_plugin_global_shortcut::Builder::new()
                .with_handler(|app, _shortcut, event| {
                    if event.state() == ShortcutState::Pressed {
                        on_hotkey(app);
                    }
                })
                .build(),
        )
        .invoke_handler(tauri::generate_handler![
            commands::popup::context,
            commands::popup::explain,
            commands::popup::popup_ready,
            commands::popup::hide_popup,
            commands::popup::open_url,
            commands::popup::popup_rendered,
            commands::briefing::briefings,
            commands::briefing::brief_today,
            commands::briefing::rate_story,
            commands::briefing::show_in_popup,
            commands::settings::settings,
            commands::settings::update_settings,
            commands::settings::connect_source,
            commands::settings::connect_google,
            commands::settings::set_llm_key,
            commands::settings::slack_manifest
        ])
        .setup(move |app| {
            app.manage(state());
            // The popup exists from the start, hidden: the hotkey only shows it.
            build_popup(app.handle())?;
            if desktop.popup_unload_after_secs > 0 {
                let rest = cfg!(target_os = "linux")
                    && desktop.rest_when_idle
                    && handover::sibling(handover::REST_BIN).is_some();
                if desktop.rest_when_idle && !rest {
                    tracing::info!("{} is not beside this binary: the app stays up when idle", handover::REST_BIN);
                }
                unload_idle_popup(app.handle(), Duration::from_secs(desktop.popup_unload_after_secs), rest);
            }

            let search = MenuItem::with_id(app, "search", "Search", true, None::<&str>)?;
            let briefing = MenuItem::with_id(app, "briefing", "Today's briefing", true, None::<&str>)?;
            let sync = MenuItem::with_id(app, "sync", "Sync now", true, None::<&str>)?;
            let settings = MenuItem::with_id(app, "settings", "Settings…", true, None::<&str>)?;
            let quit = MenuItem::with_id(app, "quit", "Quit Chief", true, None::<&str>)?;
            let menu = Menu::with_items(app, &[&search, &briefing, &sync, &settings, &quit])?;
            let mut tray =
                TrayIconBuilder::with_id("chief").menu(&menu).tooltip("Chief").on_menu_event(move |app, event| {
                    match event.id().as_ref() {
                        "search" => show_popup_empty(app),
                        "briefing" => show_briefing(app),
                        "sync" => sync_now(app, sync.clone()),
                        "settings" => show_settings(app),
                        "quit" => app.exit(0),
                        _ => {}
                    }
                });
            if let Some(icon) = app.default_window_icon() {
                tray = tray.icon(icon.clone());
            }
            tray.build(app)?;
            {
                let state = app.state::<AppState>();
                let args: Vec<String> = std::env::args().collect();
                let waiting = (handover::awaiting_from_args(&args), handover::unread_from_args(&args));
                background::start(app.handle(), state.engine.clone(), state.env.clone(), &desktop, waiting);
            }

            if desktop.launch_at_login
                && let Err(e) = autostart::apply(true)
            {
                tracing::warn!("launch at login: {e}");
            }
            // What the command line asks for: a window, or (from the resting process)
            // the lookup, tray action or notification click that woke the app.
            open(app.handle(), Open::from_args(&std::env::args().collect::<Vec<_>>(), &stash));
            if !desktop.hotkey_enabled {
                tracing::info!("the global hotkey is off ([desktop] hotkey_enabled = false); use the tray's Search");
            } else {
                register_hotkey(app.handle().clone(), hotkey);
            }
            Ok(())
        })
        .build(tauri_context)
        .expect("building the Chief desktop app");
    app.run(|_app, event| {
        // Tray app: closing every window does not quit.
        if let RunEvent::ExitRequested { api, code: None, .. } = event {
            api.prevent_exit();
        }
    });
}
