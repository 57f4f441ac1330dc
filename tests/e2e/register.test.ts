// An attendee in a real browser, JavaScript off (the forms work without it): registers, follows the
// link from the local mailbox, confirms, downloads the ticket, cancels. The same in French.
import { readMailbox } from "../../src/lib/email/mailbox.ts";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { mailboxOf, waitForMail } from "../helpers/forms.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

/** The private link in a message's text. */
const linkIn = (text: string) => /https?:\/\/\S+\/register\/manage\/[A-Za-z0-9_-]+/.exec(text)![0];

describe.skipIf(skipBrowser)(browserSuite("an attendee registers in Chromium"), () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ MAIL_POLL_MS: "100" }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function journey(page: Page, locale: "en" | "fr", email: string) {
    const fr = locale === "fr";
    const prefix = fr ? "/fr" : "";
    await page.goto(`${server.url}${prefix}/`);
    await page
      .getByRole("navigation", { name: fr ? "Principale" : "Main" })
      .getByRole("link", { name: fr ? "Inscription" : "Register" })
      .click();
    await page.getByLabel(fr ? "Industrie" : "Industry").check();
    await page.getByRole("button", { name: fr ? "Continuer" : "Continue" }).click();

    // A first try with mistakes: the errors are shown by their fields, what was typed stays.
    await page.getByLabel(fr ? "Nom complet" : "Full name", { exact: false }).fill("Grace Example");
    await page.locator("#f-email").fill("not-an-address");
    await page.getByRole("button", { name: fr ? "M’inscrire" : "Register" }).click();
    await expect
      .poll(() => page.locator("#f-email-error").textContent())
      .toBe(fr ? "Saisissez une adresse e-mail comme nom@exemple.fr." : "Enter an e-mail address like name@example.org.");
    expect(await page.locator("#f-name").inputValue()).toBe("Grace Example");

    await page.locator("#f-email").fill(email);
    await page.locator("#f-organisation").fill("Example Systems");
    await page.locator("#f-country").selectOption("BE");
    await page.locator("#f-company").fill("Example Systems SA");
    await page.locator("#f-role").fill("Head of security");
    await page.locator("#f-privacyConsent").check();
    await page.getByRole("button", { name: fr ? "M’inscrire" : "Register" }).click();
    await page.waitForURL(`**${prefix}/register/sent`);
    expect(await page.locator("h1").textContent()).toBe(fr ? "Consultez votre messagerie" : "Check your inbox");

    const confirmMail = await waitForMail(server, email, "registration.confirm_address");
    await page.goto(linkIn(confirmMail.text));
    await page.getByRole("button", { name: fr ? "Confirmer mon adresse e-mail" : "Confirm my e-mail address" }).click();
    await expect
      .poll(() => page.locator("[role=status]").first().textContent())
      .toContain(fr ? "votre adresse est confirmée" : "your address is confirmed");
    expect(await page.locator(".status-badge").textContent()).toBe(fr ? "Confirmée" : "Confirmed");
    await waitForMail(server, email, "registration.confirmed");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page
        .getByRole("link", {
          name: fr ? "Télécharger le billet (image, pour votre téléphone)" : "Download the ticket (image, for your phone)",
        })
        .click(),
    ]);
    expect(download.suggestedFilename()).toBe("ticket.png");
    const [pdf] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: fr ? "Télécharger le billet (PDF, à imprimer)" : "Download the ticket (PDF, to print)" }).click(),
    ]);
    expect(pdf.suggestedFilename()).toBe("ticket.pdf");

    await page.getByRole("link", { name: fr ? "Annuler mon inscription" : "Cancel my registration" }).click();
    await page.getByRole("button", { name: fr ? "Oui, annuler mon inscription" : "Yes, cancel my registration" }).click();
    await expect.poll(() => page.locator(".status-badge").textContent()).toBe(fr ? "Annulée" : "Cancelled");
    await waitForMail(server, email, "registration.cancelled");
  }

  it("in English", async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    try {
      await journey(page, "en", "grace.en@example.org");
    } finally {
      await context.close();
    }
  });

  it("in French", async () => {
    const { context, page } = await newPage(browser, { javaScriptEnabled: false });
    try {
      await journey(page, "fr", "grace.fr@example.org");
      const mails = (await readMailbox(mailboxOf(server))).filter((m) => m.to.includes("grace.fr@example.org"));
      expect(mails.every((m) => /[éèàç]/.test(m.text))).toBe(true);
    } finally {
      await context.close();
    }
  });
});
