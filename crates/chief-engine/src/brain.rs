//! The brain on the engine: who the user is, the daily briefing and its journaled
//! runs, the interest graph and feedback. The pipeline runs on its own store
//! connection, so a briefing never holds up a popup lookup.

use std::collections::{BTreeSet, HashMap};

use chief_brain::interests::{InterestGraph, People};
use chief_brain::{Me, Step};
use chief_core::{Identity, IdentityKind, Timestamp};
use chief_store::{RunRecord, StepRecord, Store};
use serde::Serialize;

use crate::config::BrainMode;
use crate::{Engine, EngineError};

pub use chief_brain::explain::Explanation;
pub use chief_brain::notify::{Notification, NotificationKind};
pub use chief_brain::prep::Prep;
pub use chief_brain::{Briefing, BriefingStory, SourceRef, Window};

/// One of the user's identities and where Chief learned it.
#[derive(Debug, Clone, Serialize)]
pub struct KnownIdentity {
    pub kind: String,
    pub value: String,
    /// `chief.toml [me]`, `slack auth.test`, `github GET /user`, or `the store's people`.
    pub via: String,
}

/// When the user usually starts on a weekday.
#[derive(Debug, Clone, Serialize)]
pub struct UsualStart {
    pub weekday: &'static str,
    /// `HH:MM` UTC, learned from the user's own activity; `None` with no activity that day.
    pub time: Option<String>,
}

/// How to explain.
#[derive(Debug, Clone, Default)]
pub struct ExplainRequest {
    /// No LLM, whatever the config says.
    pub offline: bool,
    /// Where LLM keys are looked up first (`CHIEF_LLM_API_KEY`, …).
    pub env: Vec<(String, String)>,
}

/// `chief whoami`.
#[derive(Debug, Clone, Serialize)]
pub struct WhoAmI {
    pub name: String,
    pub identities: Vec<KnownIdentity>,
    pub usual_start: Vec<UsualStart>,
}

/// What to brief.
#[derive(Debug, Clone, Default)]
pub struct BriefRequest {
    /// Look back this many ms instead of the default window.
    pub since_ms: Option<i64>,
    /// No LLM, whatever the config says.
    pub offline: bool,
    /// Stop after this step (as if killed); the next run resumes after it.
    pub stop_after: Option<Step>,
    /// Where LLM keys are looked up first (`CHIEF_LLM_API_KEY`, …), in LLM mode.
    pub env: Vec<(String, String)>,
}

/// The engine's LLM client as the brain's [`LlmCall`](chief_brain::llm::LlmCall).
pub(crate) struct BlockingLlm {
    client: chief_llm::LlmClient,
    rt: tokio::runtime::Runtime,
    /// The store the client logs its calls to (a connection of its own).
    log: Store,
}

impl BlockingLlm {
    /// Network calls, input and output tokens logged so far (cache hits excluded).
    fn totals(&self) -> (i64, i64, i64) {
        self.log.llm_network_totals().unwrap_or_default()
    }

    /// Runs `call` and adds the network calls and tokens it logged to `tally`.
    fn tallied<T>(&self, tally: &mut chief_brain::llm::Tally, call: impl FnOnce() -> T) -> T {
        let before = self.totals();
        let out = call();
        let after = self.totals();
        tally.calls += after.0 - before.0;
        tally.tokens_in += after.1 - before.1;
        tally.tokens_out += after.2 - before.2;
        out
    }
}

impl chief_brain::llm::LlmCall for BlockingLlm {
    fn complete_json(
        &self,
        req: &chief_llm::ChatRequest,
        tally: &mut chief_brain::llm::Tally,
    ) -> Result<serde_json::Value, chief_llm::LlmError> {
        self.tallied(tally, || self.rt.block_on(self.client.complete_json::<serde_json::Value>(req)).map(|(v, _)| v))
    }

    fn stream_text(
        &self,
        req: &chief_llm::ChatRequest,
        tally: &mut chief_brain::llm::Tally,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<String, chief_llm::LlmError> {
        // The client wants a `Send` callback: the call runs on a scoped thread and its
        // pieces come back over a channel to `on_delta`, here, as they arrive.
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let (rt, client) = (&self.rt, &self.client);
        let out = self.tallied(tally, || {
            std::thread::scope(|scope| {
                let call = scope.spawn(move || {
                    let mut send = |d: &str| {
                        let _ = tx.send(d.to_string());
                    };
                    rt.block_on(client.stream(req, &mut send))
                });
                for piece in rx {
                    on_delta(&piece);
                }
                call.join().unwrap_or_else(|_| {
                    Err(chief_llm::LlmError::Permanent {
                        provider: String::new(),
                        message: "the LLM call panicked".into(),
                    })
                })
            })
        });
        out.map(|c| c.text)
    }
}

/// What a thumbs up or down recorded.
#[derive(Debug, Clone, Serialize)]
pub struct FeedbackOutcome {
    pub id: i64,
    pub story: String,
    pub title: String,
    pub vote: i8,
    /// The interests the vote moves.
    pub interests: Vec<String>,
}

/// Identity keys → one key per person, and names, from the store's people.
struct StorePeople {
    map: HashMap<String, (i64, String)>,
}

impl People for StorePeople {
    fn canonical(&self, identity_key: &str) -> String {
        match self.map.get(identity_key) {
            Some((id, _)) => format!("p{id}"),
            None => identity_key.to_string(),
        }
    }
    fn name(&self, identity_key: &str) -> Option<String> {
        self.map.get(identity_key).map(|(_, n)| n.clone())
    }
}

const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

impl Engine {
    /// The instant time-relative decisions use: `--now` / `CHIEF_NOW`, the demo's fixed
    /// now in a demo home, else the wall clock.
    pub fn now(&self) -> Timestamp {
        self.now.unwrap_or_else(Timestamp::now)
    }

    /// Fixes the clock (`--now`); `None` keeps the home's (demo) or the wall clock.
    pub fn with_clock(mut self, now: Option<Timestamp>) -> Engine {
        if now.is_some() {
            self.now = now;
        }
        self
    }

    pub(crate) fn brain_store(&self) -> Result<Store, EngineError> {
        Ok(Store::open(&self.home.db())?)
    }

    fn people(store: &Store) -> Result<StorePeople, EngineError> {
        let map = store.identity_people()?.into_iter().map(|(k, id, name)| (k, (id, name))).collect();
        Ok(StorePeople { map })
    }

    fn known_identities(&self, store: &Store) -> Result<(String, Vec<KnownIdentity>), EngineError> {
        let me = self.config().me;
        let configured: Vec<Identity> = [
            (IdentityKind::Email, &me.email),
            (IdentityKind::Slack, &me.slack_id),
            (IdentityKind::Github, &me.github_login),
            (IdentityKind::Jira, &me.jira_account_id),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| Identity::new(k, v))
        .collect();
        let mut out: Vec<KnownIdentity> = configured
            .iter()
            .map(|i| KnownIdentity {
                kind: i.kind.as_str().into(),
                value: i.value.clone(),
                via: "chief.toml [me]".into(),
            })
            .collect();
        // [me] overrides: a kind it sets is not taken from what a source reported.
        let kinds: BTreeSet<IdentityKind> = configured.iter().map(|i| i.kind).collect();
        for r in store.me_identities()? {
            if !kinds.contains(&r.identity.kind) && !out.iter().any(|k| k.value == r.identity.value) {
                out.push(KnownIdentity { kind: r.identity.kind.as_str().into(), value: r.identity.value, via: r.via });
            }
        }
        // The same person's other identities, as the store merged them.
        let mut name = me.name.clone();
        let seeds: Vec<Identity> =
            out.iter().filter_map(|k| Some(Identity::new(k.kind.parse().ok()?, &k.value))).collect();
        for ident in seeds {
            if let Some(p) = store.person_by_identity(&ident)? {
                if name.is_empty() {
                    name = p.display_name.clone();
                }
                for other in p.identities {
                    if !kinds.contains(&other.kind)
                        && !out.iter().any(|k| k.kind == other.kind.as_str() && k.value == other.value)
                    {
                        out.push(KnownIdentity {
                            kind: other.kind.as_str().into(),
                            value: other.value,
                            via: format!("the store's people (same person as {})", ident.key()),
                        });
                    }
                }
            }
        }
        Ok((name, out))
    }

    /// Who the user is, as one person across sources.
    pub fn me(&self) -> Result<Me, EngineError> {
        // The engine's own connection: the popup's explanation asks this on every lookup.
        let (name, ids) = self.known_identities(&self.store())?;
        Ok(Me { name, identities: ids.into_iter().map(|k| format!("{}:{}", k.kind, k.value)).collect() })
    }

    /// [`Engine::me`], or a clear error when nobody is configured or synced yet.
    fn known_me(&self) -> Result<Me, EngineError> {
        let me = self.me()?;
        if me.is_unknown() {
            return Err(EngineError::InvalidInput(
                "Chief does not know who you are: sync Slack or GitHub, or set [me] in chief.toml (name, email, slack_id, github_login)".into(),
            ));
        }
        Ok(me)
    }

    /// `chief whoami`: the user's identities, where each came from, and when they
    /// usually start work (the desktop prepares the briefing an hour before).
    pub fn whoami(&self) -> Result<WhoAmI, EngineError> {
        let store = self.brain_store()?;
        let (name, identities) = self.known_identities(&store)?;
        let me: Vec<String> = identities.iter().map(|k| format!("{}:{}", k.kind, k.value)).collect();
        let starts = self.usual_starts(&store, &me)?;
        let usual_start = WEEKDAYS
            .iter()
            .zip(starts)
            .map(|(d, m)| UsualStart { weekday: d, time: m.map(|m| format!("{:02}:{:02}", m / 60, m % 60)) })
            .collect();
        Ok(WhoAmI { name, identities, usual_start })
    }

    /// When the user usually starts on each weekday (Monday first), in minutes after
    /// midnight UTC, learned from what `me` wrote in the last eight weeks.
    fn usual_starts(&self, store: &Store, me: &[String]) -> Result<[Option<u32>; 7], EngineError> {
        let since = Timestamp(self.now().0 - 8 * 7 * 86_400_000);
        let mine: Vec<i64> = store
            .items_involving(me, since, 20_000)?
            .into_iter()
            .filter(|s| {
                s.item.author.as_ref().is_some_and(|a| me.contains(&a.key())) && s.item.created.0 <= self.now().0
            })
            .map(|s| s.item.created.0)
            .collect();
        Ok(chief_brain::briefing::usual_start(&mine))
    }

    /// Whether today's briefing should be prepared now: at `[brain] briefing_at`, else
    /// an hour before the user's learned start on this weekday (08:00 UTC when there is
    /// none to learn from), and no briefing stored for today yet.
    pub fn briefing_due(&self) -> Result<bool, EngineError> {
        let now = self.now();
        let day = 86_400_000;
        if self.briefings(1)?.first().is_some_and(|b| b.date == chief_brain::briefing::date_of(now)) {
            return Ok(false);
        }
        let minute_of_day = now.0.rem_euclid(day) / 60_000;
        if let Some(at) = self.config().brain.briefing_at_min()? {
            return Ok(minute_of_day >= i64::from(at));
        }
        let store = self.brain_store()?;
        let me = self
            .known_identities(&store)
            .map(|(_, ids)| ids.iter().map(|k| format!("{}:{}", k.kind, k.value)).collect::<Vec<_>>())
            .unwrap_or_default();
        // 1970-01-01 was a Thursday: day number + 3 mod 7 gives Monday = 0.
        let weekday = ((now.0.div_euclid(day) + 3).rem_euclid(7)) as usize;
        let start = self.usual_starts(&store, &me)?[weekday].unwrap_or(8 * 60);
        Ok(minute_of_day >= (i64::from(start) - 60).max(0))
    }

    /// The brain's LLM when `[brain] mode = "llm"` and nothing says offline, with its
    /// `provider/model` label.
    pub(crate) fn brain_llm(
        &self,
        offline: bool,
        env: &[(String, String)],
    ) -> Result<Option<(BlockingLlm, String)>, EngineError> {
        let cfg = self.config();
        if cfg.brain.mode != BrainMode::Llm || offline || cfg.llm.offline {
            return Ok(None);
        }
        let chain = cfg.llm.chain()?;
        let label = chain.first().map(|p| format!("{}/{}", p.name, p.model)).ok_or_else(|| {
            EngineError::InvalidInput(
                "[brain] mode = \"llm\" needs an LLM provider: set [llm] provider and model in chief.toml, or use --offline".into(),
            )
        })?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| EngineError::internal("starting an async runtime", e))?;
        Ok(Some((BlockingLlm { client: self.llm(false, env)?, rt, log: self.brain_store()? }, label)))
    }

    /// Runs (or resumes) today's briefing and stores it.
    pub fn brief(&self, req: &BriefRequest) -> Result<Briefing, EngineError> {
        let cfg = self.config();
        let llm = self.brain_llm(req.offline, &req.env)?;
        let me = self.known_me()?;
        if let Some(s) = req.since_ms
            && s <= 0
        {
            return Err(EngineError::InvalidInput("--since must be a positive span such as 24h or 3d".into()));
        }
        self.sync_index()?;
        let store = self.brain_store()?;
        let people = Self::people(&store)?;
        let opts = chief_brain::BriefOptions {
            now: self.now(),
            since_ms: req.since_ms,
            stop_after: req.stop_after,
            top: cfg.brain.stories.max(1),
            half_life_days: cfg.brain.half_life_days,
        };
        let with = llm.as_ref().map(|(l, label)| chief_brain::WithLlm { llm: l, label: label.clone() });
        chief_brain::briefing::run(&store, &me, &people, &opts, with.as_ref()).map_err(|e| match e {
            chief_brain::BrainError::Llm(l) => EngineError::Llm(l),
            other => other.into(),
        })
    }

    /// The notifications the window's items deserve (sent, or held by quiet hours and
    /// the cap), oldest first; `since_ms` replaces the default window.
    pub fn notifications(&self, since_ms: Option<i64>) -> Result<Vec<Notification>, EngineError> {
        let me = self.known_me()?;
        self.sync_index()?;
        let store = self.brain_store()?;
        let cfg = self.config().brain;
        if !cfg.notifies() {
            return Ok(Vec::new());
        }
        let rules = cfg.notify_rules()?;
        // The interests agent's graph when it is current: one build per round, not two.
        let graph = self.interests()?;
        Ok(chief_brain::briefing::notifications(&store, &me, self.now(), since_ms, &graph, &rules)?)
    }

    /// The popup's explanation of a context lookup: what this is, what happened around
    /// it, why it matters to you, every sentence cited. A separate call, so the popup
    /// shows the local part (entities and related items) without waiting for it.
    pub fn explain(&self, ctx: &crate::ContextResponse) -> Result<Explanation, EngineError> {
        self.explain_streaming(ctx, &ExplainRequest::default(), &mut |_| {})
    }

    /// The explanation, each sentence handed to `on_sentence` as soon as it is ready:
    /// written by the LLM and streamed through the guard in `[brain] mode = "llm"`,
    /// else (or when the model fails) extractive. Call it after showing the local part.
    pub fn explain_streaming(
        &self,
        ctx: &crate::ContextResponse,
        req: &ExplainRequest,
        on_sentence: &mut dyn FnMut(&chief_brain::Sentence),
    ) -> Result<Explanation, EngineError> {
        let started = std::time::Instant::now();
        let me = self.me().unwrap_or_default();
        let focus: Vec<String> = ctx.entities.iter().filter_map(|e| e.item_id.clone()).collect();
        let mut ids: Vec<String> = focus.clone();
        for g in &ctx.groups {
            ids.extend(g.items.iter().map(|r| r.id.clone()));
        }
        let store = self.store();
        let mut seen = std::collections::BTreeSet::new();
        let mut roots = std::collections::BTreeSet::new();
        let mut items = Vec::new();
        for id in ids {
            if seen.contains(&id) {
                continue;
            }
            let Some(it) = store.item(&id)? else { continue };
            let root = it.item.parent.as_ref().map(|p| p.as_str().to_string()).unwrap_or_else(|| id.clone());
            if !roots.insert(root.clone()) {
                continue;
            }
            for s in store.thread(&root)? {
                if !s.deleted && seen.insert(s.item.id.as_str().to_string()) {
                    items.push(s);
                }
            }
        }
        let Some(prepared) = chief_brain::explain::prepare(&items, &focus, &me, self.now().0) else {
            return Ok(Explanation { by: "extractive".into(), ..Explanation::default() });
        };
        let mut first: Option<f64> = None;
        let mut emit = |sentence: &chief_brain::Sentence| {
            first.get_or_insert_with(|| started.elapsed().as_secs_f64() * 1000.0);
            on_sentence(sentence);
        };
        let mut out = match self.brain_llm(req.offline, &req.env)? {
            Some((llm, label)) => {
                let mut tally = chief_brain::llm::Tally::default();
                let mut e = chief_brain::llm::explain(&llm, &prepared, &mut tally, &mut emit);
                tracing::info!(model = %label, calls = tally.calls, by = %e.by, "explanation written");
                e.model = Some(label);
                e
            }
            None => {
                let e = prepared.extractive();
                e.sentences.iter().for_each(&mut emit);
                e
            }
        };
        out.first_sentence_ms = first;
        Ok(out)
    }

    /// Meeting prep for `event` (an event id), or the user's next meeting: attendees,
    /// what is open between you and each, and related threads, tickets and PRs.
    pub fn prep(&self, event: Option<&str>) -> Result<Prep, EngineError> {
        let me = self.me()?;
        let store = self.brain_store()?;
        let now = self.now();
        let is_mine = |s: &chief_store::StoredItem| s.item.participants.iter().any(|p| me.is(&p.key()));
        let ev = match event {
            Some(id) => store
                .item(id)?
                .filter(|s| s.item.kind == chief_core::ItemKind::Event)
                .ok_or_else(|| EngineError::NotFound { id: id.to_string() })?,
            None => store
                .items_created_between(now, Timestamp(now.0 + 14 * 86_400_000), 10_000)?
                .into_iter()
                .find(|s| s.item.kind == chief_core::ItemKind::Event && is_mine(s))
                .ok_or_else(|| {
                    EngineError::InvalidInput("no meeting of yours in the next 14 days; name one with EVENT_ID".into())
                })?,
        };
        let mut attendees = Vec::new();
        for p in ev.item.participants.iter().filter(|p| !me.is(&p.key())) {
            let person = store.person_by_identity(p)?;
            let identities: Vec<String> = match &person {
                Some(x) => x.identities.iter().map(|i| i.key()).collect(),
                None => vec![p.key()],
            };
            let items = store.items_involving(&identities, Timestamp(now.0 - 60 * 86_400_000), 5_000)?;
            attendees.push(chief_brain::prep::AttendeeInput {
                name: person.as_ref().map(|x| x.display_name.clone()).unwrap_or_else(|| p.value.clone()),
                title: person.as_ref().map(|x| x.title.clone()).unwrap_or_default(),
                identities,
                items,
            });
        }
        let query = format!("{} {}", ev.item.title, ev.item.body.chars().take(200).collect::<String>());
        let found =
            self.search(&crate::SearchQuery { text: query, limit: Some(12), now: Some(now), ..Default::default() })?;
        let related = found
            .results
            .into_iter()
            .filter(|r| r.kind != "event")
            .take(5)
            .map(|r| chief_brain::prep::Related { id: r.id, title: r.title, source: r.source })
            .collect();
        let thread_of = |root: &str| store.thread(root).unwrap_or_default();
        Ok(chief_brain::prep::prep(&ev, &me, &attendees, &thread_of, related, now.0))
    }

    /// Stored briefings, newest first.
    pub fn briefings(&self, limit: usize) -> Result<Vec<Briefing>, EngineError> {
        let store = self.brain_store()?;
        let mut out = Vec::new();
        for b in store.briefings(limit)? {
            out.push(
                serde_json::from_value(b.briefing)
                    .map_err(|e| EngineError::internal("reading a stored briefing", e))?,
            );
        }
        Ok(out)
    }

    /// Journaled pipeline runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, EngineError> {
        Ok(self.brain_store()?.runs(limit)?)
    }

    /// One run and its steps with their outputs.
    pub fn run_detail(&self, id: i64) -> Result<(RunRecord, Vec<StepRecord>), EngineError> {
        let store = self.brain_store()?;
        let run = store.run(id)?.ok_or(chief_brain::BrainError::NoSuchRun(id))?;
        Ok((run, store.steps(id)?))
    }

    /// The interest graph as of now.
    pub fn interests(&self) -> Result<InterestGraph, EngineError> {
        // The interests agent's graph while it is current (no new content after its
        // change-log position, same day, same feedback); else built now.
        let store = self.brain_store()?;
        if let Some((pos, state)) = store.agent_state(crate::agents::INTERESTS)?
            && crate::agents::no_new_content(&store, pos)?
            && state["day"].as_i64() == Some(self.now().0 / 86_400_000)
            && state["feedback"].as_u64() == Some(store.feedback_count()?)
            && let Ok(graph) = serde_json::from_value::<InterestGraph>(state["graph"].clone())
        {
            return Ok(graph);
        }
        self.compute_interests()
    }

    /// The interest graph built from the store as of now.
    pub(crate) fn compute_interests(&self) -> Result<InterestGraph, EngineError> {
        let store = self.brain_store()?;
        let me = self.me()?;
        let people = Self::people(&store)?;
        let cfg = self.config().brain;
        let now = self.now();
        let (activity, feedback) = chief_brain::interests::inputs(&store, &me, now, cfg.half_life_days)?;
        Ok(chief_brain::interests::build(&me, &activity, &feedback, &people, now.0, cfg.half_life_days))
    }

    /// Thumbs up or down on a story of a stored briefing: moves the story itself and
    /// the people, places and topics it involves in the next ranking.
    pub fn feedback(&self, story: &str, up: bool, reason: &str) -> Result<FeedbackOutcome, EngineError> {
        let store = self.brain_store()?;
        let found = store.briefings(1000)?.into_iter().find_map(|b| {
            let s = b.briefing["stories"].as_array()?.iter().find(|s| s["id"] == story)?.clone();
            Some((b.run_id, s))
        });
        let Some((run_id, s)) = found else { return Err(chief_brain::BrainError::NoSuchStory(story.into()).into()) };
        let me = self.me()?;
        let people = Self::people(&store)?;
        let interests =
            chief_brain::briefing::story_interest_keys(&store, run_id, story, &me, &people)?.unwrap_or_default();
        let vote: i8 = if up { 1 } else { -1 };
        let evidence = serde_json::json!({"run_id": run_id, "title": s["title"], "interests": interests});
        let id = store.add_feedback(story, vote, reason.trim(), self.now().0, &evidence)?;
        Ok(FeedbackOutcome {
            id,
            story: story.into(),
            title: s["title"].as_str().unwrap_or("").into(),
            vote,
            interests,
        })
    }
}
