// An organizer in Chromium (JavaScript off): signs in with the one-time link, sets up the second
// factor, finds a law-enforcement registration and approves it; the attendee gets the confirmation.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { postForm, registrationFields, serverDb, waitForMail } from "../helpers/forms.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { serverAccounts, totpOf } from "../helpers/session.ts";

describe.skipIf(skipBrowser)(browserSuite("an organizer vets a registration in Chromium"), () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ MAIL_POLL_MS: "100" }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("signs in with a second factor and approves; the attendee is told", async () => {
    const attendee = "inspector@interieur.gouv.fr";
    expect(
      (await postForm(server, "/register?_action=register", registrationFields(attendee, "law-enforcement", { name: "Inès Inspecteur" })))
        .status,
    ).toBe(303);
    const data = serverDb(server);
    const accounts = serverAccounts(server);
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    try {
      const token = data.linkTokenOf(attendee);
      expect((await postForm(server, `/register/manage/${token}?_action=confirmRegistration`, { token })).status).toBe(303);

      const { linkToken } = accounts.account("chief@example.org", ["organizer"]);
      await page.goto(`${server.url}/signin/link/${linkToken}?next=%2Fadmin%2Fregistrations`);
      await page.getByRole("button", { name: "Sign me in" }).click();
      await page.waitForURL("**/signin/second-factor**");
      const key = (await page.locator("main code").first().textContent())!;
      await page.getByLabel("Code from your authenticator app").fill(totpOf(key));
      await page.getByRole("button", { name: "Turn on the second factor" }).click();
      expect(await page.locator("h1").textContent()).toBe("Your recovery codes");
      expect(await page.locator(".recovery-codes li").count()).toBe(10);
      await page.getByRole("link", { name: "Continue" }).click();
      await page.waitForURL("**/admin/registrations");

      await page.getByLabel("Official domain").selectOption("yes");
      await page.getByRole("button", { name: "Filter" }).click();
      await page.getByRole("checkbox", { name: "Select Inès Inspecteur" }).check();
      await page.getByLabel("Decision").selectOption("approve");
      await page.getByRole("button", { name: "Apply" }).click();
      await expect.poll(() => page.locator("[role=status]").first().textContent()).toContain("Done for 1 registration.");
      expect(page.url()).toContain("verified=yes");

      await waitForMail(server, attendee, "registration.confirmed");
    } finally {
      await context.close();
      accounts.close();
      data.close();
    }
  });
});
