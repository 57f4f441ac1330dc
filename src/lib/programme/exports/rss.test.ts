import { describe, expect, it } from "vitest";
import { validateXml, xpath } from "../../../../tests/helpers/schedule.ts";
import { loadEdition } from "../../config/edition.ts";
import type { ChangelogEntry } from "../releases.ts";
import { changelogFeedPath, changelogRss } from "./rss.ts";

const edition = loadEdition();
const site = "https://forum.example.org";
const entries: ChangelogEntry[] = [
  {
    release: {
      number: 2,
      createdAt: new Date("2013-06-20T10:00:00Z"),
      comment: { en: "Keynote <later> & more", fr: "La conférence plus tard" },
      createdBy: "staff:1",
    },
    changes: [
      {
        kind: "changed",
        slug: "keynote",
        title: { en: "Keynote", fr: "Conférence plénière" },
        restricted: false,
        fields: ["title"],
      },
    ],
    first: false,
  },
  {
    release: { number: 1, createdAt: new Date("2013-06-01T08:00:00Z"), comment: { en: "", fr: "" }, createdBy: "staff:1" },
    changes: [],
    first: true,
  },
];

describe("changelogRss", () => {
  it.each(["en", "fr"] as const)("is well-formed RSS 2.0 that names its own address (%s)", async (locale) => {
    const rss = await changelogRss(entries, edition, site, locale);
    expect(await validateXml(rss)).toMatchObject({ valid: true });
    const self = `${site}${changelogFeedPath(locale)}`;
    expect(self).toBe(locale === "fr" ? `${site}/fr/changelog.rss` : `${site}/changelog.rss`);
    expect(rss).toContain('xmlns:atom="http://www.w3.org/2005/Atom"');
    expect(rss).toContain(`<atom:link href="${self}" rel="self" type="application/rss+xml"/>`);
    expect(xpath(rss, "string(/rss/@version)")).toBe("2.0");
    expect(xpath(rss, "string(/rss/channel/language)")).toBe(locale);
    expect(xpath(rss, "string(/rss/channel/link)")).toBe(`${site}${locale === "fr" ? "/fr" : ""}/changelog`);
    expect(xpath(rss, "count(/rss/channel/item)")).toBe("2");
  });

  it("keeps each release's GUID and escapes its text", async () => {
    const rss = await changelogRss(entries, edition, site, "en");
    expect(xpath(rss, "string(/rss/channel/item[1]/guid)")).toBe(`${edition.acronym}-release-2`);
    expect(xpath(rss, "string(/rss/channel/item[1]/guid/@isPermaLink)")).toBe("false");
    expect(xpath(rss, "count(/rss/channel/item[1]/guid)")).toBe("1");
    expect(xpath(rss, "string(/rss/channel/item[1]/link)")).toBe(`${site}/changelog#release-2`);
    expect(xpath(rss, "string(/rss/channel/item[1]/pubDate)")).toBe("Thu, 20 Jun 2013 10:00:00 GMT");
    expect(xpath(rss, "string(/rss/channel/item[1]/description)")).toContain("Keynote <later> & more");
    expect(rss).not.toContain("<later>");
  });

  it("writes the comment and the sessions' titles in the feed's language", async () => {
    const rss = await changelogRss(entries, edition, site, "fr");
    const description = xpath(rss, "string(/rss/channel/item[1]/description)");
    expect(description).toContain("La conférence plus tard");
    expect(description).toContain("Modifiée\u00a0: Conférence plénière");
    expect(description).not.toContain("Keynote");
  });
});
