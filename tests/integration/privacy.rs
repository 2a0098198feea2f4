//! Privacy and durability on disk: the home is the owner's alone, deleted text is
//! overwritten, and a sync left "running" by a dead process does not stay so.

use chief_core::Timestamp;
use chief_engine::{Config, Engine};

#[cfg(unix)]
#[test]
fn the_home_and_its_files_are_private_and_doctor_says_when_not() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = parent.path().join("home");
    let env = || vec![("CHIEF_EMBED_ENABLED".to_string(), "false".to_string())];
    let engine = Engine::open(&home, Config::load(&home, env()).unwrap()).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home), 0o700, "a home Chief creates is private");
    assert_eq!(mode(&home.join("chief.db")), 0o600);
    engine.close().unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(home.join("chief.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let findings = chief_engine::doctor(&home, env());
    let privacy = findings.iter().find(|f| f.check == "privacy").expect("a privacy finding for a 0755 home");
    assert!(privacy.fix.contains("chmod 700"), "{privacy:?}");
    // Opening it again restricts Chief's own files, but not a folder that existed
    // before (--home could name a shared folder such as /tmp).
    let engine = Engine::open(&home, Config::load(&home, env()).unwrap()).unwrap();
    assert_eq!(mode(&home.join("chief.db")), 0o600);
    assert_eq!(mode(&home), 0o755);
    engine.close().unwrap();
}

#[test]
fn deleted_text_is_overwritten_and_stale_running_states_are_reset() {
    let home = tempfile::tempdir().unwrap();
    let mut store = chief_store::Store::open(&home.path().join("chief.db")).unwrap();
    let on: i64 = store.connection().pragma_query_value(None, "secure_delete", |r| r.get(0)).unwrap();
    assert_eq!(on, 1);
    let old = chief_store::SourceStatus {
        source: "slack".into(),
        account: "T1".into(),
        state: chief_store::SourceState::Running,
        message: String::new(),
        last_attempt: Some(Timestamp(Timestamp::now().0 - 7 * 3_600_000)),
        last_success: None,
        resume_at: None,
        last_reconcile: None,
        stats: serde_json::Value::Null,
    };
    let fresh =
        chief_store::SourceStatus { source: "github".into(), last_attempt: Some(Timestamp::now()), ..old.clone() };
    let w = store.writer().unwrap();
    w.set_source_status(&old).unwrap();
    w.set_source_status(&fresh).unwrap();
    w.commit().unwrap();
    drop(store);
    let engine = Engine::open(
        home.path(),
        Config::load(home.path(), vec![("CHIEF_EMBED_ENABLED".into(), "false".into())]).unwrap(),
    )
    .unwrap();
    let status = engine.status().unwrap();
    let state = |s: &str| status.sources.iter().find(|x| x.source == s).map(|x| x.state);
    assert_eq!(state("slack"), Some(chief_store::SourceState::Failed), "left running 7 h ago by a dead process");
    assert_eq!(state("github"), Some(chief_store::SourceState::Running), "a sync that just started is left alone");
}
