import type { Edition } from "../../config/edition.ts";
import { localizePath, t, type Locale } from "../../../i18n/index.ts";
import { summarize } from "../changelog.ts";
import type { ChangelogEntry } from "../releases.ts";

const escape = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The programme's releases as an RSS 2.0 feed in `locale`: one item per release, with what changed. */
export function changelogRss(entries: readonly ChangelogEntry[], edition: Edition, site: string, locale: Locale): string {
  const r = t(locale).releases;
  const page = localizePath("/changelog", locale);
  const items = entries.map(({ release, changes }) => {
    const counts = summarize(changes);
    const description = [release.comment, r.rssCounts(counts), ...changes.map((c) => r.rssLine(r.kinds[c.kind], c.title))]
      .filter(Boolean)
      .join("\n");
    return `<item><title>${escape(r.release(release.number))}</title><link>${escape(new URL(`${page}#release-${release.number}`, site).href)}</link><guid isPermaLink="false">${escape(`${edition.acronym}-release-${release.number}`)}</guid><pubDate>${release.createdAt.toUTCString()}</pubDate><description>${escape(description)}</description></item>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>${escape(r.rssTitle(edition.name[locale]))}</title><link>${escape(new URL(page, site).href)}</link><description>${escape(r.changelogIntro)}</description><language>${locale}</language>${items.join("")}</channel></rss>\n`;
}
