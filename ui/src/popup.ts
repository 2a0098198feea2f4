// The context popup: the captured text (editable), what it names, and the related
// items grouped by kind. Keyboard first: ↑/↓ move, Enter opens, Esc hides, typing in
// the box and Enter looks the new text up.

import { backend, type Context, type IBackend, type Item, type UiError } from "./backend";

// Source badges: a letter on the source's colour (fonts on every desktop have these).
const ICON: Record<string, string> = { slack: "S", github: "G", jira: "J", google: "C", local: "L" };

// Why nothing was read from the screen, when the capture chose not to.
const SKIPPED: Record<string, string> = {
  excluded: "The focused window is on your exclusion list, so nothing was read from it. Type what to look up.",
  unknown_window:
    "Chief could not tell which window had focus, so it read nothing (your exclusion list is on). Type what to look up.",
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

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
    root.append(this.query, this.entities, this.list, this.status);
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

  show(ctx: Context) {
    this.items = [];
    this.selected = -1;
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
