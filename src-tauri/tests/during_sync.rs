//! The popup never waits for background work: the real app on the demo home syncs Slack
//! and GitHub from a mock that answers every request 150 ms late, and 20 hotkey
//! lookups run while that sync is under way, then 20 more once it is done. Both p95s
//! are printed (not asserted: speed is measured, never a test condition); the test
//! asserts that the lookups all answered and that the sync really ran during them.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::path::Path;
use std::time::{Duration, Instant};

mod common;
use common::{demo_home, need_x, reports, set_primary, visible, wait_for, xdotool};

const TEST_ID: &str = "dev.chief.desktop.sync-test";

/// 20 presses: each one's key press → results on screen, in ms, sorted.
fn presses(report: &Path) -> Vec<f64> {
    let mut out = Vec::new();
    for _ in 0..20 {
        let before = reports(report).len();
        xdotool(&["key", "ctrl+shift+o"]);
        wait_for("results", Duration::from_secs(10), || reports(report).len() > before);
        out.push(reports(report)[before]["latency_ms"].as_f64().unwrap());
        xdotool(&["key", "Escape"]);
        wait_for("hidden", Duration::from_secs(5), || !visible("^Chief$"));
    }
    out.sort_by(f64::total_cmp);
    out
}

fn p(v: &[f64], q: f64) -> f64 {
    v[((v.len() - 1) as f64 * q).round() as usize]
}

#[test]
fn hotkey_lookups_do_not_wait_for_a_slow_sync() {
    need_x(&["xdotool", "xclip"]);
    let (home, truth) = demo_home();
    let (mock, token) = common::live_mock(home.path(), &truth, Duration::from_millis(150), 10);

    let (app, report, _log) = common::start_live_app(home.path(), TEST_ID, &token);
    wait_for("the background sync to start", Duration::from_secs(30), || mock.request_count() > 0);

    xdotool(&["mousemove", "400", "200"]);
    let _selection = set_primary("PAY-142");
    std::thread::sleep(Duration::from_millis(100));
    let before = mock.request_count();
    let busy = presses(&report);
    let during = mock.request_count() - before;
    assert!(during >= 5, "the sync ran during the lookups ({during} requests)");

    // Done when the mock has seen no request for 3 s.
    let mut last = (mock.request_count(), Instant::now());
    wait_for("the sync to finish", Duration::from_secs(240), || {
        let n = mock.request_count();
        if n != last.0 {
            last = (n, Instant::now());
        }
        last.1.elapsed() > Duration::from_secs(3)
    });
    let idle = presses(&report);
    common::figure(&format!(
        "hotkey → results while a sync runs (150 ms per mock request, {during} requests during the 20 presses): p50 {:.0} ms, p95 {:.0} ms; after it: p50 {:.0} ms, p95 {:.0} ms",
        p(&busy, 0.5),
        p(&busy, 0.95),
        p(&idle, 0.5),
        p(&idle, 0.95)
    ));
    assert!(std::path::Path::new(&format!("/proc/{}/stat", app.0.id())).exists(), "the app still runs");
}
