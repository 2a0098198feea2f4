//! `chief sync` killed (SIGKILL) at 20 pseudo-random points, restarted each time, then
//! run to the end: the store matches a clean, uninterrupted sync exactly — no item
//! lost, none duplicated, every text and thread link the same.

#![allow(clippy::unwrap_used)] // a test fails by panicking

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chief_mockapi::{MockApi, Synthetic, World};

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn home_with_config(mock: &MockApi, repos: &[String]) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let repos: Vec<String> = repos.iter().map(|r| format!("{r:?}")).collect();
    std::fs::write(
        home.path().join("chief.toml"),
        format!(
            "[embed]\nenabled = false\n[sources.slack]\nenabled = true\napi_base = {:?}\n\
             [sources.github]\nenabled = true\napi_base = {:?}\ncontainers = [{}]\n",
            mock.slack_base(),
            mock.github_base(),
            repos.join(", ")
        ),
    )
    .unwrap();
    home
}

fn sync_cmd(home: &Path, token: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chief"));
    c.args(["sync", "--json"])
        .env("CHIEF_HOME", home)
        .env("CHIEF_SLACK_TOKEN", token)
        .env("CHIEF_GITHUB_TOKEN", token)
        .env_remove("CHIEF_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// A stored item: (id, deleted, title, body, parent, container, url).
type Row = (String, bool, String, String, Option<String>, String, Option<String>);

/// Every item, sorted by id; and the ids created more than once in the change log.
fn dump(home: &Path) -> (Vec<Row>, Vec<String>) {
    let db = rusqlite::Connection::open(home.join("chief.db")).unwrap();
    let mut stmt =
        db.prepare("SELECT id, deleted, title, body, parent_id, container_id, url FROM items ORDER BY id").unwrap();
    let items = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let mut stmt = db
        .prepare("SELECT item_id FROM item_events WHERE change = 'created' GROUP BY item_id HAVING COUNT(*) > 1")
        .unwrap();
    let dups = stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
    (items, dups)
}

#[test]
fn killed_twenty_times_then_finished_matches_a_clean_sync() {
    let world = World::synthetic(&Synthetic {
        channels: 6,
        messages: 2_400,
        thread_every: 5,
        replies_per_thread: 3,
        repos: 2,
        pulls: 50,
        issues: 20,
        comments_per_pull: 2,
        days: 30,
        end_secs: now_secs() - 3_600,
        seed: 5,
    });
    let token = world.token.clone();
    let repos: Vec<String> = world.github.repos.keys().cloned().collect();
    let mock = MockApi::start_background(world).unwrap();
    // A little latency per request, so a kill lands mid-sync.
    mock.faults(|f| f.latency = Duration::from_millis(2));

    let clean = home_with_config(&mock, &repos);
    let t = Instant::now();
    let out = sync_cmd(clean.path(), &token).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let full = t.elapsed();
    let (reference, dups) = dump(clean.path());
    assert!(dups.is_empty());
    assert!(reference.len() > 2_500, "{}", reference.len());

    let crashed = home_with_config(&mock, &repos);
    let db = crashed.path().join("chief.db");
    let changes = |db: &Path| -> i64 {
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT COALESCE(MAX(seq), 0) FROM item_events", [], |r| r.get(0)))
            .unwrap_or(0)
    };
    let total = reference.len() as u64;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut kills, mut attempts) = (0, 0);
    while kills < 20 && attempts < 80 {
        attempts += 1;
        let before = changes(&db);
        let mut child = sync_cmd(crashed.path(), &token).spawn().unwrap();
        // The first kills land during start-up (store migrations, index open); the
        // rest after a random number of stored changes, mid-page.
        let (deadline, threshold) = if attempts <= 2 {
            (Duration::from_millis(15 + 40 * attempts as u64), u64::MAX)
        } else {
            (Duration::from_secs(60), 1 + next() % (total / 25))
        };
        let t = Instant::now();
        let killed = loop {
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            if t.elapsed() >= deadline || (changes(&db) - before) as u64 >= threshold {
                child.kill().unwrap();
                break true;
            }
            std::thread::sleep(Duration::from_millis(1 + next() % 4));
        };
        let _ = child.wait();
        kills += usize::from(killed);
    }
    assert_eq!(kills, 20, "20 runs killed mid-sync in {attempts} attempts (a whole sync takes {full:?})");
    let out = sync_cmd(crashed.path(), &token).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (after, dups) = dump(crashed.path());
    assert!(dups.is_empty(), "items created twice: {dups:?}");
    assert_eq!(after.len(), reference.len(), "0 lost, 0 duplicated");
    let diff: Vec<_> = after.iter().zip(&reference).filter(|(a, b)| a != b).take(3).collect();
    assert!(diff.is_empty(), "differs from the clean sync: {diff:?}");
}
