import type { APIRoute } from "astro";
import { localeOfPath } from "../i18n/index.ts";
import { exportVersion, scheduleXml } from "../lib/programme/exports/frab.ts";
import { getEdition, getSiteUrl, latestRelease, programmeFor } from "../web/runtime.ts";

/** The programme in the frab/pretalx schedule XML, as the viewer may see it; in French under /fr. */
export const GET: APIRoute = ({ locals, url }) => {
  const view = programmeFor(locals.viewer);
  const body = scheduleXml(view, {
    edition: getEdition(),
    siteUrl: getSiteUrl(),
    version: exportVersion(latestRelease()?.number, view),
    locale: localeOfPath(url.pathname),
  });
  return new Response(body, { headers: { "Content-Type": "application/xml; charset=utf-8" } });
};
