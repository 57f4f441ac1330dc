// axe-core on the public pages in both languages: no serious or critical violation.
import { resolve } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { postForm, registrationFields, serverDb } from "../helpers/forms.ts";
import { people } from "../helpers/people.ts";
import { serverAccounts } from "../helpers/session.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import * as cfp from "../fixtures/cfp.ts";
import { confirmToken } from "../../src/lib/cfp/links.ts";
import { pendingDigest, releaseDecisions, setPendingDecisions } from "../../src/lib/review/decisions.ts";

const AXE = resolve("node_modules/axe-core/axe.min.js");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** A public session and speaker of the demo edition that every visitor may see in full. */
const session = "opening-keynote-anticipating-crime";
const speaker = "amelie-dupont-varenne";
const pages = [
  "/",
  "/programme",
  "/programme?view=list",
  `/sessions/${session}`,
  `/speakers/${speaker}`,
  "/register",
  "/register?category=law-enforcement",
  "/register/sent",
  "/register/link",
  "/register/link?sent=1",
  "/signin",
  "/cfp",
];
const localized = pages.flatMap((path) => [path, path === "/" ? "/fr/" : `/fr${path}`]);

describe.skipIf(skipBrowser)(browserSuite("accessibility (axe-core)"), () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    // The site's CSP forbids scripts it did not ship; the test context may inject axe anyway.
    ({ context } = await newPage(browser, { bypassCSP: true }));
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  /** The serious and critical violations axe finds on the page as it is now. */
  async function blockingViolations(page: Page): Promise<string[]> {
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(ctx: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
      const result = await axe.run(document, { resultTypes: ["violations"] });
      return result.violations.map(({ id, impact, help, nodes }) => ({
        id,
        impact,
        help,
        nodes: nodes.slice(0, 5).map((n) => ({ target: n.target })),
      }));
    });
    return violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`);
  }

  it.each(localized)("%s has no serious or critical violation", async (path) => {
    const page = await context.newPage();
    try {
      const response = await page.goto(server.url + path);
      expect(response?.status(), `GET ${path}`).toBe(200);
      expect(await blockingViolations(page), `axe on ${path}`).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it.each(["en", "fr"])("the registration form with errors, and a confirmed registration's page (%s)", async (locale) => {
    const prefix = locale === "fr" ? "/fr" : "";
    const page = await context.newPage();
    const data = serverDb(server);
    try {
      await page.goto(`${server.url}${prefix}/register?category=industry`);
      await page.locator("#f-email").fill("not-an-address");
      await page.locator("form[method=post] button[type=submit]").click();
      await page.waitForSelector(".error-summary");
      expect(await blockingViolations(page), "axe on the form with errors").toEqual([]);

      const email = `axe.${locale}@example.org`;
      expect(
        (await postForm(server, "/register?_action=register", registrationFields(email, "industry", { language: locale }))).status,
      ).toBe(303);
      const token = data.linkTokenOf(email);
      expect((await postForm(server, `/register/manage/${token}?_action=confirmRegistration`, { token })).status).toBe(303);
      await page.goto(`${server.url}${prefix}/register/manage/${token}?done=confirmed`);
      await page.locator("details.edit-details summary").click();
      expect(await page.locator(".ticket-card .ticket__qr svg").count()).toBe(1);
      expect(await blockingViolations(page), "axe on the manage page").toEqual([]);
      await page.goto(`${server.url}${prefix}/register/manage/${token}?cancel=1`);
      expect(await blockingViolations(page), "axe on the cancel step").toEqual([]);
    } finally {
      data.close();
      await page.close();
    }
  });

  // Some 25 pages, each with axe: more than one default timeout on a loaded machine.
  it.each(["en", "fr"])(
    "the organizers' list and a registration's page (%s)",
    async (locale) => {
      const prefix = locale === "fr" ? "/fr" : "";
      const accounts = serverAccounts(server);
      const page = await context.newPage();
      try {
        const organizer = await people(server, accounts).staff(`axe-organizer-${locale}@example.org`, ["organizer"]);
        await context.addCookies([{ name: "forum_session", value: organizer.cookies.get("forum_session")!, url: server.url }]);
        expect(
          (await postForm(server, "/register?_action=register", registrationFields(`axe-list-${locale}@example.org`, "law-enforcement")))
            .status,
        ).toBe(303);

        const list = await page.goto(`${server.url}${prefix}/admin/registrations`);
        expect(list?.status()).toBe(200);
        expect(await blockingViolations(page), "axe on the list").toEqual([]);
        await page.locator("table a").first().click();
        expect(await blockingViolations(page), "axe on a registration").toEqual([]);
        for (const path of [
          "/admin",
          "/admin/statistics",
          "/admin/audit",
          "/admin/mail",
          "/admin/mail/compose",
          "/admin/staff",
          "/admin/programme",
          "/admin/programme/sessions",
          "/admin/programme/sessions/new",
          "/admin/programme/sessions/opening-keynote-anticipating-crime",
          "/admin/programme/schedule",
          "/admin/programme/rooms",
          "/admin/programme/tracks",
          "/admin/programme/formats",
          "/admin/programme/speakers",
          "/admin/programme/speakers/new",
          "/admin/programme/speakers/amelie-dupont-varenne",
          "/admin/cfp",
          "/admin/cfp/settings",
          "/admin/cfp/reviewers",
          "/admin/reviews",
          "/admin/checkin",
          "/admin/checkin?q=e",
          "/agenda",
          "/account",
        ]) {
          const response = await page.goto(`${server.url}${prefix}${path}`);
          expect(response?.status(), path).toBe(200);
          expect(await blockingViolations(page), `axe on ${prefix}${path}`).toEqual([]);
        }
      } finally {
        await context.clearCookies();
        await page.close();
        accounts.close();
      }
    },
    180_000,
  );
  it.each(["en", "fr"])(
    "the committee's pages with a proposal, a review form with errors and the confirmation page (%s)",
    async (locale) => {
      const prefix = locale === "fr" ? "/fr" : "";
      const accounts = serverAccounts(server);
      const page = await context.newPage();
      try {
        const email = `axe-committee-${locale}@example.org`;
        const organizer = await people(server, accounts).staff(email, ["organizer"]);
        await context.addCookies([{ name: "forum_session", value: organizer.cookies.get("forum_session")!, url: server.url }]);
        const db = accounts.db;
        const organizerId = (db.$client.prepare("select id from users where email = ?").get(email) as { id: number }).id;
        cfp.criterion(db, { nameEn: `Relevance ${locale}`, nameFr: `Pertinence ${locale}` });
        cfp.assignAll(db, organizerId);
        const reviewed = cfp.proposal(db, [cfp.speakerProfile(db, `axe-speaker-${locale}@example.org`).id], { title: `Axe ${locale}` });
        const accepted = cfp.proposal(db, [cfp.speakerProfile(db, `axe-accepted-${locale}@example.org`).id], {
          title: `Accepted ${locale}`,
        });
        setPendingDecisions(db, { id: organizerId, email }, [accepted.code], "accepted");
        const release = releaseDecisions(db, accounts.appKey, { id: organizerId, email }, pendingDigest(db));
        expect(release.ok).toBe(true);
        const { payload } = db.$client
          .prepare("select payload from outbox where template = 'cfp.accepted' and json_extract(payload, '$.code') = ?")
          .get(accepted.code) as { payload: string };
        const token = confirmToken(accounts.appKey, JSON.parse(payload).nonce);
        for (const path of [
          `/admin/cfp/${reviewed.code}`,
          `/admin/cfp/${accepted.code}`,
          `/admin/reviews/${reviewed.code}`,
          // The saved notice with its link to the next proposal, and the late link's notice.
          `/admin/reviews/${reviewed.code}?saved=1`,
          `/admin/cfp/settings?late=2013-06-30T21:59:00.000Z`,
          `/cfp/confirm/${token}`,
        ]) {
          const response = await page.goto(`${server.url}${prefix}${path}`);
          expect(response?.status(), path).toBe(200);
          expect(await blockingViolations(page), `axe on ${prefix}${path}`).toEqual([]);
        }
        // The review form sent without a score: errors by the field.
        await page.goto(`${server.url}${prefix}/admin/reviews/${reviewed.code}`);
        await page.locator("form.form button[type=submit]").click();
        expect(await page.locator(".error-summary").count()).toBe(1);
        expect(await blockingViolations(page), "axe on the review form with errors").toEqual([]);
        await page.goto(`${server.url}${prefix}/admin/mail?state=held`);
        expect(await blockingViolations(page), "axe on the held messages").toEqual([]);
        // A held message as it will go out, at a desk's width and a phone's.
        const { id: heldId } = db.$client
          .prepare("select id from outbox where template = 'cfp.accepted' and json_extract(payload, '$.code') = ?")
          .get(accepted.code) as { id: string };
        for (const width of [1280, 390]) {
          await page.setViewportSize({ width, height: 900 });
          await page.goto(`${server.url}${prefix}/admin/mail/${heldId}`);
          expect(await blockingViolations(page), `axe on a held message at ${width}`).toEqual([]);
        }
        await page.setViewportSize({ width: 1280, height: 720 });
      } finally {
        await context.clearCookies();
        await page.close();
        accounts.close();
      }
    },
  );

  it.each(["en", "fr"])("the organizers' confirmation steps: publishing over warnings, a refused bulk decision (%s)", async (locale) => {
    const prefix = locale === "fr" ? "/fr" : "";
    const accounts = serverAccounts(server);
    const page = await context.newPage();
    try {
      const organizer = await people(server, accounts).staff(`axe-steps-${locale}@example.org`, ["organizer"]);
      await context.addCookies([{ name: "forum_session", value: organizer.cookies.get("forum_session")!, url: server.url }]);
      // A room double-booked: the keynote's room and time given to the next talk.
      accounts.db.$client
        .prepare(
          "update sessions set starts_at = (select starts_at from sessions where slug = 'opening-keynote-anticipating-crime'), ends_at = (select ends_at from sessions where slug = 'opening-keynote-anticipating-crime'), room_id = (select room_id from sessions where slug = 'opening-keynote-anticipating-crime') where slug = 'measuring-what-prevention-prevents'",
        )
        .run();
      expect(
        (await postForm(server, "/register?_action=register", registrationFields(`axe-steps-${locale}@example.org`, "law-enforcement")))
          .status,
      ).toBe(303);
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto(`${server.url}${prefix}/admin/programme`);
        await page.locator("#f-comment").fill("Axe");
        await page.locator("form.form button[type=submit]").click();
        await page.waitForSelector(".publish-confirm");
        expect(await blockingViolations(page), `axe on the publish confirmation at ${width}`).toEqual([]);
        await page.goto(`${server.url}${prefix}/admin/registrations`);
        await page.locator("tbody input[name=ids]").first().check();
        await page.locator("#decision").selectOption("reject");
        await page.locator("form.admin-bulk button[type=submit]").click();
        await page.waitForSelector(".error-summary");
        expect(await blockingViolations(page), `axe on a refused bulk decision at ${width}`).toEqual([]);
      }
    } finally {
      await context.clearCookies();
      await page.close();
      accounts.close();
    }
  });
});
