//! A long run: the app on the demo home syncs Slack and GitHub from the demo mock every
//! minute for `SOAK_MINUTES` (30 by default) while a new message arrives in the mock
//! each minute and the hotkey is pressed each minute. It prints the resident memory of
//! the app and its WebKit processes each minute, and fails if the app dies, a lookup
//! goes unanswered, a new message is not synced, or memory grows more than 10 % from
//! the first minute to the last. Run by `bash scripts/soak.sh` (not by scripts/test.sh);
//! `CHIEF_DESKTOP_EXE=/usr/bin/chief-desktop` soaks the installed app.

#![allow(clippy::unwrap_used)] // tests fail loudly on what they did not expect

use std::time::{Duration, Instant};

mod common;
use common::{cpu_ticks, demo_home, need_x, reports, rss_kib, set_primary, visible, wait_for, xdotool};

const TEST_ID: &str = "dev.chief.desktop.soak-test";

#[test]
#[ignore = "runs for SOAK_MINUTES minutes: bash scripts/soak.sh"]
fn half_an_hour_of_syncs_and_lookups_does_not_grow_memory() {
    need_x(&["xdotool", "xclip"]);
    let minutes: u64 = std::env::var("SOAK_MINUTES").ok().and_then(|m| m.parse().ok()).unwrap_or(30).max(2);
    let (home, truth) = demo_home();
    let (mock, token) = common::live_mock(home.path(), &truth, Duration::ZERO, 1);
    let (channel, author) = mock.world(|w| {
        (
            w.slack.conversations[0]["id"].as_str().unwrap().to_string(),
            w.slack.users[0]["id"].as_str().unwrap().to_string(),
        )
    });

    let (app, report, _log) = common::start_live_app(home.path(), TEST_ID, &token);
    let pid = app.0.id();
    xdotool(&["mousemove", "400", "200"]);
    let _selection = set_primary("PAY-142");

    let start = Instant::now();
    let mut rows: Vec<(u64, u64, f64, u64)> = Vec::new(); // minute, RSS KiB, CPU %, requests
    let mut cpu = (cpu_ticks(pid), Instant::now());
    for minute in 1..=minutes {
        // Something new for the next sync.
        let ts = format!("{}.{:06}", chrono_secs(), minute);
        mock.world(|w| {
            w.slack.post(
                &channel,
                serde_json::json!({"type": "message", "user": author, "ts": ts, "text": format!("soak check {minute}: deploy window moved")}),
            )
        });
        // One lookup.
        let before = reports(&report).len();
        xdotool(&["key", "ctrl+shift+o"]);
        wait_for("results", Duration::from_secs(10), || reports(&report).len() > before);
        xdotool(&["key", "Escape"]);
        wait_for("hidden", Duration::from_secs(5), || !visible("^Chief$"));
        // The rest of the minute.
        let until = start + Duration::from_secs(60 * minute);
        std::thread::sleep(until.saturating_duration_since(Instant::now()));
        assert!(std::path::Path::new(&format!("/proc/{pid}/stat")).exists(), "the app died in minute {minute}");
        let now = (cpu_ticks(pid), Instant::now());
        let ticks: u64 = now.0.iter().map(|(p, t)| t.saturating_sub(*cpu.0.get(p).unwrap_or(&0))).sum();
        let pct = ticks as f64 / (now.1 - cpu.1).as_secs_f64();
        cpu = now;
        rows.push((minute, rss_kib(pid), pct, mock.request_count()));
        let r = rows.last().unwrap();
        let each: Vec<String> = common::rss_by_process(pid).iter().map(|(n, k)| format!("{n} {}", k / 1024)).collect();
        println!(
            "minute {:>3}: RSS {:>4} MiB ({}), CPU {:>5.2} %, mock requests so far {}",
            r.0,
            r.1 / 1024,
            each.join(", "),
            r.2,
            r.3
        );
    }
    // A sync every minute read the mock again, and the messages posted reached the index.
    // The app times its syncs from its own start, the soak its samples from its own: a
    // sync landing just after a sample leaves that window empty and the next one double,
    // so one empty window is allowed, never two in a row, and the count of syncs holds.
    let grew = rows.windows(2).filter(|w| w[1].3 > w[0].3).count() as u64;
    assert!(grew + 1 >= minutes - 1, "{rows:?}");
    assert!(rows.windows(3).all(|w| w[2].3 > w[0].3), "two minutes without a sync: {rows:?}");
    let engine_home = home.path().to_path_buf();
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "sqlite3 '{}' \"select count(*) from items where body like 'soak check %'\"",
            engine_home.join("chief.db").display()
        ))
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<u64>().unwrap_or(0))
        .unwrap_or(0);
    // The last minute's message may still be on its way.
    println!("{found} of {minutes} posted messages synced");
    assert!(found + 1 >= minutes, "{found} of {minutes} posted messages synced");
    let (first, last) = (rows[0].1 as f64, rows.last().unwrap().1 as f64);
    let growth = (last - first) / first * 100.0;
    common::figure(&format!(
        "soak: {minutes} min, sync every minute, one lookup a minute: RSS {:.0} MiB after minute 1, {:.0} MiB at the end ({growth:+.1} %), mean CPU {:.2} %",
        first / 1024.0,
        last / 1024.0,
        rows.iter().map(|r| r.2).sum::<f64>() / rows.len() as f64
    ));
    assert!(growth <= 10.0, "memory grew {growth:.1} % over {minutes} minutes: {rows:?}");
}

/// Seconds since the epoch, for a Slack ts.
fn chrono_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}
