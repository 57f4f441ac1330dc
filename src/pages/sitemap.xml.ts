import type { APIRoute } from "astro";
import { LOCALES, localizePath } from "../i18n/index.ts";
import { ANONYMOUS } from "../lib/programme/audience.ts";
import { escapeXml, isBreak } from "../lib/programme/exports/frab.ts";
import { getSiteUrl, programmeFor } from "../web/runtime.ts";

/** Pages every edition has, by their English path. */
const PAGES = ["/", "/programme", "/speakers", "/about", "/venue", "/faq", "/code-of-conduct", "/privacy"];

const latest = (dates: Date[]) => (dates.length ? new Date(Math.max(...dates.map((d) => d.getTime()))) : undefined);
const w3c = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * Every public page in both languages, with hreflang alternates. Always what an anonymous visitor
 * sees, whoever asks: sessions shown in full or by title only, speakers of sessions shown in full.
 */
export const GET: APIRoute = () => {
  const site = getSiteUrl();
  const view = programmeFor(ANONYMOUS);
  const sessions = view.sessions.filter((s) => !isBreak(s));
  const programmeChanged = latest(sessions.map((s) => s.updatedAt));
  const entries: { path: string; lastmod?: Date }[] = [
    ...PAGES.map((path) => ({ path, lastmod: ["/", "/programme", "/speakers"].includes(path) ? programmeChanged : undefined })),
    ...sessions.map((s) => ({ path: `/sessions/${s.slug}`, lastmod: s.updatedAt })),
    ...view.speakers.map((s) => ({ path: `/speakers/${s.slug}`, lastmod: latest(s.sessions.map((session) => session.updatedAt)) })),
  ];
  const url = (path: string) => escapeXml(new URL(path, site).href);
  const urls = entries.flatMap(({ path, lastmod }) => {
    const alternates = [
      ...LOCALES.map((locale) => `    <xhtml:link rel="alternate" hreflang="${locale}" href="${url(localizePath(path, locale))}"/>`),
      `    <xhtml:link rel="alternate" hreflang="x-default" href="${url(path)}"/>`,
    ];
    return LOCALES.map((locale) =>
      [
        "  <url>",
        `    <loc>${url(localizePath(path, locale))}</loc>`,
        ...(lastmod ? [`    <lastmod>${w3c(lastmod)}</lastmod>`] : []),
        ...alternates,
        "  </url>",
      ].join("\n"),
    );
  });
  const body = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">`,
    ...urls,
    `</urlset>`,
    "",
  ].join("\n");
  return new Response(body, { headers: { "Content-Type": "application/xml; charset=utf-8" } });
};
