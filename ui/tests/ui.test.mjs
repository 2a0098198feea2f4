// UI tests: the popup page in headless Chromium (Debian's) against a mock backend.
// Render, keyboard navigation, opening an item, hiding, the error state, and light /
// dark screenshots (written to $UI_SHOTS or /tmp, and checked to differ).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { serveDist } from "./serve.mjs";
import { chromium } from "playwright-core";

const SHOTS = process.env.UI_SHOTS ?? "/tmp/chief-ui-shots";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
let server, browser, base;

const CONTEXT = {
  text: "PAY-142", mode: "bm25", took_ms: 3.2,
  entities: [{ kind: "ticket", value: "PAY-142", label: "Checkout 502s", item_id: "jira:10141", url: "https://kestrel.atlassian.net/browse/PAY-142" }],
  groups: [
    { kind: "threads", label: "Slack threads", items: [
      { id: "slack:C03:1.1", source: "slack", kind: "message", container: "#incidents", title: "checkout is throwing 502s", snippet: "", url: "https://kestrel.slack.com/archives/C03/p11", author: "Tom Becker", ts: "2026-11-24T09:02:00Z", matched: ["ref"], parent: null },
      { id: "slack:C04:2.2", source: "slack", kind: "message", container: "#payments-eng", title: "pool exhausted by the refund worker", snippet: "", url: "https://kestrel.slack.com/archives/C04/p22", author: "Aisha Okafor", ts: "2026-11-24T09:20:00Z", matched: ["bm25"], parent: null },
    ] },
    { kind: "tickets", label: "Tickets", items: [
      { id: "jira:10141", source: "jira", kind: "issue", container: "PAY: Payments", title: "PAY-142: Checkout 502s", snippet: "", url: "https://kestrel.atlassian.net/browse/PAY-142", author: "Tom Becker", ts: "2026-11-24T09:37:00Z", matched: ["id"], parent: null },
    ] },
    { kind: "code", label: "Pull requests & issues", items: [
      { id: "github:kestrel/payments-api#87", source: "github", kind: "pull_request", container: "kestrel/payments-api", title: "Release DB connections on retry", snippet: "", url: "https://github.com/kestrel/payments-api/pull/87", author: "tbecker", ts: "2026-11-24T11:00:00Z", matched: ["ref", "fact"], parent: null, reason: "Aisha Okafor approved kestrel/payments-api#87: <b>Release</b> DB connections on retry" },
    ] },
  ],
};

// A mock backend, installed before the page's module runs.
function mockScript(fail, context = CONTEXT) {
  return `window.__calls = { context: [], open: [], hide: 0 };
  window.__CHIEF_MOCK__ = {
    async context(text) { window.__calls.context.push(text); ${fail ? `throw ${JSON.stringify(fail)};` : `return { ...${JSON.stringify(context)}, text };`} },
    async open(url) { window.__calls.open.push(url); },
    async hide() { window.__calls.hide += 1; },
    onShow(cb) { window.__summon = (text, source = "selection") => cb({ text, source, pressed_ms: Date.now() }); },
    async rendered() {},
    onExplainSentence(cb) { window.__sentence = cb; },
    // The explanation: the test streams sentences with window.__sentence and ends it
    // with window.__finish(explanation) or window.__fail(error).
    explain(text, lookup) {
      window.__calls.explain = (window.__calls.explain ?? []).concat([[text, lookup]]);
      return new Promise((resolve, reject) => { window.__finish = resolve; window.__fail = reject; });
    },
  };`;
}

before(async () => {
  server = await serveDist();
  base = `${server.base}/popup.html`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  await mkdir(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function open(fail, scheme = "light") {
  const page = await browser.newPage({ viewport: { width: 560, height: 420 }, colorScheme: scheme });
  await page.addInitScript(mockScript(fail));
  await page.goto(base);
  await page.evaluate(() => window.__summon("PAY-142"));
  return page;
}

test("a capture skipped for privacy says why, and reads nothing", async () => {
  const page = await browser.newPage({ viewport: { width: 560, height: 420 } });
  await page.addInitScript(mockScript());
  await page.goto(base);
  await page.evaluate(() => window.__summon("", "unknown_window"));
  await page.waitForFunction(() => /could not tell which window/.test(document.querySelector(".status").textContent));
  await page.evaluate(() => window.__summon("", "excluded"));
  await page.waitForFunction(() => /exclusion list/.test(document.querySelector(".status").textContent));
  assert.deepEqual(await page.evaluate(() => window.__calls.context), [], "nothing looked up");
  await page.close();
});

test("synced text that looks like HTML renders as text, never as markup", async () => {
  const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  const item = { ...CONTEXT.groups[0].items[0], title: evil, author: evil, container: evil };
  const context = { ...CONTEXT, groups: [{ kind: "threads", label: "Slack threads", items: [item] }] };
  const page = await browser.newPage({ viewport: { width: 560, height: 420 } });
  await page.addInitScript(mockScript(undefined, context));
  await page.goto(base);
  await page.evaluate(() => window.__summon("PAY-142"));
  await page.waitForSelector(".item");
  assert.equal(await page.textContent(".item .title"), evil);
  assert.equal(await page.locator(".item img, .item script").count(), 0);
  await page.waitForTimeout(100);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.close();
});

test("the explanation streams in under the rows; a citation outlines its row", async () => {
  const page = await open();
  await page.waitForSelector(".item");
  await page.waitForFunction(() => window.__calls.explain?.length === 1);
  assert.match(await page.textContent(".explain-status"), /Explaining/);
  const lookup = await page.evaluate(() => window.__calls.explain[0][1]);
  // The first sentence shows before the explanation is finished.
  await page.evaluate((l) => window.__sentence(l, { text: "PAY-142 is the checkout outage ticket.", sources: ["jira:10141"] }), lookup);
  await page.waitForSelector(".sentence");
  assert.equal(await page.locator(".sentence").count(), 1);
  assert.match(await page.textContent(".explain-status"), /Explaining/);
  // A sentence of an older lookup is ignored.
  await page.evaluate((l) => window.__sentence(l - 1, { text: "stale", sources: [] }), lookup);
  await page.evaluate((l) => window.__sentence(l, { text: "The pool fix shipped in #87.", sources: ["github:kestrel/payments-api#87", "slack:C04:2.2"] }), lookup);
  await page.waitForFunction(() => document.querySelectorAll(".sentence").length === 2);
  assert.ok(!(await page.textContent(".sentences")).includes("stale"));
  // Chips number the rows they cite; hovering one outlines that row, a click selects it.
  assert.deepEqual(await page.$$eval(".cite", (cs) => cs.map((c) => c.textContent)), ["3", "4", "2"]);
  await page.hover('.cite[data-id="github:kestrel/payments-api#87"]');
  assert.deepEqual(await page.$$eval(".item.cited", (rs) => rs.map((r) => r.dataset.id)), ["github:kestrel/payments-api#87"]);
  await page.click('.cite[data-id="slack:C04:2.2"]');
  assert.equal(await page.getAttribute(".item.selected", "data-id"), "slack:C04:2.2");
  await page.evaluate(() => window.__finish({ sentences: [], by: "llm", model: "local/smollm2", first_sentence_ms: 900 }));
  await page.waitForFunction(() => /written by local\/smollm2/.test(document.querySelector(".explain-status").textContent));
  await page.close();
});

test("an error mid-explanation shows in place and keeps what arrived", async () => {
  const page = await open();
  await page.waitForFunction(() => window.__calls.explain?.length === 1);
  const lookup = await page.evaluate(() => window.__calls.explain[0][1]);
  await page.evaluate((l) => window.__sentence(l, { text: "PAY-142 is the checkout outage ticket.", sources: ["jira:10141"] }), lookup);
  await page.waitForSelector(".sentence");
  await page.evaluate(() => window.__fail({ code: "llm", message: "the model stopped mid-answer; try again" }));
  await page.waitForSelector(".explain-error");
  assert.equal(await page.textContent(".explain-error"), "the model stopped mid-answer; try again");
  assert.equal(await page.locator(".sentence").count(), 1);
  assert.equal(await page.locator(".item").count(), 4, "the related rows stay");
  await page.close();
});

test("an offline explanation given whole is shown whole", async () => {
  const page = await open();
  await page.waitForFunction(() => window.__calls.explain?.length === 1);
  await page.evaluate(() => window.__finish({ by: "extractive", sentences: [
    { text: "PAY-142: Checkout 502s.", sources: ["jira:10141"] },
    { text: "It reads as an incident.", sources: ["jira:10141"] },
  ] }));
  await page.waitForFunction(() => document.querySelectorAll(".sentence").length === 2);
  assert.match(await page.textContent(".explain-status"), /extractive, on this machine/);
  await page.close();
});

test("renders the captured text, entities and grouped results", async () => {
  const page = await open();
  await page.waitForSelector(".item");
  assert.equal(await page.inputValue(".query"), "PAY-142");
  assert.deepEqual(await page.$$eval(".group h2", (hs) => hs.map((h) => h.textContent)), ["Slack threads", "Tickets", "Pull requests & issues"]);
  assert.equal(await page.locator(".item").count(), 4);
  assert.equal(await page.textContent(".entity.ticket"), "PAY-142");
  assert.match(await page.textContent(".item .meta"), /#incidents · Tom Becker · 2026-11-24 09:02/);
  assert.match(await page.textContent(".status"), /4 related/);
  // A row found through a proposition says which, as text; the others say nothing more.
  assert.equal(await page.locator(".item .reason").count(), 1);
  assert.equal(
    await page.textContent('.item[data-id="github:kestrel/payments-api#87"] .reason'),
    "↳ Aisha Okafor approved kestrel/payments-api#87: <b>Release</b> DB connections on retry",
  );
  assert.equal(await page.locator(".item .reason b").count(), 0);
  await page.close();
});

test("arrow keys move the selection, Enter opens the item, Esc hides", async () => {
  const page = await open();
  await page.waitForSelector(".item");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowUp");
  assert.equal(await page.getAttribute(".item.selected", "data-id"), "slack:C04:2.2");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Escape");
  const calls = await page.evaluate(() => window.__calls);
  assert.deepEqual(calls.open, ["https://kestrel.slack.com/archives/C04/p22"]);
  assert.equal(calls.hide, 1);
  await page.close();
});

test("typing in the box and Enter looks the new text up", async () => {
  const page = await open();
  await page.waitForSelector(".item");
  await page.fill(".query", "refund worker");
  await page.press(".query", "Enter");
  await page.waitForFunction(() => window.__calls.context.length === 2);
  assert.deepEqual(await page.evaluate(() => window.__calls.context), ["PAY-142", "refund worker"]);
  await page.close();
});

test("an engine error shows its message and code", async () => {
  const page = await open({ code: "store", message: "cannot open the store: disk full" });
  await page.waitForSelector(".error");
  assert.equal(await page.textContent(".error"), "cannot open the store: disk full");
  assert.equal(await page.getAttribute(".error", "data-code"), "store");
  await page.close();
});

test("light and dark themes render differently (screenshots)", async () => {
  const shots = {};
  for (const scheme of ["light", "dark"]) {
    const page = await open(undefined, scheme);
    await page.waitForSelector(".item");
    shots[scheme] = await page.screenshot();
    await writeFile(join(SHOTS, `popup-${scheme}.png`), shots[scheme]);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, scheme === "light" ? "rgb(255, 255, 255)" : "rgb(27, 31, 36)");
    await page.close();
  }
  assert.ok(shots.light.length > 5000 && !shots.light.equals(shots.dark));
  console.log(`screenshots: ${SHOTS}/popup-light.png, popup-dark.png`);
});
