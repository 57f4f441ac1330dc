// The audience rule end to end: an anonymous crawler that follows every link from both home pages,
// plus every export and the sitemap, never meets what it may not see.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentSessions, contentSpeakers, detailTexts, fingerprint, isListed, isRestricted, titleIn, titles } from "../helpers/content.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
const pages = new Map<string, string>();

const sessions = contentSessions();
const speakers = contentSpeakers();
const escapeHtml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");

/** Fetches `path` and every same-origin link it leads to (bounded), keeping the bodies. */
async function crawl(start: string[], limit = 400): Promise<void> {
  const queue = [...start];
  while (queue.length && pages.size < limit) {
    const path = queue.shift()!;
    if (pages.has(path)) continue;
    const response = await fetch(server.url + path, { redirect: "manual" });
    const body = await response.text();
    pages.set(path, body);
    if (!(response.headers.get("content-type") ?? "").includes("text/html")) continue;
    for (const [, href] of body.matchAll(/href="([^"]+)"/g)) {
      const url = new URL(href.replaceAll("&amp;", "&"), server.url + path);
      if (url.origin !== server.url) continue;
      // Filtered programme views repeat the same sessions; one per parameter is enough.
      const next = url.pathname + (url.search && pages.size < limit / 2 ? url.search : "");
      if (!pages.has(next) && !queue.includes(next)) queue.push(next);
    }
  }
}

beforeAll(async () => {
  server = await startServer();
  await crawl([
    "/",
    "/fr/",
    "/programme",
    "/programme?view=list",
    "/fr/programme?view=list",
    "/speakers",
    "/fr/speakers",
    "/schedule.ics",
    "/schedule.xml",
    "/schedule.json",
    "/fr/schedule.ics",
    "/fr/schedule.xml",
    "/fr/schedule.json",
    "/changelog.rss",
    "/fr/changelog.rss",
    "/sitemap.xml",
  ]);
  // Every session and speaker page, and its calendar, in both languages (the French ones carry the French texts).
  for (const prefix of ["", "/fr"]) {
    for (const speaker of speakers) await crawl([`${prefix}/speakers/${speaker.slug}`, `${prefix}/speakers/${speaker.slug}.ics`]);
    for (const session of sessions) await crawl([`${prefix}/sessions/${session.slug}`, `${prefix}/sessions/${session.slug}.ics`]);
  }
}, 240_000);

afterAll(() => server?.stop());

/** Every output whose path does not name `slug` (a direct request for a hidden slug answers 404 anyway). */
function outputs(): [string, string][] {
  return [...pages.entries()];
}

describe("an anonymous visitor", () => {
  it("reached a real site", () => {
    expect(pages.size).toBeGreaterThan(40);
    expect(pages.get("/schedule.ics")).toContain("BEGIN:VCALENDAR");
  });

  const restricted = sessions.filter((s) => isListed(s) && isRestricted(s));
  it("the demo has restricted sessions of both kinds", () => {
    expect(restricted.some((s) => s.titlePublic === false)).toBe(true);
    expect(restricted.some((s) => s.titlePublic !== false)).toBe(true);
  });

  it.each(restricted.map((s) => [s.slug, s] as const))("never sees the abstract or description of restricted %s", (_slug, session) => {
    // In both languages: the French translation of a restricted abstract is as secret as the original.
    const secrets = detailTexts(session).map(fingerprint);
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    for (const [path, body] of outputs()) {
      for (const secret of secrets) {
        expect(body.includes(secret) || body.includes(escapeHtml(secret)), `${path} leaks "${secret}"`).toBe(false);
      }
    }
  });

  it.each(restricted.filter((s) => s.titlePublic === false).map((s) => [s.slug, s] as const))(
    "never learns that hidden %s exists",
    async (slug, session) => {
      for (const [path, body] of outputs()) {
        for (const title of titles(session))
          expect(body.includes(title) || body.includes(escapeHtml(title)), `${path} shows the title`).toBe(false);
        expect(body.includes(slug), `${path} names the slug`).toBe(false);
      }
      for (const path of [`/sessions/${slug}`, `/sessions/${slug}.ics`, `/fr/sessions/${slug}`, `/fr/sessions/${slug}.ics`])
        expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
    },
  );

  it.each(restricted.filter((s) => s.titlePublic !== false).map((s) => [s.slug, s] as const))(
    "sees only the title and time of %s",
    async (slug, session) => {
      for (const [prefix, lang] of [
        ["", "en"],
        ["/fr", "fr"],
      ] as const) {
        const response = await fetch(`${server.url}${prefix}/sessions/${slug}`);
        expect(response.status).toBe(200);
        const body = await response.text();
        expect(body).toContain(escapeHtml(titleIn(session, lang)));
        expect(body).toContain(session.start!);
        for (const speakerSlug of session.speakers ?? []) expect(body).not.toContain(`/speakers/${speakerSlug}"`);
      }
    },
  );

  const unlisted = sessions.filter((s) => !isListed(s));
  it("the demo has sessions that are not listed", () => {
    expect(unlisted.length).toBeGreaterThanOrEqual(2);
  });
  it.each(unlisted.map((s) => [s.slug, s] as const))("never sees unconfirmed or unpublished %s", async (slug, session) => {
    for (const [path, body] of outputs()) {
      for (const title of titles(session))
        expect(body.includes(title) || body.includes(escapeHtml(title)), `${path} shows the title`).toBe(false);
      for (const text of detailTexts(session)) expect(body.includes(fingerprint(text)), `${path} shows the abstract`).toBe(false);
    }
    expect((await fetch(`${server.url}/sessions/${slug}`)).status).toBe(404);
  });

  it("never sees a speaker's e-mail address", () => {
    const emails = speakers.map((s) => s.email).filter((e): e is string => !!e);
    expect(emails.length).toBeGreaterThan(0);
    for (const [path, body] of outputs()) for (const email of emails) expect(body.includes(email), `${path} shows ${email}`).toBe(false);
  });

  it("never sees speakers who only speak in sessions hidden from them", () => {
    const visible = new Set(sessions.filter((s) => isListed(s) && !isRestricted(s)).flatMap((s) => s.speakers ?? []));
    const hiddenOnly = speakers.filter((s) => !visible.has(s.slug));
    for (const speaker of hiddenOnly) {
      for (const [path, body] of outputs())
        expect(body.includes(`/speakers/${speaker.slug}"`), `${path} links ${speaker.slug}`).toBe(false);
    }
  });
});
