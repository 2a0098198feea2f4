//! The write side: one transaction per page of items.

use chief_core::{Container, Identity, Item, ItemId, PersonId, PersonRecord, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::Value;

use crate::{Change, StoreError, content_hash};

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    /// The item was new.
    Inserted,
    /// The item existed with different content and was updated in place.
    Updated,
    /// The item existed with the same content; nothing was written.
    Unchanged,
}

/// A write transaction. Dropping it without [`Writer::commit`] rolls everything back.
pub struct Writer<'c> {
    pub(crate) tx: Transaction<'c>,
}

impl<'c> Writer<'c> {
    pub(crate) fn begin(conn: &'c mut Connection) -> Result<Self, StoreError> {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        Ok(Writer { tx })
    }

    /// Commits everything written through this writer.
    pub fn commit(self) -> Result<(), StoreError> {
        self.tx.commit()?;
        Ok(())
    }

    /// Inserts or updates a container.
    pub fn upsert_container(&self, c: &Container) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO containers (id, source, kind, name, description) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind, description = excluded.description
                 WHERE name != excluded.name OR kind != excluded.kind OR description != excluded.description",
            )?
            .execute(params![c.id.as_str(), c.source.as_str(), c.kind.as_str(), c.name, c.description])?;
        Ok(())
    }

    /// Records a person, merging with existing people who share any identity.
    ///
    /// Email is matched first, then the source handles. If the identities belong to
    /// several stored people, they are merged into the oldest one.
    pub fn upsert_person(&self, rec: &PersonRecord) -> Result<PersonId, StoreError> {
        let mut ids: Vec<&Identity> = rec.identities.iter().filter(|i| !i.value.is_empty()).collect();
        ids.sort_by_key(|i| (i.kind != chief_core::IdentityKind::Email, i.kind));
        let mut found: Vec<i64> = Vec::new();
        {
            let mut stmt = self.tx.prepare_cached("SELECT person_id FROM identities WHERE kind = ?1 AND value = ?2")?;
            for ident in &ids {
                if let Some(pid) =
                    stmt.query_row(params![ident.kind.as_str(), ident.value], |r| r.get::<_, i64>(0)).optional()?
                    && !found.contains(&pid)
                {
                    found.push(pid);
                }
            }
        }
        let pid = match found.iter().min() {
            Some(&keep) => {
                for &other in found.iter().filter(|&&p| p != keep) {
                    self.tx
                        .execute("UPDATE identities SET person_id = ?1 WHERE person_id = ?2", params![keep, other])?;
                    self.tx.execute("DELETE FROM people WHERE id = ?1", params![other])?;
                }
                // A real name beats a handle: keep the longest name seen with a space in it.
                let current: String =
                    self.tx.query_row("SELECT display_name FROM people WHERE id = ?1", params![keep], |r| r.get(0))?;
                if better_name(&rec.display_name, &current) {
                    self.tx.execute(
                        "UPDATE people SET display_name = ?1 WHERE id = ?2",
                        params![rec.display_name, keep],
                    )?;
                }
                if !rec.title.is_empty() {
                    self.tx.execute("UPDATE people SET title = ?1 WHERE id = ?2", params![rec.title, keep])?;
                }
                keep
            }
            None => {
                let name = if rec.display_name.trim().is_empty() {
                    ids.first().map(|i| i.value.clone()).unwrap_or_else(|| "unknown".to_string())
                } else {
                    rec.display_name.clone()
                };
                self.tx.execute(
                    "INSERT INTO people (display_name, title, is_bot) VALUES (?1, ?2, ?3)",
                    params![name, rec.title, rec.is_bot],
                )?;
                self.tx.last_insert_rowid()
            }
        };
        let mut ins =
            self.tx.prepare_cached("INSERT OR IGNORE INTO identities (kind, value, person_id) VALUES (?1, ?2, ?3)")?;
        for ident in ids {
            ins.execute(params![ident.kind.as_str(), ident.value, pid])?;
        }
        Ok(PersonId(pid))
    }

    /// Inserts or updates an item by id. Writing the same content again changes nothing
    /// and logs no event.
    pub fn upsert_item(&self, item: &Item) -> Result<Upsert, StoreError> {
        let normalized;
        let item = if item.references.is_sorted()
            && item.participants.is_sorted()
            && !has_dups(&item.references)
            && !has_dups(&item.participants)
        {
            item
        } else {
            let mut copy = item.clone();
            copy.normalize();
            normalized = copy;
            &normalized
        };
        let hash = content_hash(item)?;
        let existing: Option<(i64, String, bool)> = self
            .tx
            .prepare_cached("SELECT rid, hash, deleted FROM items WHERE id = ?1")?
            .query_row([item.id.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((_, old_hash, deleted)) = &existing
            && *old_hash == hash
            && !deleted
        {
            return Ok(Upsert::Unchanged);
        }
        let change = if existing.is_some() { Change::Updated } else { Change::Created };
        let seq = self.log_event(&item.id, change)?;
        let author = item.author.as_ref().map(Identity::key);
        let participants = serde_json::to_string(&item.participants)?;
        let refs = serde_json::to_string(&item.references)?;
        let extra = serde_json::to_string(&item.extra)?;
        let rid = match existing {
            None => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO items (id, source, kind, container_id, author, participants_json, created_ms, updated_ms,
                          title, body, url, parent_id, refs_json, is_bot, extra_json, deleted, hash, seq)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 0, ?16, ?17)",
                    )?
                    .execute(params![
                        item.id.as_str(), item.source.as_str(), item.kind.as_str(), item.container.as_str(), author, participants,
                        item.created.0, item.updated.0, item.title, item.body, item.url, item.parent.as_ref().map(ItemId::as_str),
                        refs, item.is_bot, extra, hash, seq
                    ])?;
                self.tx.last_insert_rowid()
            }
            Some((rid, _, _)) => {
                self.tx
                    .prepare_cached(
                        "UPDATE items SET source = ?2, kind = ?3, container_id = ?4, author = ?5, participants_json = ?6,
                          created_ms = ?7, updated_ms = ?8, title = ?9, body = ?10, url = ?11, parent_id = ?12, refs_json = ?13,
                          is_bot = ?14, extra_json = ?15, deleted = 0, hash = ?16, seq = ?17 WHERE rid = ?1",
                    )?
                    .execute(params![
                        rid, item.source.as_str(), item.kind.as_str(), item.container.as_str(), author, participants,
                        item.created.0, item.updated.0, item.title, item.body, item.url, item.parent.as_ref().map(ItemId::as_str),
                        refs, item.is_bot, extra, hash, seq
                    ])?;
                self.tx.prepare_cached("DELETE FROM item_refs WHERE item_rid = ?1")?.execute([rid])?;
                rid
            }
        };
        let mut ins =
            self.tx.prepare_cached("INSERT OR IGNORE INTO item_refs (item_rid, kind, value) VALUES (?1, ?2, ?3)")?;
        for r in &item.references {
            ins.execute(params![rid, r.kind.as_str(), r.value])?;
        }
        Ok(if change == Change::Created { Upsert::Inserted } else { Upsert::Updated })
    }

    /// Marks an item deleted: its text is wiped, it leaves search, and its id stays so
    /// replies and references still resolve. Returns false if it was unknown or already
    /// deleted.
    pub fn delete_item(&self, id: &ItemId) -> Result<bool, StoreError> {
        let live: Option<i64> = self
            .tx
            .prepare_cached("SELECT rid FROM items WHERE id = ?1 AND deleted = 0")?
            .query_row([id.as_str()], |r| r.get(0))
            .optional()?;
        let Some(rid) = live else { return Ok(false) };
        let seq = self.log_event(id, Change::Deleted)?;
        self.tx.execute(
            "UPDATE items SET deleted = 1, title = '', body = '', refs_json = '[]', hash = 'deleted', seq = ?2 WHERE rid = ?1",
            params![rid, seq],
        )?;
        self.tx.execute("DELETE FROM item_refs WHERE item_rid = ?1", [rid])?;
        Ok(true)
    }

    /// True if the item exists and is deleted.
    pub fn is_deleted(&self, id: &ItemId) -> Result<bool, StoreError> {
        let deleted: Option<bool> = self
            .tx
            .prepare_cached("SELECT deleted FROM items WHERE id = ?1")?
            .query_row([id.as_str()], |r| r.get(0))
            .optional()?;
        Ok(deleted == Some(true))
    }

    /// Replaces the chunk vectors of the item with row id `rid`.
    /// Each chunk is `(index, start, end, vector bytes)`.
    pub fn replace_chunks(&self, rid: i64, chunks: &[(u32, usize, usize, Vec<u8>)]) -> Result<(), StoreError> {
        self.tx.prepare_cached("DELETE FROM chunks WHERE item_rid = ?1")?.execute([rid])?;
        let mut ins = self
            .tx
            .prepare_cached("INSERT INTO chunks (item_rid, idx, start, end, vector) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for (idx, start, end, v) in chunks {
            ins.execute(params![rid, idx, *start as i64, *end as i64, v])?;
        }
        Ok(())
    }

    /// Replaces the propositions of a live item with `props` (`(text, by)`). When they
    /// change, the item gets a new `derived` entry in the change log (its content is
    /// untouched), so the index and the embedding queue take them in. Returns whether
    /// anything changed; an unknown or deleted item only loses its propositions.
    pub fn set_propositions(&self, id: &ItemId, props: &[(String, String)]) -> Result<bool, StoreError> {
        let row: Option<(i64, bool)> = self
            .tx
            .prepare_cached("SELECT rid, deleted FROM items WHERE id = ?1")?
            .query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((rid, deleted)) = row else { return Ok(false) };
        let current: Vec<(String, String)> = self
            .tx
            .prepare_cached("SELECT text, by FROM propositions WHERE item_rid = ?1 ORDER BY idx")?
            .query_map([rid], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let wanted: &[(String, String)] = if deleted { &[] } else { props };
        if current == wanted {
            return Ok(false);
        }
        self.tx.prepare_cached("DELETE FROM propositions WHERE item_rid = ?1")?.execute([rid])?;
        let mut ins =
            self.tx.prepare_cached("INSERT INTO propositions (item_rid, idx, text, by) VALUES (?1, ?2, ?3, ?4)")?;
        for (i, (text, by)) in wanted.iter().enumerate() {
            ins.execute(params![rid, i as i64, text, by])?;
        }
        if !deleted {
            let seq = self.log_event(id, Change::Derived)?;
            self.tx.prepare_cached("UPDATE items SET seq = ?2 WHERE rid = ?1")?.execute(params![rid, seq])?;
        }
        Ok(true)
    }

    /// The newest change-log position, as this transaction sees it.
    pub fn max_seq(&self) -> Result<i64, StoreError> {
        Ok(self.tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM item_events", [], |r| r.get(0))?)
    }

    /// Moves an agent to `position` with its new state, with the rest of this write.
    pub fn set_agent_state(&self, name: &str, position: i64, state: &Value) -> Result<(), StoreError> {
        crate::brain::put_agent_state(&self.tx, name, position, state)
    }

    /// Records the embedding queue's position for `model`.
    pub fn set_embed_seq(&self, model: &str, seq: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("INSERT INTO embed_state (model, seq) VALUES (?1, ?2) ON CONFLICT(model) DO UPDATE SET seq = excluded.seq")?
            .execute(params![model, seq])?;
        Ok(())
    }

    /// Stores the sync cursor of one container, in this transaction.
    pub fn set_cursor(&self, source: &str, account: &str, container: &str, cursor: &Value) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO sync_state (source, account, container, cursor_json, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(source, account, container) DO UPDATE SET cursor_json = excluded.cursor_json, updated_ms = excluded.updated_ms",
            )?
            .execute(params![source, account, container, serde_json::to_string(cursor)?, Timestamp::now().0])?;
        Ok(())
    }

    /// Reads a cursor inside this transaction.
    pub fn cursor(&self, source: &str, account: &str, container: &str) -> Result<Option<Value>, StoreError> {
        let raw: Option<String> = self
            .tx
            .prepare_cached("SELECT cursor_json FROM sync_state WHERE source = ?1 AND account = ?2 AND container = ?3")?
            .query_row(params![source, account, container], |r| r.get(0))
            .optional()?;
        Ok(match raw {
            Some(s) => Some(serde_json::from_str(&s)?),
            None => None,
        })
    }

    /// Starts an import run record; returns its id.
    pub fn start_import(&self, kind: &str, path: &str) -> Result<i64, StoreError> {
        self.tx.execute(
            "INSERT INTO import_runs (kind, path, started_ms, status) VALUES (?1, ?2, ?3, 'running')",
            params![kind, path, Timestamp::now().0],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Finishes an import run record.
    pub fn finish_import(&self, run: i64, status: &str, stats: &Value) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE import_runs SET finished_ms = ?2, status = ?3, stats_json = ?4 WHERE id = ?1",
            params![run, Timestamp::now().0, status, serde_json::to_string(stats)?],
        )?;
        Ok(())
    }

    fn log_event(&self, id: &ItemId, change: Change) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached("INSERT INTO item_events (item_id, change, at_ms) VALUES (?1, ?2, ?3)")?
            .execute(params![id.as_str(), change.as_str(), Timestamp::now().0])?;
        Ok(self.tx.last_insert_rowid())
    }
}

fn has_dups<T: PartialEq>(sorted: &[T]) -> bool {
    sorted.windows(2).any(|w| w[0] == w[1])
}

fn better_name(new: &str, current: &str) -> bool {
    let new = new.trim();
    !new.is_empty() && new != current && (new.contains(' ') && !current.contains(' ') || current.is_empty())
}
