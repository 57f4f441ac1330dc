import type { APIRoute } from "astro";
import { changelogRss } from "../lib/programme/exports/rss.ts";
import { changelog, getEdition, getSiteUrl } from "../web/runtime.ts";

/** The programme's releases as an RSS 2.0 feed, in English. */
export const GET: APIRoute = async () =>
  new Response(await changelogRss(changelog(), getEdition(), getSiteUrl(), "en"), {
    headers: { "Content-Type": "application/rss+xml; charset=utf-8" },
  });
