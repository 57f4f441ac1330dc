import type { APIRoute } from "astro";
import { localDay } from "../../i18n/format.ts";
import { localizePath, t, type Locale } from "../../i18n/index.ts";
import { decide } from "../../lib/auth/guard.ts";
import { parseQuery } from "../../lib/registration/admin.ts";
import { countryName, languageName } from "../../i18n/format.ts";
import {
  CSV_SEPARATORS,
  defaultSeparator,
  exportRegistrations,
  registrationsCsv,
  type CsvLabels,
  type CsvSeparator,
} from "../../lib/registration/export.ts";
import { getDb, getEdition } from "../../web/runtime.ts";

/** Personal data: never stored by a cache, never indexed, no referrer to other sites. */
const PRIVATE = { "Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Robots-Tag": "noindex, nofollow" };

/**
 * The organizers' registrations list as CSV, with the list's filters and order (every page), the
 * headers and names in `lang` (en by default, fr), cells separated as `sep` says (comma or
 * semicolon; by default what spreadsheets in that language expect). Each export is recorded in the
 * audit log before it is sent.
 */
export const GET: APIRoute = ({ locals, url }) => {
  const locale: Locale = url.searchParams.get("lang") === "fr" ? "fr" : "en";
  const m = t(locale);
  const decision = decide(locals.principal, "registrations.export", url.pathname + url.search);
  if (!decision.ok) {
    if (decision.status === 303) {
      const [path, next] = decision.location.split("?");
      return new Response(null, { status: 303, headers: { ...PRIVATE, Location: `${localizePath(path, locale)}?${next}` } });
    }
    return new Response(`${m.insights.export.forbidden}\n`, {
      status: 403,
      headers: { ...PRIVATE, "Content-Type": "text/plain; charset=utf-8" },
    });
  }
  const { user } = locals.principal!;
  const edition = getEdition();
  const rows = exportRegistrations(getDb(), { id: user.id, email: user.email }, { ...parseQuery(url.searchParams), locale });
  const words = m.insights.export;
  const labels: CsvLabels = {
    columns: words.columns,
    yes: words.yes,
    no: words.no,
    category: (id) => edition.registration.categories.find((c) => c.id === id)?.label[locale] ?? id,
    status: (state) => m.insights.states[state],
    country: (code) => countryName(code, locale),
    language: (code) => languageName(code, locale),
  };
  const asked = url.searchParams.get("sep");
  const separator: CsvSeparator = (CSV_SEPARATORS as readonly string[]).includes(asked ?? "")
    ? (asked as CsvSeparator)
    : defaultSeparator(locale);
  const fileName = `${words.fileName}-${localDay(new Date(), edition.timezone)}.csv`;
  return new Response(registrationsCsv(rows, labels, edition.timezone, { separator }), {
    headers: {
      ...PRIVATE,
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${fileName}"`,
    },
  });
};
