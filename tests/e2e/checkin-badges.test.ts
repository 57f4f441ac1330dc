// Badge print runs printed to PDF by Chromium with the page's own @page sizes (decision 33): one A6
// page per badge, or one A4 sheet per four; each name, in its own script, on its own badge (read
// back with poppler's pdfinfo and pdftotext); the filters select who gets one.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { serverAccounts } from "../helpers/session.ts";

/** Names in the scripts Debian's Chromium has fonts for (DejaVu: Latin, Cyrillic, Greek, Arabic, Hebrew). */
const NAMES = {
  latin: "Zoé Lefèvre-Château",
  cyrillic: "Анна Каренина",
  greek: "Ελένη Παπαδοπούλου",
  arabic: "ليلى حداد",
  plain: "Jonas Berg",
};

describe.skipIf(skipBrowser)(browserSuite("badge print runs, printed to PDF"), () => {
  let server: TestServer;
  let browser: Browser;
  let accounts: ReturnType<typeof serverAccounts>;
  let session: string;
  const ids: Record<string, number> = {};
  const dir = mkdtempSync(join(tmpdir(), "forum-badges-"));

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60" }), launchBrowser()]);
    accounts = serverAccounts(server);
    const who = people(server, accounts);
    session = (await who.staff("badges.e2e@example.org", ["checkin"])).cookies.get("forum_session")!;
    for (const [key, name] of Object.entries(NAMES))
      ids[key] = await who.register(`${key}@example.org`, key === "plain" ? "researcher" : "industry", {
        overrides: { name, organisation: `Org ${key}` },
      });
    // Not confirmed (its address never was): no badge.
    await who.register("unconfirmed@example.org", "industry", { overrides: { name: "Never Confirmed" }, confirm: false });
    // Checked in already (on the forum's first day): not among those still expected.
    accounts.db.$client
      .prepare("update registrations set checked_in_at = ? where id = ?")
      .run(Date.parse("2013-07-02T07:30:00Z"), ids.plain);
  });
  afterAll(async () => {
    accounts?.close();
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The run at `query` printed to PDF as Chromium prints it; its pages' text, one string per page. */
  async function printed(query: string, lang = ""): Promise<{ pages: string[]; quarters: string[][]; size: string; html: string }> {
    const { context, page } = await newPage(browser);
    try {
      await context.addCookies([{ name: "forum_session", value: session, url: server.url }]);
      const response = await page.goto(`${server.url}${lang}/admin/checkin/badges?${query}`);
      expect(response?.status()).toBe(200);
      await page.emulateMedia({ media: "print" });
      const file = join(dir, `run-${Math.random().toString(36).slice(2)}.pdf`);
      writeFileSync(file, await page.pdf({ preferCSSPageSize: true, printBackground: false }));
      if (process.env.BADGE_PDFS) writeFileSync(join(process.env.BADGE_PDFS, `${query.replace(/\W+/g, "-")}.pdf`), readFileSync(file));
      const info = execFileSync("pdfinfo", [file], { encoding: "utf8" });
      const count = Number(/^Pages:\s+(\d+)/m.exec(info)![1]);
      const pages = Array.from({ length: count }, (_, i) =>
        execFileSync("pdftotext", ["-f", String(i + 1), "-l", String(i + 1), "-layout", file, "-"], { encoding: "utf8" }),
      );
      // The text of each quarter of each page (pdftotext crops in points at its default 72 dpi).
      const [width, height] = /^Page size:\s+([\d.]+) x ([\d.]+)/m.exec(info)!.slice(1).map(Number);
      const quarters = pages.map((_, i) =>
        [0, 1, 2, 3].map((q) =>
          execFileSync(
            "pdftotext",
            [
              ...["-f", String(i + 1), "-l", String(i + 1)],
              ...["-x", String(Math.round((q % 2) * (width / 2))), "-y", String(Math.round(Math.floor(q / 2) * (height / 2)))],
              ...["-W", String(Math.floor(width / 2)), "-H", String(Math.floor(height / 2)), file, "-"],
            ],
            { encoding: "utf8" },
          ),
        ),
      );
      return { pages, quarters, size: /^Page size:\s+(.*)$/m.exec(info)![1], html: await page.content() };
    } finally {
      await context.close();
    }
  }

  /** A page size as pdfinfo prints it ("420 x 298.08 pts"), within a point of `width` x `height`. */
  function expectSize(size: string, width: number, height: number) {
    const [w, h] = /^([\d.]+) x ([\d.]+) pts/.exec(size)!.slice(1).map(Number);
    expect(Math.abs(w - width), size).toBeLessThan(1.5);
    expect(Math.abs(h - height), size).toBeLessThan(1.5);
  }
  // A name may wrap over two lines (pdftotext drops the hyphen at a line end), and pdftotext marks
  // right-to-left runs with bidi controls.
  const normalise = (text: string) => text.normalize("NFC").replace(/[\s\u200e\u200f\u202a-\u202e-]+/g, "");
  const namesOn = (text: string) => Object.values(NAMES).filter((name) => normalise(text).includes(normalise(name)));

  it("prints one A6 landscape page per confirmed attendee, each with one name in its own script", async () => {
    const { pages, size } = await printed("layout=a6");
    // 148 x 105 mm in points (Chromium rounds to whole CSS pixels).
    expectSize(size, 419.5, 297.6);
    // Arabic too: Chromium shapes it and lays it out right to left; pdftotext reads it back in logical order.
    expect(pages).toHaveLength(5);
    for (const text of pages) expect(namesOn(text)).toHaveLength(1);
    expect(new Set(pages.flatMap(namesOn))).toEqual(new Set(Object.values(NAMES)));
    // The unconfirmed one has no badge; every badge has its category.
    expect(pages.join("")).not.toContain("Never Confirmed");
    expect(pages.filter((p) => p.includes("INDUSTRY"))).toHaveLength(4);
    expect(pages.filter((p) => p.includes("RESEARCH AND ACADEMIA"))).toHaveLength(1);
  });

  it("prints four badges per A4 landscape sheet, each in its own quarter", async () => {
    const { pages, quarters, size, html } = await printed("layout=a4");
    expectSize(size, 841.9, 595.3);
    expect(pages).toHaveLength(2);
    // One name in each quarter of the first sheet, one in the first quarter of the second.
    expect(quarters.map((sheet) => sheet.map((q) => namesOn(q).length))).toEqual([
      [1, 1, 1, 1],
      [1, 0, 0, 0],
    ]);
    expect(new Set(quarters.flat().flatMap(namesOn))).toEqual(new Set(Object.values(NAMES)));
    // Each name in its own badge (article), each badge with one QR code.
    const badges = [...html.matchAll(/<article class="name-badge[^"]*"[^>]*>([\s\S]*?)<\/article>/g)].map((m) => m[1]);
    expect(badges).toHaveLength(5);
    for (const badge of badges) {
      expect(Object.values(NAMES).filter((n) => badge.includes(n))).toHaveLength(1);
      expect(badge.match(/class="name-badge__qr"[^>]*><svg/g)?.length).toBe(1);
    }
  });

  it("prints only the filter's badges: a category, those not yet arrived, those who arrived on a day", async () => {
    expect((await printed("layout=a6&category=researcher")).pages.map(namesOn)).toEqual([[NAMES.plain]]);
    expect((await printed("layout=a6&arrival=expected")).pages).toHaveLength(4);
    expect((await printed("layout=a6&arrival=day:2013-07-02", "/fr")).pages.map(namesOn)).toEqual([[NAMES.plain]]);
    const none = await printed("layout=a6&arrival=day:2013-07-03", "/fr");
    expect(none.html).toContain("Aucune inscription confirmée ne correspond");
  });
});
