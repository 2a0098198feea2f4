//! The sync engine's bookkeeping: each source's status (running, ok, paused for a
//! bad token, parked until a rate limit resets) and the items that failed to convert,
//! kept until a later run stores them.

use chief_core::{ItemId, Timestamp};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Store, StoreError, Writer};

/// Where a source's sync stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    /// Never synced.
    #[default]
    Never,
    /// A run is in progress (reset at start if a crash left it so).
    Running,
    /// The last run succeeded.
    Ok,
    /// The credentials were rejected; the source waits for `chief connect`.
    Paused,
    /// A rate limit resets later than Chief waits; the source resumes at `resume_at`.
    Parked,
    /// The last run failed; the next run retries.
    Failed,
    /// No credentials.
    NotConnected,
}

impl SourceState {
    /// The state's name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::Never => "never",
            SourceState::Running => "running",
            SourceState::Ok => "ok",
            SourceState::Paused => "paused",
            SourceState::Parked => "parked",
            SourceState::Failed => "failed",
            SourceState::NotConnected => "not_connected",
        }
    }

    fn parse(s: &str) -> SourceState {
        [
            SourceState::Running,
            SourceState::Ok,
            SourceState::Paused,
            SourceState::Parked,
            SourceState::Failed,
            SourceState::NotConnected,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
        .unwrap_or(SourceState::Never)
    }
}

impl std::fmt::Display for SourceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One source's sync status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceStatus {
    pub source: String,
    pub account: String,
    /// `ok`, `running`, `paused` (credentials), `parked` (waiting for `resume_at`),
    /// `failed` (will retry on the next run), `not_connected`.
    pub state: SourceState,
    pub message: String,
    pub last_attempt: Option<Timestamp>,
    pub last_success: Option<Timestamp>,
    pub resume_at: Option<Timestamp>,
    pub last_reconcile: Option<Timestamp>,
    pub stats: Value,
}

/// An item a sync could not store; retried by later runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncFailure {
    pub source: String,
    pub account: String,
    pub container: String,
    pub item_key: String,
    pub error: String,
    pub payload: Value,
    pub attempts: i64,
    pub first: Timestamp,
    pub last: Timestamp,
}

impl Writer<'_> {
    /// Records (or re-records) an item that failed, with the raw payload to retry.
    pub fn record_failure(
        &self,
        source: &str,
        account: &str,
        container: &str,
        item_key: &str,
        error: &str,
        payload: &Value,
    ) -> Result<(), StoreError> {
        let now = Timestamp::now().0;
        self.tx
            .prepare_cached(
                "INSERT INTO sync_failures (source, account, container, item_key, error, payload, attempts, first_ms, last_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7)
                 ON CONFLICT(source, account, container, item_key) DO UPDATE SET error = excluded.error, payload = excluded.payload, attempts = attempts + 1, last_ms = excluded.last_ms",
            )?
            .execute(params![source, account, container, item_key, error, serde_json::to_string(payload)?, now])?;
        Ok(())
    }

    /// Forgets a failure once the item is stored.
    pub fn clear_failure(
        &self,
        source: &str,
        account: &str,
        container: &str,
        item_key: &str,
    ) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "DELETE FROM sync_failures WHERE source = ?1 AND account = ?2 AND container = ?3 AND item_key = ?4",
            )?
            .execute(params![source, account, container, item_key])?
            > 0)
    }

    /// Writes a source's status.
    pub fn set_source_status(&self, s: &SourceStatus) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO source_status (source, account, state, message, last_attempt_ms, last_success_ms, resume_at_ms, last_reconcile_ms, stats_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(source) DO UPDATE SET account = excluded.account, state = excluded.state, message = excluded.message,
                   last_attempt_ms = excluded.last_attempt_ms, last_success_ms = excluded.last_success_ms, resume_at_ms = excluded.resume_at_ms,
                   last_reconcile_ms = excluded.last_reconcile_ms, stats_json = excluded.stats_json",
            )?
            .execute(params![
                s.source,
                s.account,
                s.state.as_str(),
                s.message,
                s.last_attempt.map(|t| t.0),
                s.last_success.map(|t| t.0),
                s.resume_at.map(|t| t.0),
                s.last_reconcile.map(|t| t.0),
                serde_json::to_string(&s.stats)?
            ])?;
        Ok(())
    }

    /// Deletes every live item of `source` created before `cutoff` (retention).
    /// Returns how many were deleted.
    pub fn expire_before(&self, source: &str, cutoff: Timestamp) -> Result<usize, StoreError> {
        let ids: Vec<String> = self
            .tx
            .prepare_cached("SELECT id FROM items WHERE source = ?1 AND deleted = 0 AND created_ms < ?2")?
            .query_map(params![source, cutoff.0], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        // Failures kept for retry hold raw payloads: they age out with the items.
        self.tx.execute("DELETE FROM sync_failures WHERE source = ?1 AND last_ms < ?2", params![source, cutoff.0])?;
        self.delete_ids(ids.iter().map(String::as_str))
    }

    /// Deletes the items with these ids (see [`Writer::delete_item`]); returns how many
    /// live items were deleted. Used by retention and by reconciliation.
    pub fn delete_ids<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Result<usize, StoreError> {
        let mut n = 0;
        for id in ids {
            let id = ItemId::parse(id).map_err(|e| StoreError::Corrupt { what: "item id", detail: e.to_string() })?;
            if self.delete_item(&id)? {
                n += 1;
            }
        }
        Ok(n)
    }
}

impl Store {
    /// Every source's status.
    pub fn source_statuses(&self) -> Result<Vec<SourceStatus>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT source, account, state, message, last_attempt_ms, last_success_ms, resume_at_ms, last_reconcile_ms, stats_json FROM source_status ORDER BY source",
        )?;
        let rows = stmt.query_map([], |r| {
            let ts = |i: usize| r.get::<_, Option<i64>>(i).map(|v| v.map(Timestamp));
            Ok(SourceStatus {
                source: r.get(0)?,
                account: r.get(1)?,
                state: SourceState::parse(&r.get::<_, String>(2)?),
                message: r.get(3)?,
                last_attempt: ts(4)?,
                last_success: ts(5)?,
                resume_at: ts(6)?,
                last_reconcile: ts(7)?,
                stats: serde_json::from_str(&r.get::<_, String>(8)?).unwrap_or(Value::Null),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks sources still "running" since before `before` as failed: the process that
    /// ran them stopped (a crash, a kill, a panic in a connector) and nothing else will.
    pub fn reset_stale_running(&self, before: Timestamp) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "UPDATE source_status SET state = 'failed', message = 'interrupted: the sync stopped before it finished; it runs again at the next sync'
             WHERE state = 'running' AND COALESCE(last_attempt_ms, 0) < ?1",
            [before.0],
        )?)
    }

    /// One source's status.
    pub fn source_status(&self, source: &str) -> Result<Option<SourceStatus>, StoreError> {
        Ok(self.source_statuses()?.into_iter().find(|s| s.source == source))
    }

    /// Failed items, optionally of one source.
    pub fn sync_failures(&self, source: Option<&str>) -> Result<Vec<SyncFailure>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT source, account, container, item_key, error, payload, attempts, first_ms, last_ms FROM sync_failures
             WHERE ?1 IS NULL OR source = ?1 ORDER BY source, container, item_key",
        )?;
        let rows = stmt.query_map([source], |r| {
            Ok(SyncFailure {
                source: r.get(0)?,
                account: r.get(1)?,
                container: r.get(2)?,
                item_key: r.get(3)?,
                error: r.get(4)?,
                payload: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or(Value::Null),
                attempts: r.get(6)?,
                first: Timestamp(r.get(7)?),
                last: Timestamp(r.get(8)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Ids of the live items of a container created in `[from, to)`, for delete
    /// reconciliation.
    /// Like [`Store::live_ids_in`], without history imported from an export: what a
    /// live sync stored, the only items its reconciliation may delete.
    pub fn synced_ids_in(&self, container: &str, from: Timestamp, to: Timestamp) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM items WHERE container_id = ?1 AND deleted = 0 AND created_ms >= ?2 AND created_ms < ?3
             AND json_extract(extra_json, '$.imported') IS NULL",
        )?;
        let rows = stmt.query_map(params![container, from.0, to.0], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A container's live items created from `from` on that live sync stored (not
    /// imported), with their `extra.<key>` (a Gmail message id).
    pub fn synced_with_extra_in(
        &self,
        container: &str,
        key: &str,
        from: Timestamp,
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let path = extra_path(key);
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, json_extract(extra_json, ?2) FROM items WHERE container_id = ?1 AND deleted = 0
             AND created_ms >= ?3 AND json_extract(extra_json, '$.imported') IS NULL",
        )?;
        let rows = stmt.query_map(params![container, path, from.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn live_ids_in(&self, container: &str, from: Timestamp, to: Timestamp) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM items WHERE container_id = ?1 AND deleted = 0 AND created_ms >= ?2 AND created_ms < ?3",
        )?;
        let rows = stmt.query_map(params![container, from.0, to.0], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Identity values of `kind` known to the store (people linked to them).
    pub fn known_identities(&self, kind: &str) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT value FROM identities WHERE kind = ?1")?;
        let rows = stmt.query_map([kind], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Like [`Store::synced_ids_in`], thread roots and unthreaded items only.
    pub fn live_top_level_ids_in(
        &self,
        container: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT id FROM items WHERE container_id = ?1 AND deleted = 0 AND parent_id IS NULL AND created_ms >= ?2 AND created_ms < ?3 AND json_extract(extra_json, '$.imported') IS NULL")?;
        let rows = stmt.query_map(params![container, from.0, to.0], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A source's live thread roots and unthreaded items with their last update,
    /// synced ones only (not imported): what reconciliation compares with a listing.
    pub fn live_top_level_ids_in_source(&self, source: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT id, updated_ms FROM items WHERE source = ?1 AND deleted = 0 AND parent_id IS NULL AND json_extract(extra_json, '$.imported') IS NULL")?;
        let rows = stmt.query_map([source], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The stored content hash of an item, if any (lets a connector skip refetches).
    pub fn item_updated(&self, id: &str) -> Result<Option<Timestamp>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT updated_ms FROM items WHERE id = ?1 AND deleted = 0")?
            .query_row([id], |r| r.get::<_, i64>(0))
            .optional()?
            .map(Timestamp))
    }
}

impl Store {
    /// Display names by identity value for one identity kind (`slack` ids → names).
    pub fn identity_names(&self, kind: &str) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.value, p.display_name FROM identities i JOIN people p ON p.id = i.person_id WHERE i.kind = ?1",
        )?;
        let rows = stmt.query_map([kind], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The JSON path of `extra.<key>`, with anything but letters, digits and `_` dropped
/// from the key.
fn extra_path(key: &str) -> String {
    format!("$.{}", key.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', ""))
}

impl Writer<'_> {
    /// The ids of the live items under `id` (a ticket's comments, a thread's replies).
    pub fn children_of(&self, id: &ItemId) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.tx.prepare_cached("SELECT id FROM items WHERE parent_id = ?1 AND deleted = 0")?;
        let rows = stmt.query_map([id.as_str()], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The ids of a source's live items whose `extra.<key>` is `value` (a Gmail
    /// message id, for a deletion the history reports by that id).
    pub fn ids_with_extra(&self, source: &str, key: &str, value: &str) -> Result<Vec<String>, StoreError> {
        let path = extra_path(key);
        let mut stmt = self.tx.prepare_cached(
            "SELECT id FROM items WHERE source = ?1 AND deleted = 0 AND json_extract(extra_json, ?2) = ?3",
        )?;
        let rows = stmt.query_map(params![source, path, value], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// True if an item with this id is stored (deleted or not).
    pub fn item_exists(&self, id: &ItemId) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM items WHERE id = ?1")?
            .query_row([id.as_str()], |_| Ok(()))
            .optional()?
            .is_some())
    }
}
