// UI tests: the briefing window in headless Chromium against a mock backend: today's
// stories render with their sources, a stale stored briefing is replaced by today's,
// rating a story (with a reason), earlier briefings by date, a source opened in the
// popup or by its link, and an error that says what to do.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { serveDist } from "./serve.mjs";

const SHOTS = process.env.UI_SHOTS ?? "/tmp/chief-ui-shots";
let browser, server;

const story = (n, title) => ({
  id: `story-${n}`, title, summary: `Summary of ${title}.`, why: `You are on call for ${title}.`, score: 1,
  sentences: [{ text: `Summary of ${title}.`, sources: [`jira:${n}`] }],
  sources: [
    { id: `jira:${n}`, source: "jira", url: `https://example.atlassian.net/browse/OPS-${n}`, title: `OPS-${n}: ${title}` },
    { id: `slack:C1:${n}.0001`, source: "slack", url: null, title: "" },
  ],
});
const today = new Date().toISOString().slice(0, 10);
const OLD = { date: "2026-11-20", user: "Ana", run_id: 3, prepared_at: "2026-11-20T07:00:00Z", items: 40, discussions: 12,
  stories: [story(9, "Last week's release")] };
const TODAY = { date: today, user: "Ana", run_id: 7, prepared_at: `${today}T07:00:00Z`, items: 120, discussions: 31,
  stories: [story(1, "Checkout outage"), story(2, "Review asked of you"), story(3, "Hiring plan due")] };

function mock({ stored = [OLD], fail = null } = {}) {
  return `window.__calls = { today: 0, rate: [], popup: [], open: [] };
  window.__CHIEF_BRIEFING_MOCK__ = {
    async briefings() { return ${JSON.stringify(stored)}; },
    async today() { window.__calls.today += 1; ${fail ? `throw ${JSON.stringify(fail)};` : `return ${JSON.stringify(TODAY)};`} },
    async rate(story, up, reason) { window.__calls.rate.push([story, up, reason]); return { id: 1, story, title: "", vote: up ? 1 : -1, interests: ["container:#payments", "topic:checkout"] }; },
    async showInPopup(id) { window.__calls.popup.push(id); },
    async open(url) { window.__calls.open.push(url); },
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

async function open(opts) {
  const page = await browser.newPage({ viewport: { width: 720, height: 900 } });
  await page.addInitScript(mock(opts));
  await page.goto(`${server.base}/briefing.html`);
  return page;
}

test("a stale stored briefing is replaced by today's three stories, with sources", async () => {
  const page = await open();
  await page.waitForFunction(() => document.querySelectorAll(".story").length === 3);
  assert.equal(await page.evaluate(() => window.__calls.today), 1, "today's briefing was prepared");
  assert.deepEqual(await page.$$eval(".story h2", (hs) => hs.map((h) => h.textContent)), [
    "1. Checkout outage", "2. Review asked of you", "3. Hiring plan due",
  ]);
  assert.match(await page.textContent(".note"), /from 120 items \(31 discussions\)/);
  assert.equal(await page.textContent(".story .why"), "You are on call for Checkout outage.");
  // A source opens in the popup; ↗ opens its link; a source without a link has no ↗.
  await page.click('.story[data-id="story-1"] .source[data-id="jira:1"]');
  await page.click('.story[data-id="story-1"] .url');
  assert.equal(await page.locator('.story[data-id="story-1"] .url').count(), 1);
  const calls = await page.evaluate(() => window.__calls);
  assert.deepEqual(calls.popup, ["jira:1"]);
  assert.deepEqual(calls.open, ["https://example.atlassian.net/browse/OPS-1"]);
  await writeFile(join(SHOTS, "briefing.png"), await page.screenshot());
  await page.close();
});

test("today's stored briefing is shown without preparing another", async () => {
  const page = await open({ stored: [TODAY, OLD] });
  await page.waitForFunction(() => document.querySelectorAll(".story").length === 3);
  assert.equal(await page.evaluate(() => window.__calls.today), 0);
  await page.close();
});

test("rating a story sends the vote and the reason and says what it moves", async () => {
  const page = await open({ stored: [TODAY] });
  await page.waitForSelector('.story[data-id="story-2"]');
  await page.fill('.story[data-id="story-2"] .reason', "not my team");
  await page.click('.story[data-id="story-2"] .down');
  await page.waitForFunction(() => document.querySelector('.story[data-id="story-2"] .outcome').textContent.length > 0);
  assert.match(await page.textContent('.story[data-id="story-2"] .outcome'), /Less like this: container:#payments/);
  await page.click('.story[data-id="story-1"] .up');
  assert.deepEqual(await page.evaluate(() => window.__calls.rate), [["story-2", false, "not my team"], ["story-1", true, ""]]);
  await page.close();
});

test("earlier briefings are listed by date and shown when picked", async () => {
  const page = await open({ stored: [TODAY, OLD] });
  await page.waitForFunction(() => document.querySelectorAll(".dates option").length === 2);
  await page.selectOption(".dates", "3");
  await page.waitForFunction(() => document.querySelectorAll(".story").length === 1);
  assert.equal(await page.textContent(".story h2"), "1. Last week's release");
  assert.match(await page.textContent(".note"), /from 40 items/);
  await page.close();
});

test("an error preparing the briefing says what to do", async () => {
  const page = await open({ stored: [], fail: { code: "invalid_input", message: "Chief does not know who you are yet: run `chief whoami`" } });
  await page.waitForSelector(".error");
  assert.match(await page.textContent(".error"), /chief whoami/);
  await page.close();
});
