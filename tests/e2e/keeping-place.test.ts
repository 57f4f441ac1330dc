// Keeping the person's place in Chromium: from a filtered programme to a session and back without
// JavaScript; the registrations' select-all box (JavaScript) and its server-side alternative; the
// organizers' navigation on a phone, every area reachable from the keyboard.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { postForm, registrationFields } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { serverAccounts } from "../helpers/session.ts";

describe.skipIf(skipBrowser)(browserSuite("keeping the person's place in Chromium"), () => {
  let server: TestServer;
  let browser: Browser;
  let accounts: ReturnType<typeof serverAccounts>;
  let organizerCookie: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60" }), launchBrowser()]);
    accounts = serverAccounts(server);
    const organizer = await people(server, accounts).staff("place-organizer@example.org", ["organizer"]);
    organizerCookie = organizer.cookies.get("forum_session")!;
    for (let i = 0; i < 3; i++) {
      const email = `place${i}@interieur.gouv.fr`;
      expect(
        (await postForm(server, "/register?_action=register", registrationFields(email, "law-enforcement", { name: `Agent ${i}` }))).status,
      ).toBe(303);
    }
    // Addresses confirmed: waiting for vetting.
    accounts.db.$client.prepare("update registrations set status = 'pending_review' where email like 'place%'").run();
  });
  afterAll(async () => {
    accounts?.close();
    await browser?.close();
    await server?.stop();
  });

  it("goes from a filtered programme to a session and back to the same view, at that session (no JavaScript)", async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    try {
      await page.goto(`${server.url}/programme`);
      await page.locator("#filter-day").selectOption("2013-07-03");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL(/day=2013-07-03/);
      await page.getByRole("link", { name: "List" }).click();
      await page.waitForURL(/view=list/);
      const filtered = new URL(page.url());
      const session = page.locator("main .session-card__title a").first();
      const slug = (await session.getAttribute("href"))!.split("?")[0]!.split("/").at(-1)!;
      await session.click();
      await page.waitForURL(`**/sessions/${slug}?**`);
      await page.getByRole("link", { name: "Back to the programme" }).click();
      await page.waitForURL(/\/programme\?/);
      const back = new URL(page.url());
      expect(back.searchParams.get("day")).toBe(filtered.searchParams.get("day"));
      expect(back.searchParams.get("view")).toBe("list");
      expect(back.hash).toBe(`#session-${slug}`);
      expect(await page.evaluate(() => document.querySelector(":target")?.getAttribute("data-session"))).toBe(slug);
      // The language switch keeps the filters as well.
      await page.locator("a.lang-switch").click();
      await page.waitForURL(/\/fr\/programme\?/);
      expect(new URL(page.url()).searchParams.get("day")).toBe("2013-07-03");
    } finally {
      await context.close();
    }
  });

  it("ticks every row with the select-all box, and keeps the ticks when the decision is refused", async () => {
    const { context, page } = await newPage(browser);
    try {
      await context.addCookies([{ name: "forum_session", value: organizerCookie, url: server.url }]);
      await page.goto(`${server.url}/admin/registrations?category=law-enforcement`);
      const all = page.getByRole("checkbox", { name: "Select every registration on this page" });
      const rows = page.locator("tbody input[type=checkbox][name=ids]");
      expect(await rows.count()).toBe(3);
      await all.check();
      for (const box of await rows.all()) expect(await box.isChecked()).toBe(true);
      await rows.first().uncheck();
      expect(await all.evaluate((box: HTMLInputElement) => [box.checked, box.indeterminate])).toEqual([false, true]);
      await all.check();
      // A rejection without a reason is refused: the page comes back with the same three ticked.
      await page.locator("#f-decision").selectOption("reject");
      await page.getByRole("button", { name: "Apply" }).click();
      await page.waitForSelector(".error-summary");
      for (const box of await rows.all()) expect(await box.isChecked()).toBe(true);
      expect(await all.evaluate((box: HTMLInputElement) => [box.checked, box.indeterminate])).toEqual([true, false]);
    } finally {
      await context.close();
    }
  });

  it("without JavaScript, offers every registration the filter matches instead", async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    try {
      await context.addCookies([{ name: "forum_session", value: organizerCookie, url: server.url }]);
      await page.goto(`${server.url}/admin/registrations?category=law-enforcement`);
      expect(await page.locator("[data-select-all]").isVisible()).toBe(false);
      await page.getByLabel("All 3 registrations that match the filter").check();
      await page.locator("#f-decision").selectOption("waitlist");
      await page.getByRole("button", { name: "Apply" }).click();
      await expect.poll(() => page.locator("[role=status]").first().textContent()).toContain("Done for 3 registrations.");
    } finally {
      await context.close();
    }
  });

  it("shows the organizers' navigation on a phone: the current area in view, every area reachable by keyboard", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "en-GB" });
    context.setDefaultTimeout(10_000);
    try {
      await context.addCookies([{ name: "forum_session", value: organizerCookie, url: server.url }]);
      const page = await context.newPage();
      await page.goto(`${server.url}/admin/staff`);
      const nav = page.getByRole("navigation", { name: "Organizers’ area" });
      const list = nav.locator("ul");
      const current = nav.locator("a[aria-current=page]");
      expect(await current.textContent()).toBe("Staff");
      // The line scrolls sideways, the page does not; the current area was brought into view.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      expect(await list.evaluate((ul) => ul.scrollWidth > ul.clientWidth)).toBe(true);
      const inView = async (link: typeof current) => {
        const [l, b] = [await link.boundingBox(), await list.boundingBox()];
        return !!l && !!b && l.x >= b.x - 1 && l.x + l.width <= b.x + b.width + 1;
      };
      expect(await inView(current)).toBe(true);
      // Tab through it: each link, once focused, is scrolled into view.
      const links = nav.locator("a");
      await links.first().focus();
      for (let i = 0; i < (await links.count()); i++) {
        if (i > 0) await page.keyboard.press("Tab");
        const link = links.nth(i);
        expect(await link.evaluate((a) => a === document.activeElement), `Tab ${i}`).toBe(true);
        await expect.poll(() => inView(link), { message: (await link.textContent()) ?? "" }).toBe(true);
      }
    } finally {
      await context.close();
    }
  });
});
