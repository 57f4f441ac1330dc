// The check-in desk in a browser, under the site's real Content-Security-Policy: without JavaScript
// the typed field works; with the browser's own QR reader (BarcodeDetector and a camera, stood in for
// here), a code read is checked in without the polyfill. The badge page has no axe violation.
// tests/e2e/checkin-desk.test.ts has the polyfill, keyboard-wedge scanners and the network cut.
import { resolve } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ticketSecretOf } from "../../src/lib/registration/service.ts";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { serverAccounts } from "../helpers/session.ts";

describe.skipIf(skipBrowser)(browserSuite("check-in desk in a browser"), () => {
  let server: TestServer;
  let browser: Browser;
  let accounts: ReturnType<typeof serverAccounts>;
  let who: ReturnType<typeof people>;
  let session: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ MAIL_WORKER: "off" }), launchBrowser()]);
    accounts = serverAccounts(server);
    who = people(server, accounts);
    session = (await who.staff("desk@example.org", ["checkin"])).cookies.get("forum_session")!;
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

  async function deskPage(options: { bypassCSP?: boolean; javaScriptEnabled?: boolean } = {}) {
    const { context, page } = await newPage(browser, options);
    await context.addCookies([{ name: "forum_session", value: session, url: server.url }]);
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    return { context, page, errors };
  }

  it("without JavaScript, checks in by the typed code and shows the answer; the badge prints", async () => {
    const id = await who.register("typed@example.org", "industry", { overrides: { name: "Tia Typed", organisation: "Typed Org" } });
    const { context, page } = await deskPage({ javaScriptEnabled: false });
    try {
      await page.goto(`${server.url}/admin/checkin`);
      expect(await page.locator("[data-scan-toggle]").isHidden()).toBe(true);
      await page.fill("#f-ticket", ticketOf(id));
      await page.fill("#f-desk", "2");
      await page.press("#f-ticket", "Enter");
      await page.waitForURL(`**/admin/checkin?done=${id}`);
      const answer = page.locator(".desk-answer--admitted");
      expect(await answer.textContent()).toContain("Tia Typed is checked in.");
      expect(await answer.textContent()).toContain("Typed Org");
      expect(
        (
          accounts.db.$client.prepare("select desk from checkin_scans where registration_id = ? and outcome = 'admitted'").get(id) as {
            desk: string;
          }
        ).desk,
      ).toBe("2");
    } finally {
      await context.close();
    }
    const { context: withScript, page: badge, errors } = await deskPage();
    try {
      await badge.goto(`${server.url}/admin/checkin/${id}/badge`);
      expect(await badge.locator(".name-badge__name").textContent()).toBe("Tia Typed");
      // The print button is the script's (none without JavaScript).
      await expect.poll(() => badge.locator("[data-print]").isVisible()).toBe(true);
      expect(errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
    } finally {
      await withScript.close();
    }
  });

  it("with the browser's QR reader and a camera, a code read is checked in, the polyfill never loaded", async () => {
    const id = await who.register("scanned@example.org", "industry", { overrides: { name: "Sam Scanned" } });
    const { context, page, errors } = await deskPage();
    try {
      await page.addInitScript((code: string) => {
        // A stand-in QR reader that reads `code` at once, and a camera that films a blank canvas.
        (globalThis as { BarcodeDetector?: unknown }).BarcodeDetector = class {
          static getSupportedFormats = async () => ["qr_code", "ean_13"];
          async detect() {
            return [{ rawValue: code }];
          }
        };
        Object.defineProperty(navigator, "mediaDevices", {
          value: {
            getUserMedia: async () => {
              const canvas = document.createElement("canvas");
              canvas.getContext("2d")!.fillRect(0, 0, 10, 10);
              return canvas.captureStream(5);
            },
          },
        });
      }, ticketOf(id));
      const requests: string[] = [];
      page.on("request", (request) => requests.push(request.url()));
      await page.goto(`${server.url}/fr/admin/checkin`);
      await page.click("[data-scan-toggle]");
      await expect.poll(() => page.locator("[data-desk-answer]").getAttribute("class")).toContain("desk-answer--admitted");
      expect(await page.locator("[data-desk-answer]").textContent()).toContain("Sam Scanned");
      expect(page.url()).toBe(`${server.url}/fr/admin/checkin`);
      // The browser's own reader: the polyfill and its WebAssembly are not even fetched.
      expect(requests.filter((url) => /\.wasm$|ponyfill/.test(url))).toEqual([]);
      expect(errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("says so when the camera is refused, and keeps the typed field", async () => {
    const { context, page } = await deskPage();
    try {
      await page.addInitScript(() => {
        (globalThis as { BarcodeDetector?: unknown }).BarcodeDetector = class {
          static getSupportedFormats = async () => ["qr_code"];
          async detect() {
            return [];
          }
        };
        Object.defineProperty(navigator, "mediaDevices", {
          value: { getUserMedia: async () => Promise.reject(new DOMException("denied", "NotAllowedError")) },
        });
      });
      await page.goto(`${server.url}/admin/checkin`);
      await page.click("[data-scan-toggle]");
      await expect.poll(() => page.locator("[data-scan-status]").textContent()).toContain("camera is not available");
      expect(await page.locator("#f-ticket").isEditable()).toBe(true);
    } finally {
      await context.close();
    }
  });

  it("prints the badge alone, framed, on one A6 landscape page, even with a long name (EN and FR)", async () => {
    const id = await who.register("badge.print@example.org", "industry", {
      overrides: { name: "Marie-Éléonore Delacroix-Montmorency de La Tour-d’Auvergne", company: "Ministère de l’Intérieur" },
    });
    const { context, page } = await deskPage();
    try {
      await page.goto(`${server.url}/admin/checkin?q=Delacroix`);
      await page.click(`form.checkin-row:has(input[value="${id}"]) button`);
      await page.waitForURL(`**/admin/checkin?q=Delacroix&done=${id}`);
      for (const prefix of ["", "/fr"]) {
        await page.goto(`${server.url}${prefix}/admin/checkin/${id}/badge`);
        const pdf = (await page.pdf({ preferCSSPageSize: true, printBackground: true })).toString("latin1");
        expect(pdf.match(/\/Type\s*\/Page\b/g), `${prefix} pages`).toHaveLength(1);
        // A6 landscape: 148 × 105 mm, 419.5 × 297.6 points.
        const [, width, height] = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf)!;
        expect([Math.round(Number(width)), Math.round(Number(height))]).toEqual([420, 298]);
        // On paper: the card alone (no header, navigation, title or button), framed, the name large.
        await page.emulateMedia({ media: "print" });
        const printed = await page.evaluate(() => {
          const visible = (selector: string) => [...document.querySelectorAll(selector)].some((el) => el.getClientRects().length > 0);
          const badge = getComputedStyle(document.querySelector(".name-badge")!);
          return {
            others: ["header", "footer", "h1", "[data-print]"].filter(visible),
            frame: badge.borderTopStyle !== "none" && parseFloat(badge.borderTopWidth) > 0,
            name: parseFloat(getComputedStyle(document.querySelector(".name-badge__name")!).fontSize),
          };
        });
        // (page.pdf prints with print media unless told otherwise: back to no emulation.)
        await page.emulateMedia({ media: null });
        expect(printed.others, prefix).toEqual([]);
        expect(printed.frame, prefix).toBe(true);
        expect(printed.name, prefix).toBeGreaterThanOrEqual(30);
      }
    } finally {
      await context.close();
    }
  });

  it("the desk with results and the badge have no serious or critical axe violation", async () => {
    const id = await who.register("axe.desk@example.org", "industry", { overrides: { name: "Axel Desk" } });
    await who.register("axe.desk2@example.org", "industry", { overrides: { name: "Axelle Waiting" } });
    const { context, page } = await deskPage({ bypassCSP: true });
    try {
      await page.goto(`${server.url}/admin/checkin?q=axe`);
      await page.click(`form.checkin-row:has(input[value="${id}"]) button`);
      await page.waitForURL(`**/admin/checkin?q=axe&done=${id}`);
      for (const path of [page.url(), `${server.url}/admin/checkin/${id}/badge`, `${server.url}/fr/admin/checkin/${id}/badge`]) {
        await page.goto(path);
        await page.addScriptTag({ path: resolve("node_modules/axe-core/axe.min.js") });
        const violations = await page.evaluate(async () => {
          const axe = (globalThis as unknown as { axe: { run(d: Document): Promise<{ violations: { id: string; impact: string }[] }> } })
            .axe;
          return (await axe.run(document)).violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id);
        });
        expect(violations, path).toEqual([]);
      }
    } finally {
      await context.close();
    }
  });
});
