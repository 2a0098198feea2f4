// UI tests: the settings page in headless Chromium against a mock backend: status
// lines, connecting a source, validation, saving a patch, and a taken hotkey.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { serveDist } from "./serve.mjs";

const SHOTS = process.env.UI_SHOTS ?? "/tmp/chief-ui-shots";
let browser, server;

const SETTINGS = {
  sources: [
    { name: "slack", enabled: true, connected: true, keep_days: 90, live: false, state: "paused", message: "Slack rejected the token (token_revoked); reconnect with `chief connect slack`", account: "T01KESTREL", last_success: "2026-11-25T17:58:00Z", api_base: "https://slack.com/api", email: "", projects: [], client_id: "", calendars: [] },
    { name: "github", enabled: false, connected: false, keep_days: 0, live: false, state: "never", message: "", account: "", last_success: null, api_base: "https://api.github.com", email: "", projects: [], client_id: "", calendars: [] },
    { name: "jira", enabled: false, connected: false, keep_days: 0, live: false, state: "never", message: "", account: "", last_success: null, api_base: "", email: "", projects: ["ENG"], client_id: "", calendars: [] },
    { name: "google", enabled: true, connected: false, keep_days: 0, live: false, state: "paused", message: "Google refused the stored grant (invalid_grant); reconnect with `chief connect google`", account: "maya@acme.example", last_success: null, api_base: "https://www.googleapis.com", email: "", projects: [], client_id: "", calendars: ["maya@acme.example"] },
  ],
  llm: { provider: "openai", model: "gpt-4o-mini", base_url: "", offline: false, key_stored: true },
  desktop: { hotkey: "", hotkey_enabled: true, capture_exclude: ["1Password", "KeePassXC"], launch_at_login: false, notifications: true, private_notifications: false },
  notifications: { quiet_hours: "22:00-08:00", per_hour: 4, kinds: ["question_to_me", "review_requested", "assigned_to_me", "incident", "meeting_soon"], briefing_at: "" },
  notes: [],
};

function mock() {
  return `window.__calls = { update: [], connect: [], key: [] };
  const S = ${JSON.stringify(SETTINGS)};
  window.__CHIEF_SETTINGS_MOCK__ = {
    async settings() { return S; },
    async update(p) {
      window.__calls.update.push(p);
      if (p.hotkey === "Ctrl+Alt+Delete") throw { code: "hotkey", message: "Ctrl+Alt+Delete is taken by another app or not a valid shortcut; try another, e.g. Ctrl+Alt+O" };
      return S;
    },
    async connect(source, token, target) {
      window.__calls.connect.push([source, token, target ?? null]);
      if (token === "bad") throw { code: "sync", message: "GitHub rejected the token (HTTP 401); reconnect with chief connect github" };
      return { source, identity: "mayachen", granted: ["repo"], missing: ["read:org"], stored: "keychain" };
    },
    async connectGoogle(id, secret) {
      window.__calls.connect.push(["google", id, secret]);
      return { source: "google", identity: "maya@acme.example (calendars: Maya, Team)", granted: [], missing: [], stored: "keychain" };
    },
    async setLlmKey(k) { window.__calls.key.push(k); },
    async slackManifest() { return "oauth_config:\\n  scopes:\\n    user:\\n      - channels:history\\n"; },
  };`;
}

before(async () => {
  server = await serveDist();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
  await mkdir(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  server?.close();
});

async function open() {
  const page = await browser.newPage({ viewport: { width: 680, height: 900 } });
  await page.addInitScript(mock());
  await page.goto(`${server.base}/settings.html`);
  await page.waitForSelector("section[data-section=llm]");
  return page;
}

const sec = (name) => `section[data-section="${name}"]`;

test("shows each source's connection, status, account and last sync", async () => {
  const page = await open();
  assert.match(await page.textContent(`${sec("source-slack")} .status-line`), /Connected · paused: reconnect · T01KESTREL · last sync 2026-11-25 17:58/);
  assert.match(await page.textContent(`${sec("source-slack")} .note`), /token_revoked/);
  assert.match(await page.textContent(`${sec("source-github")} .status-line`), /Not connected · not synced yet/);
  assert.equal(await page.inputValue(`${sec("desktop")} textarea`), "1Password\nKeePassXC");
  assert.equal(await page.inputValue(`${sec("llm")} select`), "openai");
  await page.click(`${sec("source-slack")} button[name=manifest]`);
  assert.match(await page.textContent(".manifest"), /channels:history/);
  await writeFile(join(SHOTS, "settings.png"), await page.screenshot({ fullPage: true }));
  await page.close();
});

test("connecting checks the token, reports missing scopes, and shows rejections", async () => {
  const page = await open();
  await page.fill(`${sec("source-github")} input[name=token]`, "ghp_abc");
  await page.click(`${sec("source-github")} button[name=connect]`);
  await page.waitForFunction(() => document.querySelector('section[data-section="source-github"] .outcome').textContent.includes("mayachen"));
  assert.match(await page.textContent(`${sec("source-github")} .outcome`), /Token works for mayachen; stored in the keychain. Missing scopes: read:org./);
  assert.equal(await page.inputValue(`${sec("source-github")} input[name=token]`), "", "the token leaves the page");
  await page.fill(`${sec("source-github")} input[name=token]`, "bad");
  await page.click(`${sec("source-github")} button[name=connect]`);
  await page.waitForSelector(`${sec("source-github")} .outcome.error`);
  assert.match(await page.textContent(`${sec("source-github")} .outcome`), /HTTP 401/);
  await page.close();
});

test("Jira connects with its site and email, and saves its projects", async () => {
  const page = await open();
  const jira = sec("source-jira");
  assert.match(await page.textContent(`${jira} h2`), /Jira/);
  assert.equal(await page.inputValue(`${jira} input[name=projects]`), "ENG");
  // Without a site the token is not sent anywhere.
  await page.fill(`${jira} input[name=token]`, "atl-token");
  await page.click(`${jira} button[name=connect]`);
  await page.waitForSelector(`${jira} .outcome.error`);
  assert.match(await page.textContent(`${jira} .outcome`), /your-site\.atlassian\.net/);
  assert.equal((await page.evaluate(() => window.__calls.connect)).length, 0);
  await page.fill(`${jira} input[name=site]`, "https://acme.atlassian.net");
  await page.fill(`${jira} input[name=email]`, "maya@acme.example");
  await page.click(`${jira} button[name=connect]`);
  await page.waitForFunction(() => window.__calls.connect.length === 1);
  assert.deepEqual(await page.evaluate(() => window.__calls.connect[0]), ["jira", "atl-token", { api_base: "https://acme.atlassian.net", email: "maya@acme.example" }]);
  // Project keys: checked, upper-cased, saved as a list.
  await page.fill(`${jira} input[name=projects]`, "eng, PAY) OR x");
  await page.click(`${jira} button[name=save]`);
  assert.match(await page.textContent(`${jira} .outcome`), /Project keys/);
  await page.fill(`${jira} input[name=projects]`, "eng, pay_2");
  await page.click(`${jira} button[name=save]`);
  await page.waitForFunction(() => window.__calls.update.length === 1);
  assert.deepEqual(await page.evaluate(() => window.__calls.update[0]), { source: { name: "jira", enabled: false, keep_days: 0, projects: ["ENG", "PAY_2"] } });
  await page.close();
});

test("Google connects in the browser with its OAuth client, says when it is paused, and saves calendars", async () => {
  const page = await open();
  const google = sec("source-google");
  assert.match(await page.textContent(`${google} .note`), /invalid_grant/);
  assert.equal(await page.locator(`${google} input[name=token]`).count(), 0, "no token to paste");
  await page.click(`${google} button[name=connect]`);
  await page.waitForSelector(`${google} .outcome.error`);
  assert.match(await page.textContent(`${google} .outcome`), /OAuth client id/);
  await page.fill(`${google} input[name=client_id]`, "123.apps.googleusercontent.com");
  await page.fill(`${google} input[name=client_secret]`, "GOCSPX-x");
  await page.click(`${google} button[name=connect]`);
  await page.waitForFunction(() => document.querySelector('section[data-section="source-google"] .outcome').textContent.includes("Connected"));
  assert.deepEqual(await page.evaluate(() => window.__calls.connect[0]), ["google", "123.apps.googleusercontent.com", "GOCSPX-x"]);
  assert.equal(await page.inputValue(`${google} input[name=client_secret]`), "", "the secret leaves the page");
  assert.equal(await page.inputValue(`${google} textarea[name=calendars]`), "maya@acme.example");
  await page.fill(`${google} textarea[name=calendars]`, "maya@acme.example\n team#shared@group.calendar.google.com \n");
  await page.click(`${google} button[name=save]`);
  await page.waitForFunction(() => window.__calls.update.length === 1);
  assert.deepEqual(await page.evaluate(() => window.__calls.update[0]), { source: { name: "google", enabled: true, keep_days: 0, calendars: ["maya@acme.example", "team#shared@group.calendar.google.com"] } });
  await page.close();
});

test("retention is validated, and a valid edit is saved as a patch", async () => {
  const page = await open();
  await page.fill(`${sec("source-slack")} input[name=keep_days]`, "-3");
  await page.click(`${sec("source-slack")} button[name=save]`);
  assert.match(await page.textContent(`${sec("source-slack")} .outcome`), /whole number/);
  assert.equal((await page.evaluate(() => window.__calls.update)).length, 0);
  await page.fill(`${sec("source-slack")} input[name=keep_days]`, "30");
  await page.check(`${sec("source-slack")} input[name=live]`);
  await page.click(`${sec("source-slack")} button[name=save]`);
  await page.waitForFunction(() => window.__calls.update.length === 1);
  assert.deepEqual(await page.evaluate(() => window.__calls.update[0]), { source: { name: "slack", enabled: true, keep_days: 30, live: true } });
  await page.waitForFunction(() => document.querySelector('section[data-section="source-slack"] .outcome').textContent === "Saved.");
  await page.close();
});

test("a taken hotkey is reported in its section", async () => {
  const page = await open();
  await page.fill(`${sec("desktop")} input[name=hotkey]`, "Ctrl+Alt+Delete");
  await page.click(`${sec("desktop")} button[name=save]`);
  await page.waitForSelector(`${sec("desktop")} .outcome.error`);
  assert.equal(await page.getAttribute(`${sec("desktop")} .outcome`, "data-code"), "hotkey");
  assert.deepEqual(await page.evaluate(() => window.__calls.update.at(-1)), { hotkey: "Ctrl+Alt+Delete", hotkey_enabled: true, launch_at_login: false, capture_exclude: ["1Password", "KeePassXC"] });
  assert.match(await page.textContent(`${sec("desktop")} .outcome`), /taken by another app/);
  await page.close();
});

test("the LLM key goes to the keychain call, not the settings patch", async () => {
  const page = await open();
  await page.selectOption(`${sec("llm")} select`, "anthropic");
  await page.fill(`${sec("llm")} input[name=key]`, "sk-secret");
  await page.click(`${sec("llm")} button[name=save]`);
  await page.waitForFunction(() => window.__calls.key.length === 1);
  const calls = await page.evaluate(() => window.__calls);
  assert.equal(calls.update[0].llm_provider, "anthropic");
  assert.ok(!JSON.stringify(calls.update).includes("sk-secret"));
  assert.deepEqual(calls.key, ["sk-secret"]);
  await page.close();
});

test("notification settings: private, quiet hours, the cap and the kinds are saved as one patch", async () => {
  const page = await open();
  const sec = 'section[data-section="notifications"]';
  await page.waitForSelector(sec);
  assert.equal(await page.inputValue(`${sec} input[name=quiet_hours]`), "22:00-08:00");
  await page.check(`${sec} input[name=private_notifications]`);
  await page.fill(`${sec} input[name=quiet_hours]`, "21:00-07:30");
  await page.fill(`${sec} input[name=per_hour]`, "2");
  await page.uncheck(`${sec} input[name=kind-incident]`);
  await page.fill(`${sec} input[name=briefing_at]`, "07:30");
  await page.click(`${sec} button[name=save]`);
  await page.waitForFunction(() => window.__calls.update.length === 1);
  assert.deepEqual(await page.evaluate(() => window.__calls.update[0]), {
    notifications: true, private_notifications: true, quiet_hours: "21:00-07:30", notifications_per_hour: 2,
    notify: ["question_to_me", "review_requested", "assigned_to_me", "meeting_soon"], briefing_at: "07:30",
  });
  // A cap that is not a whole number is refused in place, and nothing is saved.
  await page.fill(`${sec} input[name=per_hour]`, "0");
  await page.click(`${sec} button[name=save]`);
  await page.waitForSelector(`${sec} .outcome.error`);
  assert.match(await page.textContent(`${sec} .outcome`), /whole number/);
  assert.equal(await page.evaluate(() => window.__calls.update.length), 1);
  await page.close();
});
