// An attendee in Chromium with JavaScript off: signs in with a one-time link, stars one session
// from the programme grid and one from its page, finds both on /agenda, creates the private
// calendar address and downloads the feed (two events). Then axe-core on the agenda screens.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { serverAccounts } from "../helpers/session.ts";

const AXE = resolve("node_modules/axe-core/axe.min.js");
const EMAIL = "attendee@example.org";
const FROM_GRID = { slug: "opening-keynote-anticipating-crime", title: "Opening keynote: Anticipating crime in a connected world" };
const FROM_PAGE = { slug: "botnet-mitigation-year-in-review", title: "Lessons from a year of public-private botnet mitigation" };

/** The VEVENTs of an iCalendar text as property maps (lines unfolded, parameters dropped, text unescaped). */
function parseEvents(ics: string): Record<string, string>[] {
  const lines = ics.replace(/\r\n[ \t]/g, "").split("\r\n");
  const events: Record<string, string>[] = [];
  let current: Record<string, string> | null = null;
  for (const line of lines) {
    if (line === "BEGIN:VEVENT") current = {};
    else if (line === "END:VEVENT" && current) {
      events.push(current);
      current = null;
    } else if (current) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).split(";")[0];
      current[name] = line.slice(colon + 1).replace(/\\([,;\\])/g, "$1");
    }
  }
  return events;
}

describe.skipIf(skipBrowser)(browserSuite("an attendee keeps a personal agenda in Chromium"), () => {
  let server: TestServer;
  let browser: Browser;
  let accounts: ReturnType<typeof serverAccounts>;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ MAIL_WORKER: "off" }), launchBrowser()]);
    accounts = serverAccounts(server);
    // A confirmed industry attendee: registered and confirmed through the site's own forms.
    await people(server, accounts).registerAndConfirm(EMAIL, "industry");
  });
  afterAll(async () => {
    accounts?.close();
    await browser?.close();
    await server?.stop();
  });

  /** Signs the attendee in on `page` with a fresh one-time link; lands on `next`. */
  async function signIn(page: Page, next: string) {
    const { linkToken } = accounts.account(EMAIL);
    await page.goto(`${server.url}/signin/link/${linkToken}?next=${encodeURIComponent(next)}`);
    await page.getByRole("button", { name: "Sign me in" }).click();
    await page.waitForURL(`**${next}`);
  }

  it("stars two sessions without JavaScript, sees them on /agenda and downloads the feed", async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    try {
      await signIn(page, "/programme");

      // From the programme grid: the button names the session.
      await page.getByRole("button", { name: `Add to my agenda: ${FROM_GRID.title}` }).click();
      await page.waitForURL(`**/programme#star-${FROM_GRID.slug}`);
      await expect.poll(() => page.getByRole("button", { name: `Remove from my agenda: ${FROM_GRID.title}` }).count()).toBe(1);
      expect(await page.getByRole("link", { name: "My agenda (1)" }).count()).toBe(1);

      // From the session's own page.
      await page.goto(`${server.url}/sessions/${FROM_PAGE.slug}`);
      await page.getByRole("button", { name: `Add to my agenda: ${FROM_PAGE.title}` }).click();
      await page.waitForURL(`**/sessions/${FROM_PAGE.slug}#star-${FROM_PAGE.slug}`);
      expect(await page.getByRole("button", { name: `Remove from my agenda: ${FROM_PAGE.title}` }).count()).toBe(1);

      // Both on the agenda, in time order, linked to their pages. (The session page links to it;
      // so does the header, on every page, for a signed-in person.)
      expect(await page.getByRole("banner").getByRole("link", { name: "My agenda", exact: true }).count()).toBe(1);
      await page.getByRole("main").getByRole("link", { name: "My agenda", exact: true }).click();
      await page.waitForURL("**/agenda");
      expect(await page.locator("h1").textContent()).toBe("My agenda");
      const titles = await page.locator(".agenda-item h3 a").allTextContents();
      expect(titles).toEqual([FROM_GRID.title, FROM_PAGE.title]);
      expect(await page.getByRole("link", { name: FROM_PAGE.title }).getAttribute("href")).toBe(`/sessions/${FROM_PAGE.slug}`);

      // The private calendar address, then the feed itself.
      await page.getByRole("button", { name: "Create my calendar address" }).click();
      await page.waitForURL("**/agenda?feed=created#feed");
      expect(await page.getByRole("status").textContent()).toContain("Your private calendar address is ready.");
      const address = await page.getByLabel("Your private calendar address").inputValue();
      expect(address).toMatch(new RegExp(`^${server.url}/agenda/[A-Za-z0-9_-]{43}\\.ics$`));
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "Download once (.ics)" }).click(),
      ]);
      const ics = readFileSync((await download.path())!, "utf8");
      expect(ics.startsWith("BEGIN:VCALENDAR\r\n")).toBe(true);
      const events = parseEvents(ics);
      expect(events).toHaveLength(2);
      expect(events.map((e) => e.SUMMARY)).toEqual([FROM_GRID.title, FROM_PAGE.title]);
      expect(events.map((e) => e.UID.split("@")[0])).toEqual([`ftsw2013-session-${FROM_GRID.slug}`, `ftsw2013-session-${FROM_PAGE.slug}`]);
      expect(events[1].DTSTART).toBe("20130702T141500");
      // The registered session comes in full: this attendee is confirmed.
      expect(events[1].DESCRIPTION).toContain("sinkholing partner");

      // Removing one from the agenda page.
      await page.getByRole("button", { name: `Remove: ${FROM_GRID.title}` }).click();
      await page.waitForURL("**/agenda");
      expect(await page.locator(".agenda-item h3 a").allTextContents()).toEqual([FROM_PAGE.title]);
    } finally {
      await context.close();
    }
  });

  it("the agenda screens have no serious or critical axe violation, in both languages", async () => {
    const { context, page } = await newPage(browser, { bypassCSP: true });
    try {
      await signIn(page, "/agenda");
      for (const path of ["/agenda", "/fr/agenda", "/programme", "/fr/programme?view=list", `/sessions/${FROM_PAGE.slug}`]) {
        expect((await page.goto(server.url + path))?.status(), path).toBe(200);
        await page.addScriptTag({ path: AXE });
        const violations = await page.evaluate(async () => {
          const axe = (
            globalThis as unknown as {
              axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string | null }[] }> };
            }
          ).axe;
          return (await axe.run(document, { resultTypes: ["violations"] })).violations.map((v) => `${v.impact} ${v.id}`);
        });
        expect(
          violations.filter((v) => /^(serious|critical)/.test(v)),
          path,
        ).toEqual([]);
      }
    } finally {
      await context.close();
    }
  });
});
