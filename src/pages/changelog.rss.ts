import type { APIRoute } from "astro";
import { localeOfPath } from "../lib/locale.ts";
import { changelogRss } from "../lib/programme/exports/rss.ts";
import { changelog, getEdition, getSiteUrl } from "../web/runtime.ts";

/** The programme's releases as an RSS 2.0 feed, in the language of the path (French under /fr). */
export const GET: APIRoute = async ({ url }) =>
  new Response(await changelogRss(changelog(), getEdition(), getSiteUrl(), localeOfPath(url.pathname)), {
    headers: { "Content-Type": "application/rss+xml; charset=utf-8" },
  });
