import type { APIRoute } from "astro";
import { localeOfPath } from "../../i18n/index.ts";
import { frabAcronym } from "../../lib/programme/exports/frab.ts";
import { speakerCalendar } from "../../lib/programme/exports/ical.ts";
import { getEdition, getSiteUrl, programmeFor } from "../../web/runtime.ts";

/** One speaker's sessions as iCalendar; 404 when the viewer sees no session of that speaker. */
export const GET: APIRoute = ({ locals, params, url }) => {
  const edition = getEdition();
  const slug = params.slug ?? "";
  const body = speakerCalendar(programmeFor(locals.viewer), slug, { edition, siteUrl: getSiteUrl(), locale: localeOfPath(url.pathname) });
  if (body === null) return new Response("Not found\n", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  return new Response(body, {
    headers: {
      "Content-Type": "text/calendar; charset=utf-8",
      "Content-Disposition": `attachment; filename="${frabAcronym(edition.acronym)}-${slug}.ics"`,
    },
  });
};
