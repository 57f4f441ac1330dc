// A visitor in a real browser: follows the site's own links, filters the programme with the form
// (JavaScript off, so it works for everyone), switches language, and takes a session to a calendar.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { contentSessions, contentSpeakers, isListed, isRestricted, titleIn } from "../helpers/content.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

const sessions = contentSessions();
const speakers = contentSpeakers();
/** A public keynote with a speaker: every link of the journey exists for an anonymous visitor. */
const keynote = sessions.find((s) => s.slug === "opening-keynote-anticipating-crime")!;
const keynoteSpeaker = speakers.find((s) => s.slug === keynote.speakers![0])!;
const firstDay = "2013-07-02";
const secondDay = "2013-07-03";

/** Slugs of the sessions an anonymous visitor may find listed on `day` (optionally in `track`). */
function visibleSlugs(day: string, track?: string): Set<string> {
  return new Set(
    sessions
      .filter((s) => isListed(s) && (!isRestricted(s) || s.titlePublic !== false))
      .filter((s) => s.day === day && (!track || s.track === track))
      .map((s) => s.slug),
  );
}
const breaks = new Set(sessions.filter((s) => s.format === "break").map((s) => s.slug));

/** The session slugs linked from the page's main content. */
async function shownSessions(page: Page): Promise<Set<string>> {
  const hrefs = await page.locator("main a[href]").evaluateAll((links) => links.map((a) => a.getAttribute("href") ?? ""));
  return new Set(
    hrefs.map((href) => /^\/(?:fr\/)?sessions\/([a-z0-9-]+)$/.exec(href.split(/[?#]/)[0])?.[1]).filter((s): s is string => !!s),
  );
}

/** Asserts that `shown` are exactly the sessions expected (breaks may or may not be links). */
function expectExactly(shown: Set<string>, expected: Set<string>) {
  expect(
    [...shown].filter((slug) => !expected.has(slug)),
    "sessions shown that should not be",
  ).toEqual([]);
  expect(
    [...expected].filter((slug) => !shown.has(slug) && !breaks.has(slug)),
    "sessions missing",
  ).toEqual([]);
}

describe.skipIf(skipBrowser)(browserSuite("a visitor in Chromium"), () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("browses home → programme → a session → a speaker through the site's links", async () => {
    const { context, page } = await newPage(browser);
    try {
      await page.goto(`${server.url}/`);
      expect(await page.getAttribute("html", "lang")).toBe("en");

      await page.locator('header nav a[href="/programme"]').click();
      await page.waitForURL(`${server.url}/programme`);
      expect(await page.locator("main h1").first().textContent()).toBeTruthy();

      await page.locator(`main a[href="/sessions/${keynote.slug}"]`).first().click();
      await page.waitForURL(`${server.url}/sessions/${keynote.slug}`);
      expect((await page.locator("main h1").first().textContent())?.trim()).toBe(keynote.title);

      await page.locator(`main a[href="/speakers/${keynoteSpeaker.slug}"]`).first().click();
      await page.waitForURL(`${server.url}/speakers/${keynoteSpeaker.slug}`);
      expect((await page.locator("main h1").first().textContent())?.trim()).toBe(keynoteSpeaker.name);
      // Back to the session from the speaker's page.
      expect(await page.locator(`main a[href="/sessions/${keynote.slug}"]`).count()).toBeGreaterThan(0);
    } finally {
      await context.close();
    }
  });

  it("filters the programme by day, then by track, with the form and no JavaScript", async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    try {
      await page.goto(`${server.url}/programme?view=list`);
      const everything = await shownSessions(page);
      expectExactly(everything, new Set([...visibleSlugs(firstDay), ...visibleSlugs(secondDay)]));

      const form = page.locator('main form:has(select[name="day"])');
      for (const name of ["day", "track", "format", "language"])
        expect(await form.locator(`select[name="${name}"]`).count(), `select ${name}`).toBe(1);
      const submit = form.locator('[type="submit"], button:not([type])').first();

      await form.locator('select[name="day"]').selectOption(secondDay);
      await submit.click();
      await page.waitForURL((url) => url.searchParams.get("day") === secondDay);
      const dayTwo = await shownSessions(page);
      expectExactly(dayTwo, visibleSlugs(secondDay));
      expect(dayTwo.size).toBeLessThan(everything.size);

      const track = "investigation-forensics";
      await page.locator('main form:has(select[name="day"]) select[name="track"]').selectOption(track);
      await page.locator('main form:has(select[name="day"])').locator('[type="submit"], button:not([type])').first().click();
      await page.waitForURL((url) => url.searchParams.get("track") === track && url.searchParams.get("day") === secondDay);
      const dayTwoTrack = await shownSessions(page);
      expectExactly(dayTwoTrack, visibleSlugs(secondDay, track));
      expect(dayTwoTrack.size).toBeGreaterThan(0);
      expect(dayTwoTrack.size).toBeLessThan(dayTwo.size);
      // The form shows the filters it applied.
      expect(await page.locator('main select[name="day"]').inputValue()).toBe(secondDay);
      expect(await page.locator('main select[name="track"]').inputValue()).toBe(track);
    } finally {
      await context.close();
    }
  });

  it("switches language on the same page and keeps the query", async () => {
    const { context, page } = await newPage(browser);
    try {
      const query = `?day=${firstDay}&track=cybercrime-prevention&view=list`;
      await page.goto(`${server.url}/programme${query}`);
      await page.locator('header a[hreflang="fr"]').click();
      await page.waitForURL((url) => url.pathname === "/fr/programme");
      expect(new URL(page.url()).search).toBe(query);
      expect(await page.getAttribute("html", "lang")).toBe("fr");
      expect(await shownSessions(page)).toEqual(await shownSessionsOf(`/programme${query}`));

      await page.locator('header a[hreflang="en"]').click();
      await page.waitForURL((url) => url.pathname === "/programme");
      expect(new URL(page.url()).search).toBe(query);
      expect(await page.getAttribute("html", "lang")).toBe("en");

      // Any page, not only the programme.
      await page.goto(`${server.url}/sessions/${keynote.slug}`);
      await page.locator('header a[hreflang="fr"]').click();
      await page.waitForURL((url) => url.pathname === `/fr/sessions/${keynote.slug}`);
      // The French page has the French title.
      expect((await page.locator("main h1").first().textContent())?.trim()).toBe(titleIn(keynote, "fr"));
    } finally {
      await context.close();
    }

    async function shownSessionsOf(path: string) {
      const other = await newPage(browser);
      try {
        await other.page.goto(server.url + path);
        return await shownSessions(other.page);
      } finally {
        await other.context.close();
      }
    }
  });

  it("takes a session to a calendar: the .ics link is text/calendar with the session as a VEVENT", async () => {
    const { context, page } = await newPage(browser);
    try {
      await page.goto(`${server.url}/sessions/${keynote.slug}`);
      const link = page.locator('main a[href$=".ics"]').first();
      const href = await link.getAttribute("href");
      expect(href).toBeTruthy();
      const response = await context.request.get(new URL(href!, page.url()).href);
      expect(response.status()).toBe(200);
      expect(response.headers()["content-type"]).toMatch(/^text\/calendar\b/);
      const body = await response.text();
      expect(body).toMatch(/^BEGIN:VCALENDAR\r\n/);
      expect(body.match(/^BEGIN:VEVENT\r$/gm)?.length).toBe(1);
      expect(body).toMatch(/^DTSTART;TZID=Europe\/Paris:20130702T091500\r$/m);
      // Folded lines (RFC 5545 §3.1) are unfolded before looking for the title.
      expect(body.replace(/\r\n[ \t]/g, "")).toContain(`SUMMARY:${keynote.title.replaceAll(",", "\\,").replaceAll(";", "\\;")}`);
    } finally {
      await context.close();
    }
  });
});
