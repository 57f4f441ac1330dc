import type { APIRoute } from "astro";
import { asLocale, localizePath, t } from "../../i18n/index.ts";
import { agendaSessions, starredSlugs, userOfFeedToken } from "../../lib/agenda/agenda.ts";
import { frabAcronym } from "../../lib/programme/exports/frab.ts";
import { agendaCalendar } from "../../lib/programme/exports/ical.ts";
import { registrationViewer } from "../../lib/programme/viewer.ts";
import { getDb, getEdition, getSiteUrl, programmeFor } from "../../web/runtime.ts";

/** A private answer: never stored by a cache, never indexed, no referrer. */
const PRIVATE = { "Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer" };

/**
 * The private calendar feed of one person's agenda (the token in the URL is the only credential, so
 * calendar apps can subscribe). It holds their starred sessions as the audience rule lets THEM see
 * them now, from their registration: a feed carries no second factor, so staff rights never apply
 * here. An unknown, reset or malformed token, or a closed account, is answered 404.
 */
export const GET: APIRoute = ({ params }) => {
  const db = getDb();
  const user = userOfFeedToken(db, params.token ?? "");
  if (!user) return new Response("Not found\n", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8", ...PRIVATE } });
  const edition = getEdition();
  const view = programmeFor(registrationViewer(db, user.email));
  const sessions = agendaSessions(view.sessions, starredSlugs(db, user.id));
  // In the person's own language: the texts of the sessions too (else in the other language).
  const locale = asLocale(user.language);
  const name = t(locale).agenda.calendarName(edition.shortName[locale]);
  const body = agendaCalendar(name, localizePath("/agenda", locale), sessions, { edition, siteUrl: getSiteUrl(), locale });
  return new Response(body, {
    headers: {
      "Content-Type": "text/calendar; charset=utf-8",
      "Content-Disposition": `attachment; filename="${frabAcronym(edition.acronym)}-agenda.ics"`,
      ...PRIVATE,
    },
  });
};
