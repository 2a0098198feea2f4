// Settings: connect Slack, GitHub and Jira (token checked against the API, stored in
// the keychain; Jira with its site and the account's email) and Google (consent in
// the browser), each source's status, last sync, retention, live mode (Slack),
// projects (Jira) and calendars (Google); the LLM
// provider, model, key and offline mode; the hotkey and the windows never captured.
// Every section saves on its own and shows its own errors.

import { settingsBackend, type ISettingsBackend, type Settings, type SettingsPatch, type UiError } from "./backend";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function field(label: string, input: HTMLElement): HTMLElement {
  const l = el("label", { class: "field" });
  l.append(el("span", {}, label), input);
  return l;
}

function checkbox(name: string, checked: boolean): HTMLInputElement {
  const c = el("input", { type: "checkbox", name });
  c.checked = checked;
  return c;
}

const STATE: Record<string, string> = { ok: "synced", paused: "paused: reconnect", parked: "waiting for a rate limit", failed: "last sync failed", running: "syncing", never: "not synced yet" };

/** The notifier's kinds, as `[brain] notify` names them. */
const KINDS: [string, string][] = [
  ["question_to_me", "A question to you"],
  ["review_requested", "A review asked of you"],
  ["assigned_to_me", "An urgent ticket assigned to you"],
  ["incident", "An incident where you work"],
  ["meeting_soon", "Your meeting in 15 minutes"],
];

export class SettingsPage {
  private view?: Settings;
  constructor(private root: HTMLElement, private api: ISettingsBackend) {}

  async load() {
    try {
      this.render(await this.api.settings());
    } catch (e) {
      this.root.replaceChildren(el("div", { class: "error", "data-code": (e as UiError).code ?? "error" }, (e as UiError).message ?? String(e)));
    }
  }

  /** Runs an action for a section, showing its outcome in the section. */
  private async act(section: HTMLElement, f: () => Promise<string | Settings>) {
    const out = section.querySelector<HTMLElement>(".outcome")!;
    out.className = "outcome";
    out.textContent = "Saving…";
    try {
      const r = await f();
      if (typeof r === "string") {
        out.textContent = r;
      } else {
        this.render(r);
        const again = this.root.querySelector<HTMLElement>(`section[data-section="${section.dataset.section}"] .outcome`);
        if (again) again.textContent = "Saved.";
      }
    } catch (e) {
      out.className = "outcome error";
      out.dataset.code = (e as UiError).code ?? "error";
      out.textContent = (e as UiError).message ?? String(e);
    }
  }

  private save(section: HTMLElement, patch: SettingsPatch) {
    return this.act(section, () => this.api.update(patch));
  }

  render(v: Settings) {
    this.view = v;
    const blocks: HTMLElement[] = [el("h1", {}, "Chief settings")];
    for (const note of v.notes) blocks.push(el("p", { class: "note" }, note));

    for (const s of v.sources) {
      const sec = el("section", { "data-section": `source-${s.name}` });
      const title = { slack: "Slack", github: "GitHub", jira: "Jira", google: "Google Workspace" }[s.name] ?? s.name;
      sec.append(el("h2", {}, title));
      const status = el("p", { class: `status-line ${s.state}` }, `${s.connected ? "Connected" : "Not connected"} · ${STATE[s.state] ?? s.state}${s.account ? ` · ${s.account}` : ""}${s.last_success ? ` · last sync ${s.last_success.slice(0, 16).replace("T", " ")}` : ""}`);
      sec.append(status);
      if (s.message) sec.append(el("p", { class: "note" }, s.message));
      const hint = { slack: "xoxp-… user token of the Chief app", github: "ghp_… or github_pat_… token", jira: "API token from id.atlassian.com" }[s.name] ?? "token";
      const token = el("input", { type: "password", name: "token", placeholder: hint, autocomplete: "off" });
      const site = el("input", { name: "site", type: "url", value: s.api_base, placeholder: "https://your-site.atlassian.net" });
      const email = el("input", { name: "email", type: "email", value: s.email, placeholder: "you@company.com" });
      if (s.name === "jira") sec.append(field("Site", site), field("Account email", email));
      const clientId = el("input", { name: "client_id", value: s.client_id, placeholder: "….apps.googleusercontent.com" });
      const clientSecret = el("input", { type: "password", name: "client_secret", placeholder: s.connected ? "stored; paste to replace" : "the client's secret", autocomplete: "off" });
      if (s.name === "google") sec.append(field("OAuth client id (Desktop app)", clientId), field("Client secret", clientSecret));
      const connect = el("button", { type: "button", name: "connect" }, s.name === "google" ? (s.connected ? "Reconnect in the browser" : "Connect in the browser") : s.connected ? "Replace token" : "Connect");
      if (s.name === "google") connect.addEventListener("click", () =>
        this.act(sec, async () => {
          if (!clientId.value.trim()) throw { code: "invalid_input", message: "Give the OAuth client id of your Google Cloud \"Desktop app\" client first." };
          const out = sec.querySelector<HTMLElement>(".outcome")!;
          out.textContent = "Waiting for you to sign in in the browser…";
          const r = await this.api.connectGoogle(clientId.value.trim(), clientSecret.value);
          clientSecret.value = "";
          return `Connected as ${r.identity}; the grant is in the ${r.stored}.`;
        }),
      );
      else connect.addEventListener("click", () =>
        this.act(sec, async () => {
          if (s.name === "jira" && (!/^https?:\/\/\S+$/.test(site.value.trim()) || !email.value.includes("@"))) {
            throw { code: "invalid_input", message: "Give the Jira site (https://your-site.atlassian.net) and your account's email, then the API token." };
          }
          const target = s.name === "jira" ? { api_base: site.value.trim(), email: email.value.trim() } : undefined;
          const r = await this.api.connect(s.name, token.value, target);
          token.value = "";
          return `Token works for ${r.identity}; stored in the ${r.stored}.${r.missing.length ? ` Missing scopes: ${r.missing.join(", ")}.` : ""}`;
        }),
      );
      const row = el("div", { class: "row" });
      if (s.name === "google") row.append(connect);
      else row.append(token, connect);
      sec.append(row);
      if (s.name === "slack") {
        const show = el("button", { type: "button", name: "manifest", class: "link" }, "Show the app manifest to install");
        const pre = el("pre", { class: "manifest", hidden: "" });
        show.addEventListener("click", async () => {
          pre.textContent = await this.api.slackManifest();
          pre.hidden = !pre.hidden;
        });
        sec.append(show, pre);
      }
      const enabled = checkbox("enabled", s.enabled);
      const keep = el("input", { type: "number", name: "keep_days", min: "0", value: String(s.keep_days) });
      sec.append(field("Sync in the background", enabled), field("Keep items (days, 0 = forever)", keep));
      const live = checkbox("live", s.live);
      if (s.name === "slack") sec.append(field("Live mode: keep no message text locally", live));
      const projects = el("input", { name: "projects", value: s.projects.join(", "), placeholder: "ENG, PAY (empty: every project you can browse)" });
      if (s.name === "jira") sec.append(field("Projects", projects));
      const calendars = el("textarea", { name: "calendars", rows: "2", placeholder: "calendar ids, one per line (empty: every calendar in your list)" });
      calendars.value = s.calendars.join("\n");
      if (s.name === "google") sec.append(field("Calendars", calendars));
      const save = el("button", { type: "button", name: "save" }, "Save");
      save.addEventListener("click", () => {
        const days = Number(keep.value);
        if (!Number.isInteger(days) || days < 0) {
          const out = sec.querySelector<HTMLElement>(".outcome")!;
          out.className = "outcome error";
          out.textContent = "Days must be a whole number, 0 or more.";
          return;
        }
        const keys = projects.value.split(/[\s,]+/).map((k) => k.trim().toUpperCase()).filter((k) => k);
        if (s.name === "jira" && keys.some((k) => !/^[A-Z][A-Z0-9_]*$/.test(k))) {
          const out = sec.querySelector<HTMLElement>(".outcome")!;
          out.className = "outcome error";
          out.textContent = "Project keys are letters, digits and _ (like ENG or PAY_2), separated by commas.";
          return;
        }
        const cals = calendars.value.split("\n").map((c) => c.trim()).filter((c) => c);
        const extra = s.name === "slack" ? { live: live.checked } : s.name === "jira" ? { projects: keys } : s.name === "google" ? { calendars: cals } : {};
        void this.save(sec, { source: { name: s.name, enabled: enabled.checked, keep_days: days, ...extra } });
      });
      sec.append(save, el("p", { class: "outcome", "aria-live": "polite" }));
      blocks.push(sec);
    }

    const llm = el("section", { "data-section": "llm" });
    llm.append(el("h2", {}, "Language model"));
    const provider = el("select", { name: "provider" });
    for (const p of ["openai", "azure", "anthropic", "openai-compatible", "none"]) {
      const o = el("option", { value: p }, p);
      o.selected = p === v.llm.provider;
      provider.append(o);
    }
    const model = el("input", { name: "model", value: v.llm.model });
    const base = el("input", { name: "base_url", value: v.llm.base_url, placeholder: "for Azure and OpenAI-compatible servers" });
    const offline = checkbox("offline", v.llm.offline);
    const key = el("input", { type: "password", name: "key", placeholder: v.llm.key_stored ? "a key is stored; paste to replace" : "API key", autocomplete: "off" });
    const saveLlm = el("button", { type: "button", name: "save" }, "Save");
    saveLlm.addEventListener("click", () =>
      this.act(llm, async () => {
        const r = await this.api.update({ llm_provider: provider.value, llm_model: model.value, llm_base_url: base.value, llm_offline: offline.checked });
        if (!key.value.trim()) return r;
        await this.api.setLlmKey(key.value);
        key.value = "";
        return this.api.settings();
      }),
    );
    llm.append(field("Provider", provider), field("Model", model), field("Base URL", base), field("Offline (no remote calls)", offline), field("API key (OS keychain)", key), saveLlm, el("p", { class: "outcome", "aria-live": "polite" }));
    blocks.push(llm);

    const desk = el("section", { "data-section": "desktop" });
    desk.append(el("h2", {}, "Hotkey, capture and start-up"));
    const hotkey = el("input", { name: "hotkey", value: v.desktop.hotkey, placeholder: "Ctrl+Shift+O" });
    const hkOn = checkbox("hotkey_enabled", v.desktop.hotkey_enabled);
    const login = checkbox("launch_at_login", v.desktop.launch_at_login);
    const exclude = el("textarea", { name: "capture_exclude", rows: "4" });
    exclude.value = v.desktop.capture_exclude.join("\n");
    const saveDesk = el("button", { type: "button", name: "save" }, "Save");
    saveDesk.addEventListener("click", () =>
      this.save(desk, { hotkey: hotkey.value, hotkey_enabled: hkOn.checked, launch_at_login: login.checked, capture_exclude: exclude.value.split("\n").map((s) => s.trim()).filter(Boolean) }),
    );
    desk.append(field("Hotkey", hotkey), field("Hotkey on", hkOn), field("Start Chief when I log in", login), field("Never capture windows named (one per line)", exclude), saveDesk, el("p", { class: "outcome", "aria-live": "polite" }));
    blocks.push(desk);

    const note = el("section", { "data-section": "notifications" });
    note.append(el("h2", {}, "Notifications"));
    const on = checkbox("notifications", v.desktop.notifications);
    const priv = checkbox("private_notifications", v.desktop.private_notifications);
    const quiet = el("input", { name: "quiet_hours", value: v.notifications.quiet_hours, placeholder: "22:00-08:00 (UTC; empty: none)" });
    const cap = el("input", { name: "per_hour", type: "number", min: "1", max: "60", value: String(v.notifications.per_hour) });
    const briefAt = el("input", { name: "briefing_at", value: v.notifications.briefing_at, placeholder: "an hour before you usually start" });
    const kinds = KINDS.map(([k, label]) => [k, label, checkbox(`kind-${k}`, v.notifications.kinds.includes(k))] as const);
    const saveNote = el("button", { type: "button", name: "save" }, "Save");
    saveNote.addEventListener("click", () => {
      const perHour = Number(cap.value);
      if (!Number.isInteger(perHour) || perHour < 1) {
        const out = note.querySelector<HTMLElement>(".outcome")!;
        out.className = "outcome error";
        out.textContent = "Notifications per hour: a whole number, 1 or more.";
        return;
      }
      void this.save(note, {
        notifications: on.checked,
        private_notifications: priv.checked,
        quiet_hours: quiet.value.trim(),
        notifications_per_hour: perHour,
        notify: kinds.filter(([, , c]) => c.checked).map(([k]) => k),
        briefing_at: briefAt.value.trim(),
      });
    });
    note.append(
      field("Show notifications", on),
      field("Private (the kind only, never message text)", priv),
      field("Quiet hours", quiet),
      field("At most per hour", cap),
      field("Prepare the briefing at (UTC)", briefAt),
      ...kinds.map(([, label, c]) => field(label, c)),
      saveNote,
      el("p", { class: "outcome", "aria-live": "polite" }),
    );
    blocks.push(note);

    this.root.replaceChildren(...blocks);
  }
}

const root = document.getElementById("app");
if (root) void new SettingsPage(root, settingsBackend()).load();
