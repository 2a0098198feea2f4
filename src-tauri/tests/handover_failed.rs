//! A handover between the app and its resting process that cannot happen (the other
//! binary is broken, or half-way through an upgrade) leaves Chief as it was: the app
//! stays up with its hotkey and single-instance name, the resting process rests on
//! with them, says in the tray why the window cannot open, and keeps no captured text
//! on disk. Once the binary is whole again, the next handover works.
//!
//! The test runs copies of the two binaries from a directory of its own, so it can
//! break and mend them.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;
use common::{FakeWatcher, demo_home, live_tray_item, need_x, reports, set_primary, visible, wait_for, xdotool};

const TEST_ID: &str = "dev.chief.desktop.handover-failed-test";

/// `to` becomes a copy of `from` that can run (or, with `runs` false, a file the
/// kernel refuses to execute).
fn put(from: &Path, to: &Path, runs: bool) {
    let _ = std::fs::remove_file(to);
    std::fs::copy(from, to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(if runs { 0o755 } else { 0o644 })).unwrap();
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_string()
}

/// Whether a write to a closed pipe would end `pid` (SIGPIPE neither ignored nor
/// caught), from `/proc/PID/status`.
fn sigpipe_ends(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let mask = |field: &str| {
        let line = status.lines().find(|l| l.starts_with(field)).unwrap();
        u64::from_str_radix(line[field.len()..].trim(), 16).unwrap()
    };
    let sigpipe = 1 << (13 - 1);
    (mask("SigIgn:") | mask("SigCgt:")) & sigpipe == 0
}

/// The pid owning `name` on the session bus, if anyone does.
fn owner_pid(bus: &zbus::blocking::Connection, name: &str) -> Option<u32> {
    let dbus = zbus::blocking::fdo::DBusProxy::new(bus).unwrap();
    let name = zbus::names::BusName::try_from(name).unwrap();
    let owner = dbus.get_name_owner(name).ok()?;
    dbus.get_connection_unix_process_id(owner.into()).ok()
}

fn press_on(text: &str) -> common::Kill {
    xdotool(&["mousemove", "400", "200"]);
    let selection = set_primary(text);
    std::thread::sleep(Duration::from_millis(100));
    xdotool(&["key", "ctrl+shift+o"]);
    selection
}

#[test]
fn a_handover_that_cannot_happen_leaves_chief_as_it_was() {
    need_x(&["xdotool", "xclip"]);
    common::need_session_bus();
    let (home, _truth) = demo_home();
    common::set_desktop(home.path(), "popup_unload_after_secs = 2");

    let items: Arc<Mutex<Vec<String>>> = Arc::default();
    let bus = zbus::blocking::connection::Builder::session()
        .unwrap()
        .name("org.kde.StatusNotifierWatcher")
        .unwrap()
        .serve_at(common::WATCHER, FakeWatcher(items.clone()))
        .unwrap()
        .build()
        .expect("the test owns the tray watcher on the session bus");
    let instance = format!("{TEST_ID}.SingleInstance");

    // The app, beside a resting binary the kernel will not run.
    let bin = tempfile::tempdir().unwrap();
    let (app_bin, rest_bin) = (bin.path().join("chief-desktop"), bin.path().join("chief-desktop-rest"));
    let (built_app, built_rest) =
        (Path::new(env!("CARGO_BIN_EXE_chief-desktop")), Path::new(env!("CARGO_BIN_EXE_chief-desktop-rest")));
    put(built_app, &app_bin, true);
    put(built_rest, &rest_bin, false);

    let report = home.path().join("report.jsonl");
    let log = home.path().join("desktop.log");
    let mut cmd = std::process::Command::new(&app_bin);
    cmd.env("CHIEF_HOME", home.path())
        .env("CHIEF_DESKTOP_IDENTIFIER", TEST_ID)
        .env("CHIEF_LOG", "info")
        .env("CHIEF_DESKTOP_REPORT", &report)
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let app = common::Kill(cmd.spawn().unwrap());
    let pid = app.0.id();
    let logs = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_for("the hotkey to be registered", Duration::from_secs(60), || logs().contains("hotkey registered"));

    // Idle: it tries to rest, cannot, and stays up as it was.
    wait_for("a failed attempt to rest", Duration::from_secs(30), || logs().contains("cannot rest"));
    assert_eq!(comm(pid), "chief-desktop", "the app is still up");
    assert!(!sigpipe_ends(pid), "the failed exec left SIGPIPE at its default");
    assert_eq!(owner_pid(&bus, &instance), Some(pid), "it still answers a second launch");
    let pages = logs().matches("popup ready").count();
    common::second_launch(&app_bin, home.path(), TEST_ID, &["--popup"]);
    wait_for("the popup from the second launch", Duration::from_secs(30), || visible("^Chief$"));
    // Escape is the page's: it has to have loaded.
    wait_for("its page", Duration::from_secs(20), || logs().matches("popup ready").count() > pages);
    xdotool(&["key", "Escape"]);
    wait_for("the popup hidden", Duration::from_secs(5), || !visible("^Chief$"));
    let selection = press_on("PAY-142");
    wait_for("the hotkey's results in the app that stayed up", Duration::from_secs(30), || {
        !reports(&report).is_empty()
    });
    drop(selection);
    xdotool(&["key", "Escape"]);
    wait_for("the popup hidden", Duration::from_secs(5), || !visible("^Chief$"));

    // The resting binary is whole again: the next idle period rests.
    put(built_rest, &rest_bin, true);
    wait_for("the app to rest", Duration::from_secs(60), || comm(pid) == "chief-desktop-r");
    wait_for("the resting process to take the name", Duration::from_secs(20), || {
        owner_pid(&bus, &instance) == Some(pid) && logs().contains("resting: the tray, hotkey")
    });

    // Now the app's binary is broken: the hotkey cannot wake it. It rests on, says so
    // in the tray, and keeps neither the name nor the key from the next try.
    put(built_app, &app_bin, false);
    let selection = press_on("the deploy key is hunter2");
    wait_for("the failed wake", Duration::from_secs(30), || logs().contains("resting on"));
    drop(selection);
    assert_eq!(comm(pid), "chief-desktop-r", "still resting");
    assert!(!sigpipe_ends(pid), "the failed exec left SIGPIPE at its default");
    assert!(!logs().contains("hunter2"), "the captured text is in no log");
    let stash = home.path().join("handover");
    let left: Vec<_> = std::fs::read_dir(&stash).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "the captured text is not left on disk: {left:?}");
    wait_for("the name taken back", Duration::from_secs(10), || owner_pid(&bus, &instance) == Some(pid));
    wait_for("the tray saying why", Duration::from_secs(20), || {
        live_tray_item(&bus, &items).is_some_and(|item| {
            // (icon name, pixmaps, title, text)
            type ToolTip = (String, Vec<(i32, i32, Vec<u8>)>, String, String);
            let tip: Option<ToolTip> =
                common::tray_property(&bus, &item, "ToolTip").ok().and_then(|v| v.try_into().ok());
            tip.is_some_and(|t| t.3.contains("cannot open its window") && t.3.contains("reinstall"))
        })
    });

    // Mended: the same hotkey (taken back after the failure) wakes the app.
    put(built_app, &app_bin, true);
    let selection = press_on("PAY-142");
    wait_for("results after the mended wake", Duration::from_secs(30), || reports(&report).len() == 2);
    drop(selection);
    assert!(visible("^Chief$"), "the popup is on screen");
    assert_eq!(comm(pid), "chief-desktop", "awake");
}
