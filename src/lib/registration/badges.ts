import { and, eq, gte, isNull, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { registrations } from "../../../db/schema/index.ts";
import { compareNames, type Locale } from "../locale.ts";
import { recordAudit } from "../audit.ts";
import { editionDays, type Edition } from "../config/edition.ts";
import { zonedToInstant } from "../programme/time.ts";

/**
 * Badge print runs: every confirmed registration a filter selects (a category, who has not arrived
 * yet, who arrived on a given forum day), printed in one go, one A6 badge per page or four per A4
 * sheet. The run sees what a badge shows and what the QR code needs, nothing else.
 */

export const BADGE_LAYOUTS = ["a6", "a4"] as const;
export type BadgeLayout = (typeof BADGE_LAYOUTS)[number];

/** Badges in one run, at most (the next ones are the run's next part). */
export const BADGES_PER_RUN = 200;

/** Who a run is for: everyone confirmed, those not checked in yet, or those who first arrived on a forum day. */
export type BadgeArrival = { kind: "all" } | { kind: "expected" } | { kind: "day"; day: string };

export interface BadgeFilter {
  /** A category id, or "" for all. */
  category: string;
  arrival: BadgeArrival;
  layout: BadgeLayout;
  /** The run's part (1 for the first {@link BADGES_PER_RUN} badges). */
  part: number;
}

/** Reads a run's filter from the page's query, ignoring what is not valid for this edition. */
export function parseBadgeFilter(
  params: URLSearchParams,
  edition: Pick<Edition, "registration" | "startDate" | "endDate">,
): BadgeFilter & { arrivalParam: string } {
  const category = params.get("category") ?? "";
  const arrival = params.get("arrival") ?? "";
  const day = /^day:(\d{4}-\d{2}-\d{2})$/.exec(arrival)?.[1];
  const parsed: BadgeArrival =
    arrival === "expected" ? { kind: "expected" } : day && editionDays(edition).includes(day) ? { kind: "day", day } : { kind: "all" };
  const part = Number(params.get("part") ?? 1);
  return {
    category: edition.registration.categories.some((c) => c.id === category) ? category : "",
    arrival: parsed,
    arrivalParam: parsed.kind === "all" ? "" : parsed.kind === "expected" ? "expected" : `day:${parsed.day}`,
    layout: params.get("layout") === "a4" ? "a4" : "a6",
    part: Number.isInteger(part) && part > 0 ? Math.min(part, 10_000) : 1,
  };
}

/** One badge of a run: what it shows, and the nonce its ticket's QR code is derived from. */
export interface BadgeEntry {
  id: number;
  name: string;
  organisation: string;
  category: string;
  ticketNonce: string;
}

function whereOf(filter: Pick<BadgeFilter, "category" | "arrival">, timezone: string): SQL | undefined {
  const conditions: (SQL | undefined)[] = [eq(registrations.status, "confirmed")];
  if (filter.category) conditions.push(eq(registrations.category, filter.category));
  if (filter.arrival.kind === "expected") conditions.push(isNull(registrations.checkedInAt));
  if (filter.arrival.kind === "day") {
    // The forum's calendar day, in its own time zone: from its midnight to the next.
    const start = zonedToInstant(filter.arrival.day, "00:00", timezone);
    const next = new Date(`${filter.arrival.day}T12:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    const end = zonedToInstant(next.toISOString().slice(0, 10), "00:00", timezone);
    conditions.push(gte(registrations.checkedInAt, start), lt(registrations.checkedInAt, end));
  }
  return and(...conditions);
}

/** The badges a filter selects, in name order as readers of `locale` sort names; one part of the run and the total. */
export function badgeRun(
  db: Db,
  filter: Pick<BadgeFilter, "category" | "arrival" | "part">,
  timezone: string,
  locale: Locale,
): { badges: BadgeEntry[]; total: number; parts: number; part: number } {
  const rows = db
    .select({
      id: registrations.id,
      name: registrations.name,
      organisation: registrations.organisation,
      category: registrations.category,
      ticketNonce: registrations.ticketNonce,
    })
    .from(registrations)
    .where(whereOf(filter, timezone))
    .orderBy(sql`${registrations.id}`)
    .all();
  const compare = compareNames(locale);
  rows.sort((a, b) => compare(a.name, b.name) || a.id - b.id);
  const parts = Math.max(1, Math.ceil(rows.length / BADGES_PER_RUN));
  const part = Math.min(filter.part, parts);
  return { badges: rows.slice((part - 1) * BADGES_PER_RUN, part * BADGES_PER_RUN), total: rows.length, parts, part };
}

/** Records that `staff` drew a run's badges (names and organisations of many people at once). */
export function recordBadgeRun(
  db: Db,
  staff: { id: number; email: string },
  filter: Pick<BadgeFilter, "category" | "layout" | "part"> & { arrivalParam: string },
  count: number,
  now = Date.now(),
): void {
  recordAudit(
    db,
    {
      actor: staff,
      action: "checkin.badges",
      subjectType: "registrations",
      after: { category: filter.category, arrival: filter.arrivalParam, layout: filter.layout, part: filter.part, count },
    },
    now,
  );
}

/** Badge colours of categories without their own (dark enough for white text). */
const DEFAULT_COLOURS = ["#0a2d52", "#9a3412", "#166534", "#6b21a8", "#155e75", "#854d0e", "#9f1239", "#3f3f46"];

/** The colour band of a category's badges, and whether its label reads in white (else black). */
export function categoryColour(edition: Pick<Edition, "registration">, category: string): { colour: string; lightText: boolean } {
  const categories = edition.registration.categories;
  const index = Math.max(
    0,
    categories.findIndex((c) => c.id === category),
  );
  const colour = categories[index]?.colour ?? DEFAULT_COLOURS[index % DEFAULT_COLOURS.length];
  return { colour, lightText: contrast(colour, "#ffffff") >= contrast(colour, "#000000") };
}

/** WCAG contrast ratio of two `#rrggbb` colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}
