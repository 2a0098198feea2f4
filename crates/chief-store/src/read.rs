//! The read side: items, threads, the change log, people, cursors and counts.

use chief_core::{ContainerId, Identity, Item, ItemId, Reference, Timestamp};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;
use serde_json::Value;

use crate::{Store, StoreError};

/// An item as stored, with its row metadata and resolved names.
#[derive(Debug, Clone, Serialize)]
pub struct StoredItem {
    #[serde(flatten)]
    pub item: Item,
    pub deleted: bool,
    pub seq: i64,
    pub author_name: Option<String>,
    pub container_name: String,
}

/// What the search indexer needs about one changed item.
#[derive(Debug, Clone)]
pub struct IndexRecord {
    pub seq: i64,
    pub id: String,
    pub deleted: bool,
    pub source: String,
    pub kind: String,
    pub container_id: String,
    pub container_name: String,
    pub title: String,
    pub body: String,
    pub author_name: String,
    /// Identity keys of the author, participants and mentioned people.
    pub people: Vec<String>,
    /// Exact-match reference terms (`ticket:pay-142`, `pr:org/repo#1`).
    pub ref_terms: Vec<String>,
    /// The item's own identifiers in the same form (a Jira issue's key, a PR's ref),
    /// so searching for an identifier ranks the item it names above mentions of it.
    pub own_terms: Vec<String>,
    pub created_ms: i64,
    /// The item's propositions (searched with it).
    pub facts: Vec<String>,
}

/// What the embedding queue needs about one changed item.
#[derive(Debug, Clone)]
pub struct EmbedRecord {
    pub seq: i64,
    pub rid: i64,
    pub deleted: bool,
    pub title: String,
    pub body: String,
    /// The item's propositions (embedded with it).
    pub facts: Vec<String>,
}

/// What happened to an item, in the change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Created,
    Updated,
    Deleted,
    /// Only what was derived from the item changed (its propositions), not the item.
    Derived,
}

impl Change {
    /// The change's name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::Deleted => "deleted",
            Change::Derived => "derived",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Change, StoreError> {
        [Change::Created, Change::Updated, Change::Deleted, Change::Derived]
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| StoreError::Corrupt { what: "change-log entry", detail: format!("unknown change {s:?}") })
    }
}

/// One entry of the append-only change log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemEvent {
    pub seq: i64,
    pub item_id: String,
    pub change: Change,
    pub at_ms: i64,
}

/// A person and their identities.
#[derive(Debug, Clone, Serialize)]
pub struct PersonSummary {
    pub id: i64,
    pub display_name: String,
    pub title: String,
    pub identities: Vec<Identity>,
}

/// Row counts for `chief status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// (source, kind, live items, deleted items)
    pub items: Vec<(String, String, i64, i64)>,
    pub people: i64,
    pub containers: i64,
    pub max_seq: i64,
}

/// A recorded import run.
#[derive(Debug, Clone, Serialize)]
pub struct ImportRun {
    pub kind: String,
    pub path: String,
    pub started: String,
    pub finished: Option<String>,
    pub status: String,
    pub stats: Value,
}

pub(crate) const ITEM_COLUMNS: &str =
    "i.id, i.source, i.kind, i.container_id, i.author, i.participants_json, i.created_ms, i.updated_ms,
    i.title, i.body, i.url, i.parent_id, i.refs_json, i.is_bot, i.extra_json, i.deleted, i.seq,
    (SELECT p.display_name FROM identities d JOIN people p ON p.id = d.person_id
      WHERE i.author IS NOT NULL AND d.kind = substr(i.author, 1, instr(i.author, ':') - 1)
        AND d.value = substr(i.author, instr(i.author, ':') + 1)),
    COALESCE((SELECT name FROM containers c WHERE c.id = i.container_id), i.container_id)";

fn conv<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> rusqlite::Error {
    move |e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("{what}: {e}").into())
}

pub(crate) fn stored_item(r: &Row<'_>) -> rusqlite::Result<StoredItem> {
    let json = |i: usize| -> rusqlite::Result<Value> {
        let s: String = r.get(i)?;
        serde_json::from_str(&s).map_err(conv("json column"))
    };
    let author: Option<String> = r.get(4)?;
    let item = Item {
        id: ItemId::parse(&r.get::<_, String>(0)?).map_err(conv("item id"))?,
        source: r.get::<_, String>(1)?.parse().map_err(conv("source"))?,
        kind: r.get::<_, String>(2)?.parse().map_err(conv("kind"))?,
        container: ContainerId::parse(&r.get::<_, String>(3)?).map_err(conv("container id"))?,
        author: author.as_deref().and_then(Identity::parse_key),
        participants: serde_json::from_value(json(5)?).map_err(conv("participants"))?,
        created: Timestamp(r.get(6)?),
        updated: Timestamp(r.get(7)?),
        title: r.get(8)?,
        body: r.get(9)?,
        url: r.get(10)?,
        parent: r.get::<_, Option<String>>(11)?.and_then(|p| ItemId::parse(&p).ok()),
        references: serde_json::from_value::<Vec<Reference>>(json(12)?).map_err(conv("references"))?,
        is_bot: r.get(13)?,
        extra: json(14)?,
    };
    Ok(StoredItem { item, deleted: r.get(15)?, seq: r.get(16)?, author_name: r.get(17)?, container_name: r.get(18)? })
}

/// The identifiers an item *is* (not merely mentions), as reference terms.
fn own_terms(id: &str, source: &str, kind: &str, extra: &Value, has_parent: bool) -> Vec<String> {
    own_references(id, source, kind, extra, has_parent).iter().map(Reference::term).collect()
}

/// The identifiers an item *is*: a Jira issue's key, a GitHub issue's or pull
/// request's `owner/repo#n`.
fn own_references(id: &str, source: &str, kind: &str, extra: &Value, has_parent: bool) -> Vec<Reference> {
    match (source, kind) {
        ("jira", "issue") => extra
            .get("key")
            .and_then(Value::as_str)
            .map(|k| vec![Reference::new(chief_core::RefKind::Ticket, k)])
            .unwrap_or_default(),
        ("github", "issue" | "pull_request") if !has_parent => id
            .strip_prefix("github:")
            .map(|r| vec![Reference::new(chief_core::RefKind::PullRequest, r)])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

impl StoredItem {
    /// The identifiers this item is (its ticket key, its PR ref), as a person would
    /// write them.
    pub fn own_references(&self) -> Vec<Reference> {
        let it = &self.item;
        own_references(it.id.as_str(), it.source.as_str(), it.kind.as_str(), &it.extra, it.parent.is_some())
    }
}

impl Store {
    /// One item by id (deleted items included, flagged).
    pub fn item(&self, id: &str) -> Result<Option<StoredItem>, StoreError> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items i WHERE i.id = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([id], stored_item).optional()?)
    }

    /// Several items by id, in the order asked; unknown ids are skipped.
    pub fn items(&self, ids: &[String]) -> Result<Vec<StoredItem>, StoreError> {
        ids.iter().filter_map(|id| self.item(id).transpose()).collect()
    }

    /// A thread: the root item and every item whose parent is the root, oldest first.
    pub fn thread(&self, root: &str) -> Result<Vec<StoredItem>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items i WHERE i.id = ?1 OR i.parent_id = ?1 ORDER BY i.id != ?1, i.created_ms"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([root], stored_item)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Items in a container within a time window, oldest first.
    pub fn items_in_window(
        &self,
        container: &str,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items i WHERE i.container_id = ?1 AND i.created_ms BETWEEN ?2 AND ?3 AND i.deleted = 0
             ORDER BY i.created_ms LIMIT ?4"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![container, from.0, to.0, limit as i64], stored_item)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Ids of live items that mention a reference (e.g. every item naming `PAY-142`).
    pub fn items_referencing(&self, r: &Reference) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.id FROM item_refs r JOIN items i ON i.rid = r.item_rid WHERE r.kind = ?1 AND r.value = ?2 AND i.deleted = 0 ORDER BY i.created_ms",
        )?;
        let rows = stmt.query_map(params![r.kind.as_str(), r.value], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The highest change sequence number written so far.
    pub fn max_seq(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM item_events", [], |r| r.get(0))?)
    }

    /// Change-log entries after `seq`, oldest first.
    pub fn events_since(&self, seq: i64, limit: usize) -> Result<Vec<ItemEvent>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, item_id, change, at_ms FROM item_events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![seq, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, item_id, change, at_ms) = row?;
            out.push(ItemEvent { seq, item_id, change: Change::parse(&change)?, at_ms });
        }
        Ok(out)
    }

    /// The current state of every item changed after `seq`, for the search indexer.
    pub fn index_records_since(&self, seq: i64, limit: usize) -> Result<Vec<IndexRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.seq, i.id, i.deleted, i.source, i.kind, i.container_id, COALESCE(c.name, i.container_id), i.title, i.body,
                    i.author, (SELECT p.display_name FROM identities d JOIN people p ON p.id = d.person_id
                               WHERE i.author IS NOT NULL AND d.kind = substr(i.author, 1, instr(i.author, ':') - 1)
                                 AND d.value = substr(i.author, instr(i.author, ':') + 1)),
                    i.participants_json, i.refs_json, i.created_ms, i.extra_json, i.parent_id,
                    (SELECT group_concat(text, char(10)) FROM propositions WHERE item_rid = i.rid)
             FROM items i LEFT JOIN containers c ON c.id = i.container_id
             WHERE i.seq > ?1 ORDER BY i.seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![seq, limit as i64], |r| {
            let author: Option<String> = r.get(9)?;
            let author_name: Option<String> = r.get(10)?;
            let parse_list = |i: usize| -> rusqlite::Result<String> { r.get::<_, String>(i) };
            let raw_participants = parse_list(11)?;
            let raw_refs = parse_list(12)?;
            let participants: Vec<Identity> = if raw_participants == "[]" {
                Vec::new()
            } else {
                serde_json::from_str(&raw_participants).map_err(conv("participants"))?
            };
            let refs: Vec<Reference> = if raw_refs == "[]" {
                Vec::new()
            } else {
                serde_json::from_str(&raw_refs).map_err(conv("references"))?
            };
            let mut people: Vec<String> = author.iter().cloned().collect();
            people.extend(participants.iter().map(Identity::key));
            people.extend(refs.iter().filter(|r| r.kind == chief_core::RefKind::Person).map(|r| r.value.clone()));
            people.sort();
            people.dedup();
            let author_name =
                author_name.or_else(|| author.as_deref().and_then(|a| a.split_once(':')).map(|(_, v)| v.to_string()));
            let id: String = r.get(1)?;
            let source: String = r.get(3)?;
            let kind: String = r.get(4)?;
            let has_parent = r.get::<_, Option<String>>(15)?.is_some();
            // Only Jira issues need their details parsed (for the key).
            let extra: Value = if source == "jira" && kind == "issue" {
                serde_json::from_str(&r.get::<_, String>(14)?).map_err(conv("extra"))?
            } else {
                Value::Null
            };
            let own_terms = own_terms(&id, &source, &kind, &extra, has_parent);
            Ok(IndexRecord {
                own_terms,
                seq: r.get(0)?,
                id,
                deleted: r.get(2)?,
                source,
                kind,
                container_id: r.get(5)?,
                container_name: r.get(6)?,
                title: r.get(7)?,
                body: r.get(8)?,
                author_name: author_name.unwrap_or_default(),
                people,
                ref_terms: refs.iter().map(Reference::term).collect(),
                created_ms: r.get(13)?,
                facts: lines(r.get(16)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Items changed after `seq` (current state), for the embedding queue.
    pub fn embed_records_since(&self, seq: i64, limit: usize) -> Result<Vec<EmbedRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, rid, deleted, title, body,
                        (SELECT group_concat(text, char(10)) FROM propositions WHERE item_rid = items.rid)
                 FROM items WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![seq, limit as i64], |r| {
            Ok(EmbedRecord {
                seq: r.get(0)?,
                rid: r.get(1)?,
                deleted: r.get(2)?,
                title: r.get(3)?,
                body: r.get(4)?,
                facts: lines(r.get(5)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The embedding queue's position for `model` (0 when it has not started).
    pub fn embed_seq(&self, model: &str) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT seq FROM embed_state WHERE model = ?1")?
            .query_row([model], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// Visits every stored chunk vector: `(item rid, chunk index, vector bytes)`.
    pub fn for_each_chunk(&self, mut visit: impl FnMut(i64, u32, &[u8])) -> Result<usize, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT c.item_rid, c.idx, c.vector FROM chunks c JOIN items i ON i.rid = c.item_rid WHERE i.deleted = 0",
        )?;
        let mut rows = stmt.query([])?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let blob = r.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
            visit(r.get(0)?, r.get(1)?, blob);
            n += 1;
        }
        Ok(n)
    }

    /// Number of stored chunks and of live items that have none yet.
    pub fn embed_counts(&self) -> Result<(i64, i64), StoreError> {
        let chunks = self.conn.query_row("SELECT COUNT(*) FROM chunks", [], |r| r.get(0))?;
        let missing = self.conn.query_row("SELECT COUNT(*) FROM items i WHERE i.deleted = 0 AND NOT EXISTS (SELECT 1 FROM chunks c WHERE c.item_rid = i.rid)", [], |r| r.get(0))?;
        Ok((chunks, missing))
    }

    /// Item ids for row ids.
    pub fn ids_for_rids(&self, rids: &[i64]) -> Result<Vec<Option<String>>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT id FROM items WHERE rid = ?1")?;
        rids.iter().map(|rid| Ok(stmt.query_row([rid], |r| r.get(0)).optional()?)).collect()
    }

    /// The propositions of a live item, `(text, by)`, in order.
    pub fn propositions(&self, id: &str) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT p.text, p.by FROM propositions p JOIN items i ON i.rid = p.item_rid
                 WHERE i.id = ?1 AND i.deleted = 0 ORDER BY p.idx",
            )?
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?)
    }

    /// The ids of items that have propositions.
    pub fn items_with_propositions(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT DISTINCT i.id FROM propositions p JOIN items i ON i.rid = p.item_rid")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    }

    /// How many propositions are stored, per way they were derived (`rule:…`, `llm`).
    pub fn proposition_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT by, count(*) FROM propositions GROUP BY by ORDER BY by")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?)
    }

    /// The row id of an item.
    pub fn rid_of(&self, id: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.conn.prepare_cached("SELECT rid FROM items WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional()?)
    }

    /// A cached LLM response that has not expired.
    pub fn llm_cache_get(&self, key: &str, now_ms: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT response FROM llm_cache WHERE key = ?1 AND expires_ms > ?2")?
            .query_row(params![key, now_ms], |r| r.get(0))
            .optional()?)
    }

    /// Stores an LLM response (outside any other transaction).
    pub fn llm_cache_put(
        &self,
        key: &str,
        provider: &str,
        model: &str,
        response: &str,
        now_ms: i64,
        ttl_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO llm_cache (key, provider, model, response, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(key) DO UPDATE SET response = excluded.response, created_ms = excluded.created_ms, expires_ms = excluded.expires_ms",
            )?
            .execute(params![key, provider, model, response, now_ms, now_ms + ttl_ms])?;
        Ok(())
    }

    /// Deletes cached LLM answers that expired before `now_ms`; returns how many.
    pub fn llm_cache_purge(&self, now_ms: i64) -> Result<usize, StoreError> {
        Ok(self.conn.execute("DELETE FROM llm_cache WHERE expires_ms < ?1", [now_ms])?)
    }

    /// Appends one LLM call to the usage log.
    #[allow(clippy::too_many_arguments)]
    pub fn llm_record_call(
        &self,
        provider: &str,
        model: &str,
        pipeline: &str,
        tokens: (u64, u64, u64),
        latency_ms: u64,
        cache_hit: bool,
        error_class: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO llm_calls (at_ms, provider, model, pipeline, input_tokens, output_tokens, cached_tokens, latency_ms, cache_hit, ok, error_class)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                Timestamp::now().0, provider, model, pipeline, tokens.0 as i64, tokens.1 as i64, tokens.2 as i64, latency_ms as i64, cache_hit,
                error_class.is_none(), error_class
            ])?;
        Ok(())
    }

    /// LLM usage per provider, model and pipeline:
    /// `(provider, model, pipeline, calls, cache hits, errors, input, output, cached tokens, total latency ms)`.
    #[allow(clippy::type_complexity)]
    pub fn llm_usage(&self) -> Result<Vec<(String, String, String, i64, i64, i64, i64, i64, i64, i64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT provider, model, pipeline, COUNT(*), SUM(cache_hit), SUM(ok = 0), SUM(input_tokens), SUM(output_tokens), SUM(cached_tokens), SUM(latency_ms)
             FROM llm_calls GROUP BY provider, model, pipeline ORDER BY provider, model, pipeline",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// People whose name or any handle contains `query` (case-insensitive).
    pub fn find_people(&self, query: &str) -> Result<Vec<PersonSummary>, StoreError> {
        let like = format!("%{}%", query.trim().replace(['%', '_'], "").to_lowercase());
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, display_name, title FROM people WHERE lower(display_name) LIKE ?1
             OR id IN (SELECT person_id FROM identities WHERE lower(value) LIKE ?1) ORDER BY id",
        )?;
        let people: Vec<(i64, String, String)> =
            stmt.query_map([like], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
        people
            .into_iter()
            .map(|(id, display_name, title)| {
                Ok(PersonSummary { id, display_name, title, identities: self.identities_of(id)? })
            })
            .collect()
    }

    /// The person an identity belongs to.
    pub fn person_by_identity(&self, ident: &Identity) -> Result<Option<PersonSummary>, StoreError> {
        let row: Option<(i64, String, String)> = self
            .conn
            .prepare_cached("SELECT p.id, p.display_name, p.title FROM identities d JOIN people p ON p.id = d.person_id WHERE d.kind = ?1 AND d.value = ?2")?
            .query_row(params![ident.kind.as_str(), ident.value], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        row.map(|(id, display_name, title)| {
            Ok(PersonSummary { id, display_name, title, identities: self.identities_of(id)? })
        })
        .transpose()
    }

    fn identities_of(&self, person: i64) -> Result<Vec<Identity>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT kind, value FROM identities WHERE person_id = ?1 ORDER BY kind, value")?;
        let rows = stmt.query_map([person], |r| {
            let kind: String = r.get(0)?;
            Ok(Identity::new(kind.parse().map_err(conv("identity kind"))?, &r.get::<_, String>(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A stored sync cursor.
    pub fn cursor(&self, source: &str, account: &str, container: &str) -> Result<Option<Value>, StoreError> {
        let raw: Option<String> = self
            .conn
            .prepare_cached("SELECT cursor_json FROM sync_state WHERE source = ?1 AND account = ?2 AND container = ?3")?
            .query_row(params![source, account, container], |r| r.get(0))
            .optional()?;
        Ok(raw.map(|s| serde_json::from_str(&s)).transpose()?)
    }

    /// Row counts per source and kind, people, containers, and the change sequence.
    pub fn counts(&self) -> Result<Counts, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT source, kind, SUM(deleted = 0), SUM(deleted = 1) FROM items GROUP BY source, kind ORDER BY source, kind",
        )?;
        let items =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
        Ok(Counts {
            items,
            people: self.conn.query_row("SELECT COUNT(*) FROM people", [], |r| r.get(0))?,
            containers: self.conn.query_row("SELECT COUNT(*) FROM containers", [], |r| r.get(0))?,
            max_seq: self.max_seq()?,
        })
    }

    /// The most recent import runs, newest first.
    pub fn recent_imports(&self, limit: usize) -> Result<Vec<ImportRun>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, path, started_ms, finished_ms, status, stats_json FROM import_runs ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(ImportRun {
                kind: r.get(0)?,
                path: r.get(1)?,
                started: Timestamp(r.get(2)?).to_rfc3339(),
                finished: r.get::<_, Option<i64>>(3)?.map(|t| Timestamp(t).to_rfc3339()),
                status: r.get(4)?,
                stats: serde_json::from_str(&r.get::<_, String>(5)?).map_err(conv("import stats"))?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Newline-joined text from `group_concat` → its lines.
fn lines(joined: Option<String>) -> Vec<String> {
    joined.map(|j| j.lines().map(str::to_string).collect()).unwrap_or_default()
}
