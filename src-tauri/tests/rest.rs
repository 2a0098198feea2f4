//! `[desktop] rest_when_idle`: once the idle popup is closed and no window is open, the
//! app hands over to `chief-desktop-rest` in the same process (no GTK, no WebKit) and
//! everything that needs no window goes on there: the hotkey, the tray (a
//! StatusNotifierItem, seen by the test's own watcher on the session bus), the agents
//! and their notifications (the test's own notification service), and the name a
//! second launch calls. Each of those wakes the app on what it asked for: the hotkey's
//! lookup, a notification's item, the empty popup, the briefing window. A notification
//! still on screen when the process hands over keeps its click: the next image hears it.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod common;
use common::{FakeWatcher, demo_home, live_tray_item, need_x, reports, set_primary, visible, wait_for, xdotool};

const TEST_ID: &str = "dev.chief.desktop.rest-test";
const NOTIFICATIONS: &str = "/org/freedesktop/Notifications";

/// (id, summary, body) of each notification asked for.
type Shown = Arc<Mutex<Vec<(u32, String, String)>>>;

struct FakeNotifications(Shown);

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeNotifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: &str,
        _replaces_id: u32,
        _app_icon: &str,
        summary: &str,
        body: &str,
        _actions: Vec<String>,
        _hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.0.lock().unwrap();
        let id = shown.len() as u32 + 1;
        shown.push((id, summary.into(), body.into()));
        id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("chief-test".into(), "chief".into(), "1".into(), "1.2".into())
    }

    fn close_notification(&self, _id: u32) {}

    #[zbus(signal)]
    async fn action_invoked(
        emitter: &zbus::object_server::SignalEmitter<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;
}

fn rests(log: &std::path::Path) -> usize {
    std::fs::read_to_string(log).unwrap_or_default().matches("resting: the tray, hotkey").count()
}

/// True once the process is the resting one and the app's WebKit processes are gone.
fn at_rest(pid: u32) -> bool {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    comm.trim() == "chief-desktop-r" && common::family(pid).len() == 1
}

/// Whether the live tray item's icon has the unread dot (red, top right), if an item
/// is live.
fn dotted(bus: &zbus::blocking::Connection, items: &Mutex<Vec<String>>) -> Option<bool> {
    let item = live_tray_item(bus, items)?;
    let icons: Vec<(i32, i32, Vec<u8>)> = common::tray_property(bus, &item, "IconPixmap").ok()?.try_into().ok()?;
    let (w, h, argb) = icons.into_iter().next()?;
    let r = (w.min(h) / 4).max(2);
    let at = ((r + 1) * w + (w - r - 1)) as usize * 4;
    Some(argb.get(at..at + 4)? == [255, 220, 38, 38])
}

fn hide_popup() {
    xdotool(&["key", "Escape"]);
    wait_for("the popup hidden", Duration::from_secs(5), || !visible("^Chief$"));
}

/// The resting item's menu entry `label`, clicked as a tray host would.
fn click_tray_entry(bus: &zbus::blocking::Connection, item: &str, label: &str) {
    type Node = (i32, HashMap<String, zbus::zvariant::OwnedValue>, Vec<zbus::zvariant::OwnedValue>);
    let reply = bus
        .call_method(
            Some(item),
            "/MenuBar",
            Some("com.canonical.dbusmenu"),
            "GetLayout",
            &(0i32, -1i32, Vec::<String>::new()),
        )
        .unwrap();
    let (_revision, root): (u32, Node) = reply.body().deserialize().unwrap();
    let mut labels = vec![];
    let id = root
        .2
        .into_iter()
        .filter_map(|child| Node::try_from(child).ok())
        .find_map(|(id, props, _)| {
            let text = props.get("label").and_then(|v| String::try_from(v.try_clone().ok()?).ok()).unwrap_or_default();
            labels.push(text.clone());
            (text == label).then_some(id)
        })
        .unwrap_or_else(|| panic!("the tray menu has {label:?}: {labels:?}"));
    bus.call_method(
        Some(item),
        "/MenuBar",
        Some("com.canonical.dbusmenu"),
        "Event",
        &(id, "clicked", zbus::zvariant::Value::I32(0), 0u32),
    )
    .unwrap();
}

#[test]
fn an_idle_app_rests_without_windows_and_wakes_on_what_needs_one() {
    need_x(&["xdotool", "xclip"]);
    common::need_session_bus();
    let (home, truth) = demo_home();
    common::set_desktop(home.path(), "popup_unload_after_secs = 2\nagents_every_secs = 1");

    let shown: Shown = Arc::default();
    let items: Arc<Mutex<Vec<String>>> = Arc::default();
    let bus = zbus::blocking::connection::Builder::session()
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .name("org.kde.StatusNotifierWatcher")
        .unwrap()
        .serve_at(NOTIFICATIONS, FakeNotifications(shown.clone()))
        .unwrap()
        .serve_at(common::WATCHER, FakeWatcher(items.clone()))
        .unwrap()
        .build()
        .expect("the test owns the notification service and the tray watcher on the session bus");
    let notifications = bus.object_server().interface::<_, FakeNotifications>(NOTIFICATIONS).unwrap();
    let emitter = || notifications.signal_emitter().clone();

    let report = home.path().join("report.jsonl");
    let log = home.path().join("desktop.log");
    let app = common::start_app(home.path(), TEST_ID, &[("CHIEF_DESKTOP_REPORT", report.as_os_str())], &log);
    let pid = app.0.id();
    let logs = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_for("the hotkey to be registered", Duration::from_secs(60), || logs().contains("hotkey registered"));

    // The briefing is announced at start; its notification stays on screen, unclicked,
    // and the app rests all the same.
    wait_for("the briefing's notification", Duration::from_secs(60), || {
        shown.lock().unwrap().iter().any(|n| n.1 == "Your briefing is ready")
    });
    let briefing = shown.lock().unwrap().iter().find(|n| n.1 == "Your briefing is ready").unwrap().0;
    wait_for("the app to rest", Duration::from_secs(30), || rests(&log) == 1);
    wait_for("its WebKit processes to end", Duration::from_secs(20), || at_rest(pid));
    assert!(xdotool(&["search", "--name", "^Chief"]).trim().is_empty(), "no window at rest");
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    for lib in ["libwebkit2gtk", "libjavascriptcoregtk", "libgtk-3", "libLLVM"] {
        assert!(!maps.contains(lib), "{lib} is not loaded at rest");
    }
    let rss = common::rss_kib(pid);
    common::figure(&format!(
        "resting process ({}, no model): RSS {} MiB, no other process",
        common::build_label(),
        rss / 1024
    ));

    // The tray while resting: an item with the app's title and icon.
    wait_for("the resting tray item", Duration::from_secs(20), || live_tray_item(&bus, &items).is_some());
    let item = live_tray_item(&bus, &items).unwrap();
    let title = String::try_from(common::tray_property(&bus, &item, "Title").unwrap()).unwrap();
    assert_eq!(title, "Chief");
    let icons: Vec<(i32, i32, Vec<u8>)> = common::tray_property(&bus, &item, "IconPixmap").unwrap().try_into().unwrap();
    assert!(icons.iter().any(|(w, h, data)| *w > 0 && data.len() == (w * h * 4) as usize), "an icon");

    // A question stored while resting: the resting process notifies.
    let before = shown.lock().unwrap().len();
    let engine =
        chief_engine::Engine::open(home.path(), chief_engine::Config::load(home.path(), Vec::new()).unwrap()).unwrap();
    let gold = truth.stories.iter().find(|s| s.kind == "question_to_me").unwrap();
    let earlier = engine.show(&gold.items[0]).unwrap().item.item;
    let now = engine.clock().expect("a demo home has its own clock");
    let channel = earlier.container.as_str().trim_start_matches("slack:").to_string();
    let id = chief_core::ItemId::new(chief_core::Source::Slack, &format!("{channel}:{}.000777", now.0 / 1000 - 60));
    engine
        .write(|w| {
            w.upsert_item(&chief_core::Item {
                id: id.clone(),
                created: chief_core::Timestamp(now.0 - 60_000),
                updated: chief_core::Timestamp(now.0 - 60_000),
                body: format!("@{} could you approve the on-call budget before Friday?", truth.me.name),
                references: vec![chief_core::Reference::new(
                    chief_core::RefKind::Person,
                    format!("slack:{}", truth.me.slack),
                )],
                parent: None,
                url: None,
                extra: serde_json::json!({}),
                ..earlier.clone()
            })
        })
        .unwrap();
    engine.close().unwrap();
    wait_for("the question's notification from the resting process", Duration::from_secs(30), || {
        shown.lock().unwrap().len() > before
    });
    let question = shown.lock().unwrap().last().unwrap().clone();
    assert!(question.2.contains("on-call budget"), "{question:?}");
    assert!(at_rest(pid), "it was sent at rest");
    wait_for("the unread dot on the resting tray", Duration::from_secs(10), || dotted(&bus, &items) == Some(true));

    // The hotkey at rest: the app wakes with the lookup's results.
    xdotool(&["mousemove", "400", "200"]);
    let selection = set_primary("PAY-142");
    std::thread::sleep(Duration::from_millis(100));
    xdotool(&["key", "ctrl+shift+o"]);
    wait_for("results after waking", Duration::from_secs(30), || !reports(&report).is_empty());
    drop(selection);
    assert!(visible("^Chief$"), "the popup is on screen");
    // The captured text went over in a file (never on a command line), read once.
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains("PAY-142"), "the text is not on the command line");
    assert!(String::from_utf8_lossy(&cmdline).contains("--unread"), "the unread dot went to the woken app");
    let left: Vec<_> = std::fs::read_dir(home.path().join("handover")).unwrap().collect();
    assert!(left.is_empty(), "the handover file is gone: {left:?}");
    let first = &reports(&report)[0];
    let ids: Vec<&str> = first["ids"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    let incident = truth.stories.iter().find(|s| s.kind == "incident").unwrap();
    let pr = incident.items.iter().find(|id| id.starts_with("github:") && id.contains('#')).unwrap();
    assert!(ids.contains(&pr.as_str()), "the lookup after waking lists {pr}: {ids:?}");
    common::figure(&format!(
        "hotkey → results when the app was resting (it wakes; {}): {} ms",
        common::build_label(),
        first["latency_ms"].as_f64().unwrap()
    ));
    hide_popup();

    // The awake app hears the click on the question the resting process notified:
    // the popup opens on its item.
    zbus::block_on(FakeNotifications::action_invoked(&emitter(), question.0, "default")).unwrap();
    wait_for("the popup on its item", Duration::from_secs(30), || reports(&report).len() == 2 && visible("^Chief$"));
    let ids = reports(&report)[1]["ids"].clone();
    assert!(ids.as_array().unwrap().iter().any(|v| v.as_str() == Some(id.as_str())), "{ids}");
    hide_popup();
    wait_for("the app to rest again", Duration::from_secs(30), || rests(&log) == 2 && at_rest(pid));
    wait_for("the resting tray", Duration::from_secs(20), || dotted(&bus, &items).is_some());
    assert_eq!(dotted(&bus, &items), Some(false), "the click read it: no dot after the next handover");

    // A second launch at rest opens the popup empty: nothing is replayed.
    common::second_launch(&common::app_exe(), home.path(), TEST_ID, &[]);
    wait_for("the empty popup", Duration::from_secs(30), || visible("^Chief$"));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(reports(&report).len(), 2, "no lookup was replayed");
    hide_popup();
    wait_for("the app to rest a third time", Duration::from_secs(30), || rests(&log) == 3 && at_rest(pid));

    // The tray's Search at rest opens the popup.
    wait_for("the tray item again", Duration::from_secs(20), || live_tray_item(&bus, &items).is_some());
    let item = live_tray_item(&bus, &items).unwrap();
    let pages = logs().matches("popup ready").count();
    click_tray_entry(&bus, &item, "Search");
    wait_for("the popup from the tray", Duration::from_secs(30), || visible("^Chief$"));
    // Escape is the page's: it has to have loaded.
    wait_for("its page", Duration::from_secs(20), || logs().matches("popup ready").count() > pages);
    hide_popup();
    wait_for("the app to rest a fourth time", Duration::from_secs(30), || rests(&log) == 4 && at_rest(pid));

    // The briefing's notification, sent by the app before its first rest and carried
    // through every handover since, is clicked at last: the briefing window opens.
    assert!(!visible("^Chief briefing$"));
    zbus::block_on(FakeNotifications::action_invoked(&emitter(), briefing, "default")).unwrap();
    wait_for("the briefing window", Duration::from_secs(30), || visible("^Chief briefing$"));
    assert_eq!(std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap().trim(), "chief-desktop", "awake");
}
