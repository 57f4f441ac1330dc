import type { APIRoute } from "astro";
import { exportVersion, scheduleXml } from "../lib/programme/exports/frab.ts";
import { getEdition, getSiteUrl, latestRelease, programmeFor } from "../lib/server/runtime.ts";

/** The programme in the frab/pretalx schedule XML, as the viewer may see it. */
export const GET: APIRoute = ({ locals }) => {
  const view = programmeFor(locals.viewer);
  const body = scheduleXml(view, {
    edition: getEdition(),
    siteUrl: getSiteUrl(),
    version: exportVersion(latestRelease()?.number, view),
  });
  return new Response(body, { headers: { "Content-Type": "application/xml; charset=utf-8" } });
};
