// @ts-check
import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

/**
 * One route tree for both languages (decision 42). Every page under src/pages serves its English
 * path and, through the integration below, the same path under /fr: the page reads its language
 * from the path (`Astro.currentLocale`), so the French twin is the same file and cannot drift.
 *
 * Pages without a language stay single: the error pages (Astro renders them for either language,
 * and so do the loaders, by a rewrite: components/pages/route.ts),
 * the development mailbox, and endpoints whose answer has no words in it (a PDF for a registration
 * is in the registration's language, a CSV for organizers has its own labels, media, webhooks,
 * health, robots, sitemap). An endpoint that speaks is listed in LOCALIZED_ENDPOINTS.
 */

/** Endpoints (not pages) that answer in the language of their path. */
export const LOCALIZED_ENDPOINTS = [
  "schedule.ics.ts",
  "schedule.json.ts",
  "schedule.xml.ts",
  "embed/schedule.json.ts",
  "changelog.rss.ts",
  "sessions/[slug].ics.ts",
  "speakers/[slug].ics.ts",
  "admin/checkin/desk-sw.js.ts",
];

/** Pages that have one version for both languages. */
const SINGLE_PAGES = [/^40[34]\.astro$/, /^500\.astro$/, /^dev\//];

/** The route files under `pagesDir`, as paths relative to it with forward slashes. */
export function routeFiles(pagesDir = "src/pages") {
  /** @type {string[]} */
  const files = [];
  const walk = (/** @type {string} */ dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(astro|ts|js|mjs)$/.test(name) && !/\.test\.ts$/.test(name) && !name.startsWith("_"))
        files.push(relative(pagesDir, path).split(sep).join("/"));
    }
  };
  walk(pagesDir);
  return files;
}

/** The URL pattern of a route file: `sessions/[slug].astro` -> `/sessions/[slug]`, `index.astro` -> `/`. */
export function patternOf(/** @type {string} */ file) {
  const path = file.replace(/\.(astro|ts|js|mjs)$/, "").replace(/(^|\/)index$/, "");
  return `/${path}`;
}

/** Whether a route file also answers under /fr. */
export function hasFrenchTwin(/** @type {string} */ file) {
  if (file.endsWith(".astro")) return !SINGLE_PAGES.some((rule) => rule.test(file));
  return LOCALIZED_ENDPOINTS.includes(file);
}

/** The French routes: a pattern under /fr for each route file that speaks, served by that file. */
export function frenchRoutes(pagesDir = "src/pages") {
  return routeFiles(pagesDir)
    .filter(hasFrenchTwin)
    .map((file) => {
      const pattern = patternOf(file);
      return { file, pattern: pattern === "/" ? "/fr" : `/fr${pattern}`, entrypoint: `./${pagesDir}/${file}` };
    });
}

/** The Astro integration that adds the French routes. */
export function frenchTwins() {
  return {
    name: "forum:french-twins",
    hooks: {
      "astro:config:setup": (/** @type {{ injectRoute: (route: { pattern: string; entrypoint: string }) => void }} */ { injectRoute }) => {
        for (const { pattern, entrypoint } of frenchRoutes()) injectRoute({ pattern, entrypoint });
      },
    },
  };
}
