//! One engine, several callers: popup lookups complete while a sync of the same
//! engine is still running (the desktop runs both at once).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chief_engine::{SourceState, SyncEvent};

use crate::demo::load_demo;

#[test]
fn context_lookups_finish_while_a_slow_sync_of_the_same_engine_is_still_running() {
    let (_home, engine, _) = load_demo(false);
    // A workspace whose every API response takes 30 ms: its sync takes seconds.
    let now = chief_core::Timestamp::now().0 as u64 / 1000;
    let spec = chief_mockapi::Synthetic {
        channels: 3,
        messages: 600,
        thread_every: 10,
        replies_per_thread: 2,
        repos: 1,
        pulls: 20,
        issues: 4,
        comments_per_pull: 1,
        days: 5,
        end_secs: now - 60,
        seed: 11,
        ..chief_mockapi::Synthetic::default()
    };
    let (mock, endpoints) = chief_bench::serve(chief_mockapi::World::synthetic(&spec), None).unwrap();
    mock.faults(|f| f.latency = Duration::from_millis(30));

    // The order of what happened: lookups, sync pages and the sync's end, as they come.
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let push = |e: &str| log.lock().unwrap().push(e.to_string());
    std::thread::scope(|s| {
        let sync = s.spawn(|| {
            let pages = log.clone();
            let progress: chief_engine::SyncProgress = Arc::new(move |e: &SyncEvent| {
                if let SyncEvent::Page { .. } = e {
                    pages.lock().unwrap().push("page".into());
                }
            });
            let out = engine.sync_at(&endpoints, progress).unwrap();
            push("sync finished");
            out
        });
        // Wait until the sync has stored its first page, then look things up.
        while !log.lock().unwrap().iter().any(|e| e == "page") {
            assert!(!sync.is_finished(), "the sync ended before its first page was seen");
            std::thread::sleep(Duration::from_millis(5));
        }
        for text in ["PAY-142", "checkout 502 errors", "headcount plan"] {
            let found = engine.context(text, engine.clock()).unwrap();
            assert!(!found.groups.is_empty(), "{text}: nothing related");
            push(&format!("lookup {text}"));
        }
        let outcomes = sync.join().unwrap();
        assert!(outcomes.iter().all(|o| o.state == SourceState::Ok), "{outcomes:?}");
    });
    let log = log.lock().unwrap().clone();
    let end = log.iter().position(|e| e == "sync finished").unwrap();
    let lookups: Vec<usize> = log.iter().enumerate().filter(|(_, e)| e.starts_with("lookup")).map(|(i, _)| i).collect();
    assert_eq!(lookups.len(), 3);
    assert!(lookups.iter().all(|&i| i < end), "every lookup completed before the sync finished: {log:?}");
}
