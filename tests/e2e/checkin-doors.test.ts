// Entry and exit at the doors (decision 38) in Chromium, under the site's real CSP: an organizer
// turns counting on; the desk's large Entry / Exit choice is reached and switched with the keyboard
// and kept by the desk across a reload; each answer in English and French; the counts of people
// inside follow; an exit made through a network cut is answered from the roster, queued, and
// counted once when the network is back; axe on the desk after each door answer and on the overview.
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ticketSecretOf } from "../../src/lib/registration/service.ts";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { startNetworkCut } from "../helpers/network-cut.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { serverAccounts } from "../helpers/session.ts";

describe.skipIf(skipBrowser)(browserSuite("check-in desk: entry and exit"), () => {
  let server: TestServer;
  let browser: Browser;
  let accounts: ReturnType<typeof serverAccounts>;
  let who: ReturnType<typeof people>;
  let desk: string;
  let organizer: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60" }), launchBrowser()]);
    accounts = serverAccounts(server);
    who = people(server, accounts);
    desk = (await who.staff("door.e2e@example.org", ["checkin"])).cookies.get("forum_session")!;
    organizer = (await who.staff("door.organizer@example.org", ["organizer"])).cookies.get("forum_session")!;
  });
  afterAll(async () => {
    accounts?.close();
    await browser?.close();
    await server?.stop();
  });

  const ticketOf = (id: number) =>
    ticketSecretOf(
      accounts.appKey,
      accounts.db.$client.prepare("select ticket_nonce as ticketNonce from registrations where id = ?").get(id) as { ticketNonce: string },
    );
  const presence = (id: number) =>
    accounts.db.$client.prepare("select inside, entries, exits from checkin_presence where registration_id = ?").get(id) as
      { inside: number; entries: number; exits: number } | undefined;
  const answer = (page: Page) => page.locator("[data-desk-answer]");
  const scan = async (page: Page, code: string, outcome: string) => {
    await page.focus("#f-ticket");
    await page.keyboard.type(`${code}\n`);
    await expect.poll(() => answer(page).getAttribute("class")).toContain(`desk-answer--${outcome}`);
  };
  const axe = async (page: Page) => {
    await page.addScriptTag({ path: resolve("node_modules/axe-core/axe.min.js") });
    return page.evaluate(async () => {
      const run = (globalThis as unknown as { axe: { run(d: Document): Promise<{ violations: { id: string; impact: string }[] }> } }).axe;
      return (await run.run(document)).violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id);
    });
  };

  it("is turned on by an organizer on the overview, a form that works without JavaScript", async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    try {
      await context.addCookies([{ name: "forum_session", value: organizer, url: server.url }]);
      await page.goto(`${server.url}/admin/checkin/presence`);
      expect(await page.textContent("main")).toContain("Entry and exit are not counted");
      await page.check("#f-entryExit");
      await page.click("form button[type=submit]");
      await page.waitForURL(/saved=1/);
      expect(await page.textContent("main")).toContain("Saved.");
      expect(await page.isChecked("#f-entryExit")).toBe(true);
      expect(await page.textContent("main")).toContain("Inside now");
    } finally {
      await context.close();
    }
  });

  it.each([
    [
      "en",
      {
        entry: "Entry",
        exit: "Exit",
        admitted: "Admitted",
        out: "Out",
        notInside: "Not inside",
        in: "In",
        left: /Left at \d\d:\d\d \(desk D1\)\./,
      },
    ],
    [
      "fr",
      {
        entry: "Entrées",
        exit: "Sorties",
        admitted: "Admis",
        out: "Sortie",
        notInside: "Pas à l’intérieur",
        in: "Entrée",
        left: /Sortie à \d\d:\d\d \(poste D1\)\./,
      },
    ],
  ] as const)("lets a desk switch between entry and exit with the keyboard, keeps its choice, and counts (%s)", async (locale, w) => {
    const prefix = locale === "fr" ? "/fr" : "";
    const id = await who.register(`door.${locale}@example.org`, "researcher", { overrides: { name: `Dora Door ${locale}` } });
    const { context, page } = await newPage(browser, { bypassCSP: true });
    try {
      await context.addCookies([{ name: "forum_session", value: desk, url: server.url }]);
      await page.goto(`${server.url}${prefix}/admin/checkin`);
      await page.waitForSelector("[data-desk][data-ready]");
      await page.fill("#f-desk", "D1");
      await page.locator("#f-desk").dispatchEvent("change");
      expect(await page.isVisible("[data-desk-doors]")).toBe(true);
      expect(await page.textContent("label[for=f-direction-entry]")).toBe(w.entry);
      expect(await page.textContent("label[for=f-direction-exit]")).toBe(w.exit);
      expect(await page.isChecked("#f-direction-entry")).toBe(true);
      const insideNow = () => page.locator('[data-inside=""]').textContent();
      const before = Number(await insideNow());
      await scan(page, ticketOf(id), "admitted");
      expect(await answer(page).textContent()).toContain(w.admitted);
      await expect.poll(insideNow).toBe(String(before + 1));
      expect(await axe(page), "after an admission").toEqual([]);
      // From the ticket field, one step back is the way the desk scans; an arrow switches it and the
      // focus is back in the ticket field for the next scan.
      await page.focus("#f-ticket");
      await page.keyboard.press("Shift+Tab");
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("f-direction-entry");
      await page.keyboard.press("ArrowRight");
      expect(await page.isChecked("#f-direction-exit")).toBe(true);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("f-ticket");
      await scan(page, ticketOf(id), "exited");
      expect(await answer(page).textContent()).toContain(w.out);
      await expect.poll(insideNow).toBe(String(before));
      await scan(page, ticketOf(id), "not_inside");
      expect(await answer(page).textContent()).toContain(w.notInside);
      expect(await answer(page).textContent()).toMatch(w.left);
      expect(await axe(page), "after an exit of someone not inside").toEqual([]);
      expect(presence(id)).toEqual({ inside: 0, entries: 1, exits: 1 });
      // The desk keeps its way across a reload.
      await page.reload();
      await page.waitForSelector("[data-desk][data-ready]");
      expect(await page.isChecked("#f-direction-exit")).toBe(true);
      await page.click("label[for=f-direction-entry]");
      await scan(page, ticketOf(id), "entered");
      expect(await answer(page).textContent()).toContain(w.in);
      expect(await axe(page), "after a re-entry").toEqual([]);
      expect(presence(id)).toEqual({ inside: 1, entries: 2, exits: 1 });
      await page.goto(`${server.url}${prefix}/admin/checkin/presence`);
      expect(await axe(page), "the overview").toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("answers an exit through a network cut from the roster and counts it once when the network is back", async () => {
    const id = await who.register("door.offline@example.org", "industry", { overrides: { name: "Otto Offline" } });
    const own = (await who.staff("door.offline.desk@example.org", ["checkin"])).cookies.get("forum_session")!;
    const net = await startNetworkCut(server.url);
    const { context, page } = await newPage(browser);
    try {
      await context.addCookies([{ name: "forum_session", value: own, url: net.url }]);
      await page.goto(`${net.url}/admin/checkin`);
      await page.waitForSelector("[data-desk][data-ready]");
      await scan(page, ticketOf(id), "admitted");
      await page.click("label[for=f-direction-exit]");
      net.cut();
      await context.setOffline(true);
      await scan(page, ticketOf(id), "exited");
      expect(await answer(page).textContent()).toContain("Offline: recorded on this device");
      // The same exit scanned again offline: the desk knows they are out.
      await scan(page, ticketOf(id), "not_inside");
      await expect.poll(() => page.locator("[data-desk-queue]").textContent()).toBe("2 scans waiting to be sent.");
      expect(presence(id)).toEqual({ inside: 1, entries: 1, exits: 0 });
      net.mend();
      await context.setOffline(false);
      await expect.poll(() => presence(id), { timeout: 20_000 }).toEqual({ inside: 0, entries: 1, exits: 1 });
      await expect.poll(() => page.locator("[data-desk-queue]").textContent()).toBe("");
      expect(await page.locator("[data-desk-conflicts]").isVisible()).toBe(false);
    } finally {
      await context.close();
      await net.close();
    }
  });
});
