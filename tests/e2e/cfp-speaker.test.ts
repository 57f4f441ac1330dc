// A speaker in Chromium with JavaScript off: signs in from the call page, starts a proposal, is
// told what is missing next to the field, completes the profile, submits, invites a co-speaker.
// Then axe-core on every speaker page of the call, with and without errors, in both languages.
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { serverAccounts } from "../helpers/session.ts";
import * as cfp from "../fixtures/cfp.ts";
import { pendingDigest, releaseDecisions, setPendingDecisions } from "../../src/lib/review/decisions.ts";

const AXE = resolve("node_modules/axe-core/axe.min.js");

describe.skipIf(skipBrowser)(browserSuite("a speaker submits a proposal in Chromium"), () => {
  let server: TestServer;
  let browser: Browser;
  let accounts: ReturnType<typeof serverAccounts>;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ MAIL_WORKER: "off" }), launchBrowser()]);
    accounts = serverAccounts(server);
  });
  afterAll(async () => {
    accounts?.close();
    await browser?.close();
    await server?.stop();
  });

  /** Signs `email` in on `page` with a fresh one-time link; lands on `next`. */
  async function signIn(page: Page, email: string, next: string) {
    const { linkToken } = accounts.account(email);
    await page.goto(`${server.url}/signin/link/${linkToken}?next=${encodeURIComponent(next)}`);
    await page.getByRole("button", { name: "Sign me in" }).click();
    await page.waitForURL(`**${next}`);
  }

  /** The serious and critical violations axe finds on the page as it is now. */
  async function blockingViolations(page: Page): Promise<string[]> {
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const axe = (
        globalThis as unknown as {
          axe: {
            run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }>;
          };
        }
      ).axe;
      const result = await axe.run(document, { resultTypes: ["violations"] });
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)),
      }));
    });
    return violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.impact} ${v.id} at ${v.targets.join(", ")}`);
  }

  it("walks from the call page to a submitted proposal with a co-speaker, without JavaScript", async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    try {
      await page.goto(`${server.url}/cfp`);
      expect(await page.getByRole("link", { name: "Sign in to submit a proposal" }).getAttribute("href")).toBe(
        `/signin?next=${encodeURIComponent("/cfp/proposals/new")}`,
      );
      await signIn(page, "walker@example.org", "/cfp/proposals/new");

      await page.getByLabel("Title in English").fill("Cross-border evidence in the cloud");
      await page.getByLabel("Format").selectOption("talk");
      await page.getByRole("button", { name: "Save as draft" }).click();
      await page.waitForURL(/\/cfp\/proposals\/[A-Z0-9]{8}\?notice=created$/);
      const proposalUrl = page.url().replace(/\?.*$/, "");
      expect(await page.getByRole("status").textContent()).toContain("Your draft is saved.");

      // Submitting without an abstract: the summary links to the field, the field says why.
      await page.getByRole("button", { name: "Submit the proposal" }).click();
      const why = "Write an abstract, in English or in French, before submitting.";
      expect(await page.locator(".error-summary a[href='#f-abstractEn']").textContent()).toBe(
        "Abstract in English: write an abstract, in English or in French, before submitting.",
      );
      expect(await page.locator("#f-abstractEn-error").textContent()).toContain(why);

      // An abstract in French is enough.
      await page.getByLabel("Abstract in French").fill("Obtenir vite et légalement des données hébergées à l’étranger.");
      await page.getByRole("button", { name: "Save changes" }).click();
      await page.waitForURL("**?notice=saved");
      await page.getByRole("button", { name: "Submit the proposal" }).click();
      expect(await page.locator(".error-summary").textContent()).toContain("Give your name in your speaker profile before submitting.");

      await page.goto(`${server.url}/cfp/profile`);
      await page.locator("#f-name").fill("Walker Example");
      await page.getByLabel("Organisation").fill("Example Police");
      await page.getByRole("button", { name: "Save my profile" }).click();
      await page.waitForURL("**/cfp/profile?saved=1");

      await page.goto(proposalUrl);
      await page.getByRole("button", { name: "Submit the proposal" }).click();
      await page.waitForURL("**?notice=submitted");
      expect(await page.locator(".status-badge").first().textContent()).toBe("Submitted, under review");

      await page.getByLabel("Co-speaker’s e-mail address").fill("partner@example.org");
      await page.getByRole("button", { name: "Send the invitation" }).click();
      await page.waitForURL("**?notice=invited#invitations");
      expect(await page.getByRole("row", { name: /partner@example\.org/ }).textContent()).toContain("Waiting for an answer");
      expect(await page.getByRole("button", { name: "Withdraw the invitation to partner@example.org" }).count()).toBe(1);

      await page.goto(`${server.url}/cfp/proposals`);
      expect(await page.getByRole("link", { name: "Cross-border evidence in the cloud" }).getAttribute("href")).toBe(
        new URL(proposalUrl).pathname,
      );
    } finally {
      await context.close();
    }
  });

  it.each(["en", "fr"])("axe finds no serious violation on the speaker pages, with errors shown too (%s)", async (locale) => {
    const prefix = locale === "fr" ? "/fr" : "";
    const { context, page } = await newPage(browser, { bypassCSP: true });
    try {
      await signIn(page, `axe-speaker-${locale}@example.org`, `${prefix}/cfp`);
      for (const path of ["/cfp", "/cfp/profile", "/cfp/proposals", "/cfp/proposals/new"]) {
        const response = await page.goto(`${server.url}${prefix}${path}`);
        expect(response?.status(), path).toBe(200);
        expect(await blockingViolations(page), `axe on ${prefix}${path}`).toEqual([]);
      }
      // The new-proposal form refused, then a draft's page, then the profile refused.
      await page.goto(`${server.url}${prefix}/cfp/proposals/new`);
      await page.locator("form[method=post] button[type=submit]").click();
      await page.waitForSelector(".error-summary");
      expect(await blockingViolations(page), "axe on the refused form").toEqual([]);
      await page.locator("#f-titleEn").fill("Accessible talk");
      await page.locator("#f-format").selectOption("panel");
      await page.locator("form[method=post] button[type=submit]").click();
      await page.waitForURL(/notice=created$/);
      await page.locator("#f-email").fill("co@example.org");
      await page.locator("#invitations form[method=post] button[type=submit]").last().click();
      await page.waitForURL(/notice=invited/);
      expect(await blockingViolations(page), "axe on a proposal with an invitation").toEqual([]);
      // Withdrawing asks first: the link opens a confirmation step, nothing is withdrawn yet.
      await page.getByRole("link", { name: locale === "fr" ? "Retirer la proposition" : "Withdraw the proposal" }).click();
      await page.waitForURL(/withdraw=1/);
      expect(await page.getByRole("button", { name: locale === "fr" ? "Oui, la retirer" : "Yes, withdraw it" }).count()).toBe(1);
      expect(await blockingViolations(page), "axe on the withdrawal's confirmation").toEqual([]);
      await page.goto(`${server.url}${prefix}/cfp/profile`);
      await page.locator("#f-country").selectOption({ index: 0 });
      await page.locator("#f-links").fill("not a link");
      await page.locator("form[method=post] button[type=submit]").first().click();
      await page.waitForSelector(".error-summary");
      expect(await blockingViolations(page), "axe on the refused profile").toEqual([]);
    } finally {
      await context.close();
    }
  });

  it.each(["en", "fr"])(
    "axe finds no serious violation on an accepted proposal, its decline step and once confirmed (%s)",
    async (locale) => {
      const prefix = locale === "fr" ? "/fr" : "";
      const email = `axe-answer-${locale}@example.org`;
      const db = accounts.db;
      const organizer = cfp.user(db, `axe-chair-${locale}@example.org`, ["organizer"]);
      const { code } = cfp.proposal(db, [cfp.speakerProfile(db, email, { name: `Axe ${locale}` }).id], { title: `Accepted ${locale}` });
      setPendingDecisions(db, organizer, [code], "accepted");
      expect(releaseDecisions(db, accounts.appKey, organizer, pendingDigest(db))).toMatchObject({ ok: true });
      const { context, page } = await newPage(browser, { bypassCSP: true });
      try {
        await signIn(page, email, `${prefix}/cfp/proposals/${code}`);
        expect(await blockingViolations(page), "axe on the accepted proposal").toEqual([]);
        await page.getByRole("link", { name: locale === "fr" ? "Je décline" : "I decline" }).click();
        await page.waitForURL(/decline=1/);
        expect(await blockingViolations(page), "axe on the decline step").toEqual([]);
        await page.getByRole("link", { name: locale === "fr" ? "Non, revenir en arrière" : "No, go back" }).click();
        await page
          .getByRole("button", { name: locale === "fr" ? "Je confirme, je la présenterai" : "I confirm, I will present it" })
          .click();
        await page.waitForURL(/notice=confirmed$/);
        expect(await blockingViolations(page), "axe on the confirmed proposal").toEqual([]);
      } finally {
        await context.close();
      }
    },
  );
});
