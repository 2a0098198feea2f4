//! `chief-desktop-rest`: Chief at rest. The desktop app replaces itself with this
//! process once nothing has been on screen for a while (`[desktop] rest_when_idle`).
//! It links no GTK or WebKit, so an idle Chief costs a fraction of the app's memory,
//! and it keeps everything that runs without a window: the tray (StatusNotifierItem
//! over D-Bus), the global hotkey (an X key grab), background sync, the agents and
//! their notifications, and the single-instance name a second launch talks to. What
//! needs a window (a lookup, a tray action, a notification's click, a second launch)
//! replaces it with the app again, told what to open ([`handover::Open`]).

#[cfg(target_os = "linux")]
mod tray;

#[cfg(target_os = "linux")]
fn main() {
    chief_desktop::handover::exit_if_probe();
    chief_engine::with_lean_malloc(chief_desktop::handover::REST_BIN);
    chief_desktop::init_logging();
    linux::run();
}

#[cfg(not(target_os = "linux"))]
fn main() {
    chief_desktop::handover::exit_if_probe();
    // Resting is Linux's for now: elsewhere this hands straight back to the app.
    let e = chief_desktop::handover::exec_sibling(chief_desktop::handover::APP_BIN, &[]);
    eprintln!("chief-desktop-rest: cannot start {}: {e}", chief_desktop::handover::APP_BIN);
    std::process::exit(1);
}

#[cfg(target_os = "linux")]
mod linux {
    use std::sync::{Arc, Mutex, mpsc};
    use std::time::{Duration, Instant};

    use chief_desktop::backend::EngineHandle;
    use chief_desktop::handover::{self, Open};
    use chief_desktop::work::{self, Target};
    use chief_desktop::{capture, epoch_ms};
    use global_hotkey::{GlobalHotKeyEvent, GlobalHotKeyManager, HotKeyState, hotkey::HotKey};

    use crate::tray::{ChiefTray, TrayAction};

    /// What wakes the resting process's main thread.
    pub enum Wake {
        /// The hotkey, pressed at this time (ms since the epoch).
        Hotkey(u64),
        /// Something the app must open.
        Open(Open),
        /// The tray's Sync now.
        Sync,
        /// The tray's Quit.
        Quit,
        /// Notifications another image left on screen, to listen to, and whether it
        /// showed the unread dot.
        Adopt(Vec<(u32, Target)>, bool),
    }

    /// The single-instance service a second launch calls (the one
    /// `tauri-plugin-single-instance` serves in the app), and where lookups wait.
    struct SingleInstance(mpsc::Sender<Wake>, std::path::PathBuf);

    #[zbus::interface(name = "org.SingleInstance.DBus")]
    impl SingleInstance {
        fn execute_callback(&mut self, argv: Vec<String>, _cwd: String) {
            // As in the app: another image that found the name taken hands over its
            // lookup and the notifications it waits on.
            let _ = self.0.send(Wake::Adopt(handover::awaiting_from_args(&argv), handover::unread_from_args(&argv)));
            if handover::adopt_only(&argv) {
                return;
            }
            let what = match Open::from_args(&argv, &self.1) {
                Open::Nothing => Open::Popup,
                what => what,
            };
            let _ = self.0.send(Wake::Open(what));
        }
    }

    struct RestShell {
        tx: mpsc::Sender<Wake>,
        tray: Mutex<Option<ksni::blocking::Handle<ChiefTray>>>,
        /// Why the app cannot be started, shown above the sources' state.
        trouble: Mutex<Option<String>>,
    }

    impl RestShell {
        fn tray(&self, f: impl FnOnce(&mut ChiefTray)) {
            if let Some(t) = self.tray.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                t.update(f);
            }
        }
    }

    impl work::Shell for RestShell {
        fn set_status(&self, text: String) {
            let trouble = self.trouble.lock().unwrap_or_else(|p| p.into_inner()).clone();
            self.tray(|t| t.status = trouble.map_or(text.clone(), |why| format!("{why}\n{text}")));
        }

        fn set_unread(&self, unread: bool) {
            work::note_unread(unread);
            self.tray(|t| t.unread = unread);
        }

        fn open(&self, target: Target) {
            let _ = self.tx.send(Wake::Open(match target {
                Target::Item(item) => Open::Item(item),
                Target::Briefing => Open::Briefing,
            }));
        }
    }

    /// Tries `f` until it works or `within` has passed (the app that handed over may
    /// still hold the name or the key grab for a moment).
    fn retry<T, E: std::fmt::Display>(within: Duration, mut f: impl FnMut() -> Result<T, E>) -> Result<T, E> {
        let t = Instant::now();
        loop {
            match f() {
                Ok(v) => return Ok(v),
                Err(e) if t.elapsed() >= within => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    pub fn run() {
        let started = Instant::now();
        let env: Vec<(String, String)> = std::env::vars().collect();
        let (home, desktop) = chief_desktop::desktop_config(&env);
        let stash = handover::stash_dir(&home);
        handover::sweep_stale(&stash);
        let (tx, rx) = mpsc::channel::<Wake>();

        // The single-instance name first: a second launch during the handover waits for
        // it rather than starting a second Chief.
        let (name, path) = handover::single_instance_name(&handover::identifier());
        let bus = retry(Duration::from_secs(3), || {
            zbus::blocking::connection::Builder::session()?
                .name(name.as_str())?
                .replace_existing_names(false)
                .allow_name_replacements(false)
                .serve_at(path.as_str(), SingleInstance(tx.clone(), stash.clone()))?
                .build()
        });
        let bus = match bus {
            Ok(bus) => bus,
            Err(zbus::Error::NameTaken) => {
                // Another Chief started the moment the app let the name go: it takes the
                // notifications this image was handed, and opens nothing.
                tracing::info!("Chief is already running; handing it the notifications on screen");
                if let Ok(c) = zbus::blocking::Connection::session() {
                    let cwd = std::env::current_dir().unwrap_or_default().to_string_lossy().to_string();
                    let mut argv: Vec<String> = std::env::args().collect();
                    argv.push(handover::ADOPT_ONLY.into());
                    let _ = c.call_method(
                        Some(name.as_str()),
                        path.as_str(),
                        Some("org.SingleInstance.DBus"),
                        "ExecuteCallback",
                        &(argv, cwd),
                    );
                }
                return;
            }
            Err(e) => {
                // The tray and a second launch need the session bus: without it, no rest.
                tracing::warn!("cannot rest without the session bus ({e}); waking the app");
                let e = wake(Open::Nothing, None, &stash);
                tracing::error!("cannot start {}: {e}; quitting", handover::APP_BIN);
                std::process::exit(1);
            }
        };

        let rt = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(8)
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!("cannot start a runtime ({e}); waking the app");
                let e = wake(Open::Nothing, Some(&bus), &stash);
                tracing::error!("cannot start {}: {e}; quitting", handover::APP_BIN);
                std::process::exit(1);
            }
        };
        let engine = EngineHandle::start_resting(rt.handle().clone(), home, env.clone());
        let shell = Arc::new(RestShell { tx: tx.clone(), tray: Mutex::new(None), trouble: Mutex::new(None) });

        // The tray: the same menu as the app's; each entry that needs a window wakes it.
        let actions = tx.clone();
        let on_action = move |a: TrayAction| {
            let _ = actions.send(match a {
                TrayAction::Search => Wake::Open(Open::Popup),
                TrayAction::Briefing => Wake::Open(Open::Briefing),
                TrayAction::Settings => Wake::Open(Open::Settings),
                TrayAction::Sync => Wake::Sync,
                TrayAction::Quit => Wake::Quit,
            });
        };
        match ChiefTray::spawn(Box::new(on_action)) {
            Ok(handle) => *shell.tray.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle),
            Err(e) => tracing::warn!("no tray icon while resting: {e}"),
        }
        // The app's notifications still on screen: their clicks wake it.
        let args: Vec<String> = std::env::args().collect();
        work::adopt(shell.clone(), handover::awaiting_from_args(&args), handover::unread_from_args(&args));
        work::start(rt.handle(), shell.clone(), engine.clone(), env.clone(), &desktop);

        // The hotkey, as the app registers it.
        let hotkey_text = std::env::var("CHIEF_DESKTOP_HOTKEY")
            .ok()
            .or_else(|| (!desktop.hotkey.is_empty()).then(|| desktop.hotkey.clone()))
            .unwrap_or_else(|| "Ctrl+Shift+O".to_string());
        let mut grabbed: Option<(GlobalHotKeyManager, HotKey)> = None;
        if desktop.hotkey_enabled {
            let keys = tx.clone();
            GlobalHotKeyEvent::set_event_handler(Some(move |e: GlobalHotKeyEvent| {
                if e.state() == HotKeyState::Pressed {
                    let _ = keys.send(Wake::Hotkey(epoch_ms()));
                }
            }));
            match (GlobalHotKeyManager::new(), hotkey_text.parse::<HotKey>()) {
                (Ok(manager), Ok(key)) => match retry(Duration::from_secs(3), || manager.register(key)) {
                    Ok(()) => {
                        tracing::info!(hotkey = %hotkey_text, "hotkey registered (resting)");
                        grabbed = Some((manager, key));
                    }
                    Err(e) => tracing::error!(hotkey = %hotkey_text, "the hotkey is taken or invalid: {e}"),
                },
                (Err(e), _) => tracing::error!("no global hotkey while resting: {e}"),
                (_, Err(e)) => tracing::error!(hotkey = %hotkey_text, "the hotkey is invalid: {e}"),
            }
        }
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            "resting: the tray, hotkey, sync and notifications run without windows"
        );

        let exclude = desktop.capture_exclude.clone();
        loop {
            let what = match rx.recv_timeout(Duration::from_secs(5)) {
                Ok(Wake::Hotkey(pressed_ms)) => {
                    let c = capture::capture(&exclude);
                    tracing::info!(source = c.source, chars = c.text.len(), took_ms = c.took_ms, "captured");
                    Open::Lookup { text: c.text, source: c.source.into(), pressed_ms }
                }
                Ok(Wake::Open(what)) => what,
                Ok(Wake::Sync) => {
                    sync_now(&rt, &engine, &shell, env.clone());
                    continue;
                }
                Ok(Wake::Quit) => {
                    tracing::info!("quit from the tray");
                    std::process::exit(0);
                }
                Ok(Wake::Adopt(waiting, unread)) => {
                    work::adopt(shell.clone(), waiting, unread);
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    reap();
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            };
            if let Some((manager, key)) = &grabbed {
                let _ = manager.unregister(*key);
            }
            let e = wake(what, Some(&bus), &stash);
            // The app did not start (a broken or half-upgraded install): rest on, with
            // the name and the key taken back, and say so in the tray.
            let why = format!("Chief cannot open its window ({e}); reinstall Chief");
            tracing::error!("cannot start {}: {e}; resting on", handover::APP_BIN);
            // Not queued behind a Chief that took the name meanwhile: then that one runs.
            let flags = zbus::fdo::RequestNameFlags::DoNotQueue.into();
            match bus.request_name_with_flags(name.as_str(), flags) {
                Ok(zbus::fdo::RequestNameReply::PrimaryOwner | zbus::fdo::RequestNameReply::AlreadyOwner) => {}
                other => {
                    tracing::info!("another Chief has started meanwhile ({other:?}); quitting");
                    std::process::exit(0);
                }
            }
            if let Some((manager, key)) = &grabbed
                && let Err(e) = manager.register(*key)
            {
                tracing::error!(hotkey = %hotkey_text, "the hotkey could not be taken back: {e}");
            }
            *shell.trouble.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
            if let Ok(sources) = rt.block_on(engine.call(|e| e.source_statuses())) {
                work::Shell::set_status(shell.as_ref(), work::tray_status(&sources));
            }
        }
    }

    /// The tray's Sync now: every enabled source, in the background.
    fn sync_now(
        rt: &tokio::runtime::Runtime,
        engine: &EngineHandle,
        shell: &Arc<RestShell>,
        env: Vec<(String, String)>,
    ) {
        let (engine, shell) = (engine.clone(), shell.clone());
        shell.tray(|t| t.syncing = true);
        rt.spawn(async move {
            let req = chief_engine::SyncRequest { force: true, ..Default::default() };
            match engine.call(move |e| e.sync(&req, &env, chief_engine::no_progress())).await {
                Ok(outcomes) => {
                    for o in outcomes {
                        tracing::info!(source = %o.source, state = %o.state, "{}", o.message);
                    }
                }
                Err(e) => tracing::warn!(code = %e.code, "sync: {}", e.message),
            }
            shell.tray(|t| t.syncing = false);
        });
    }

    /// Collects the app's WebKit processes that ended after the handover (they were
    /// this process's children).
    fn reap() {
        while let Ok(Some(_)) = rustix::process::wait(rustix::process::WaitOptions::NOHANG) {}
    }

    /// Replaces this process with the app, opening `what`. The single-instance name is
    /// let go first, so the app takes it over (the app does not wait for it). Returns
    /// only if the app could not be started, its lookup file removed.
    fn wake(what: Open, bus: Option<&zbus::blocking::Connection>, stash: &std::path::Path) -> std::io::Error {
        tracing::info!(to = what.kind(), "waking the app");
        if let Some(bus) = bus {
            let (name, _) = handover::single_instance_name(&handover::identifier());
            if let Ok(name) = zbus::names::WellKnownName::try_from(name) {
                let _ = bus.release_name(name);
            }
        }
        let mut args = what.to_args(stash).unwrap_or_else(|e| {
            tracing::warn!("cannot hand the lookup over ({e}); the popup opens empty");
            Open::Popup.to_args(stash).unwrap_or_default()
        });
        // Notifications still on screen: the app hears their clicks.
        args.extend(handover::awaiting_to_args(&work::awaiting(), work::unread()));
        let e = handover::exec_sibling(handover::APP_BIN, &args);
        handover::discard(&args, stash);
        e
    }
}
