// The public pages over HTTP against the built server (`astro build` first; `npm test` does it):
// both languages, structure, 404s, hostile query strings, filters checked against the content files,
// the language switcher, and what an anonymous visitor must never see.
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  contentSessions,
  contentSpeakers,
  detailTexts,
  fingerprint,
  isListed,
  isRestricted,
  titleIn,
  titles,
  type ContentSession,
} from "../helpers/content.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

const sessions = contentSessions();
const speakers = contentSpeakers();
const editorial = readdirSync("content/pages/en")
  .filter((f) => f.endsWith(".md"))
  .map((f) => f.slice(0, -3))
  .sort();

/** Seen by an anonymous visitor at all: listed, and public or with a public title. */
const visible = sessions.filter((s) => isListed(s) && (!isRestricted(s) || s.titlePublic !== false));
/** Seen in full by an anonymous visitor. */
const full = visible.filter((s) => !isRestricted(s));
const restricted = visible.filter(isRestricted);
const hiddenTitle = sessions.filter((s) => isListed(s) && isRestricted(s) && s.titlePublic === false);
const unlisted = sessions.filter((s) => !isListed(s));
/** Speakers of a session shown in full: the only ones with a public page. */
const publicSpeakers = speakers.filter((sp) => full.some((s) => s.speakers?.includes(sp.slug)));

const contentCountry = (slug: string) => (speakers.find((s) => s.slug === slug) as { country?: string } | undefined)?.country;
const escapeHtml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
const contains = (body: string, text: string) => body.includes(text) || body.includes(escapeHtml(text));
const fr = (path: string) => (path === "/" ? "/fr/" : `/fr${path}`);

let server: TestServer;
const cache = new Map<string, { status: number; body: string }>();

/** GET `path`, cached: many tests read the same pages. */
async function get(path: string): Promise<{ status: number; body: string }> {
  let page = cache.get(path);
  if (!page) {
    const response = await fetch(server.url + path, { redirect: "manual" });
    page = { status: response.status, body: await response.text() };
    cache.set(path, page);
  }
  return page;
}

/** Number of sessions a programme page shows (grid or list: each session once). */
const shown = (body: string) => [...body.matchAll(/<article[^>]*data-session="([^"]+)"/g)].map((m) => m[1]);
const h1s = (body: string) => body.match(/<h1[\s>]/g)?.length ?? 0;
const lang = (body: string) => /<html lang="([a-z]+)"/.exec(body)?.[1];
const headingLevels = (body: string) => [...body.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
const switcher = (body: string) => /<a class="lang-switch" href="([^"]*)"/.exec(body)?.[1]?.replaceAll("&amp;", "&");

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.stop());

describe("the demo content this suite relies on", () => {
  it("has editorial pages in both languages, and sessions of every kind", () => {
    expect(editorial).toEqual(expect.arrayContaining(["about", "code-of-conduct", "faq", "privacy", "venue"]));
    expect(readdirSync("content/pages/fr").sort()).toEqual(editorial.map((p) => `${p}.md`));
    expect(full.length).toBeGreaterThan(10);
    expect(restricted.length).toBeGreaterThan(0);
    expect(hiddenTitle.length).toBeGreaterThan(0);
    expect(unlisted.length).toBeGreaterThan(0);
  });
});

describe("every public page, in English and in French", () => {
  const paths = [
    "/",
    "/programme",
    "/programme?view=list",
    "/speakers",
    ...editorial.map((p) => `/${p}`),
    ...visible.map((s) => `/sessions/${s.slug}`),
    ...publicSpeakers.map((s) => `/speakers/${s.slug}`),
  ];
  const both = paths.flatMap((p) => [
    [p, "en"],
    [fr(p), "fr"],
  ]);

  it.each(both)("%s answers 200 in %s with one h1, landmarks and headings in order", async (path, locale) => {
    const { status, body } = await get(path);
    expect(status).toBe(200);
    expect(lang(body)).toBe(locale);
    expect(h1s(body)).toBe(1);
    expect(body).toMatch(/<title>[^<]+<\/title>/);
    expect(body).toMatch(/<meta name="description" content="[^"]+"/);
    expect(body).toContain('<a class="skip-link" href="#main">');
    expect(body).toContain('<main id="main"');
    expect(body).toMatch(/<header class="site-header">/);
    expect(body).toMatch(/<nav class="main-nav" aria-label="[^"]+">/);
    expect(body).toContain("<footer");
    // No heading level is skipped on the way down.
    const levels = headingLevels(body);
    expect(levels[0]).toBe(1);
    levels.forEach((level, i) => {
      if (i > 0) expect(level, `h${levels[i - 1]} then h${level}`).toBeLessThanOrEqual(levels[i - 1] + 1);
    });
  });

  it.each(both)("%s ships no script and no inline style (strict CSP)", async (path) => {
    const { body } = await get(path);
    expect(body).not.toMatch(/<script/i);
    expect(body).not.toMatch(/\sstyle=/i);
    expect(body).not.toMatch(/<style/i);
    expect(body).not.toMatch(/\son[a-z]+=/i);
  });

  it("names both languages as alternates", async () => {
    const { body } = await get("/programme?track=cybercrime-prevention");
    expect(body).toMatch(/<link rel="alternate" hreflang="en" href="https?:\/\/[^"]+\/programme\?track=cybercrime-prevention">/);
    expect(body).toMatch(/<link rel="alternate" hreflang="fr" href="https?:\/\/[^"]+\/fr\/programme\?track=cybercrime-prevention">/);
    expect(body).toMatch(/<link rel="alternate" hreflang="x-default" href="[^"]+">/);
  });
});

describe("the hosts", () => {
  it("are named in the page's language, on the home page and in the footer", async () => {
    const fr = (await get("/fr/")).body;
    expect(fr).toContain("<li>Ministère de l’Intérieur</li>");
    expect(fr).toContain("INTERPOL &amp; Ministère de l’Intérieur");
    expect(fr).not.toContain("French Ministry of the Interior");
    expect((await get("/")).body).toContain("INTERPOL &amp; French Ministry of the Interior");
  });
});

describe("the language switcher", () => {
  it.each([
    ["/", "/fr/"],
    ["/fr/", "/"],
    ["/programme?track=investigation-forensics&view=list", "/fr/programme?track=investigation-forensics&view=list"],
    ["/fr/programme?day=2013-07-03&q=ransomware", "/programme?day=2013-07-03&q=ransomware"],
    ["/sessions/opening-keynote-anticipating-crime", "/fr/sessions/opening-keynote-anticipating-crime"],
    ["/fr/speakers/amelie-dupont-varenne", "/speakers/amelie-dupont-varenne"],
    ["/speakers?q=france", "/fr/speakers?q=france"],
    ["/fr/privacy", "/privacy"],
  ])("on %s leads to %s", async (from, to) => {
    const { body } = await get(from);
    expect(switcher(body)).toBe(to);
    const other = await get(to);
    expect(other.status).toBe(200);
  });
});

describe("pages that do not exist", () => {
  const missing = [
    ["/sessions/no-such-session", "en"],
    ["/fr/sessions/no-such-session", "fr"],
    ["/speakers/no-such-speaker", "en"],
    ["/fr/speakers/no-such-speaker", "fr"],
    ["/no-such-page", "en"],
    ["/fr/no-such-page", "fr"],
    ["/deep/no/such/place", "en"],
    ["/fr/deep/no/such/place", "fr"],
    ...hiddenTitle.map((s) => [`/sessions/${s.slug}`, "en"]),
    ...unlisted.map((s) => [`/fr/sessions/${s.slug}`, "fr"]),
  ];

  it.each(missing)("%s answers 404 with the %s 404 page", async (path, locale) => {
    const { status, body } = await get(path);
    expect(status).toBe(404);
    expect(lang(body)).toBe(locale);
    expect(h1s(body)).toBe(1);
    expect(body).toContain(locale === "fr" ? "Page introuvable" : "Page not found");
    expect(body).toContain(`href="${locale === "fr" ? "/fr/programme" : "/programme"}"`);
    expect(body).toContain('<meta name="robots" content="noindex"');
    // Nothing of the requested URL is echoed back; the other language is its home page.
    expect(body).not.toContain(path.split("/").pop()!);
    expect(switcher(body)).toBe(locale === "fr" ? "/" : "/fr/");
  });
});

describe("hostile or malformed query strings", () => {
  const script = "<script>alert(1)</script>";
  it.each([
    "/programme?day=%ZZ",
    "/programme?day[]=x&track[]=y",
    `/programme?q=${"ransomware ".repeat(500)}`,
    `/programme?view=${encodeURIComponent(script)}`,
    `/programme?q=${encodeURIComponent(script)}&track=${encodeURIComponent(script)}`,
    `/fr/programme?view=list&q=${encodeURIComponent(`"><img src=x onerror=alert(1)>`)}`,
    `/speakers?q=${encodeURIComponent(script)}`,
    "/programme?day=2013-07-02&day=2099-01-01&language=xx&format=",
  ])("%s answers 200 and reflects nothing raw", async (path) => {
    const { status, body } = await get(path);
    expect(status).toBe(200);
    expect(body).not.toContain("<script");
    expect(body).not.toContain("<img");
  });

  it("echoes the search only as an escaped attribute value and text", async () => {
    const { body } = await get(`/fr/programme?view=list&q=${encodeURIComponent(`"><img src=x onerror=alert(1)>`)}`);
    expect(body).toContain('name="q" value="&quot; img src=x onerror=alert(1)"');
    expect(body).toContain("«\u202f&quot; img src=x onerror=alert(1)\u202f»");
    expect(body).not.toContain("<img");
    // Elsewhere only percent-encoded, in the links that keep the query.
    expect(body.replace(/="[^"]*"/g, '=""').replace("«\u202f&quot; img src=x onerror=alert(1)\u202f»", "")).not.toContain("onerror");
  });

  it("keeps at most 200 characters of the search", async () => {
    const { body } = await get(`/programme?q=${"a".repeat(300)}`);
    expect(body).toContain(`name="q" value="${"a".repeat(200)}"`);
    expect(body).toContain(`“${"a".repeat(200)}”`);
    expect(body).not.toMatch(/value="a{201}/);
  });

  it("shows everything when every filter value is unknown", async () => {
    const all = shown((await get("/programme")).body);
    expect(shown((await get("/programme?day=1999-01-01&track=nope&format=nope&language=de&view=nope")).body)).toEqual(all);
  });
});

describe("programme filters, checked against the content files", () => {
  const tracks = [...new Set(sessions.map((s) => s.track).filter((t): t is string => !!t))].sort();
  const expectSlugs = (list: ContentSession[]) => list.map((s) => s.slug).sort();

  it("shows every visible session once, without filters, in both layouts", async () => {
    for (const path of ["/programme", "/programme?view=list", "/fr/programme"]) {
      expect(shown((await get(path)).body).sort(), path).toEqual(expectSlugs(visible));
    }
  });

  it.each(tracks)("?track=%s shows exactly the sessions of that track", async (track) => {
    const expected = expectSlugs(visible.filter((s) => s.track === track));
    expect(expected.length).toBeGreaterThan(0);
    for (const path of [`/programme?track=${track}`, `/programme?track=${track}&view=list`]) {
      const { body } = await get(path);
      expect(shown(body).sort(), path).toEqual(expected);
      expect(body).toContain(`${expected.length} session`);
    }
  });

  it("filters by day, format and language (breaks have no language)", async () => {
    expect(shown((await get("/programme?day=2013-07-03")).body).sort()).toEqual(
      expectSlugs(visible.filter((s) => String(s.day) === "2013-07-03")),
    );
    expect(shown((await get("/programme?format=panel&view=list")).body).sort()).toEqual(
      expectSlugs(visible.filter((s) => s.format === "panel")),
    );
    expect(shown((await get("/programme?language=fr")).body).sort()).toEqual(
      expectSlugs(visible.filter((s) => s.format !== "break" && (s.language ?? "en") === "fr")),
    );
  });

  it("combines filters", async () => {
    const expected = expectSlugs(
      visible.filter((s) => String(s.day) === "2013-07-02" && s.track === "investigation-forensics" && (s.language ?? "en") === "en"),
    );
    expect(shown((await get("/programme?day=2013-07-02&track=investigation-forensics&language=en")).body).sort()).toEqual(expected);
  });

  it("searches speaker names, titles and tracks, accents and case ignored", async () => {
    const speaker = speakers.find((s) => s.slug === "amelie-dupont-varenne")!;
    const bySpeaker = expectSlugs(full.filter((s) => s.speakers?.includes(speaker.slug)));
    expect(bySpeaker.length).toBeGreaterThan(0);
    expect(shown((await get("/programme?q=AMELIE+dupont")).body).sort()).toEqual(bySpeaker);
    expect(shown((await get("/programme?q=ransomware")).body).length).toBeGreaterThan(0);
    expect(shown((await get("/programme?q=zzzz-nothing")).body)).toEqual([]);
  });

  it("finds a restricted session by its title, never by its hidden abstract", async () => {
    const session = restricted[0]!;
    expect(shown((await get(`/programme?q=${encodeURIComponent(titleIn(session, "en"))}`)).body)).toContain(session.slug);
    // Its French title finds it too, from either language's page; neither language of its abstract does.
    expect(shown((await get(`/programme?q=${encodeURIComponent(titleIn(session, "fr"))}`)).body)).toContain(session.slug);
    for (const text of detailTexts(session)) {
      const secret = fingerprint(text).split(" ").slice(0, 6).join(" ");
      for (const path of ["/programme", "/fr/programme"])
        expect(shown((await get(`${path}?q=${encodeURIComponent(secret)}`)).body), secret).not.toContain(session.slug);
    }
  });

  it("offers a link that clears the filters, keeping the layout", async () => {
    const { body } = await get("/programme?track=investigation-forensics&view=list");
    expect(body).toContain('href="/programme?view=list"');
    expect(body).toContain('<option value="investigation-forensics" selected>');
    expect((await get("/programme")).body).not.toMatch(/class="filters__clear"/);
  });

  it("labels every filter control", async () => {
    const { body } = await get("/fr/programme");
    for (const name of ["q", "day", "track", "format", "language"]) {
      expect(body).toMatch(new RegExp(`<label for="filter-${name}">[^<]+</label>`));
      expect(body).toMatch(new RegExp(`id="filter-${name}"[^>]*name="${name}"`));
    }
    expect(body).toContain('method="get"');
  });

  it("links to the exports and says which time zone the times are in", async () => {
    const en = (await get("/programme")).body;
    for (const href of ["/schedule.ics", "/schedule.xml", "/schedule.json"]) expect(en).toContain(`href="${href}"`);
    expect(en).toContain("Times in Paris time");
    expect((await get("/fr/programme")).body).toContain("Horaires à l’heure de Paris");
  });

  it("lays the grid out by room and 5-minute rows, roomless items across every room", async () => {
    const { body } = await get("/programme?day=2013-07-02");
    // The opening keynote: 09:15-10:00 in the first room; the grid of that day starts at 08:30.
    expect(body).toMatch(/<li class="slot rs-11 re-20 cs-2 ce-3"><article[^>]*data-session="opening-keynote-anticipating-crime"/);
    const rooms = new Set(visible.filter((s) => String(s.day) === "2013-07-02" && s.room).map((s) => s.room)).size;
    expect(body).toMatch(
      new RegExp(`<li class="slot rs-2 re-11 cs-2 ce-${rooms + 2} slot--all-rooms"><article[^>]*data-session="welcome-coffee-day-1"`),
    );
  });
});

describe("session and speaker pages", () => {
  it("show a session's details, Markdown rendered, with its speakers and calendar link", async () => {
    const { body } = await get("/sessions/opening-keynote-anticipating-crime");
    expect(body).toContain("Tuesday, 2 July 2013");
    expect(body).toMatch(/<time datetime="2013-07-02T07:15:00.000Z">09:15<\/time>/);
    expect(body).toContain("Amphithéâtre Lumière");
    expect(body).toContain("<li>how criminals adopt new technologies faster than institutions do;</li>");
    expect(body).toContain('href="/speakers/amelie-dupont-varenne"');
    expect(body).toContain('href="/sessions/opening-keynote-anticipating-crime.ics"');
    expect(body).toContain("TLP:CLEAR");
  });

  it("write French dates on French pages", async () => {
    const { body } = await get("/fr/sessions/opening-keynote-anticipating-crime");
    expect(body).toContain("mardi 2 juillet 2013");
    expect(body).toContain('href="/fr/speakers/amelie-dupont-varenne"');
  });

  it.each(restricted.map((s) => [s.slug, s] as const))(
    "reduce restricted %s to title, time, room and the restriction",
    async (slug, session) => {
      for (const path of [`/sessions/${slug}`, `/fr/sessions/${slug}`]) {
        const { status, body } = await get(path);
        expect(status).toBe(200);
        expect(contains(body, titleIn(session, path.startsWith("/fr") ? "fr" : "en"))).toBe(true);
        expect(body).toContain(session.start!);
        expect(body).toMatch(path.startsWith("/fr") ? /Accès restreint/ : /Restricted: for (registered|law-enforcement) attendees/);
        expect(body).not.toContain(`${slug}.ics`);
        expect(body).not.toContain("/speakers/");
        expect(body).not.toContain("TLP:");
      }
    },
  );

  it("show a speaker's bio, visible sessions and calendar link, and country in the page's language", async () => {
    const en = (await get("/speakers/amelie-dupont-varenne")).body;
    expect(en).toContain('href="/speakers/amelie-dupont-varenne.ics"');
    expect(en).toContain('href="/sessions/opening-keynote-anticipating-crime"');
    expect(en).toContain("France");
    // Country names come from Intl in the page's language, not from the content.
    const abroad = publicSpeakers.map((s) => contentCountry(s.slug)).filter((c) => c && c !== "FR");
    expect(abroad.length).toBeGreaterThan(0);
    const list = (await get("/fr/speakers")).body;
    for (const code of abroad) expect(list).toContain(escapeHtml(new Intl.DisplayNames(["fr-FR"], { type: "region" }).of(code!)!));
  });

  it("search speakers", async () => {
    const { body } = await get("/speakers?q=dupont");
    expect([...body.matchAll(/data-speaker="([^"]+)"/g)].map((m) => m[1])).toEqual(["amelie-dupont-varenne"]);
  });
});

describe("an anonymous visitor never sees", () => {
  const outputs = async () => {
    const paths = [
      "/",
      "/fr/",
      "/programme",
      "/programme?view=list",
      "/fr/programme",
      "/fr/programme?view=list",
      "/speakers",
      "/fr/speakers",
      ...visible.map((s) => `/sessions/${s.slug}`),
      ...publicSpeakers.flatMap((s) => [`/speakers/${s.slug}`, `/fr/speakers/${s.slug}`]),
    ];
    return Promise.all(paths.map(async (path) => [path, (await get(path)).body] as const));
  };

  it("the abstract or description of a restricted session", async () => {
    for (const [path, body] of await outputs()) {
      for (const session of restricted) {
        // In both languages.
        for (const text of detailTexts(session))
          expect(contains(body, fingerprint(text)), `${path} shows the abstract or description of ${session.slug}`).toBe(false);
      }
    }
  });

  it("the title of a session whose title is not public", async () => {
    for (const [path, body] of await outputs()) {
      for (const session of hiddenTitle) {
        for (const title of titles(session)) expect(contains(body, title), `${path} shows ${session.slug}`).toBe(false);
        expect(body.includes(session.slug), `${path} names ${session.slug}`).toBe(false);
      }
    }
  });

  it("unconfirmed or unpublished sessions", async () => {
    for (const [path, body] of await outputs()) {
      for (const session of unlisted) {
        for (const title of titles(session)) expect(contains(body, title), `${path} shows ${session.slug}`).toBe(false);
        expect(body.includes(`/sessions/${session.slug}"`), `${path} links ${session.slug}`).toBe(false);
      }
    }
  });

  it("a speaker's e-mail address", async () => {
    const emails = speakers.map((s) => s.email).filter((e): e is string => !!e);
    expect(emails.length).toBeGreaterThan(0);
    for (const [path, body] of await outputs())
      for (const email of emails) expect(body.includes(email), `${path} shows ${email}`).toBe(false);
  });
});
