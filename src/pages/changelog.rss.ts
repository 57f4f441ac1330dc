import type { APIRoute } from "astro";
import { summarize } from "../lib/programme/changelog.ts";
import { changelog, getEdition, getSiteUrl } from "../lib/server/runtime.ts";

const escape = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The programme's releases as an RSS 2.0 feed: one item per release, with what changed. */
export const GET: APIRoute = () => {
  const site = getSiteUrl();
  const edition = getEdition();
  const items = changelog().map(({ release, changes }) => {
    const counts = summarize(changes);
    const lines = changes.map((c) => `${c.kind}: ${c.title}`);
    const description = [
      release.comment,
      `${counts.added} added, ${counts.moved} moved, ${counts.changed} changed, ${counts.cancelled} cancelled.`,
      ...lines,
    ]
      .filter(Boolean)
      .join("\n");
    return `<item><title>Version ${release.number}</title><link>${escape(new URL(`/changelog#release-${release.number}`, site).href)}</link><guid isPermaLink="false">${escape(`${edition.acronym}-release-${release.number}`)}</guid><pubDate>${release.createdAt.toUTCString()}</pubDate><description>${escape(description)}</description></item>`;
  });
  const body = `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>${escape(`${edition.name.en}: programme changes`)}</title><link>${escape(new URL("/changelog", site).href)}</link><description>${escape("Every published version of the programme.")}</description>${items.join("")}</channel></rss>\n`;
  return new Response(body, { headers: { "Content-Type": "application/rss+xml; charset=utf-8" } });
};
