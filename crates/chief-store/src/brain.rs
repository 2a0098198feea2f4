//! What the brain keeps: the journal of pipeline runs (one row per step with its input
//! hash and full output, so a run resumes at its first unfinished step and every
//! intermediate output can be inspected), task outputs cached by input hash, stored
//! briefings, feedback on their stories, and who the user is as each source reported.
//!
//! Each write here is one statement (SQLite makes it atomic); a step's row is written
//! only once its output exists, so a crash never leaves a half-written step behind.

use chief_core::{Identity, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use crate::read::{ITEM_COLUMNS, stored_item};
use crate::{Store, StoreError, StoredItem};

/// How a pipeline run ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Done,
    Failed,
}

impl RunStatus {
    fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<RunStatus, StoreError> {
        [RunStatus::Running, RunStatus::Done, RunStatus::Failed]
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| StoreError::Corrupt { what: "run status", detail: s.to_string() })
    }
}

/// One journaled pipeline run.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub id: i64,
    pub pipeline: String,
    pub params: Value,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    pub status: RunStatus,
    pub error: Option<String>,
}

/// One journaled step of a run.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub run_id: i64,
    pub idx: i64,
    pub name: String,
    pub input_hash: String,
    /// `None` while the step has not finished (or failed).
    pub output: Option<Value>,
    pub started_ms: i64,
    pub elapsed_ms: i64,
    pub llm_calls: i64,
    pub tokens_in: i64,
    pub tokens_out: i64,
    pub error: Option<String>,
}

/// A stored briefing.
#[derive(Debug, Clone, Serialize)]
pub struct BriefingRecord {
    pub id: i64,
    pub run_id: i64,
    pub day: String,
    pub created_ms: i64,
    pub briefing: Value,
}

/// One thumbs up or down on a briefing story.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackRecord {
    pub id: i64,
    pub story_id: String,
    pub vote: i8,
    pub reason: String,
    pub at_ms: i64,
    /// What the story was about when it was rated (entities, containers, people).
    pub evidence: Value,
}

/// An identity of the user, as a source reported it (`auth.test`, `GET /user`).
#[derive(Debug, Clone, Serialize)]
pub struct MeIdentity {
    pub identity: Identity,
    pub via: String,
    pub seen_ms: i64,
}

fn run_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<(RunRecord, String, String)> {
    Ok((
        RunRecord {
            id: r.get(0)?,
            pipeline: r.get(1)?,
            params: Value::Null,
            started_ms: r.get(3)?,
            finished_ms: r.get(4)?,
            status: RunStatus::Running,
            error: r.get(6)?,
        },
        r.get(2)?,
        r.get(5)?,
    ))
}

fn finish_run_record((mut run, params, status): (RunRecord, String, String)) -> Result<RunRecord, StoreError> {
    run.params = serde_json::from_str(&params)?;
    run.status = RunStatus::parse(&status)?;
    Ok(run)
}

const RUN_COLUMNS: &str = "id, pipeline, params_json, started_ms, finished_ms, status, error";
const STEP_COLUMNS: &str =
    "run_id, idx, name, input_hash, output_json, started_ms, elapsed_ms, llm_calls, tokens_in, tokens_out, error";

fn step_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<(StepRecord, Option<String>)> {
    Ok((
        StepRecord {
            run_id: r.get(0)?,
            idx: r.get(1)?,
            name: r.get(2)?,
            input_hash: r.get(3)?,
            output: None,
            started_ms: r.get(5)?,
            elapsed_ms: r.get(6)?,
            llm_calls: r.get(7)?,
            tokens_in: r.get(8)?,
            tokens_out: r.get(9)?,
            error: r.get(10)?,
        },
        r.get(4)?,
    ))
}

impl Store {
    /// Starts a run of `pipeline`; `params_key` identifies runs that may resume each other.
    pub fn start_run(&self, pipeline: &str, params_key: &str, params: &Value, now_ms: i64) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO brain_runs (pipeline, params_key, params_json, started_ms, status) VALUES (?1, ?2, ?3, ?4, 'running')",
            params![pipeline, params_key, serde_json::to_string(params)?, now_ms],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The newest run of `pipeline` with these parameters that did not finish (killed
    /// or failed), to resume.
    pub fn unfinished_run(&self, pipeline: &str, params_key: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM brain_runs WHERE pipeline = ?1 AND params_key = ?2 AND status != 'done' ORDER BY id DESC LIMIT 1",
                params![pipeline, params_key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Marks a run finished (or failed, with what went wrong).
    pub fn finish_run(&self, id: i64, status: RunStatus, error: Option<&str>, now_ms: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE brain_runs SET status = ?2, error = ?3, finished_ms = ?4 WHERE id = ?1",
            params![id, status.as_str(), error, now_ms],
        )?;
        Ok(())
    }

    /// Runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM brain_runs ORDER BY id DESC LIMIT ?1");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([limit as i64], run_record)?.collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(finish_run_record).collect()
    }

    /// One run.
    pub fn run(&self, id: i64) -> Result<Option<RunRecord>, StoreError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM brain_runs WHERE id = ?1");
        self.conn.query_row(&sql, [id], run_record).optional()?.map(finish_run_record).transpose()
    }

    /// A run's steps in order.
    pub fn steps(&self, run_id: i64) -> Result<Vec<StepRecord>, StoreError> {
        let sql = format!("SELECT {STEP_COLUMNS} FROM brain_steps WHERE run_id = ?1 ORDER BY idx");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([run_id], step_record)?.collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(mut s, out)| {
                s.output = out.map(|o| serde_json::from_str(&o)).transpose()?;
                Ok(s)
            })
            .collect()
    }

    /// Records a step (replacing an earlier attempt at the same position).
    pub fn put_step(&self, s: &StepRecord) -> Result<(), StoreError> {
        let output = s.output.as_ref().map(serde_json::to_string).transpose()?;
        self.conn.execute(
            &format!("INSERT OR REPLACE INTO brain_steps ({STEP_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
            params![
                s.run_id,
                s.idx,
                s.name,
                s.input_hash,
                output,
                s.started_ms,
                s.elapsed_ms,
                s.llm_calls,
                s.tokens_in,
                s.tokens_out,
                s.error
            ],
        )?;
        Ok(())
    }

    /// A cached task output.
    pub fn brain_cache_get(&self, task: &str, key: &str) -> Result<Option<Value>, StoreError> {
        let out: Option<String> = self
            .conn
            .prepare_cached("SELECT output_json FROM brain_cache WHERE task = ?1 AND key = ?2")?
            .query_row(params![task, key], |r| r.get(0))
            .optional()?;
        Ok(out.map(|o| serde_json::from_str(&o)).transpose()?)
    }

    /// Caches a task output.
    pub fn brain_cache_put(&self, task: &str, key: &str, output: &Value) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO brain_cache (task, key, output_json, created_ms) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![task, key, serde_json::to_string(output)?, Timestamp::now().0])?;
        Ok(())
    }

    /// Stores a briefing.
    pub fn save_briefing(&self, run_id: i64, day: &str, briefing: &Value, now_ms: i64) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO briefings (run_id, day, created_ms, json) VALUES (?1, ?2, ?3, ?4)",
            params![run_id, day, now_ms, serde_json::to_string(briefing)?],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Stored briefings, newest first.
    pub fn briefings(&self, limit: usize) -> Result<Vec<BriefingRecord>, StoreError> {
        let mut stmt =
            self.conn.prepare("SELECT id, run_id, day, created_ms, json FROM briefings ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, run_id, day, created_ms, json)| {
                Ok(BriefingRecord { id, run_id, day, created_ms, briefing: serde_json::from_str(&json)? })
            })
            .collect()
    }

    /// Records a thumbs up (`1`) or down (`-1`) on a story.
    pub fn add_feedback(
        &self,
        story_id: &str,
        vote: i8,
        reason: &str,
        at_ms: i64,
        evidence: &Value,
    ) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO feedback (story_id, vote, reason, at_ms, evidence_json) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![story_id, vote, reason, at_ms, serde_json::to_string(evidence)?],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every feedback row, oldest first.
    pub fn feedback(&self) -> Result<Vec<FeedbackRecord>, StoreError> {
        let mut stmt =
            self.conn.prepare("SELECT id, story_id, vote, reason, at_ms, evidence_json FROM feedback ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i8>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, story_id, vote, reason, at_ms, ev)| {
                Ok(FeedbackRecord { id, story_id, vote, reason, at_ms, evidence: serde_json::from_str(&ev)? })
            })
            .collect()
    }

    /// Records that a source reported this identity as the user.
    pub fn record_me(&self, identity: &Identity, via: &str, now_ms: i64) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO me_identities (kind, value, via, seen_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(kind, value) DO UPDATE SET via = excluded.via, seen_ms = excluded.seen_ms",
            params![identity.kind.as_str(), identity.value, via, now_ms],
        )?;
        Ok(())
    }

    /// The user's identities as the sources reported them.
    pub fn me_identities(&self) -> Result<Vec<MeIdentity>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT kind, value, via, seen_ms FROM me_identities ORDER BY kind, value")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(kind, value, via, seen_ms)| {
                let kind = kind.parse().map_err(|_| StoreError::Corrupt { what: "identity kind", detail: kind })?;
                Ok(MeIdentity { identity: Identity::new(kind, &value), via, seen_ms })
            })
            .collect()
    }

    /// Live items created in `[from, to)`, oldest first (at most `limit`).
    pub fn items_created_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items i WHERE i.created_ms >= ?1 AND i.created_ms < ?2 AND i.deleted = 0
             ORDER BY i.created_ms LIMIT ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![from.0, to.0, limit as i64], stored_item)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Live items since `from` that involve any of `identities` (identity keys such as
    /// `slack:U1`): written by them, naming them as a participant, mentioning them, or
    /// carrying them in their details (reactions). A superset: callers check precisely.
    pub fn items_involving(
        &self,
        identities: &[String],
        from: Timestamp,
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        if identities.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses = Vec::new();
        let mut args: Vec<String> = Vec::new();
        for key in identities {
            let value = key.split_once(':').map_or(key.as_str(), |(_, v)| v);
            if value.is_empty() {
                continue;
            }
            let n = args.len();
            clauses.push(format!(
                "i.author = ?{a} OR i.participants_json LIKE ?{b} ESCAPE '\\' OR i.extra_json LIKE ?{b} ESCAPE '\\'
                 OR i.rid IN (SELECT item_rid FROM item_refs WHERE kind = 'person' AND value = ?{a})",
                a = n + 3,
                b = n + 4
            ));
            args.push(key.clone());
            let escaped = value.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            args.push(format!("%\"{escaped}\"%"));
        }
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items i WHERE i.created_ms >= ?1 AND i.deleted = 0 AND ({})
             ORDER BY i.created_ms DESC LIMIT ?2",
            clauses.join(" OR ")
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&from.0];
        let limit = limit as i64;
        params.push(&limit);
        for a in &args {
            params.push(a);
        }
        let rows = stmt.query_map(params.as_slice(), stored_item)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A person's display name by one of their identity keys.
    pub fn display_name(&self, identity_key: &str) -> Result<Option<String>, StoreError> {
        let Some((kind, value)) = identity_key.split_once(':') else { return Ok(None) };
        Ok(self
            .conn
            .prepare_cached(
                "SELECT p.display_name FROM identities d JOIN people p ON p.id = d.person_id WHERE d.kind = ?1 AND d.value = ?2",
            )?
            .query_row(params![kind, value], |r| r.get(0))
            .optional()?)
    }

    /// Every identity key with its person's id and display name.
    pub fn identity_people(&self) -> Result<Vec<(String, i64, String)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT d.kind || ':' || d.value, p.id, p.display_name FROM identities d JOIN people p ON p.id = d.person_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// LLM calls that went to a provider (cache hits excluded, failed attempts
    /// included) and their input and output tokens, over the whole log.
    pub fn llm_network_totals(&self) -> Result<(i64, i64, i64), StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0) FROM llm_calls WHERE cache_hit = 0",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?)
    }

    /// An agent's position in the change log and the state it keeps; `None` before its
    /// first round.
    pub fn agent_state(&self, name: &str) -> Result<Option<(i64, Value)>, StoreError> {
        let row: Option<(i64, String)> = self
            .conn
            .prepare_cached("SELECT position, state_json FROM agent_state WHERE name = ?1")?
            .query_row([name], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(p, s)| Ok((p, serde_json::from_str(&s)?))).transpose()
    }

    /// Moves an agent to `position` with its new state, in one write.
    pub fn set_agent_state(&self, name: &str, position: i64, state: &Value) -> Result<(), StoreError> {
        put_agent_state(&self.conn, name, position, state)
    }

    /// How many votes the feedback table holds (a cheap change marker for views that
    /// depend on it).
    pub fn feedback_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM feedback", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Whether this item was notified already (under any story: a story's id can
    /// change when it grows).
    pub fn was_item_notified(&self, item: &str) -> Result<bool, StoreError> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM notified WHERE item = ?1")?.exists([item])?)
    }

    /// Whether a story was notified already.
    pub fn was_notified(&self, story: &str) -> Result<bool, StoreError> {
        Ok(self.conn.prepare_cached("SELECT 1 FROM notified WHERE story = ?1")?.exists([story])?)
    }

    /// Records a delivered notification; false when its story was already notified.
    pub fn record_notified(
        &self,
        story: &str,
        kind: &str,
        item: &str,
        send_ms: i64,
        json: &Value,
    ) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO notified (story, kind, item, send_ms, json) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![story, kind, item, send_ms, serde_json::to_string(json)?],
        )?;
        Ok(n == 1)
    }

    /// A container's name.
    pub fn container_name(&self, id: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT name, kind FROM containers WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }
}

/// Writes an agent's position and state (on a connection or inside a transaction).
pub(crate) fn put_agent_state(conn: &Connection, name: &str, position: i64, state: &Value) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO agent_state (name, position, state_json, updated_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(name) DO UPDATE SET position = ?2, state_json = ?3, updated_ms = ?4",
        params![name, position, serde_json::to_string(state)?, chief_core::Timestamp::now().0],
    )?;
    Ok(())
}
