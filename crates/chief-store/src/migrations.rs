//! Versioned schema migrations, tracked in `PRAGMA user_version`.
//!
//! Append new migrations to [`MIGRATIONS`]; never edit one that has shipped, since
//! existing databases have already applied it.

use std::path::Path;

use rusqlite::Connection;

use crate::StoreError;

pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the foundation schema.
    r#"
    CREATE TABLE people (
        id           INTEGER PRIMARY KEY,
        display_name TEXT NOT NULL,
        title        TEXT NOT NULL DEFAULT '',
        is_bot       INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE identities (
        kind      TEXT NOT NULL,
        value     TEXT NOT NULL,
        person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        PRIMARY KEY (kind, value)
    ) WITHOUT ROWID;
    CREATE INDEX identities_person ON identities(person_id);
    CREATE TABLE containers (
        id          TEXT PRIMARY KEY,
        source      TEXT NOT NULL,
        kind        TEXT NOT NULL,
        name        TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE items (
        rid               INTEGER PRIMARY KEY,
        id                TEXT NOT NULL UNIQUE,
        source            TEXT NOT NULL,
        kind              TEXT NOT NULL,
        container_id      TEXT NOT NULL REFERENCES containers(id),
        author            TEXT,
        participants_json TEXT NOT NULL DEFAULT '[]',
        created_ms        INTEGER NOT NULL,
        updated_ms        INTEGER NOT NULL,
        title             TEXT NOT NULL DEFAULT '',
        body              TEXT NOT NULL DEFAULT '',
        url               TEXT,
        parent_id         TEXT,
        refs_json         TEXT NOT NULL DEFAULT '[]',
        is_bot            INTEGER NOT NULL DEFAULT 0,
        extra_json        TEXT NOT NULL DEFAULT 'null',
        deleted           INTEGER NOT NULL DEFAULT 0,
        hash              TEXT NOT NULL,
        seq               INTEGER NOT NULL
    );
    CREATE INDEX items_seq ON items(seq);
    CREATE INDEX items_parent ON items(parent_id) WHERE parent_id IS NOT NULL;
    CREATE INDEX items_container_time ON items(container_id, created_ms);
    CREATE TABLE item_refs (
        item_rid INTEGER NOT NULL REFERENCES items(rid) ON DELETE CASCADE,
        kind     TEXT NOT NULL,
        value    TEXT NOT NULL,
        PRIMARY KEY (item_rid, kind, value)
    ) WITHOUT ROWID;
    CREATE INDEX item_refs_value ON item_refs(kind, value);
    -- Append-only: rows are never deleted, so the rowid grows monotonically
    -- without AUTOINCREMENT's extra write per insert.
    CREATE TABLE item_events (
        seq     INTEGER PRIMARY KEY,
        item_id TEXT NOT NULL,
        change  TEXT NOT NULL CHECK (change IN ('created', 'updated', 'deleted')),
        at_ms   INTEGER NOT NULL
    );
    CREATE TABLE sync_state (
        source      TEXT NOT NULL,
        account     TEXT NOT NULL,
        container   TEXT NOT NULL,
        cursor_json TEXT NOT NULL,
        updated_ms  INTEGER NOT NULL,
        PRIMARY KEY (source, account, container)
    );
    CREATE TABLE import_runs (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL,
        path        TEXT NOT NULL,
        started_ms  INTEGER NOT NULL,
        finished_ms INTEGER,
        status      TEXT NOT NULL,
        stats_json  TEXT NOT NULL DEFAULT '{}'
    );
    "#,
    // 2: embeddings. One row per chunk of an item; vectors are int8 with a per-vector
    // f32 scale (4 + dims bytes). `embed_state` is the embedding queue's position in
    // the change log, per model, written in the same transaction as the chunks.
    r#"
    CREATE TABLE chunks (
        item_rid INTEGER NOT NULL REFERENCES items(rid) ON DELETE CASCADE,
        idx      INTEGER NOT NULL,
        start    INTEGER NOT NULL,
        end      INTEGER NOT NULL,
        vector   BLOB NOT NULL,
        PRIMARY KEY (item_rid, idx)
    ) WITHOUT ROWID;
    CREATE TABLE embed_state (
        model TEXT PRIMARY KEY,
        seq   INTEGER NOT NULL
    );
    "#,
    // 3: the LLM layer's response cache and call log.
    r#"
    CREATE TABLE llm_cache (
        key        TEXT PRIMARY KEY,
        provider   TEXT NOT NULL,
        model      TEXT NOT NULL,
        response   TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL
    );
    CREATE TABLE llm_calls (
        id            INTEGER PRIMARY KEY,
        at_ms         INTEGER NOT NULL,
        provider      TEXT NOT NULL,
        model         TEXT NOT NULL,
        pipeline      TEXT NOT NULL,
        input_tokens  INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cached_tokens INTEGER NOT NULL,
        latency_ms    INTEGER NOT NULL,
        cache_hit     INTEGER NOT NULL,
        ok            INTEGER NOT NULL,
        error_class   TEXT
    );
    "#,
    // 4: the sync engine's per-source status and per-item failures.
    r#"
    CREATE TABLE source_status (
        source            TEXT PRIMARY KEY,
        account           TEXT NOT NULL DEFAULT '',
        state             TEXT NOT NULL,
        message           TEXT NOT NULL DEFAULT '',
        last_attempt_ms   INTEGER,
        last_success_ms   INTEGER,
        resume_at_ms      INTEGER,
        last_reconcile_ms INTEGER,
        stats_json        TEXT NOT NULL DEFAULT 'null'
    );
    CREATE TABLE sync_failures (
        source     TEXT NOT NULL,
        account    TEXT NOT NULL,
        container  TEXT NOT NULL,
        item_key   TEXT NOT NULL,
        error      TEXT NOT NULL,
        payload    TEXT NOT NULL DEFAULT 'null',
        attempts   INTEGER NOT NULL DEFAULT 1,
        first_ms   INTEGER NOT NULL,
        last_ms    INTEGER NOT NULL,
        PRIMARY KEY (source, account, container, item_key)
    );
    "#,
    // 5: the brain. Who the user is as each source reported it; the journal of pipeline
    // runs and their steps (every intermediate output, so a run resumes at its first
    // unfinished step and a bad sentence can be traced); task outputs cached by input
    // hash; stored briefings; feedback on briefing stories.
    r#"
    CREATE INDEX items_created ON items(created_ms);
    CREATE TABLE me_identities (
        kind     TEXT NOT NULL,
        value    TEXT NOT NULL,
        via      TEXT NOT NULL,
        seen_ms  INTEGER NOT NULL,
        PRIMARY KEY (kind, value)
    );
    CREATE TABLE brain_runs (
        id          INTEGER PRIMARY KEY,
        pipeline    TEXT NOT NULL,
        params_key  TEXT NOT NULL,
        params_json TEXT NOT NULL,
        started_ms  INTEGER NOT NULL,
        finished_ms INTEGER,
        status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        error       TEXT
    );
    CREATE INDEX brain_runs_params ON brain_runs(pipeline, params_key);
    CREATE TABLE brain_steps (
        run_id      INTEGER NOT NULL REFERENCES brain_runs(id) ON DELETE CASCADE,
        idx         INTEGER NOT NULL,
        name        TEXT NOT NULL,
        input_hash  TEXT NOT NULL,
        output_json TEXT,
        started_ms  INTEGER NOT NULL,
        elapsed_ms  INTEGER NOT NULL DEFAULT 0,
        llm_calls   INTEGER NOT NULL DEFAULT 0,
        tokens_in   INTEGER NOT NULL DEFAULT 0,
        tokens_out  INTEGER NOT NULL DEFAULT 0,
        error       TEXT,
        PRIMARY KEY (run_id, idx)
    );
    CREATE TABLE brain_cache (
        task        TEXT NOT NULL,
        key         TEXT NOT NULL,
        output_json TEXT NOT NULL,
        created_ms  INTEGER NOT NULL,
        PRIMARY KEY (task, key)
    );
    CREATE TABLE briefings (
        id         INTEGER PRIMARY KEY,
        run_id     INTEGER NOT NULL,
        day        TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        json       TEXT NOT NULL
    );
    CREATE TABLE feedback (
        id            INTEGER PRIMARY KEY,
        story_id      TEXT NOT NULL,
        vote          INTEGER NOT NULL CHECK (vote IN (-1, 1)),
        reason        TEXT NOT NULL DEFAULT '',
        at_ms         INTEGER NOT NULL,
        evidence_json TEXT NOT NULL
    );
    "#,
    // 6: what the notifier has already delivered (one row per story), so a restarted
    // notifier never repeats itself.
    r#"
    CREATE TABLE notified (
        story   TEXT PRIMARY KEY,
        kind    TEXT NOT NULL,
        item    TEXT NOT NULL,
        send_ms INTEGER NOT NULL,
        json    TEXT NOT NULL
    );
    "#,
    // 7: the brain's agents — each one's durable position in the change log and the
    // state it materializes there (what the notifier holds, the interest graph).
    r#"
    CREATE TABLE agent_state (
        name       TEXT PRIMARY KEY,
        position   INTEGER NOT NULL,
        state_json TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    "#,
    // 8: propositions — short factoids the extract agent derived from an item, searched
    // and embedded with it. Written with a new change-log entry for the item, so the
    // index and the embedding queue pick them up like any other change.
    r#"
    CREATE TABLE propositions (
        item_rid INTEGER NOT NULL REFERENCES items(rid) ON DELETE CASCADE,
        idx      INTEGER NOT NULL,
        text     TEXT NOT NULL,
        by       TEXT NOT NULL,
        PRIMARY KEY (item_rid, idx)
    ) WITHOUT ROWID;
    "#,
    // 9: a change-log kind for derived data: `derived` says an item's propositions
    // changed and its content did not, so the index and the embedding queue take it in
    // and the agents that react to new content (the notifier, the summaries) skip it.
    // SQLite cannot alter a CHECK constraint: the log is copied into a new table.
    r#"
    CREATE TABLE item_events_v9 (
        seq     INTEGER PRIMARY KEY,
        item_id TEXT NOT NULL,
        change  TEXT NOT NULL CHECK (change IN ('created', 'updated', 'deleted', 'derived')),
        at_ms   INTEGER NOT NULL
    );
    INSERT INTO item_events_v9 (seq, item_id, change, at_ms) SELECT seq, item_id, change, at_ms FROM item_events;
    DROP TABLE item_events;
    ALTER TABLE item_events_v9 RENAME TO item_events;
    "#,
];

/// The newest schema version this build knows.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

pub(crate) fn apply(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    // Each step reads the version inside its own write (IMMEDIATE) transaction, so a
    // second process opening the same new home at once waits, then sees the step done
    // instead of applying it twice.
    loop {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        let current: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|source| StoreError::Open { path: path.to_path_buf(), source })?;
        if current > LATEST {
            return Err(StoreError::TooNew { path: path.to_path_buf(), found: current, supported: LATEST });
        }
        let Some(sql) = MIGRATIONS.get(current as usize) else {
            break;
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
        tracing::info!(version = current + 1, "applied store migration");
    }
    Ok(())
}
