import type { AstroGlobal } from "astro";
import type { Locale } from "../../i18n/index.ts";
import { searchAudit } from "../../lib/audit.ts";
import { registrationStatistics, type RegistrationStatistics } from "../../lib/registration/statistics.ts";
import { getDb, getEdition } from "../../web/runtime.ts";
import { guardPage, type Guarded } from "./admin-state.ts";

/** Request handling of the organizers' statistics and audit log pages. */

export interface StatisticsProps {
  locale: Locale;
  statistics: RegistrationStatistics;
}

/** The statistics page: anyone who may see the registrations. */
export function statisticsState(Astro: AstroGlobal): Guarded<StatisticsProps> {
  const guard = guardPage(Astro, "registrations.view");
  if (!("ok" in guard)) return guard;
  return { props: { locale: guard.locale, statistics: registrationStatistics(getDb(), getEdition()) } };
}

export const AUDIT_PAGE_SIZE = 50;

export interface AuditProps {
  locale: Locale;
  q: string;
  page: number;
  pages: number;
  total: number;
  rows: ReturnType<typeof searchAudit>["rows"];
}

/** The audit log page: a search over actor, action and subject, newest first, a page at a time. */
export function auditState(Astro: AstroGlobal): Guarded<AuditProps> {
  const guard = guardPage(Astro, "audit.view");
  if (!("ok" in guard)) return guard;
  const q = (Astro.url.searchParams.get("q") ?? "").trim().slice(0, 200);
  const asked = Number(Astro.url.searchParams.get("page") ?? 1);
  let page = Number.isInteger(asked) && asked > 0 ? Math.min(asked, 1_000_000) : 1;
  let result = searchAudit(getDb(), { q, page, perPage: AUDIT_PAGE_SIZE });
  const pages = Math.max(1, Math.ceil(result.total / AUDIT_PAGE_SIZE));
  // A page past the end shows the last one, as the registrations list does.
  if (page > pages) {
    page = pages;
    result = searchAudit(getDb(), { q, page, perPage: AUDIT_PAGE_SIZE });
  }
  return { props: { locale: guard.locale, q, page, pages, total: result.total, rows: result.rows } };
}
