import { instantToZoned } from "../lib/programme/time.ts";
import { t, type Locale } from "./index.ts";

/** Dates, times, country and language names for one locale, through Intl. */

const cache = new Map<string, Intl.DateTimeFormat>();
function dateFormat(locale: Locale, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = cache.get(key);
  if (!format) cache.set(key, (format = new Intl.DateTimeFormat(t(locale).intl, options)));
  return format;
}

/** Noon UTC of a local date YYYY-MM-DD: formatted in UTC it shows that date everywhere. */
function noon(day: string): Date {
  return new Date(`${day}T12:00:00Z`);
}

/** "Tuesday 2 July 2013" / "mardi 2 juillet 2013" for a local date YYYY-MM-DD. */
export function formatDay(day: string, locale: Locale): string {
  return dateFormat(locale, { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(noon(day));
}

/** "Tue 2 Jul" / "mar. 2 juil." for a local date YYYY-MM-DD. */
export function formatDayShort(day: string, locale: Locale): string {
  return dateFormat(locale, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }).format(noon(day));
}

/** "2–3 July 2013" / "2–3 juillet 2013" for two local dates. */
export function formatDateRange(first: string, last: string, locale: Locale): string {
  return dateFormat(locale, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).formatRange(noon(first), noon(last));
}

/** 24-hour wall-clock time "09:15" of `at` in `zone`. */
export function formatTime(at: Date, locale: Locale, zone: string): string {
  return dateFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone }).format(at);
}

/** Local date YYYY-MM-DD of `at` in `zone`. */
export function localDay(at: Date, zone: string): string {
  return instantToZoned(at, zone).date;
}

/** "Times in Paris time (Central European Summer Time, GMT+2)", for the zone as it is at `at`. */
export function describeTimes(zone: string, at: Date, locale: Locale): string {
  const part = (timeZoneName: "long" | "shortOffset") =>
    dateFormat(locale, { timeZone: zone, timeZoneName })
      .formatToParts(at)
      .find((p) => p.type === "timeZoneName")?.value ?? zone;
  const city = (zone.split("/").pop() ?? zone).replace(/_/g, " ");
  return t(locale).timesIn(city, part("long"), part("shortOffset"));
}

const names = new Map<string, Intl.DisplayNames>();
function displayNames(locale: Locale, type: "region" | "language"): Intl.DisplayNames {
  const key = `${locale}|${type}`;
  let display = names.get(key);
  if (!display) names.set(key, (display = new Intl.DisplayNames([t(locale).intl], { type, fallback: "code" })));
  return display;
}

/** The name of an ISO 3166-1 country code in `locale` ("FR" -> "France"); the code when unknown. */
export function countryName(code: string, locale: Locale): string {
  if (!code) return "";
  try {
    return displayNames(locale, "region").of(code) ?? code;
  } catch {
    return code;
  }
}

/** The name of a language code in `locale`, capitalised ("fr" -> "French" / "Français"). */
export function languageName(code: string, locale: Locale): string {
  try {
    const name = displayNames(locale, "language").of(code) ?? code;
    return name.charAt(0).toLocaleUpperCase(t(locale).intl) + name.slice(1);
  } catch {
    return code;
  }
}

const collators = new Map<Locale, Intl.Collator>();

/**
 * Compares two names as readers of `locale` sort them (Intl.Collator: "Élodie" beside "Elodie",
 * "Zoë" before "Zygmunt", "Ørsted" where a Danish reader looks for it only in Danish, digits as
 * numbers). Every list ordered by name uses it, in the viewer's language.
 */
export function compareNames(locale: Locale): (a: string, b: string) => number {
  let collator = collators.get(locale);
  if (!collator) collators.set(locale, (collator = new Intl.Collator(t(locale).intl, { numeric: true })));
  return collator.compare;
}

/** `items` sorted by `name` as readers of `locale` sort names (a new array; ties keep their order). */
export function sortByName<T>(items: readonly T[], name: (item: T) => string, locale: Locale): T[] {
  const compare = compareNames(locale);
  return [...items].sort((a, b) => compare(name(a), name(b)));
}
