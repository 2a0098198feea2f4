//! Both shared Slack exports import with the right counts, idempotently.

use chief_sources::slack_export::ImportOptions;
use chief_tests::shared_data;

use crate::{engine, search_ids};

fn live_slack_messages(engine: &chief_engine::Engine) -> i64 {
    engine.status().unwrap().counts.items.iter().filter(|c| c.0 == "slack").map(|c| c.2).sum()
}

#[test]
fn houstondatavis_folder_imports_with_correct_counts_and_is_idempotent() {
    let (_home, engine) = engine();
    let path = shared_data("slack-exports/houstondatavis");
    let report = engine.import_slack_export(&path, &ImportOptions::default(), &mut |_| {}).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.conversations, 16);
    assert_eq!(report.people, 71);
    assert_eq!(report.day_files, 375);
    // 1,382 messages: 1,031 conversation (964 plain, 61 file shares, 6 file comments)
    // and 351 housekeeping messages (joins, purposes, archives, ...).
    assert_eq!(report.messages_inserted, 1031);
    assert_eq!(report.messages_skipped(), 351);
    assert_eq!(report.skipped_by_subtype["channel_join"], 320);
    assert_eq!(report.skipped_by_subtype["channel_purpose"], 13);
    assert_eq!(live_slack_messages(&engine), 1031);

    // A second run finds every file already imported and changes nothing.
    let seq = engine.status().unwrap().counts.max_seq;
    let again = engine.import_slack_export(&path, &ImportOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(again.day_files_already_imported, 375);
    assert_eq!(again.messages_inserted + again.messages_updated, 0);
    // Even re-reading every file (--force) writes nothing: upserts compare content hashes.
    let forced =
        engine.import_slack_export(&path, &ImportOptions { force: true, ..Default::default() }, &mut |_| {}).unwrap();
    assert_eq!(forced.messages_unchanged, 1031);
    assert_eq!(forced.messages_inserted + forced.messages_updated, 0);
    assert_eq!(engine.status().unwrap().counts.max_seq, seq);
    assert_eq!(live_slack_messages(&engine), 1031);

    // File shares are searchable by file name, and mentions are rendered as names.
    let fritz = search_ids(&engine, "Fritz.jpg");
    assert!(!fritz.is_empty());
    let item = engine.show(&fritz[0]).unwrap().item.item;
    assert!(item.body.contains("Fritz.jpg"));
    assert!(!item.body.contains("<@U"), "raw mention markup left in {:?}", item.body);
}

#[test]
fn slack_export_viewer_zip_imports_bots_flagged() {
    let (_home, engine) = engine();
    let zip = shared_data("slack-exports/slack-export-viewer-testarchive/testarchive.zip");
    let report = engine.import_slack_export(&zip, &ImportOptions::default(), &mut |_| {}).unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.conversations, 2);
    assert_eq!(report.people, 4);
    // 158 messages: 147 kept (94 from bots), 11 housekeeping (8 joins, 3 bot_add).
    assert_eq!(report.messages_inserted, 147);
    assert_eq!(report.bot_messages, 94);
    assert_eq!(report.messages_skipped(), 11);
    assert_eq!(live_slack_messages(&engine), 147);
    // The zip and the folder it unzips to are the same export: importing the folder
    // after the zip adds nothing.
    let folder = shared_data("slack-exports/slack-export-viewer-testarchive/testarchive");
    let again =
        engine.import_slack_export(&folder, &ImportOptions { force: true, ..Default::default() }, &mut |_| {}).unwrap();
    assert_eq!(again.messages_inserted, 0);
    assert_eq!(again.messages_unchanged, 147);
}
