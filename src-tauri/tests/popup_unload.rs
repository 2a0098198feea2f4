//! `[desktop] popup_unload_after_secs`: the hidden popup is closed after that long
//! (its WebKit web process ends with it, which is most of an idle app's memory), and
//! the next hotkey makes it again and shows the lookup's results.

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

#[test]
fn a_popup_closed_while_idle_comes_back_on_the_hotkey() {
    need_x(&["xdotool", "xclip"]);
    let (home, truth) = demo_home();
    let config = home.path().join("chief.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str("\n[desktop]\npopup_unload_after_secs = 2\n");
    std::fs::write(&config, toml).unwrap();
    let report = home.path().join("report.jsonl");
    let log = home.path().join("desktop.log");
    let app = common::start_app(home.path(), TEST_ID, &[("CHIEF_DESKTOP_REPORT", report.as_os_str())], &log);
    let pid = app.0.id();
    let logged = |what: &str| std::fs::read_to_string(&log).unwrap_or_default().contains(what);
    wait_for("the hotkey to be registered", Duration::from_secs(60), || logged("hotkey registered"));
    wait_for("the popup page", Duration::from_secs(30), || logged("popup ready"));
    assert_eq!(web_processes(pid), 1, "the hidden popup has its web process at start");

    wait_for("the idle popup to be closed", Duration::from_secs(30), || logged("popup closed until the next lookup"));
    assert!(xdotool(&["search", "--name", "^Chief$"]).trim().is_empty(), "no popup window, hidden or not");
    wait_for("its web process to end", Duration::from_secs(20), || web_processes(pid) == 0);

    xdotool(&["mousemove", "400", "200"]);
    let _selection = set_primary("PAY-142");
    std::thread::sleep(Duration::from_millis(100));
    xdotool(&["key", "ctrl+shift+o"]);
    wait_for("results in the remade popup", Duration::from_secs(30), || !reports(&report).is_empty());
    assert!(visible("^Chief$"), "the popup is on screen again");
    assert!(logged("popup made again"));
    let first = &reports(&report)[0];
    let shown: Vec<&str> = first["ids"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    let incident = truth.stories.iter().find(|s| s.kind == "incident").unwrap();
    let pr = incident.items.iter().find(|id| id.starts_with("github:") && id.contains('#')).unwrap();
    assert!(shown.contains(&pr.as_str()), "the lookup in the remade popup lists {pr}: {shown:?}");
    common::figure(&format!(
        "hotkey → results when the idle popup had been closed (made again, debug build): {} ms",
        first["latency_ms"].as_f64().unwrap()
    ));

    // Shown again, it is not closed while in use; hidden, it goes again.
    assert_eq!(web_processes(pid), 1);
    xdotool(&["key", "Escape"]);
    wait_for("hidden", Duration::from_secs(5), || !visible("^Chief$"));
    wait_for("closed again when idle", Duration::from_secs(30), || {
        xdotool(&["search", "--name", "^Chief$"]).trim().is_empty()
    });
}
