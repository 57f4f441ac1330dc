import { count, desc, sql } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { REGISTRATION_STATES, registrations, type RegistrationState } from "../../../db/schema/index.ts";
import type { Edition } from "../config/edition.ts";
import { instantToZoned } from "../programme/time.ts";

/** The organizers' statistics of registrations: counts by category, state, country and day. */

export interface CategoryFigures {
  /** The category id (one of the edition's, or a stray id left by an older configuration). */
  category: string;
  /** Registrations of the category, in any state. */
  registrations: number;
  /** Seats held now (confirmed registrations, also those sent back to review by an edit). */
  taken: number;
  /** Seats configured; null for a category the edition no longer has. */
  capacity: number | null;
  /** On the waiting list. */
  waiting: number;
}

/** Registrations, seats taken and waiting per category: the edition's categories in their order, then any stray ones. */
export function byCategory(db: Db, edition: Pick<Edition, "registration">): CategoryFigures[] {
  const rows = db
    .select({
      category: registrations.category,
      registrations: count(),
      taken: sql<number>`coalesce(sum(${registrations.seatHeld}), 0)`,
      waiting: sql<number>`coalesce(sum(${registrations.status} = 'waitlisted'), 0)`,
    })
    .from(registrations)
    .groupBy(registrations.category)
    .all();
  const found = new Map(rows.map((r) => [r.category, r]));
  const configured = edition.registration.categories.map((c) => ({
    category: c.id,
    registrations: found.get(c.id)?.registrations ?? 0,
    taken: found.get(c.id)?.taken ?? 0,
    capacity: c.capacity,
    waiting: found.get(c.id)?.waiting ?? 0,
  }));
  const known = new Set(configured.map((c) => c.category));
  const stray = rows
    .filter((r) => !known.has(r.category))
    .sort((a, b) => a.category.localeCompare(b.category))
    .map((r) => ({ ...r, capacity: null }));
  return [...configured, ...stray];
}

/** Registrations per state, every state listed (zero included), in the order of the lifecycle. */
export function byState(db: Db): { state: RegistrationState; registrations: number }[] {
  const rows = db.select({ state: registrations.status, n: count() }).from(registrations).groupBy(registrations.status).all();
  const found = new Map(rows.map((r) => [r.state, r.n]));
  return REGISTRATION_STATES.map((state) => ({ state, registrations: found.get(state) ?? 0 }));
}

export interface CountryFigures {
  /** The `top` countries, most registrations first (ties by code). */
  top: { country: string; registrations: number }[];
  /** What the other countries add up to, and how many countries they are. */
  other: { registrations: number; countries: number };
}

/** Registrations per country: the `top` countries, and the rest together. */
export function byCountry(db: Db, top = 15): CountryFigures {
  const rows = db
    .select({ country: registrations.country, registrations: count() })
    .from(registrations)
    .groupBy(registrations.country)
    .orderBy(desc(count()), registrations.country)
    .all();
  const rest = rows.slice(top);
  return {
    top: rows.slice(0, top),
    other: { registrations: rest.reduce((sum, r) => sum + r.registrations, 0), countries: rest.length },
  };
}

/** Every day from `first` to `last` (YYYY-MM-DD, inclusive). */
function daysBetween(first: string, last: string): string[] {
  const days: string[] = [];
  for (let at = Date.parse(`${first}T00:00:00Z`); at <= Date.parse(`${last}T00:00:00Z`); at += 86_400_000) {
    days.push(new Date(at).toISOString().slice(0, 10));
  }
  return days;
}

/** Quarter hours: every time zone's offset is a multiple of one, so a bucket falls in one local day. */
const QUARTER_HOUR = 15 * 60 * 1000;
const MAX_FILLED_DAYS = 731;

/**
 * Registrations per day of registration in the edition's time zone, from the first day with one to
 * the last, days without any included as zero.
 */
export function byDay(db: Db, timezone: string): { day: string; registrations: number }[] {
  // Integer division on both sides: a time written by SQLite itself (`unixepoch('subsec') * 1000`)
  // is a real, and a bound JavaScript number may be one too.
  const quarter = sql<number>`cast(${registrations.createdAt} as integer) / ${sql.raw(String(QUARTER_HOUR))}`;
  const buckets = db.select({ quarter, n: count() }).from(registrations).groupBy(quarter).all();
  const perDay = new Map<string, number>();
  for (const { quarter, n } of buckets) {
    const day = instantToZoned(new Date(quarter * QUARTER_HOUR), timezone).date;
    perDay.set(day, (perDay.get(day) ?? 0) + n);
  }
  if (perDay.size === 0) return [];
  const days = [...perDay.keys()].sort();
  // Gaps are filled for a chart of a registration period, not for stray dates years apart.
  const span = (Date.parse(days.at(-1)!) - Date.parse(days[0])) / 86_400_000;
  return (span <= MAX_FILLED_DAYS ? daysBetween(days[0], days.at(-1)!) : days).map((day) => ({ day, registrations: perDay.get(day) ?? 0 }));
}

/** The headline figures: all registrations, those holding a seat, and those checked in. */
export function totals(db: Db): { registrations: number; taken: number; checkedIn: number } {
  const row = db
    .select({
      registrations: count(),
      taken: sql<number>`coalesce(sum(${registrations.seatHeld}), 0)`,
      checkedIn: count(registrations.checkedInAt),
    })
    .from(registrations)
    .get()!;
  return row;
}

/** Everything the statistics page shows. */
export function registrationStatistics(db: Db, edition: Pick<Edition, "registration" | "timezone">) {
  return {
    totals: totals(db),
    byCategory: byCategory(db, edition),
    byState: byState(db),
    byCountry: byCountry(db),
    byDay: byDay(db, edition.timezone),
  };
}

export type RegistrationStatistics = ReturnType<typeof registrationStatistics>;
