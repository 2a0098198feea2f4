//! Bad input gets a clear error naming the file (and line), loses nothing stored, and
//! a re-run picks up where it stopped.

use std::path::Path;

use chief_engine::Engine;
use chief_sources::slack_export::ImportOptions;
use chief_tests::shared_data;
use serde_json::json;

use crate::{engine, search_ids};

fn write_export(dir: &Path, files: &[(&str, Vec<u8>)]) {
    std::fs::write(
        dir.join("channels.json"),
        json!([{"id": "C1", "name": "general"}, {"id": "C2", "name": "ops"}]).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.join("users.json"),
        json!([{"id": "U1", "name": "ana", "real_name": "Ana Ruiz", "profile": {"email": "ana@example.com"}}])
            .to_string(),
    )
    .unwrap();
    for (rel, bytes) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

fn msgs(list: serde_json::Value) -> Vec<u8> {
    list.to_string().into_bytes()
}

fn import(engine: &Engine, dir: &Path) -> chief_sources::slack_export::ImportReport {
    engine.import_slack_export(dir, &ImportOptions::default(), &mut |_| {}).unwrap()
}

#[test]
fn a_malformed_day_file_is_named_with_its_line_and_a_rerun_resumes() {
    let (_home, engine) = engine();
    let export = tempfile::tempdir().unwrap();
    let good = |ts: &str, text: &str| json!([{"type": "message", "user": "U1", "ts": ts, "text": text}]);
    write_export(
        export.path(),
        &[
            ("general/2026-01-01.json", msgs(good("1767225600.000100", "alpha launch plan"))),
            (
                "general/2026-01-02.json",
                b"[{\"type\": \"message\", \"user\": \"U1\",\n \"ts\": \"1767312000.000100\", \"text\": \"bravo"
                    .to_vec(),
            ),
            ("general/2026-01-03.json", msgs(good("1767398400.000100", "charlie retro notes"))),
        ],
    );
    let report = import(&engine, export.path());
    assert_eq!(report.failures.len(), 1);
    let err = &report.failures[0].error;
    assert!(err.contains("general/2026-01-02.json") && err.contains("line 2"), "{err}");
    assert_eq!(report.messages_inserted, 2);
    assert!(search_ids(&engine, "bravo").is_empty());

    // Fix the file and run again: only it is read.
    std::fs::write(export.path().join("general/2026-01-02.json"), msgs(good("1767312000.000100", "bravo fixed")))
        .unwrap();
    let again = import(&engine, export.path());
    assert!(again.failures.is_empty());
    assert_eq!(again.day_files_already_imported, 2);
    assert_eq!(again.messages_inserted, 1);
    assert_eq!(search_ids(&engine, "bravo").len(), 1);
}

#[test]
fn a_bad_message_rolls_back_its_whole_day_file() {
    let (_home, engine) = engine();
    let export = tempfile::tempdir().unwrap();
    write_export(
        export.path(),
        &[(
            "ops/2026-01-01.json",
            msgs(
                json!([{"type": "message", "user": "U1", "ts": "1767225600.000100", "text": "first deploy note"}, {"type": "message", "user": "U1", "text": "no timestamp"}]),
            ),
        )],
    );
    let report = import(&engine, export.path());
    assert_eq!(report.failures.len(), 1);
    assert!(
        report.failures[0].error.contains("ops/2026-01-01.json") && report.failures[0].error.contains("message 2"),
        "{:?}",
        report.failures
    );
    assert!(search_ids(&engine, "deploy").is_empty(), "the file's first message must not be half-imported");
}

#[test]
fn invalid_utf8_names_the_file() {
    let (_home, engine) = engine();
    let export = tempfile::tempdir().unwrap();
    let mut bytes = b"[{\"type\": \"message\", \"user\": \"U1\", \"ts\": \"1.0\", \"text\": \"caf".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"\"}]");
    write_export(export.path(), &[("general/2026-01-01.json", bytes)]);
    let report = import(&engine, export.path());
    assert_eq!(report.failures.len(), 1);
    assert!(report.failures[0].error.contains("general/2026-01-01.json"), "{:?}", report.failures);
}

#[test]
fn a_truncated_zip_and_a_folder_that_is_not_an_export_are_clear_errors() {
    let (_home, engine) = engine();
    let zip = std::fs::read(shared_data("slack-exports/slack-export-viewer-testarchive/testarchive.zip")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("truncated.zip");
    std::fs::write(&truncated, &zip[..zip.len() / 2]).unwrap();
    let err = engine.import_slack_export(&truncated, &ImportOptions::default(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("truncated.zip") && err.contains("not a readable zip"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let err = engine.import_slack_export(empty.path(), &ImportOptions::default(), &mut |_| {}).unwrap_err().to_string();
    assert!(err.contains("not a Slack export"), "{err}");
    assert_eq!(engine.status().unwrap().counts.max_seq, 0);
}

#[test]
fn unknown_subtypes_huge_messages_emoji_and_rtl_text_import_correctly() {
    let (_home, engine) = engine();
    let export = tempfile::tempdir().unwrap();
    let huge = format!("start {} needleword end", "lorem ipsum dolor ".repeat(60_000));
    write_export(
        export.path(),
        &[(
            "general/2026-01-01.json",
            msgs(json!([
                {"type": "message", "subtype": "hologram_share", "user": "U1", "ts": "1767225600.000100", "text": "a hologram of the roadmap"},
                {"type": "message", "user": "U1", "ts": "1767225601.000100", "text": huge},
                {"type": "message", "user": "U1", "ts": "1767225602.000100", "text": "ship it 🚀🔥 café"},
                {"type": "message", "user": "U1", "ts": "1767225603.000100", "text": "مرحبا بالفريق שלום צוות"},
            ])),
        )],
    );
    let report = import(&engine, export.path());
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.messages_inserted, 4);
    assert_eq!(report.unknown_subtypes.get("hologram_share"), Some(&1));
    assert_eq!(search_ids(&engine, "hologram"), vec!["slack:C1:1767225600.000100"]);
    let big = search_ids(&engine, "needleword");
    assert_eq!(big, vec!["slack:C1:1767225601.000100"]);
    assert!(engine.show(&big[0]).unwrap().item.item.body.len() > 1_000_000);
    assert_eq!(engine.show("slack:C1:1767225602.000100").unwrap().item.item.body, "ship it 🚀🔥 café");
    assert_eq!(search_ids(&engine, "מרחבא שלום"), vec!["slack:C1:1767225603.000100"]);
    assert_eq!(search_ids(&engine, "بالفريق"), vec!["slack:C1:1767225603.000100"]);
}

#[test]
fn edits_update_in_place_and_tombstones_leave_search() {
    let (_home, engine) = engine();
    let export = tempfile::tempdir().unwrap();
    let root = json!({"type": "message", "user": "U1", "ts": "1767225600.000100", "text": "original wording about quokkas", "thread_ts": "1767225600.000100", "reply_count": 1});
    let reply = json!({"type": "message", "user": "U1", "ts": "1767225700.000100", "thread_ts": "1767225600.000100", "text": "reply about wombats"});
    write_export(export.path(), &[("general/2026-01-01.json", msgs(json!([root, reply])))]);
    import(&engine, export.path());
    assert_eq!(search_ids(&engine, "quokkas").len(), 1);
    let thread = engine.show("slack:C1:1767225700.000100").unwrap().thread;
    assert_eq!(thread.len(), 2);

    let edited = json!({"type": "message", "user": "U1", "ts": "1767225600.000100", "text": "edited wording about capybaras", "thread_ts": "1767225600.000100", "edited": {"user": "U1", "ts": "1767225900.000000"}});
    std::fs::write(export.path().join("general/2026-01-01.json"), msgs(json!([edited, reply]))).unwrap();
    let r = import(&engine, export.path());
    assert_eq!((r.messages_updated, r.messages_unchanged, r.messages_inserted), (1, 1, 0));
    assert!(search_ids(&engine, "quokkas").is_empty());
    assert_eq!(search_ids(&engine, "capybaras"), vec!["slack:C1:1767225600.000100"]);

    let tomb = json!({"type": "message", "subtype": "tombstone", "hidden": true, "ts": "1767225600.000100", "text": "This message was deleted.", "thread_ts": "1767225600.000100"});
    std::fs::write(export.path().join("general/2026-01-01.json"), msgs(json!([tomb, reply]))).unwrap();
    let r = import(&engine, export.path());
    assert_eq!(r.messages_deleted, 1);
    assert!(search_ids(&engine, "capybaras").is_empty());
    let shown = engine.show("slack:C1:1767225600.000100").unwrap();
    assert!(shown.item.deleted);
    assert_eq!(search_ids(&engine, "wombats").len(), 1, "replies of a deleted root stay");
    // Importing the same tombstone again changes nothing.
    let seq = engine.status().unwrap().counts.max_seq;
    import(&engine, export.path());
    let r = engine
        .import_slack_export(export.path(), &ImportOptions { force: true, ..Default::default() }, &mut |_| {})
        .unwrap();
    assert_eq!(r.messages_deleted, 0);
    assert_eq!(engine.status().unwrap().counts.max_seq, seq);
}

#[test]
fn a_corrupt_index_is_rebuilt_from_the_store_on_open() {
    let home = tempfile::tempdir().unwrap();
    let export = tempfile::tempdir().unwrap();
    write_export(
        export.path(),
        &[(
            "general/2026-01-01.json",
            msgs(json!([{"type": "message", "user": "U1", "ts": "1.000100", "text": "the axolotl incident"}])),
        )],
    );
    {
        let engine = Engine::open(home.path(), crate::bm25_config()).unwrap();
        import(&engine, export.path());
        engine.sync_index().unwrap();
        engine.close().unwrap();
    }
    std::fs::write(home.path().join("index/meta.json"), b"garbage").unwrap();
    let engine = Engine::open(home.path(), crate::bm25_config()).unwrap();
    let notes = engine.status().unwrap().index.notes;
    assert!(notes.iter().any(|n| n.contains("rebuilt")), "{notes:?}");
    assert_eq!(search_ids(&engine, "axolotl"), vec!["slack:C1:1.000100"]);
}

#[test]
fn a_damaged_store_is_a_clear_error_not_a_panic() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("chief.db"), vec![0x42u8; 8192]).unwrap();
    let err = Engine::open(home.path(), crate::bm25_config()).err().expect("must fail").to_string();
    assert!(err.contains("cannot open the store") && err.contains("chief.db"), "{err}");
}

/// A REST dump whose listings name paths outside it (`../`) imports what is inside and
/// reads nothing outside.
#[test]
fn a_rest_dump_cannot_read_outside_its_folder() {
    let (_home, engine) = crate::engine();
    let outer = tempfile::tempdir().unwrap();
    let dump = outer.path().join("dump");
    // A file outside the dump, shaped like what the listings would point at.
    let event = serde_json::json!({"kind": "calendar#events", "items": [{"id": "leak", "status": "confirmed",
        "summary": "SECRET OUTSIDE THE DUMP", "start": {"dateTime": "2026-11-20T10:00:00Z"}, "end": {"dateTime": "2026-11-20T11:00:00Z"}}]});
    std::fs::write(outer.path().join("secret.json"), serde_json::to_vec(&event).unwrap()).unwrap();
    std::fs::create_dir_all(outer.path().join("evil/repo")).unwrap();
    std::fs::write(
        outer.path().join("evil/repo/issues.json"),
        br#"[{"number": 1, "title": "SECRET OUTSIDE THE DUMP", "state": "open", "user": {"login": "x"}, "created_at": "2026-11-20T10:00:00Z", "updated_at": "2026-11-20T10:00:00Z"}]"#,
    )
    .unwrap();
    std::fs::create_dir_all(dump.join("google/calendar/events")).unwrap();
    std::fs::create_dir_all(dump.join("github")).unwrap();
    std::fs::write(
        dump.join("google/calendar/calendarList.json"),
        br#"{"items": [{"id": "../../../secret", "summary": "x"}]}"#,
    )
    .unwrap();
    std::fs::write(dump.join("github/repos.json"), br#"[{"full_name": "../../evil/repo"}, {"full_name": "../evil"}]"#)
        .unwrap();
    let report = engine.import_rest_dump(&dump, None).unwrap();
    assert_eq!(report.inserted, 0, "{report:?}");
    assert!(crate::search_ids(&engine, "SECRET OUTSIDE").is_empty());
}

/// A zip whose day file inflates to 2 GiB of zeros, an entry whose header declares
/// 2^62 bytes, and an entry named `../…` are each refused (or read within the cap) by
/// name, without reading them into memory; the rest of the export imports.
#[test]
fn a_zip_bomb_a_lying_header_and_a_climbing_name_are_refused_with_bounded_memory() {
    use std::io::Write;
    let (_home, engine) = engine();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.zip");
    // A stored day file of a size easy to find in the headers, declared as 2^62 bytes below.
    let lying_day = msgs(json!([{"type": "message", "user": "U1", "text": "lying header", "ts": "1767398400.000100"}]));
    let lying_len = lying_day.len() as u64;
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("channels.json", opts).unwrap();
        z.write_all(json!([{"id": "C1", "name": "general"}]).to_string().as_bytes()).unwrap();
        z.start_file("users.json", opts).unwrap();
        z.write_all(b"[]").unwrap();
        z.start_file("general/2026-01-02.json", opts).unwrap();
        z.write_all(&msgs(json!([{"type": "message", "user": "U1", "text": "a real day", "ts": "1767312000.000100"}])))
            .unwrap();
        z.start_file("../2026-01-04.json", opts).unwrap();
        z.write_all(&msgs(
            json!([{"type": "message", "user": "U1", "text": "climbed out", "ts": "1767484800.000100"}]),
        ))
        .unwrap();
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(true);
        z.start_file("general/2026-01-03.json", stored).unwrap();
        z.write_all(&lying_day).unwrap();
        z.start_file("general/2026-01-01.json", opts).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..2048 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
    }
    // The zip64 size fields of the stored entry (local and central headers) now claim 2^62 bytes.
    let mut bytes = std::fs::read(&path).unwrap();
    let needle = [lying_len.to_le_bytes(), lying_len.to_le_bytes()].concat();
    let mut patched = 0;
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(16).position(|w| w == needle.as_slice()) {
        bytes[at + i..at + i + 8].copy_from_slice(&(1u64 << 62).to_le_bytes());
        patched += 1;
        at += i + 16;
    }
    assert!(patched >= 1, "zip64 size fields found");
    std::fs::write(&path, &bytes).unwrap();
    assert!(bytes.len() < 8 << 20, "the bomb is small on disk: {} bytes", bytes.len());

    let report = engine.import_slack_export(&path, &ImportOptions::default(), &mut |_| {}).unwrap();
    let failure = report.failures.iter().find(|f| f.file.contains("2026-01-01")).expect("the bomb is reported");
    assert!(failure.error.contains("larger than 128 MiB"), "{failure:?}");
    let climbing = report.failures.iter().find(|f| f.file.starts_with("../")).expect("the climbing name is reported");
    assert!(climbing.error.contains("unsafe name"), "{climbing:?}");
    assert!(search_ids(&engine, "climbed out").is_empty());
    // The lying header is read within the cap: either refused by name or imported as what it really holds.
    let lied = report.failures.iter().find(|f| f.file.contains("2026-01-03"));
    assert!(lied.is_some() || !search_ids(&engine, "lying header").is_empty(), "{report:?}");
    assert!(search_ids(&engine, "real day").len() == 1, "the real day imports: {report:?}");
    eprintln!(
        "peak RSS after a 2 GiB zip bomb and a 2^62-byte header: {:.0} MiB ({lied:?})",
        chief_bench::perf::peak_rss_mb()
    );
}

/// A folder export whose channel folder or day file is a symbolic link (which could
/// point anywhere on disk) reads nothing through it, and says so by name.
#[test]
fn links_in_a_folder_export_are_refused_by_name() {
    let (_home, engine) = engine();
    let outside = tempfile::tempdir().unwrap();
    let secret =
        msgs(json!([{"type": "message", "user": "U1", "text": "SECRET OUTSIDE linked", "ts": "1767225600.000100"}]));
    std::fs::create_dir_all(outside.path().join("folder")).unwrap();
    std::fs::write(outside.path().join("folder/2026-01-01.json"), &secret).unwrap();
    std::fs::write(outside.path().join("2026-01-05.json"), &secret).unwrap();
    let export = tempfile::tempdir().unwrap();
    write_export(
        export.path(),
        &[(
            "general/2026-01-02.json",
            msgs(json!([{"type": "message", "user": "U1", "text": "inside day", "ts": "1767312000.000100"}])),
        )],
    );
    std::os::unix::fs::symlink(outside.path().join("folder"), export.path().join("ops")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("2026-01-05.json"), export.path().join("general/2026-01-05.json"))
        .unwrap();
    let report = import(&engine, export.path());
    let files: Vec<&str> = report.failures.iter().map(|f| f.file.as_str()).collect();
    assert!(files.contains(&"ops") && files.contains(&"general/2026-01-05.json"), "{:?}", report.failures);
    assert!(report.failures.iter().all(|f| f.error.contains("symbolic link")), "{:?}", report.failures);
    assert!(search_ids(&engine, "SECRET OUTSIDE").is_empty());
    assert_eq!(search_ids(&engine, "inside day").len(), 1);
}
