//! `[desktop] popup_unload_after_secs`: the hidden popup is closed after that long
//! (its WebKit web process ends with it, which is most of an idle app's memory), and
//! the next hotkey makes it again and shows the lookup's results; opened empty, it
//! does not replay the last lookup. The app stays up (`rest_when_idle = false`; the
//! resting that follows is `rest.rs`'s).

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::time::Duration;

mod common;
use common::{demo_home, need_x, reports, set_primary, visible, wait_for, xdotool};

const TEST_ID: &str = "dev.chief.desktop.popup-unload-test";

fn web_processes(pid: u32) -> usize {
    common::family(pid)
        .into_iter()
        .filter(|p| std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.starts_with("WebKitWebProces")))
        .count()
}

fn second_launch(home: &std::path::Path) {
    let status = std::process::Command::new(common::app_exe())
        .env("CHIEF_HOME", home)
        .env("CHIEF_DESKTOP_IDENTIFIER", TEST_ID)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "the second instance hands over and exits");
}

#[test]
fn a_popup_closed_while_idle_comes_back_on_the_hotkey() {
    need_x(&["xdotool", "xclip"]);
    let (home, truth) = demo_home();
    let config = home.path().join("chief.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str("\n[desktop]\npopup_unload_after_secs = 2\nrest_when_idle = false\n");
    std::fs::write(&config, toml).unwrap();
    let report = home.path().join("report.jsonl");
    let log = home.path().join("desktop.log");
    let app = common::start_app(home.path(), TEST_ID, &[("CHIEF_DESKTOP_REPORT", report.as_os_str())], &log);
    let pid = app.0.id();
    let logs = || std::fs::read_to_string(&log).unwrap_or_default();
    let closed = || xdotool(&["search", "--name", "^Chief$"]).trim().is_empty();
    wait_for("the hotkey to be registered", Duration::from_secs(60), || logs().contains("hotkey registered"));
    wait_for("the popup page", Duration::from_secs(30), || logs().contains("popup ready"));
    assert_eq!(web_processes(pid), 1, "the hidden popup has its web process at start");

    // A lookup in the popup made at start.
    xdotool(&["mousemove", "400", "200"]);
    let _selection = set_primary("PAY-142");
    std::thread::sleep(Duration::from_millis(100));
    xdotool(&["key", "ctrl+shift+o"]);
    wait_for("results", Duration::from_secs(30), || !reports(&report).is_empty());
    xdotool(&["key", "Escape"]);
    wait_for("hidden", Duration::from_secs(5), || !visible("^Chief$"));

    wait_for("the idle popup to be closed", Duration::from_secs(30), || {
        logs().contains("popup closed until the next lookup")
    });
    assert!(closed(), "no popup window, hidden or not");
    wait_for("its web process to end", Duration::from_secs(20), || web_processes(pid) == 0);

    // Opened empty (a second launch, as the tray's Search does): the page made again
    // does not replay that lookup.
    second_launch(home.path());
    wait_for("the empty popup", Duration::from_secs(20), || visible("^Chief$"));
    wait_for("its page", Duration::from_secs(20), || logs().matches("popup ready").count() >= 2);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(reports(&report).len(), 1, "no lookup was replayed: {:?}", reports(&report));
    xdotool(&["key", "Escape"]);
    wait_for("hidden", Duration::from_secs(5), || !visible("^Chief$"));
    wait_for("closed again when idle", Duration::from_secs(30), closed);

    // The hotkey makes it again and shows the lookup's results.
    xdotool(&["key", "ctrl+shift+o"]);
    wait_for("results in the remade popup", Duration::from_secs(30), || reports(&report).len() > 1);
    assert!(visible("^Chief$"), "the popup is on screen again");
    assert_eq!(logs().matches("popup made again").count(), 2);
    let last = &reports(&report)[1];
    let shown: Vec<&str> = last["ids"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    let incident = truth.stories.iter().find(|s| s.kind == "incident").unwrap();
    let pr = incident.items.iter().find(|id| id.starts_with("github:") && id.contains('#')).unwrap();
    assert!(shown.contains(&pr.as_str()), "the lookup in the remade popup lists {pr}: {shown:?}");
    common::figure(&format!(
        "hotkey → results when the idle popup had been closed (made again, debug build): {} ms",
        last["latency_ms"].as_f64().unwrap()
    ));
    // Shown, it is not closed while in use; hidden, it goes again.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(web_processes(pid), 1);
    xdotool(&["key", "Escape"]);
    wait_for("hidden", Duration::from_secs(5), || !visible("^Chief$"));
    wait_for("closed once more when idle", Duration::from_secs(30), closed);
}
