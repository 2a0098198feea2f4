// The briefing window: today's three stories — title, summary, why it matters to you,
// sources (a click opens the item in the popup, ↗ opens its link) — thumbs up or down
// with an optional reason, earlier briefings by date, and what it was prepared from.

import { briefingBackend, type Briefing, type IBriefingBackend, type Story, type UiError } from "./backend";
import { el } from "./dom";

function at(ts: string): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

export class BriefingPage {
  private history: Briefing[] = [];
  private dates: HTMLSelectElement;
  private body: HTMLElement;
  private status: HTMLElement;

  constructor(private root: HTMLElement, private api: IBriefingBackend) {
    root.replaceChildren();
    const head = el("header", "briefing-head");
    head.append(el("h1", undefined, "Your briefing"));
    this.dates = el("select", "dates");
    this.dates.setAttribute("aria-label", "Earlier briefings");
    this.dates.addEventListener("change", () => {
      const b = this.history.find((x) => String(x.run_id) === this.dates.value);
      if (b) this.render(b);
    });
    head.append(this.dates);
    this.status = el("p", "note");
    this.body = el("div", "stories");
    root.append(head, this.status, this.body);
    void this.load();
  }

  /** The newest stored briefing at once; today's prepared if the newest is older. */
  private async load() {
    try {
      this.history = await this.api.briefings(30);
      this.fillDates();
      const today = new Date().toISOString().slice(0, 10);
      if (this.history[0]) this.render(this.history[0]);
      if (this.history[0]?.date !== today) {
        this.status.textContent = "Preparing today's briefing…";
        const b = await this.api.today();
        this.history = [b, ...this.history.filter((x) => x.run_id !== b.run_id)];
        this.fillDates();
        this.render(b);
      }
    } catch (err) {
      const e = err as UiError;
      this.status.textContent = "";
      const box = el("div", "error", e.message ?? String(err));
      box.dataset.code = e.code ?? "error";
      this.body.replaceChildren(box);
    }
  }

  private fillDates() {
    this.dates.replaceChildren(
      ...this.history.map((b) => {
        const o = el("option", undefined, `${b.date} · ${b.stories.length} stories`);
        o.value = String(b.run_id);
        return o;
      }),
    );
  }

  render(b: Briefing) {
    this.dates.value = String(b.run_id);
    this.status.textContent = `Prepared at ${at(b.prepared_at)} from ${b.items} items (${b.discussions} discussions).`;
    if (!b.stories.length) {
      this.body.replaceChildren(el("p", "note", "Nothing needs you today."));
      return;
    }
    this.body.replaceChildren(...b.stories.map((s, i) => this.story(s, i)));
  }

  private story(s: Story, i: number): HTMLElement {
    const card = el("section", "story");
    card.dataset.id = s.id;
    card.append(el("h2", undefined, `${i + 1}. ${s.title}`), el("p", "summary", s.summary));
    if (s.why) card.append(el("p", "why", s.why));
    const sources = el("ul", "sources");
    for (const src of s.sources) {
      const li = el("li");
      const open = el("button", "link source", `${src.source}: ${src.title || src.id}`);
      open.type = "button";
      open.dataset.id = src.id;
      open.title = "Open in the popup";
      open.addEventListener("click", () => void this.api.showInPopup(src.id));
      li.append(open);
      if (src.url) {
        const link = el("button", "link url", "↗");
        link.type = "button";
        link.title = src.url;
        link.setAttribute("aria-label", `Open ${src.url}`);
        link.addEventListener("click", () => void this.api.open(src.url ?? ""));
        li.append(" ", link);
      }
      sources.append(li);
    }
    card.append(sources);
    card.append(this.rating(s));
    return card;
  }

  /** More / less like this, with an optional reason; the outcome says what it moves. */
  private rating(s: Story): HTMLElement {
    const row = el("div", "rate");
    const reason = el("input", "reason");
    reason.placeholder = "Why? (optional)";
    reason.setAttribute("aria-label", "Reason");
    const outcome = el("span", "outcome");
    const vote = (up: boolean) => async () => {
      try {
        const r = await this.api.rate(s.id, up, reason.value.trim());
        outcome.className = "outcome";
        outcome.textContent = `${up ? "More" : "Less"} like this: ${r.interests.slice(0, 3).join(", ") || "this story"}.`;
      } catch (err) {
        outcome.className = "outcome error";
        outcome.textContent = (err as UiError).message ?? String(err);
      }
    };
    const up = el("button", "up", "▲ More");
    up.type = "button";
    up.setAttribute("aria-label", "More like this");
    up.addEventListener("click", vote(true));
    const down = el("button", "down", "▼ Less");
    down.type = "button";
    down.setAttribute("aria-label", "Less like this");
    down.addEventListener("click", vote(false));
    row.append(up, down, reason, outcome);
    return row;
  }
}

const root = document.getElementById("app");
if (root) new BriefingPage(root, briefingBackend());
