import type { APIRoute } from "astro";
import { localeOfPath } from "../i18n/index.ts";
import { frabAcronym } from "../lib/programme/exports/frab.ts";
import { programmeCalendar, trackCalendar } from "../lib/programme/exports/ical.ts";
import { getEdition, getSiteUrl, programmeFor } from "../web/runtime.ts";

/**
 * The whole programme as iCalendar, as the viewer may see it; `?track=<slug>` keeps one track (404 for
 * an unknown one). In French at /fr/schedule.ics.
 */
export const GET: APIRoute = ({ locals, url }) => {
  const edition = getEdition();
  const track = url.searchParams.get("track");
  const context = { edition, siteUrl: getSiteUrl(), locale: localeOfPath(url.pathname) };
  const view = programmeFor(locals.viewer);
  const body = track === null ? programmeCalendar(view, context) : trackCalendar(view, track, context);
  if (body === null) return new Response("Not found\n", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  const name = track === null ? "programme" : `track-${track}`;
  return new Response(body, {
    headers: {
      "Content-Type": "text/calendar; charset=utf-8",
      "Content-Disposition": `attachment; filename="${frabAcronym(edition.acronym)}-${name}.ics"`,
    },
  });
};
