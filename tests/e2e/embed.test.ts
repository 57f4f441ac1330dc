// The embeddable schedule (issue 15, decision 43) in Chromium, on another site: a partner's page,
// served from a second 127.0.0.1 port (another origin) under its own strict Content-Security-Policy
// (no inline script or style), includes the element and the one script tag. The widget loads,
// is filtered by day and by track with the keyboard alone, says how many sessions it shows, is in
// the language of its `lang` or of the page, never shows a session the public may not see (even
// with an organizer signed in to the forum in the same browser), passes axe, and without
// JavaScript is the link to the programme. The organizers' page previews it.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentSessions, titleIn } from "../helpers/content.ts";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { people } from "../helpers/people.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { serverAccounts } from "../helpers/session.ts";

type FrabEvent = { slug: string; title: string; track: string | null };
type Conference = { days: { date: string; rooms: Record<string, FrabEvent[]> }[]; tracks: { name: string; slug: string }[] };

/** The partner's page: the snippet as the organizers' page gives it, under a CSP that allows only the forum's origin. */
function partnerPage(forum: string, { lang, element }: { lang: string; element: string }): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src ${forum}; connect-src ${forum}; style-src 'self'">
<title>Partner site</title>
<link rel="stylesheet" href="/partner.css">
</head>
<body>
<header><p><a href="/">Partner home</a></p></header>
<main>
<h1>Partner site</h1>
${element}
<script src="${forum}/embed/schedule.js" async></script>
</main>
</body>
</html>`;
}

describe.skipIf(skipBrowser)(browserSuite("the embeddable schedule on another site"), () => {
  let server: TestServer;
  let partner: Server;
  let partnerUrl: string;
  let browser: Browser;
  let accounts: ReturnType<typeof serverAccounts>;
  let organizer: string;
  const conference: Record<"en" | "fr", Conference> = {} as Record<"en" | "fr", Conference>;
  const pages = new Map<string, string>();

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ MAIL_WORKER: "off", REGISTER_LIMIT_IP: "100000/60" }), launchBrowser()]);
    accounts = serverAccounts(server);
    organizer = (await people(server, accounts).staff("embed.e2e@example.org", ["organizer"])).cookies.get("forum_session")!;
    for (const lang of ["en", "fr"] as const) {
      const json = (await (await fetch(`${server.url}${lang === "fr" ? "/fr" : ""}/embed/schedule.json`)).json()) as {
        schedule: { conference: Conference };
      };
      conference[lang] = json.schedule.conference;
    }
    const link = (prefix: string, text: string) => `<a href="${server.url}${prefix}/programme">${text}</a>`;
    pages.set(
      "/en.html",
      partnerPage(server.url, { lang: "en", element: `<forum-schedule lang="en">${link("", "Programme")}</forum-schedule>` }),
    );
    // No `lang` on the element: the page's language.
    pages.set("/fr.html", partnerPage(server.url, { lang: "fr", element: `<forum-schedule>${link("/fr", "Programme")}</forum-schedule>` }));
    partner = createServer((request, response) => {
      const path = new URL(request.url ?? "/", "http://partner").pathname;
      if (path === "/partner.css") {
        response.writeHead(200, { "Content-Type": "text/css" }).end("body { font: 16px/1.5 sans-serif; margin: 1rem; color: #111; }");
        return;
      }
      const page = pages.get(path);
      if (!page) response.writeHead(404).end();
      else response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(page);
    });
    await new Promise<void>((done) => partner.listen(0, "127.0.0.1", done));
    partnerUrl = `http://127.0.0.1:${(partner.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    accounts?.close();
    await browser?.close();
    await new Promise((done) => (partner ? partner.close(done) : done(undefined)));
    await server?.stop();
  });

  const events = (lang: "en" | "fr", day = "", track = "") =>
    conference[lang].days
      .filter((d) => !day || d.date === day)
      .flatMap((d) => Object.values(d.rooms).flat())
      .filter((e) => !track || conference[lang].tracks.find((t) => t.name === e.track)?.slug === track);
  const widget = (page: Page) => page.locator("forum-schedule");
  const ready = async (page: Page, count: number) => {
    await expect.poll(() => widget(page).getAttribute("data-ready")).toBe(String(count));
  };
  const inside = (page: Page, selector: string): Locator => widget(page).locator(selector);
  const active = (page: Page) =>
    page.evaluate(() => document.activeElement?.shadowRoot?.activeElement?.id ?? document.activeElement?.tagName);
  const axe = async (page: Page) => {
    await page.addScriptTag({ path: resolve("node_modules/axe-core/axe.min.js") });
    return page.evaluate(async () => {
      const run = (globalThis as unknown as { axe: { run(d: Document): Promise<{ violations: { id: string; impact: string }[] }> } }).axe;
      return (await run.run(document)).violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id);
    });
  };

  it.each([
    ["en", "/en.html", { allDays: "All days", allTracks: "All tracks", many: /^\d+ sessions$/, day: "Day", track: "Track" }],
    [
      "fr",
      "/fr.html",
      { allDays: "Tous les jours", allTracks: "Toutes les thématiques", many: /^\d+\u00a0sessions$/, day: "Jour", track: "Thématique" },
    ],
  ] as const)("loads on another origin under its CSP and filters by day and track with the keyboard (%s)", async (lang, path, w) => {
    const { context, page } = await newPage(browser);
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    try {
      // An organizer signed in to the forum in the same browser: the widget still shows the public's programme.
      await context.addCookies([{ name: "forum_session", value: organizer, url: server.url }]);
      await page.goto(`${partnerUrl}${path}`);
      const all = events(lang);
      expect(all.length).toBeGreaterThan(3);
      await ready(page, all.length);
      expect(await inside(page, "[role=status]").textContent()).toMatch(w.many);
      expect(await inside(page, "section").getAttribute("lang")).toBe(lang);
      expect(await inside(page, "label[for=day]").textContent()).toBe(w.day);
      expect(await inside(page, "label[for=track]").textContent()).toBe(w.track);
      expect(await inside(page, "#day option").first().textContent()).toBe(w.allDays);
      expect(await inside(page, "#track option").first().textContent()).toBe(w.allTracks);
      // Styled (the constructed stylesheet is allowed where a style element would be refused).
      expect(
        await inside(page, "select")
          .first()
          .evaluate((s) => getComputedStyle(s).minHeight),
      ).toBe("44px");
      expect(await inside(page, "li").count()).toBe(all.length);
      // Never a session the public may not see.
      const text = (await widget(page).evaluate((el) => el.shadowRoot!.textContent)) ?? "";
      for (const hidden of contentSessions().filter((s) => s.tlp === "RED")) expect(text).not.toContain(titleIn(hidden, lang));

      // The keyboard alone: Tab from the partner's own link reaches the day, an arrow picks the first day.
      await page.focus("header a");
      await page.keyboard.press("Tab");
      expect(await active(page)).toBe("day");
      await page.keyboard.press("ArrowDown");
      const day = conference[lang].days[0].date;
      expect(await inside(page, "#day").inputValue()).toBe(day);
      await ready(page, events(lang, day).length);
      expect(await inside(page, "h3").count()).toBe(events(lang, day).length > 0 ? 1 : 0);
      await page.keyboard.press("Tab");
      expect(await active(page)).toBe("track");
      await page.keyboard.press("ArrowDown");
      const track = conference[lang].tracks[0];
      expect(await inside(page, "#track").inputValue()).toBe(track.slug);
      const both = events(lang, day, track.slug);
      expect(both.length).toBeGreaterThan(0);
      await ready(page, both.length);
      for (const item of await inside(page, "li .meta").allTextContents()) expect(item).toContain(track.name);
      // Back to every day with the keyboard: the status line says the new count.
      await page.keyboard.press("Shift+Tab");
      await page.keyboard.press("ArrowUp");
      await ready(page, events(lang, "", track.slug).length);
      const count = events(lang, "", track.slug).length;
      expect(count).toBeGreaterThan(0);
      expect(await inside(page, "[role=status]").textContent()).toContain(String(count));
      // Each title links to its session page on the forum; the element's own link stays as the last line.
      const first = inside(page, "li .title a").first();
      expect(await first.getAttribute("href")).toMatch(new RegExp(`^${server.url}${lang === "fr" ? "/fr" : ""}/sessions/`));
      expect(await page.locator("forum-schedule > a").getAttribute("href")).toBe(`${server.url}${lang === "fr" ? "/fr" : ""}/programme`);
      expect(await page.locator("forum-schedule > a").isVisible()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("passes axe on the partner's page, in both languages", async () => {
    for (const path of ["/en.html", "/fr.html"]) {
      const { page, context } = await newPage(browser, { bypassCSP: true });
      try {
        await page.goto(`${partnerUrl}${path}`);
        await ready(page, events(path === "/fr.html" ? "fr" : "en").length);
        expect(await axe(page), path).toEqual([]);
        await inside(page, "#track").selectOption({ index: 1 });
        expect(await axe(page), `${path}, filtered`).toEqual([]);
      } finally {
        await context.close();
      }
    }
  });

  it("is a link to the programme without JavaScript", async () => {
    const { page, context } = await newPage(browser, { javaScriptEnabled: false });
    try {
      await page.goto(`${partnerUrl}/en.html`);
      const link = page.locator("forum-schedule > a");
      expect(await link.isVisible()).toBe(true);
      expect(await link.textContent()).toBe("Programme");
      expect(await link.getAttribute("href")).toBe(`${server.url}/programme`);
    } finally {
      await context.close();
    }
  });

  it("says so when the forum cannot be reached, and keeps the link", async () => {
    const { page, context } = await newPage(browser);
    try {
      await page.route(`${server.url}/embed/schedule.json`, (route) => route.abort());
      await page.goto(`${partnerUrl}/en.html`);
      await expect.poll(() => inside(page, "[role=status]").textContent()).toBe("The programme could not be loaded.");
      expect(await page.locator("forum-schedule > a").isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });

  it("is previewed on the organizers' page, under the site's own CSP", async () => {
    for (const prefix of ["", "/fr"]) {
      const { page, context } = await newPage(browser);
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      try {
        await context.addCookies([{ name: "forum_session", value: organizer, url: server.url }]);
        await page.goto(`${server.url}${prefix}/admin/programme/embed`);
        await ready(page, events(prefix ? "fr" : "en").length);
        expect(await inside(page, "h3").first().isVisible()).toBe(true);
        expect(await page.locator("pre code").textContent()).toContain(`<script src="${server.url}/embed/schedule.js" async></script>`);
        // Copied with one button (where the clipboard may be written).
        await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
        await page.getByRole("button", { name: prefix ? "Copier l’extrait" : "Copy the snippet" }).click();
        await expect.poll(() => page.locator("[data-copy-status]").textContent()).toBe(prefix ? "Copié." : "Copied.");
        expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await page.locator("pre code").textContent());
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
      const checked = await newPage(browser, { bypassCSP: true });
      try {
        await checked.context.addCookies([{ name: "forum_session", value: organizer, url: server.url }]);
        await checked.page.goto(`${server.url}${prefix}/admin/programme/embed`);
        await ready(checked.page, events(prefix ? "fr" : "en").length);
        expect(await axe(checked.page), `${prefix}/admin/programme/embed`).toEqual([]);
      } finally {
        await checked.context.close();
      }
    }
  });
});
