// The context popup: the captured text (editable), what it names, and the related
// items grouped by kind. Keyboard first: ↑/↓ move, Enter opens, Esc hides, typing in
// the box and Enter looks the new text up.

import { backend, type Context, type Explanation, type IBackend, type Item, type Sentence, type UiError } from "./backend";
import { el } from "./dom";

// Source badges: a letter on the source's colour (fonts on every desktop have these).
const ICON: Record<string, string> = { slack: "S", github: "G", jira: "J", google: "C", local: "L" };

// Why nothing was read from the screen, when the capture chose not to.
const SKIPPED: Record<string, string> = {
  excluded: "The focused window is on your exclusion list, so nothing was read from it. Type what to look up.",
  unknown_window:
    "Chief could not tell which window had focus, so it read nothing (your exclusion list is on). Type what to look up.",
};

function when(ts: string): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toISOString().slice(0, 16).replace("T", " ");
}

export class Popup {
  private items: Item[] = [];
  private selected = -1;
  private query: HTMLInputElement;
  private list: HTMLElement;
  private entities: HTMLElement;
  private status: HTMLElement;
  private explanation: HTMLElement;
  private sentences: HTMLElement;
  private seq = 0;

  constructor(private root: HTMLElement, private api: IBackend) {
    root.replaceChildren();
    this.query = el("input", "query");
    this.query.type = "search";
    this.query.placeholder = "Select text anywhere and press the hotkey, or type here";
    this.query.setAttribute("aria-label", "Text to look up");
    this.entities = el("div", "entities");
    this.list = el("div", "results");
    this.list.setAttribute("role", "listbox");
    this.status = el("div", "status");
    // The explanation streams in under the related items; the lookup never waits for it.
    this.explanation = el("section", "explanation");
    this.explanation.setAttribute("aria-live", "polite");
    this.explanation.hidden = true;
    this.sentences = el("div", "sentences");
    root.append(this.query, this.entities, this.list, this.explanation, this.status);
    api.onExplainSentence((lookup, s) => {
      if (lookup === this.seq) this.addSentence(s);
    });
    this.query.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && this.selected < 0) {
        e.preventDefault();
        void this.lookup(this.query.value, 0);
      }
    });
    document.addEventListener("keydown", (e) => this.key(e));
    api.onShow((s) => {
      this.query.value = s.text;
      void this.lookup(s.text, s.pressed_ms).then(() => {
        const why = SKIPPED[s.source];
        if (why && !s.text) this.status.textContent = why;
      });
    });
  }

  private key(e: KeyboardEvent) {
    if (e.key === "Escape") {
      e.preventDefault();
      void this.api.hide();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (!this.items.length) return;
      const d = e.key === "ArrowDown" ? 1 : -1;
      this.select(Math.max(-1, Math.min(this.items.length - 1, this.selected + d)));
    } else if (e.key === "Enter" && this.selected >= 0) {
      e.preventDefault();
      const url = this.items[this.selected].url;
      if (url) void this.api.open(url);
    }
  }

  private select(i: number) {
    this.selected = i;
    this.list.querySelectorAll<HTMLElement>(".item").forEach((n, k) => {
      n.classList.toggle("selected", k === i);
      n.setAttribute("aria-selected", String(k === i));
      if (k === i) n.scrollIntoView({ block: "nearest" });
    });
    if (i < 0) this.query.focus();
  }

  async lookup(text: string, pressed_ms: number) {
    const seq = ++this.seq;
    if (!text.trim()) {
      this.show({ text, entities: [], groups: [], mode: "", took_ms: 0 });
      this.status.textContent = "Nothing selected: type what to look up.";
      return;
    }
    this.status.textContent = "Looking up…";
    try {
      const ctx = await this.api.context(text);
      if (seq !== this.seq) return;
      this.show(ctx);
      if (pressed_ms) void this.api.rendered(pressed_ms, this.items.map((i) => i.id));
      if (ctx.groups.length) void this.explain(text, seq);
    } catch (err) {
      if (seq !== this.seq) return;
      const e = err as UiError;
      this.show({ text, entities: [], groups: [], mode: "", took_ms: 0 });
      this.status.textContent = "";
      const box = el("div", "error", e.message ?? String(err));
      box.dataset.code = e.code ?? "error";
      this.list.append(box);
    }
  }

  /** Asks for the explanation of the lookup `seq`; its sentences arrive as events. */
  private async explain(text: string, seq: number) {
    const note = el("div", "explain-status", "Explaining…");
    this.sentences.replaceChildren();
    this.explanation.replaceChildren(el("h2", undefined, "What this is"), this.sentences, note);
    this.explanation.hidden = false;
    try {
      const e: Explanation = await this.api.explain(text, seq);
      if (seq !== this.seq) return;
      // Sentences that came only in the answer (none were streamed) are shown now.
      if (!this.sentences.childElementCount) e.sentences.forEach((s) => this.addSentence(s));
      const by = e.by === "llm" && e.model ? `written by ${e.model}` : "extractive, on this machine";
      const shown = this.sentences.childElementCount;
      note.textContent = shown ? by + (e.fallback ? ` (${e.fallback})` : "") : "Nothing to explain.";
    } catch (err) {
      if (seq !== this.seq) return;
      const x = err as UiError;
      note.textContent = "";
      const box = el("div", "error explain-error", x.message ?? String(err));
      box.dataset.code = x.code ?? "error";
      this.explanation.append(box);
    }
  }

  /** One cited sentence; each citation chip points at its related row. */
  private addSentence(s: Sentence) {
    const p = el("p", "sentence", s.text + " ");
    for (const id of s.sources) {
      const row = this.items.findIndex((i) => i.id === id);
      const chip = el("button", "cite", row >= 0 ? `${row + 1}` : "↗");
      chip.type = "button";
      chip.dataset.id = id;
      chip.title = row >= 0 ? this.items[row].title : id;
      const mark = (on: boolean) =>
        this.list.querySelectorAll<HTMLElement>(".item").forEach((n) => n.classList.toggle("cited", on && n.dataset.id === id));
      chip.addEventListener("mouseenter", () => mark(true));
      chip.addEventListener("mouseleave", () => mark(false));
      chip.addEventListener("focus", () => mark(true));
      chip.addEventListener("blur", () => mark(false));
      chip.addEventListener("click", () => {
        if (row >= 0) this.select(row);
      });
      p.append(chip);
    }
    this.sentences.append(p);
  }

  show(ctx: Context) {
    this.items = [];
    this.selected = -1;
    this.explanation.hidden = true;
    this.entities.replaceChildren(
      ...ctx.entities.map((e) => {
        const chip = el("span", `entity ${e.kind}`, e.value);
        if (e.label) chip.title = e.label;
        return chip;
      }),
    );
    const blocks: HTMLElement[] = [];
    for (const g of ctx.groups) {
      const section = el("section", "group");
      section.dataset.kind = g.kind;
      section.append(el("h2", undefined, g.label));
      for (const it of g.items) {
        const idx = this.items.length;
        this.items.push(it);
        const row = el("div", "item");
        row.setAttribute("role", "option");
        row.dataset.id = it.id;
        row.dataset.source = it.source;
        const head = el("div", "head");
        head.append(el("span", `icon ${it.source}`, ICON[it.source] ?? "•"), el("span", "title", it.title));
        const meta = el("div", "meta", `${it.container} · ${it.author ?? "?"} · ${when(it.ts)}`);
        row.append(head, meta);
        // Found through one of its propositions: say which (as text, like all synced text).
        if (it.reason) row.append(el("div", "reason", `↳ ${it.reason}`));
        row.addEventListener("mouseenter", () => this.select(idx));
        row.addEventListener("click", () => {
          if (it.url) void this.api.open(it.url);
        });
        section.append(row);
      }
      blocks.push(section);
    }
    this.list.replaceChildren(...blocks);
    this.status.textContent = ctx.groups.length
      ? `${this.items.length} related · ${ctx.mode} · ${ctx.took_ms.toFixed(0)} ms · ↑↓ Enter Esc`
      : ctx.text.trim() ? "Nothing related found in your workspace." : "";
  }
}

const root = document.getElementById("app");
if (root) new Popup(root, backend());
