// <forum-schedule>: the forum's public programme on another site (issue 15, decision 43). One
// classic script, no framework: it reads this site's schedule JSON for the anonymous public
// (/embed/schedule.json, the same for everyone, whoever is signed in here), lets the reader filter
// by day and track, and keeps the element's own content (a link to the programme) as its last
// line, which is all a browser without JavaScript shows. Served by src/web/embed.ts, which fills in
// the words of both languages. No inline style is set (host pages, and this site, forbid them by
// their Content-Security-Policy): the styles are a constructed stylesheet of the shadow root.
(() => {
  "use strict";
  /** The words of both languages, from src/i18n (filled in when served). */
  const WORDS = __WORDS__;
  const script = document.currentScript;
  const source = script && script.src ? new URL(script.src) : new URL(location.href);
  const ORIGIN = source.origin;
  /** `?lang=fr` on the script's address: the language of the elements that name none. */
  const SCRIPT_LANG = source.searchParams.get("lang");

  /** One request per language, however many elements a page has. */
  const loads = new Map();
  const load = (lang) => {
    if (!loads.has(lang)) {
      const url = `${ORIGIN}${lang === "fr" ? "/fr" : ""}/embed/schedule.json`;
      const loading = fetch(url, { credentials: "omit", mode: "cors" }).then((r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        return r.json();
      });
      loads.set(lang, loading);
      loading.catch(() => loads.delete(lang));
    }
    return loads.get(lang);
  };

  const STYLE = `
    :host { display: block; }
    [hidden] { display: none !important; }
    .controls { display: flex; flex-wrap: wrap; gap: 0.75rem 1.5rem; margin: 0 0 0.75rem; padding: 0; border: 0; }
    .control { display: flex; flex-direction: column; gap: 0.25rem; min-width: min(14rem, 100%); }
    label { font-weight: 700; }
    select { font: inherit; min-height: 2.75rem; padding: 0.25rem 0.5rem; border: 1px solid #595959; border-radius: 0.25rem; background: #fff; color: #111; max-width: 100%; }
    select:focus-visible, a:focus-visible { outline: 3px solid #c2410c; outline-offset: 2px; }
    .zone, .status { margin: 0 0 0.5rem; }
    ul { list-style: none; margin: 0 0 1rem; padding: 0; }
    li { border-left: 0.35rem solid var(--track, #8a96a6); padding: 0.35rem 0 0.35rem 0.75rem; margin: 0 0 0.5rem; }
    li p { margin: 0; }
    .when { font-variant-numeric: tabular-nums; font-weight: 700; }
    .title { font-size: 1.05em; }
    .title a { color: inherit; }
    .more { margin: 0.5rem 0 0; }
  `;
  let sheet;
  /** The styles of a shadow root: a constructed stylesheet (CSSOM, allowed by a strict CSP), else a style element. */
  const style = (root) => {
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
      if (!sheet) {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(STYLE);
      }
      root.adoptedStyleSheets = [sheet];
      return [];
    }
    return [el("style", {}, STYLE)];
  };

  const el = (name, attrs = {}, ...children) => {
    const node = document.createElement(name);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) node.setAttribute(k, String(v));
    node.append(...children);
    return node;
  };
  const level = (value, fallback) => {
    const n = Number(value);
    return Number.isInteger(n) && n >= 2 && n <= 6 ? n : fallback;
  };
  const HEX = /^#[0-9a-f]{3,8}$/i;

  class ForumSchedule extends HTMLElement {
    static get observedAttributes() {
      return ["lang", "day", "track", "heading-level"];
    }

    connectedCallback() {
      if (!this.shadowRoot) this.attachShadow({ mode: "open" });
      this.choice = { day: this.getAttribute("day") ?? "", track: this.getAttribute("track") ?? "" };
      void this.start();
    }

    attributeChangedCallback(name, before, after) {
      if (!this.shadowRoot || before === after) return;
      if (name === "day" || name === "track") {
        this.choice = { ...this.choice, [name]: after ?? "" };
        if (this.data) {
          this.drawControls();
          this.draw();
        }
        return;
      }
      void this.start();
    }

    /** The schedule's language: the element's `lang`, else the script's `?lang=`, else the page's; French or English. */
    get language() {
      const asked = this.getAttribute("lang") || SCRIPT_LANG || this.closest("[lang]")?.getAttribute("lang") || "";
      return asked.toLowerCase().startsWith("fr") ? "fr" : "en";
    }

    get headingLevel() {
      return level(this.getAttribute("heading-level"), 2);
    }

    async start() {
      const lang = this.language;
      const w = WORDS[lang];
      this.words = w;
      this.colon = lang === "fr" ? "\u00a0: " : ": ";
      const root = this.shadowRoot;
      this.status = el("p", { class: "status", role: "status" }, w.loading);
      this.zone = el("p", { class: "zone", hidden: true });
      this.body = el("div", { class: "days" });
      this.controls = el("div", { class: "controls", role: "group", "aria-label": w.filters, hidden: true });
      root.replaceChildren(
        ...style(root),
        el(
          "section",
          { lang, "aria-labelledby": "title" },
          el(`h${this.headingLevel}`, { id: "title" }, w.title),
          this.controls,
          this.zone,
          this.status,
          this.body,
          el("p", { class: "more" }, el("slot")),
        ),
      );
      let data;
      try {
        data = await load(lang);
      } catch {
        if (lang === this.language) this.status.textContent = w.failed;
        return;
      }
      // The language changed while loading: the later start draws.
      if (lang !== this.language) return;
      this.data = data;
      const conference = data.schedule.conference;
      const format = new Intl.DateTimeFormat(lang === "fr" ? "fr-FR" : "en-GB", {
        weekday: "long",
        day: "numeric",
        month: "long",
        timeZone: "UTC",
      });
      this.dayName = (date) => format.format(new Date(`${date}T12:00:00Z`));
      this.plural = new Intl.PluralRules(lang === "fr" ? "fr-FR" : "en-GB");
      this.zone.textContent = w.zone.replace("{zone}", conference.time_zone_name);
      this.zone.hidden = false;
      this.drawControls();
      this.draw();
    }

    /** The day and track choices: two labelled selects, their options from the schedule. */
    drawControls() {
      const w = this.words;
      const conference = this.data.schedule.conference;
      const select = (id, label, all, options, key) => {
        const node = el("select", { id }, el("option", { value: "" }, all));
        for (const [v, text] of options) node.append(el("option", { value: v }, text));
        node.value = options.some(([v]) => v === this.choice[key]) ? this.choice[key] : "";
        node.addEventListener("change", () => {
          this.choice = { ...this.choice, [key]: node.value };
          this.draw();
        });
        return el("div", { class: "control" }, el("label", { for: id }, label), node);
      };
      this.controls.replaceChildren(
        select(
          "day",
          w.day,
          w.allDays,
          conference.days.map((d) => [d.date, this.dayName(d.date)]),
          "day",
        ),
        select(
          "track",
          w.track,
          w.allTracks,
          conference.tracks.map((t) => [t.slug, t.name]),
          "track",
        ),
      );
      this.controls.hidden = false;
    }

    /** The sessions of the chosen day and track, by day, and how many in the status line (read out). */
    draw() {
      const w = this.words;
      const dayLevel = Math.min(this.headingLevel + 1, 6);
      const conference = this.data.schedule.conference;
      const tracks = new Map(conference.tracks.map((t) => [t.name, t]));
      const known = (list, value) => (list.includes(value) ? value : "");
      const day = known(
        conference.days.map((d) => d.date),
        this.choice.day,
      );
      const track = known(
        conference.tracks.map((t) => t.slug),
        this.choice.track,
      );
      let count = 0;
      const days = [];
      for (const d of conference.days) {
        if (day && d.date !== day) continue;
        const events = Object.values(d.rooms)
          .flat()
          .filter((e) => !track || (e.track && tracks.get(e.track)?.slug === track))
          .sort((a, b) => a.date.localeCompare(b.date) || a.room.localeCompare(b.room));
        if (events.length === 0) continue;
        count += events.length;
        const id = `day-${d.date}`;
        days.push(
          el(`h${dayLevel}`, { id }, this.dayName(d.date)),
          el("ul", { "aria-labelledby": id }, ...events.map((e) => this.item(e, tracks))),
        );
      }
      this.body.replaceChildren(...days);
      const many = this.plural.select(count) === "one" ? w.countOne : w.countOther;
      this.status.textContent = count === 0 ? w.none : many.replace("{n}", String(count));
      this.dataset.ready = String(count);
    }

    /** One session: its times, its title (a link to its page here), room and track, speakers. */
    item(e, tracks) {
      const w = this.words;
      const item = el(
        "li",
        {},
        el(
          "p",
          { class: "when" },
          el("time", { datetime: e.date }, e.start),
          "–",
          el("time", { datetime: e.end }, String(e.end).slice(11, 16)),
        ),
        el("p", { class: "title" }, /^https?:\/\//.test(e.url) ? el("a", { href: e.url }, e.title) : e.title),
        el("p", { class: "meta" }, [`${w.room}${this.colon}${e.room}`, e.track].filter(Boolean).join(" · ")),
      );
      const colour = e.track ? tracks.get(e.track)?.color : undefined;
      if (colour && HEX.test(colour)) item.style.setProperty("--track", colour);
      const names = (e.persons ?? []).map((p) => p.public_name).filter(Boolean);
      if (names.length) item.append(el("p", { class: "who" }, `${w.speakers}${this.colon}${names.join(", ")}`));
      return item;
    }
  }

  if (!customElements.get("forum-schedule")) customElements.define("forum-schedule", ForumSchedule);
})();
