// axe-core on the public pages in both languages: no serious or critical violation.
import { resolve } from "node:path";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserSuite, launchBrowser, newPage, skipBrowser } from "../helpers/browser.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

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
const pages = ["/", "/programme", "/programme?view=list", `/sessions/${session}`, `/speakers/${speaker}`];
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

  it.each(localized)("%s has no serious or critical violation", async (path) => {
    const page = await context.newPage();
    try {
      const response = await page.goto(server.url + path);
      expect(response?.status(), `GET ${path}`).toBe(200);
      await page.addScriptTag({ path: AXE });
      const violations = await page.evaluate(async () => {
        const axe = (globalThis as unknown as { axe: { run(ctx: Document, options: object): Promise<{ violations: AxeViolation[] }> } })
          .axe;
        const result = await axe.run(document, { resultTypes: ["violations"] });
        return result.violations.map(({ id, impact, help, nodes }) => ({
          id,
          impact,
          help,
          nodes: nodes.slice(0, 5).map((n) => ({ target: n.target })),
        }));
      });
      const blocking = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      const report = blocking.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`);
      expect(report, `axe on ${path}`).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
