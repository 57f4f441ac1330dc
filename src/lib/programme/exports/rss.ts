import { getRssString } from "@astrojs/rss";
import type { Edition } from "../../config/edition.ts";
import { escapeMarkup as escape } from "../../markup.ts";
import { localizePath, type Locale } from "../../locale.ts";
import { t } from "../../../i18n/index.ts";
import { summarize } from "../changelog.ts";
import type { ChangelogEntry } from "../releases.ts";
import { anyText } from "../texts.ts";

const ATOM = "http://www.w3.org/2005/Atom";

/** Path of the changelog feed in `locale` (announced by the changelog page, and its own `atom:link rel="self"`). */
export function changelogFeedPath(locale: Locale): string {
  return localizePath("/changelog.rss", locale);
}

/**
 * The programme's releases as an RSS 2.0 feed in `locale`: one item per release, with what changed.
 * The feed names its own address (`atom:link rel="self"`, as the RSS Advisory Board recommends);
 * item GUIDs are the edition's release numbers, never the page URL, so they survive a move.
 */
export async function changelogRss(entries: readonly ChangelogEntry[], edition: Edition, site: string, locale: Locale): Promise<string> {
  const r = t(locale).releases;
  const page = localizePath("/changelog", locale);
  const self = new URL(changelogFeedPath(locale), site).href;
  return getRssString({
    title: r.rssTitle(edition.name[locale]),
    description: r.changelogIntro,
    site: new URL(page, site).href,
    trailingSlash: false,
    xmlns: { atom: ATOM },
    customData: `<language>${locale}</language><atom:link href="${escape(self)}" rel="self" type="application/rss+xml"/>`,
    items: entries.map(({ release, changes }) => ({
      title: r.release(release.number),
      link: new URL(`${page}#release-${release.number}`, site).href,
      pubDate: release.createdAt,
      // The comment and the sessions' titles in the feed's language, else in the other one.
      description: [
        anyText(release.comment, locale),
        r.rssCounts(summarize(changes)),
        ...changes.map((c) => r.rssLine(r.kinds[c.kind], anyText(c.title, locale))),
      ]
        .filter(Boolean)
        .join("\n"),
      customData: `<guid isPermaLink="false">${escape(`${edition.acronym}-release-${release.number}`)}</guid>`,
    })),
  });
}
