import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

/** Debian's Chromium (`apt-get install -y chromium`); Playwright never downloads a browser here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** The command that makes the browser tests run instead of skip. */
export const INSTALL_CHROMIUM = "apt-get install -y chromium";

/** Flags for a quiet, offline, sandbox-less headless Chromium (CI runs as root). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const available = existsSync(CHROMIUM_PATH);

// Outside CI a missing browser skips the browser tests with the command that fixes it; in CI
// (REQUIRE_BROWSER=1) it must fail, so the suite cannot pass without having run them.
if (!available) {
  const message = `${CHROMIUM_PATH} is missing. Install it with: ${INSTALL_CHROMIUM}`;
  if (process.env.REQUIRE_BROWSER === "1") throw new Error(`Browser tests are required (REQUIRE_BROWSER=1) but ${message}`);
  console.warn(`Skipping browser tests: ${message}`);
}

/** True when the browser tests must be skipped (no Chromium, and not required). */
export const skipBrowser = !available;

/** The title suffix of a skipped browser suite, so the skip names its cure in the report. */
export const browserSuite = (name: string) => (skipBrowser ? `${name} (skipped: ${INSTALL_CHROMIUM})` : name);

/** Launches Debian's Chromium headless. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/**
 * A fresh page in its own context. `bypassCSP` lets a test inject axe-core into pages whose
 * Content-Security-Policy (rightly) forbids any script the site did not ship.
 */
export async function newPage(
  browser: Browser,
  options: { bypassCSP?: boolean; javaScriptEnabled?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    bypassCSP: options.bypassCSP ?? false,
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    locale: "en-GB",
  });
  // A missing element fails in seconds, not after Playwright's default 30 s.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  return { context, page };
}
