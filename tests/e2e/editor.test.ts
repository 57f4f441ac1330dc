// An organizer in Chromium edits the programme: creates an invited session and places it with the
// form (JavaScript off), drags it to another room and time and stretches it (JavaScript on), then
// publishes a release; the public programme and the changelog show the change.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEdition } from "../../src/lib/config/edition.ts";
import { zonedToInstant } from "../../src/lib/programme/time.ts";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { serverDb } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { serverAccounts, type Client } from "../helpers/session.ts";

const edition = loadEdition();
const DAY = edition.endDate;
const TITLE = "Invited briefing: the Lyon regional crime lab";
const SLUG = "invited-briefing-the-lyon-regional-crime-lab";

describe.skipIf(skipBrowser)(browserSuite("an organizer edits and publishes the programme in Chromium"), () => {
  let server: TestServer;
  let browser: Browser;
  let accounts: ReturnType<typeof serverAccounts>;
  let organizer: Client;
  let data: ReturnType<typeof serverDb>;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ MAIL_WORKER: "off" }), launchBrowser()]);
    accounts = serverAccounts(server);
    organizer = await people(server, accounts).staff("grid@example.org", ["organizer"]);
    data = serverDb(server);
  });
  afterAll(async () => {
    data?.close();
    accounts?.close();
    await browser?.close();
    await server?.stop();
  });

  /** A page signed in as the organizer (the session cookie of the HTTP client, which gave the second factor). */
  async function organizerPage(javaScriptEnabled: boolean): Promise<{ context: BrowserContext; page: Page }> {
    const opened = await newPage(browser, { javaScriptEnabled });
    await opened.context.addCookies(
      [...organizer.cookies].map(([name, value]) => ({ name, value, url: server.url, httpOnly: true, sameSite: "Lax" as const })),
    );
    return opened;
  }

  const placement = () =>
    data.db
      .prepare(
        "select s.starts_at as startsAt, s.ends_at as endsAt, r.name as room from sessions s left join rooms r on r.id = s.room_id where s.slug = ?",
      )
      .get(SLUG) as {
      startsAt: number | null;
      endsAt: number | null;
      room: string | null;
    };
  const at = (time: string) => zonedToInstant(DAY, time, edition.timezone).getTime();
  const rooms = () => data.db.prepare("select name from rooms order by position").all() as { name: string }[];

  it("creates a session and places it with the form, without JavaScript", async () => {
    const { context, page } = await organizerPage(false);
    try {
      await page.goto(`${server.url}/admin/programme`);
      await page.getByRole("link", { name: "Sessions", exact: true }).click();
      await page.getByRole("link", { name: "New session" }).click();
      await page.locator("#f-titleEn").fill(TITLE);
      await page.getByRole("button", { name: "Create the session" }).click();
      await expect.poll(() => page.locator("[role=status]").first().textContent()).toContain("Session created.");
      // A mistake first: the end before the start is refused by the field, nothing saved.
      await page.locator("#f-day").selectOption(DAY);
      // After the demo's last session of the day, so that the card sits alone on the grid.
      await page.locator("#f-start").fill("17:30");
      await page.locator("#f-end").fill("17:00");
      const firstRoom = data.db.prepare("select id, name from rooms order by position").get() as { id: number; name: string };
      await page.locator("#f-roomId").selectOption(String(firstRoom.id));
      await page.getByRole("button", { name: "Save time and room" }).click();
      expect(await page.locator("#f-end-error").textContent()).toContain("The end must be after the start.");
      expect(placement().startsAt).toBeNull();
      await page.locator("#f-end").fill("18:00");
      await page.getByRole("button", { name: "Save time and room" }).click();
      await expect.poll(() => page.locator("[role=status]").first().textContent()).toContain("Saved.");
      expect(placement()).toEqual({ startsAt: at("17:30"), endsAt: at("18:00"), room: rooms()[0].name });
    } finally {
      await context.close();
    }
  });

  it("drags the session to another room and time, then stretches it by its bottom edge", async () => {
    const { context, page } = await organizerPage(true);
    try {
      await page.goto(`${server.url}/admin/programme/schedule?day=${DAY}`);
      const card = page.locator(`[data-session="${SLUG}"]`);
      const second = rooms()[1].name;
      const target = page.locator(`.drop-cell[title="Place in ${second} at 17:00"]`);
      await Promise.all([page.waitForEvent("load"), card.dragTo(target)]);
      await expect.poll(placement).toEqual({ startsAt: at("17:00"), endsAt: at("17:30"), room: second });

      const edge = page.locator(`[data-session="${SLUG}"] [data-resize]`);
      const end = page.locator(`.drop-cell[title="Place in ${second} at 17:55"]`);
      await Promise.all([page.waitForEvent("load"), edge.dragTo(end)]);
      await expect.poll(placement).toEqual({ startsAt: at("17:00"), endsAt: at("18:00"), room: second });

      // Dropped on the time column: across every room (a plenary item).
      const across = page.locator('.drop-cell[title="Place across all rooms at 18:30"]');
      await Promise.all([page.waitForEvent("load"), page.locator(`[data-session="${SLUG}"]`).dragTo(across)]);
      await expect.poll(placement).toEqual({ startsAt: at("18:30"), endsAt: at("19:30"), room: null });
    } finally {
      await context.close();
    }
  });

  it("publishes a release; the public programme and the changelog show the session", async () => {
    const before = await (await fetch(`${server.url}/programme`)).text();
    expect(before).not.toContain(TITLE);
    const { context, page } = await organizerPage(false);
    try {
      await page.goto(`${server.url}/admin/programme`);
      await page.getByLabel("Comment in English (optional, shown in the changelog)").fill("Added the crime-lab briefing");
      await page.getByRole("button", { name: "Publish a new version" }).click();
      // The briefing has no speaker yet: the release lists that warning and asks before publishing.
      const step = page.locator(".publish-confirm");
      expect(await step.locator("h2").textContent()).toMatch(/Publish despite \d+ warnings?\?/);
      expect(await step.textContent()).toContain("No speaker");
      expect(await step.textContent()).toContain("Added the crime-lab briefing");
      await step.getByRole("button", { name: /^Publish with \d+ warnings?$/ }).click();
      await expect.poll(() => page.locator("[role=status]").first().textContent()).toContain("2");
      await page.goto(`${server.url}/programme`);
      expect(await page.getByText(TITLE).count()).toBeGreaterThan(0);
      await page.goto(`${server.url}/changelog`);
      const latest = page.locator("main section, main article").filter({ hasText: "Added the crime-lab briefing" }).first();
      expect(await latest.textContent()).toContain(TITLE);
      expect(await latest.textContent()).toContain("Added");
    } finally {
      await context.close();
    }
  });
});
