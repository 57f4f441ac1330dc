import widget from "../components/embed/forum-schedule.js?raw";
import { localeOfPath, t } from "../i18n/index.ts";
import { ANONYMOUS } from "../lib/programme/audience.ts";
import { exportVersion, scheduleJson } from "../lib/programme/exports/frab.ts";
import { getEdition, getSiteUrl, latestRelease, programmeFor } from "./runtime.ts";

/**
 * The embeddable schedule (issue 15, decision 43): `/embed/schedule.js`, the `<forum-schedule>`
 * element other sites include, and `/embed/schedule.json`, the schedule it reads. These two are
 * the only answers of the site that other origins may read.
 */

/**
 * Headers of what other sites may read: any origin, never with credentials (browsers refuse a `*`
 * to a request that sent cookies), and loadable by their pages whatever their embedder policy.
 */
export const PUBLIC_CORS: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Origin": "*",
  "Cross-Origin-Resource-Policy": "cross-origin",
};

/** The widget's words in both languages, from the site's messages. */
function widgetWords() {
  return { en: t("en").embed.widget, fr: t("fr").embed.widget };
}

let script: string | undefined;

/** The script of `<forum-schedule>`, with its words. */
export function embedScript(): string {
  script ??= widget.replace("__WORDS__", () => JSON.stringify(widgetWords()));
  return script;
}

/** `GET /embed/schedule.js`. */
export function embedScriptResponse(): Response {
  return new Response(embedScript(), { headers: { "Content-Type": "text/javascript; charset=utf-8", ...PUBLIC_CORS } });
}

/**
 * `GET /embed/schedule.json` (and `/fr/...`): the frab schedule JSON as the anonymous public sees it,
 * whoever asks. The site's own `/schedule.json` follows the viewer (decision 18) and is not
 * readable from elsewhere; this one never depends on a cookie, so a signed-in organizer's or
 * attendee's restricted sessions cannot reach another site through it.
 */
export function embedScheduleResponse(url: URL): Response {
  const view = programmeFor(ANONYMOUS);
  const body = scheduleJson(view, {
    edition: getEdition(),
    siteUrl: getSiteUrl(),
    version: exportVersion(latestRelease()?.number, view),
    locale: localeOfPath(url.pathname),
  });
  return new Response(body, { headers: { "Content-Type": "application/json; charset=utf-8", ...PUBLIC_CORS } });
}
