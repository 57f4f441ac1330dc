import type { APIRoute } from "astro";
import { frabAcronym } from "../lib/programme/exports/frab.ts";
import { programmeCalendar } from "../lib/programme/exports/ical.ts";
import { getEdition, getSiteUrl, programmeFor } from "../lib/server/runtime.ts";

/** The whole programme as iCalendar, as the viewer may see it. */
export const GET: APIRoute = ({ locals }) => {
  const edition = getEdition();
  const body = programmeCalendar(programmeFor(locals.viewer), { edition, siteUrl: getSiteUrl() });
  return new Response(body, {
    headers: {
      "Content-Type": "text/calendar; charset=utf-8",
      "Content-Disposition": `attachment; filename="${frabAcronym(edition.acronym)}-programme.ics"`,
    },
  });
};
