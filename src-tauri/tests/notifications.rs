//! Tray notifications through the OS: the real app on the demo home, with the agents'
//! round every second, and a notification service of the test's own on the session bus
//! (`org.freedesktop.Notifications`, as libnotify's daemons provide). Today's briefing
//! is announced once (activating it at once opens the briefing window); a question stored
//! while the app runs arrives once, with an "Open" action that opens the popup on
//! its item.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::{demo_home, need_x, visible};

const TEST_ID: &str = "dev.chief.desktop.notifications-test";
const PATH: &str = "/org/freedesktop/Notifications";

/// What the service was asked to show: (id, app name, summary, body, actions).
type Shown = Arc<Mutex<Vec<(u32, String, String, String, Vec<String>)>>>;

struct FakeNotifications {
    shown: Shown,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeNotifications {
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        #[zbus(signal_emitter)] emitter: zbus::object_server::SignalEmitter<'_>,
        app_name: &str,
        _replaces_id: u32,
        _app_icon: &str,
        summary: &str,
        body: &str,
        actions: Vec<String>,
        _hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let id = {
            let mut shown = self.shown.lock().unwrap();
            let id = shown.len() as u32 + 1;
            shown.push((id, app_name.into(), summary.into(), body.into(), actions));
            id
        };
        // The briefing's is clicked at once, before the app has even heard its id back:
        // a click that quick must not be lost.
        if summary == "Your briefing is ready" {
            Self::action_invoked(&emitter, id, "default").await.unwrap();
        }
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

#[test]
fn due_notifications_go_through_the_os_and_one_opens_the_popup_on_its_item() {
    need_x(&["xdotool"]);
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "a session bus is required (scripts/test.sh starts one)"
    );
    let (home, truth) = demo_home();
    let shown: Shown = Arc::default();
    let bus = zbus::blocking::connection::Builder::session()
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .serve_at(PATH, FakeNotifications { shown: shown.clone() })
        .unwrap()
        .build()
        .expect("the test owns org.freedesktop.Notifications on the session bus");

    let log = home.path().join("desktop.log");
    let _app = common::start_app(home.path(), TEST_ID, &[("CHIEF_DESKTOP_AGENTS_EVERY_SECS", "1".as_ref())], &log);
    let logged = |what: &str| std::fs::read_to_string(&log).unwrap_or_default().contains(what);
    let t = Instant::now();
    while !logged("hotkey registered") {
        assert!(t.elapsed() < Duration::from_secs(60), "the app started");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The demo's "now" is past the user's usual start: today's briefing is prepared
    // and announced once; activating that (at once, see `notify`) opens the briefing
    // window.
    let t = Instant::now();
    let ready = loop {
        if let Some(n) = shown.lock().unwrap().iter().find(|n| n.2 == "Your briefing is ready").cloned() {
            break n;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "the briefing was announced: {:#?}", shown.lock().unwrap());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(ready.3.starts_with("First: "), "{ready:?}");
    let t = Instant::now();
    while !visible("^Chief briefing$") {
        assert!(t.elapsed() < Duration::from_secs(20), "activating it opens the briefing window");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The demo's own notifications went stale long before this "now" (recorded, not
    // shown). A new question to the user arrives, as a sync would store it.
    std::thread::sleep(Duration::from_secs(2));
    let before = shown.lock().unwrap().len();
    assert_eq!(shown.lock().unwrap().iter().filter(|n| n.2 == "Your briefing is ready").count(), 1, "announced once");
    let engine =
        chief_engine::Engine::open(home.path(), chief_engine::Config::load(home.path(), Vec::new()).unwrap()).unwrap();
    let gold = truth.stories.iter().find(|s| s.kind == "question_to_me").unwrap();
    let earlier = engine.show(&gold.items[0]).unwrap().item.item;
    let now = engine.clock().expect("a demo home has its own clock");
    let channel = earlier.container.as_str().trim_start_matches("slack:").to_string();
    let id = chief_core::ItemId::new(chief_core::Source::Slack, &format!("{channel}:{}.000555", now.0 / 1000 - 60));
    let text = format!("@{} can you sign off the vendor contract renewal today?", truth.me.name);
    engine
        .write(|w| {
            w.upsert_item(&chief_core::Item {
                id: id.clone(),
                created: chief_core::Timestamp(now.0 - 60_000),
                updated: chief_core::Timestamp(now.0 - 60_000),
                body: text.clone(),
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
    let t = Instant::now();
    while shown.lock().unwrap().len() == before {
        assert!(t.elapsed() < Duration::from_secs(30), "the new question reached the notification service");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(2)); // more rounds: nothing is shown twice
    let got = shown.lock().unwrap().clone();
    assert_eq!(got.len(), before + 1, "{got:#?}");
    let first = got.last().unwrap().clone();
    assert_eq!(first.1, "Chief");
    assert!(first.4.contains(&"default".to_string()), "an Open action: {first:?}");
    assert!(first.2.contains("asked you") && first.3.contains("vendor contract renewal"), "{first:?}");
    common::figure(&format!("tray notification for a new question: {:?} — {:?}", first.2, first.3));
    let iface = bus.object_server().interface::<_, FakeNotifications>(PATH).unwrap();

    // Activating it opens the popup on its item.
    assert!(!visible("^Chief$"), "no popup before the click");
    zbus::block_on(FakeNotifications::action_invoked(iface.signal_emitter(), first.0, "default")).unwrap();
    let t = Instant::now();
    while !visible("^Chief$") {
        assert!(t.elapsed() < Duration::from_secs(20), "activating the notification opens the popup");
        std::thread::sleep(Duration::from_millis(100));
    }
    let t = Instant::now();
    while !std::fs::read_to_string(&log).unwrap_or_default().contains("popup rendered") {
        assert!(t.elapsed() < Duration::from_secs(20), "the popup shows the item's lookup");
        std::thread::sleep(Duration::from_millis(100));
    }
}
