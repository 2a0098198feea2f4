//! What the desktop's real-window tests share: a demo home, the X tools they drive,
//! and child processes that die with the test.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Child, Command, Stdio};

/// A child process killed when dropped (also when an assertion fails).
pub struct Kill(pub Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A test home holding the demo workspace (BM25 only: no model needed), and its
/// ground truth.
pub fn demo_home() -> (tempfile::TempDir, chief_demo::GroundTruth) {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("chief.toml"), "[embed]\nenabled = false\n").unwrap();
    let (engine, _) = chief_bench::demo::load(home.path(), false, Vec::new(), chief_engine::no_progress()).unwrap();
    engine.close().unwrap();
    let truth =
        serde_json::from_slice(&std::fs::read(home.path().join("demo-data/ground_truth.json")).unwrap()).unwrap();
    (home, truth)
}

/// Fails loudly unless an X display and the tools exist.
pub fn need_x(tools: &[&str]) {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "the desktop tests need an X display: run them through scripts/test.sh (it starts Xvfb)"
    );
    for tool in tools {
        let ok =
            Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success());
        assert!(ok, "{tool} is required for the desktop tests (scripts/setup.sh --tests installs it)");
    }
}

pub fn xdotool(args: &[&str]) -> String {
    let out = Command::new("xdotool").args(args).output().expect("xdotool runs");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// True if a window whose title matches `name` (a regex) is visible.
pub fn visible(name: &str) -> bool {
    !xdotool(&["search", "--onlyvisible", "--name", name]).trim().is_empty()
}

/// Puts `text` in the X PRIMARY selection, served until the returned child drops.
pub fn set_primary(text: &str) -> Kill {
    let mut child = Command::new("xclip")
        .args(["-selection", "primary", "-loops", "0", "-quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("xclip runs");
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("xclip takes the text");
    Kill(child)
}

/// Prints a figure the run measured and appends it to `CHIEF_TEST_FIGURES` (the test
/// script prints that file after the run, since passing tests' output is captured).
pub fn figure(line: &str) {
    println!("{line}");
    if let Some(path) = std::env::var_os("CHIEF_TEST_FIGURES")
        && let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}

/// Starts the app on `home` under its own identifier `id`, logging to `log` at info
/// (with `env` added), and WebKit painting what a screenshot sees under Xvfb.
/// Which binary the figures are of: this build's (debug) or an installed one.
pub fn build_label() -> &'static str {
    if std::env::var_os("CHIEF_DESKTOP_EXE").is_some() { "installed build" } else { "debug build" }
}

/// The desktop binary under test: this build's, or an installed one named by
/// `CHIEF_DESKTOP_EXE` (scripts/package.sh --install-test runs the .deb's).
pub fn app_exe() -> std::path::PathBuf {
    std::env::var_os("CHIEF_DESKTOP_EXE").map_or_else(|| env!("CARGO_BIN_EXE_chief-desktop").into(), Into::into)
}

pub fn start_app(home: &std::path::Path, id: &str, env: &[(&str, &std::ffi::OsStr)], log: &std::path::Path) -> Kill {
    let mut cmd = Command::new(app_exe());
    cmd.env("CHIEF_HOME", home)
        .env("CHIEF_DESKTOP_IDENTIFIER", id)
        .env("CHIEF_LOG", "info")
        // Under Xvfb, WebKit's accelerated compositing paints nothing a screenshot sees.
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("the app's log"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    Kill(cmd.spawn().expect("the desktop app starts"))
}

/// Polls `f` every 20 ms until it holds; fails after `timeout`, naming `what`.
pub fn wait_for(what: &str, timeout: std::time::Duration, mut f: impl FnMut() -> bool) {
    let t = std::time::Instant::now();
    while !f() {
        assert!(t.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The popup's reports (`CHIEF_DESKTOP_REPORT`), one JSON object per shown lookup.
pub fn reports(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

/// The app and its WebKit child processes.
pub fn family(pid: u32) -> Vec<u32> {
    let mut pids = vec![pid];
    if let Ok(out) = std::process::Command::new("pgrep").args(["-P", &pid.to_string()]).output() {
        pids.extend(String::from_utf8_lossy(&out.stdout).split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
    }
    pids
}

/// utime + stime of the app and each of its children, in clock ticks (100 per second).
pub fn cpu_ticks(pid: u32) -> std::collections::HashMap<u32, u64> {
    family(pid)
        .into_iter()
        .map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let after = stat.rsplit_once(") ").map(|(_, r)| r.to_string()).unwrap_or_default();
            let f: Vec<&str> = after.split_whitespace().collect();
            (
                p,
                f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
                    + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0),
            )
        })
        .collect()
}

/// Resident memory of the app and its WebKit children, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    rss_by_process(pid).iter().map(|(_, kib)| kib).sum()
}

/// Resident memory of the app and each WebKit child, in KiB, by process name.
pub fn rss_by_process(pid: u32) -> Vec<(String, u64)> {
    family(pid)
        .iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok())
        .filter_map(|s| {
            let name = s.lines().find_map(|l| l.strip_prefix("Name:"))?.trim().to_string();
            let kib = s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse::<u64>().ok()?;
            Some((name, kib))
        })
        .collect()
}

/// The demo home's sources served live by the demo mock: the mock (answering every
/// request `latency` late), the token it takes, and `chief.toml` pointing Slack and
/// GitHub at it with a sync every `interval_minutes`.
pub fn live_mock(
    home: &std::path::Path,
    truth: &chief_demo::GroundTruth,
    latency: std::time::Duration,
    interval_minutes: u32,
) -> (chief_mockapi::MockApi, String) {
    let world = chief_mockapi::World::from_demo(
        &home.join("demo-data"),
        &truth.slack_url,
        &truth.me.slack,
        &truth.me.github,
        &truth.me.email,
    )
    .expect("the demo's data as a mock world");
    let token = world.token.clone();
    let repos: Vec<String> = world.github.repos.keys().cloned().collect();
    let mock = chief_mockapi::MockApi::start_background(world).expect("the mock starts");
    mock.faults(|f| f.latency = latency);
    let cfg = home.join("chief.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap_or_default();
    text.push_str(&format!(
        "\n[sources.slack]\nenabled = true\ninterval_minutes = {interval_minutes}\napi_base = \"{}\"\n\n[sources.github]\nenabled = true\ninterval_minutes = {interval_minutes}\napi_base = \"{}\"\ncontainers = {:?}\n",
        mock.slack_base(),
        mock.github_base(),
        repos
    ));
    std::fs::write(&cfg, text).expect("chief.toml written");
    (mock, token)
}

/// Starts the app on `home` with the mock's `token` for both sources and a report of its
/// lookups, and waits for its hotkey: the app, the report file and the app's log.
pub fn start_live_app(home: &std::path::Path, id: &str, token: &str) -> (Kill, std::path::PathBuf, std::path::PathBuf) {
    let report = home.join("report.jsonl");
    let log = home.join("desktop.log");
    let token = std::ffi::OsStr::new(token);
    let app = start_app(
        home,
        id,
        &[("CHIEF_DESKTOP_REPORT", report.as_os_str()), ("CHIEF_SLACK_TOKEN", token), ("CHIEF_GITHUB_TOKEN", token)],
        &log,
    );
    wait_for("the hotkey to be registered", std::time::Duration::from_secs(60), || {
        std::fs::read_to_string(&log).unwrap_or_default().contains("hotkey registered")
    });
    (app, report, log)
}

/// Where a tray host's watcher serves.
pub const WATCHER: &str = "/StatusNotifierWatcher";

/// A tray host's watcher: the items that registered.
pub struct FakeWatcher(pub std::sync::Arc<std::sync::Mutex<Vec<String>>>);

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl FakeWatcher {
    fn register_status_notifier_item(&self, service: &str) {
        self.0.lock().unwrap().push(service.to_string());
    }

    fn register_status_notifier_host(&self, _service: &str) {}

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// The tray item registered with the watcher that is on the bus now (the resting
/// process's; an earlier image's went with it).
pub fn live_tray_item(bus: &zbus::blocking::Connection, items: &std::sync::Mutex<Vec<String>>) -> Option<String> {
    let dbus = zbus::blocking::fdo::DBusProxy::new(bus).unwrap();
    let registered = items.lock().unwrap().clone();
    registered
        .into_iter()
        .rev()
        .filter(|s| s.starts_with("org.kde.StatusNotifierItem-"))
        .find(|s| zbus::names::BusName::try_from(s.as_str()).is_ok_and(|n| dbus.name_has_owner(n).unwrap_or(false)))
}

/// Fails loudly without a session bus.
pub fn need_session_bus() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "a session bus is required (scripts/test.sh starts one)"
    );
}

/// Adds `[desktop]` settings (`lines`, TOML) to the home's chief.toml.
pub fn set_desktop(home: &std::path::Path, lines: &str) {
    let config = home.join("chief.toml");
    let mut toml = std::fs::read_to_string(&config).unwrap();
    toml.push_str(&format!("\n[desktop]\n{lines}\n"));
    std::fs::write(&config, toml).unwrap();
}

/// A property of the StatusNotifierItem `item` serves.
pub fn tray_property(
    bus: &zbus::blocking::Connection,
    item: &str,
    name: &str,
) -> zbus::Result<zbus::zvariant::OwnedValue> {
    let props =
        zbus::blocking::fdo::PropertiesProxy::builder(bus).destination(item)?.path("/StatusNotifierItem")?.build()?;
    let sni = zbus::names::InterfaceName::try_from("org.kde.StatusNotifierItem")?;
    Ok(props.get(sni, name)?)
}

/// Launches `exe` (with `args`) again on `home` under the identifier `id`, as a user
/// would while Chief runs; it must hand over to the running instance and exit 0.
pub fn second_launch(exe: &std::path::Path, home: &std::path::Path, id: &str, args: &[&str]) {
    let status = Command::new(exe)
        .args(args)
        .env("CHIEF_HOME", home)
        .env("CHIEF_DESKTOP_IDENTIFIER", id)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "the second launch hands over and exits: {status}");
}
