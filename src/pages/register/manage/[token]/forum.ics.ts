import type { APIRoute } from "astro";
import { asLocale } from "../../../../i18n/index.ts";
import { forumCalendar } from "../../../../lib/registration/calendar.ts";
import { findByToken } from "../../../../lib/registration/service.ts";
import { getEdition, getSiteUrl, registrationDeps } from "../../../../web/runtime.ts";

/** The forum in the attendee's calendar, for a confirmed registration's own private link. */
export const GET: APIRoute = ({ params, url }) => {
  const registration = findByToken(registrationDeps(), params.token ?? "");
  const headers = { "Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Robots-Tag": "noindex" };
  if (!registration || registration.status !== "confirmed") {
    return new Response("Not found\n", { status: 404, headers: { ...headers, "Content-Type": "text/plain; charset=utf-8" } });
  }
  const language = asLocale(url.searchParams.get("lang") ?? registration.language);
  return new Response(forumCalendar(getEdition(), getSiteUrl(), language), {
    headers: { ...headers, "Content-Type": "text/calendar; charset=utf-8", "Content-Disposition": 'attachment; filename="forum.ics"' },
  });
};
