// What the pages need from the app. The Tauri implementation calls the shell's
// commands; the UI tests install a mock (window.__CHIEF_MOCK__) so the same pages
// run in a plain browser. Types that mirror Rust enums are string unions.

import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";

/** chief_engine::EntityKind */
export type EntityKind = "ticket" | "pr" | "person" | "url";
/** chief_engine::GroupKind */
export type GroupKind = "conversation" | "threads" | "tickets" | "code" | "events" | "other";
/** chief_engine::SearchMode */
export type SearchMode = "bm25" | "dense" | "hybrid";
/** chief_core::Source */
export type Source = "slack" | "github" | "jira" | "google" | "local";
/** chief_engine::SourceState */
export type SourceState = "never" | "running" | "ok" | "paused" | "parked" | "failed" | "not_connected";
/** Why a result matched (chief_search::SearchResult::matched). */
export type Matched = "bm25" | "dense" | "id" | "ref" | "recency" | "fact";

export type Entity = { kind: EntityKind; value: string; label: string; item_id: string | null; url: string | null };
export type Item = {
  id: string; source: Source; kind: string; container: string; title: string; snippet: string;
  url: string | null; author: string | null; ts: string; matched: Matched[]; parent: string | null;
  /** The proposition it matched through ("Ana approved org/repo#12: …"), if any. */
  reason?: string;
};
export type Group = { kind: GroupKind; label: string; items: Item[] };
export type Context = { text: string; entities: Entity[]; groups: Group[]; mode: SearchMode; took_ms: number };
export type Shown = { text: string; source: string; pressed_ms: number };
/** chief_brain::Sentence: one cited sentence of an explanation. */
export type Sentence = { text: string; sources: string[] };
/** chief_engine::Explanation */
export type Explanation = {
  sentences: Sentence[]; by: "extractive" | "llm" | string; fallback?: string; model?: string; first_sentence_ms?: number;
};
export type UiError = { code: string; message: string; retryable?: boolean };

export type SourceSettings = {
  name: "slack" | "github" | "jira" | "google"; enabled: boolean; connected: boolean; keep_days: number; live: boolean;
  state: SourceState; message: string; account: string; last_success: string | null;
  /** The API root (Jira: the site), the account's email and project keys (Jira). */
  api_base: string; email: string; projects: string[];
  /** Google: the OAuth client id and the calendars synced (empty: all). */
  client_id: string; calendars: string[];
};
/** Where and as whom a token is checked (Jira: site and email). */
export type ConnectTarget = { api_base?: string; email?: string };
export type Settings = {
  sources: SourceSettings[];
  llm: { provider: string; model: string; base_url: string; offline: boolean; key_stored: boolean };
  desktop: {
    hotkey: string; hotkey_enabled: boolean; capture_exclude: string[]; launch_at_login: boolean;
    notifications: boolean; private_notifications: boolean;
  };
  notifications: { quiet_hours: string; per_hour: number; kinds: string[]; briefing_at: string };
  notes: string[];
};
export type SettingsPatch = {
  source?: { name: string; enabled?: boolean; keep_days?: number; live?: boolean; api_base?: string; email?: string; projects?: string[]; calendars?: string[] };
  llm_provider?: string; llm_model?: string; llm_base_url?: string; llm_offline?: boolean;
  hotkey?: string; hotkey_enabled?: boolean; capture_exclude?: string[]; launch_at_login?: boolean;
  notifications?: boolean; private_notifications?: boolean; quiet_hours?: string; notifications_per_hour?: number;
  notify?: string[]; briefing_at?: string;
};
export type ConnectReport = { source: string; identity: string; granted: string[]; missing: string[]; stored: string };

/** chief_brain::SourceRef */
export type SourceRef = { id: string; source: Source; url: string | null; title: string };
/** chief_brain::BriefingStory */
export type Story = {
  id: string; title: string; summary: string; why: string; sources: SourceRef[]; sentences: Sentence[]; score: number;
};
/** chief_brain::Briefing */
export type Briefing = {
  date: string; user: string; run_id: number; prepared_at: string; items: number; discussions: number; stories: Story[];
};
/** chief_engine::FeedbackOutcome */
export type Rated = { id: number; story: string; title: string; vote: number; interests: string[] };

/** What the briefing page needs. */
export interface IBriefingBackend {
  /** Stored briefings, newest first. */
  briefings(limit: number): Promise<Briefing[]>;
  /** Today's briefing, prepared now if need be. */
  today(): Promise<Briefing>;
  rate(story: string, up: boolean, reason: string): Promise<Rated>;
  /** Opens the popup on an item. */
  showInPopup(id: string): Promise<void>;
  open(url: string): Promise<void>;
}

/** What the settings page needs. */
export interface ISettingsBackend {
  settings(): Promise<Settings>;
  update(patch: SettingsPatch): Promise<Settings>;
  connect(source: string, token: string, target?: ConnectTarget): Promise<ConnectReport>;
  /** Google: opens the consent page in the browser and waits for the grant. */
  connectGoogle(clientId: string, clientSecret: string): Promise<ConnectReport>;
  setLlmKey(key: string): Promise<void>;
  slackManifest(): Promise<string>;
}

export interface IBackend {
  context(text: string): Promise<Context>;
  /** Explains `text`; sentences arrive through `onExplainSentence` tagged `lookup`. */
  explain(text: string, lookup: number): Promise<Explanation>;
  onExplainSentence(cb: (lookup: number, s: Sentence) => void): void;
  open(url: string): Promise<void>;
  hide(): Promise<void>;
  /** The popup was summoned (hotkey) with freshly captured text. */
  onShow(cb: (s: Shown) => void): void;
  /** The results are on screen: what, and when the hotkey was pressed (latency). */
  rendered(pressed_ms: number, ids: string[]): Promise<void>;
}

/** The one event name the shell emits on (src-tauri/src/events.rs). */
export const EVENT = "chief://event";

type TauriGlobal = {
  core: { invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T> };
  event: { listen<T>(name: string, cb: (e: { payload: T }) => void): Promise<unknown> };
};

export class TauriBackend implements IBackend {
  constructor(private t: TauriGlobal) {}
  context(text: string) { return this.t.core.invoke<Context>("context", { text }); }
  explain(text: string, lookup: number) { return this.t.core.invoke<Explanation>("explain", { text, lookup }); }
  onExplainSentence(cb: (lookup: number, s: Sentence) => void) {
    void this.t.event.listen<{ type: string; lookup: number; sentence: Sentence }>(EVENT, (e) => {
      if (e.payload.type === "explain_sentence") cb(e.payload.lookup, e.payload.sentence);
    });
  }
  open(url: string) { return this.t.core.invoke<void>("open_url", { url }); }
  hide() { return this.t.core.invoke<void>("hide_popup"); }
  onShow(cb: (s: Shown) => void) {
    void this.t.event
      .listen<{ type: string } & Shown>(EVENT, (e) => {
        if (e.payload.type === "popup_show") cb(e.payload);
      })
      // A hotkey press that came while this page was loading.
      .then(() => this.t.core.invoke<({ type: string } & Shown) | null>("popup_ready"))
      .then((p) => {
        if (p && p.type === "popup_show") cb(p);
      });
  }
  rendered(pressed_ms: number, ids: string[]) { return this.t.core.invoke<void>("popup_rendered", { pressedMs: pressed_ms, ids }); }
}

export class TauriSettingsBackend implements ISettingsBackend {
  constructor(private t: TauriGlobal) {}
  settings() { return this.t.core.invoke<Settings>("settings"); }
  update(patch: SettingsPatch) { return this.t.core.invoke<Settings>("update_settings", { patch }); }
  connect(source: string, token: string, target?: ConnectTarget) { return this.t.core.invoke<ConnectReport>("connect_source", { source, token, target: target ?? null }); }
  connectGoogle(clientId: string, clientSecret: string) { return this.t.core.invoke<ConnectReport>("connect_google", { clientId, clientSecret }); }
  setLlmKey(key: string) { return this.t.core.invoke<void>("set_llm_key", { key }); }
  slackManifest() { return this.t.core.invoke<string>("slack_manifest"); }
}

// Inside the app, Tauri injects its IPC bridge (`__TAURI_INTERNALS__`); the pages reach
// it through @tauri-apps/api, bundled, so no `window.__TAURI__` global is exposed.
const TAURI: TauriGlobal = { core: { invoke }, event: { listen } };
const inApp = () => "__TAURI_INTERNALS__" in window;

export class TauriBriefingBackend implements IBriefingBackend {
  constructor(private t: TauriGlobal) {}
  briefings(limit: number) { return this.t.core.invoke<Briefing[]>("briefings", { limit }); }
  today() { return this.t.core.invoke<Briefing>("brief_today"); }
  rate(story: string, up: boolean, reason: string) { return this.t.core.invoke<Rated>("rate_story", { story, up, reason }); }
  showInPopup(id: string) { return this.t.core.invoke<void>("show_in_popup", { text: id }); }
  open(url: string) { return this.t.core.invoke<void>("open_url", { url }); }
}

export function briefingBackend(): IBriefingBackend {
  const w = window as unknown as { __CHIEF_BRIEFING_MOCK__?: IBriefingBackend };
  if (inApp()) return new TauriBriefingBackend(TAURI);
  if (w.__CHIEF_BRIEFING_MOCK__) return w.__CHIEF_BRIEFING_MOCK__;
  throw new Error("no backend: run inside the Chief app, or set window.__CHIEF_BRIEFING_MOCK__");
}

export function settingsBackend(): ISettingsBackend {
  const w = window as unknown as { __CHIEF_SETTINGS_MOCK__?: ISettingsBackend };
  if (inApp()) return new TauriSettingsBackend(TAURI);
  if (w.__CHIEF_SETTINGS_MOCK__) return w.__CHIEF_SETTINGS_MOCK__;
  throw new Error("no backend: run inside the Chief app, or set window.__CHIEF_SETTINGS_MOCK__");
}

export function backend(): IBackend {
  const w = window as unknown as { __CHIEF_MOCK__?: IBackend };
  if (inApp()) return new TauriBackend(TAURI);
  if (w.__CHIEF_MOCK__) return w.__CHIEF_MOCK__;
  throw new Error("no backend: run inside the Chief app, or set window.__CHIEF_MOCK__");
}
