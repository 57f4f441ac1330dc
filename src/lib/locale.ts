/**
 * The site's two languages, where each lives (English at the root, French under /fr) and how each
 * writes dates, times, country and language names and orders names (through Intl). A leaf that the
 * domain (links in e-mails, exports, documents) and the messages (src/i18n) both use.
 */

export const LOCALES = ["en", "fr"] as const;
export type Locale = (typeof LOCALES)[number];

/** The BCP 47 tag each locale formats with (dates, numbers, collation). */
export const INTL: Readonly<Record<Locale, string>> = { en: "en-GB", fr: "fr-FR" };

/** Narrows Astro.currentLocale to a supported locale. */
export function asLocale(locale: string | undefined): Locale {
  return locale === "fr" ? "fr" : "en";
}

/** The locale of a request path: French under /fr, English elsewhere. */
export function localeOfPath(path: string): Locale {
  return path === "/fr" || path.startsWith("/fr/") ? "fr" : "en";
}

/** The other language of the site. */
export function otherLocale(locale: Locale): Locale {
  return locale === "en" ? "fr" : "en";
}

/** The path of `path` (an English path like /programme) in `locale`. */
export function localizePath(path: string, locale: Locale): string {
  if (locale === "en") return path;
  return path === "/" ? "/fr/" : `/fr${path}`;
}

/** The English path behind a possibly localized one: /fr/programme -> /programme. */
export function unlocalizePath(path: string): string {
  if (path === "/fr" || path === "/fr/") return "/";
  return path.startsWith("/fr/") ? path.slice(3) : path;
}

// Formatters are built once per locale, options and zone: a programme page formats hundreds of
// times. Options that are module constants are found by identity, others by their text.
const byOptions = new WeakMap<Intl.DateTimeFormatOptions, Map<Locale, Intl.DateTimeFormat>>();
const cache = new Map<string, Intl.DateTimeFormat>();
/** A date formatter of `locale`, built once (`constant`: `options` is a module constant, found by identity). */
export function dateFormat(locale: Locale, options: Intl.DateTimeFormatOptions, constant = false): Intl.DateTimeFormat {
  if (constant) {
    let perLocale = byOptions.get(options);
    if (!perLocale) byOptions.set(options, (perLocale = new Map()));
    let format = perLocale.get(locale);
    if (!format) perLocale.set(locale, (format = new Intl.DateTimeFormat(INTL[locale], options)));
    return format;
  }
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = cache.get(key);
  if (!format) cache.set(key, (format = new Intl.DateTimeFormat(INTL[locale], options)));
  return format;
}

/** Remembers what a pure function of strings gave (bounded: cleared past `max` entries). */
function memo(max = 10_000) {
  const values = new Map<string, string>();
  return (key: string, compute: () => string): string => {
    let value = values.get(key);
    if (value === undefined) {
      if (values.size >= max) values.clear();
      values.set(key, (value = compute()));
    }
    return value;
  };
}
const DAY = { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" } as const;
const DAY_SHORT = { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" } as const;
const DATE_RANGE = { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" } as const;
const days = memo();
const times = memo();
const displayed = memo();

/** Noon UTC of a local date YYYY-MM-DD: formatted in UTC it shows that date everywhere. */
function noon(day: string): Date {
  return new Date(`${day}T12:00:00Z`);
}

/** "Tuesday 2 July 2013" / "mardi 2 juillet 2013" for a local date YYYY-MM-DD. */
export function formatDay(day: string, locale: Locale): string {
  return days(`${locale}|long|${day}`, () => dateFormat(locale, DAY, true).format(noon(day)));
}

/** "Tue 2 Jul" / "mar. 2 juil." for a local date YYYY-MM-DD. */
export function formatDayShort(day: string, locale: Locale): string {
  return days(`${locale}|short|${day}`, () => dateFormat(locale, DAY_SHORT, true).format(noon(day)));
}

/** "2–3 July 2013" / "2–3 juillet 2013" for two local dates. */
export function formatDateRange(first: string, last: string, locale: Locale): string {
  return days(`${locale}|range|${first}|${last}`, () => dateFormat(locale, DATE_RANGE, true).formatRange(noon(first), noon(last)));
}

/** 24-hour wall-clock time "09:15" of `at` in `zone`. */
export function formatTime(at: Date, locale: Locale, zone: string): string {
  return times(`${locale}|${zone}|${at.getTime()}`, () =>
    dateFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone }).format(at),
  );
}

const names = new Map<string, Intl.DisplayNames>();
function displayNames(locale: Locale, type: "region" | "language"): Intl.DisplayNames {
  const key = `${locale}|${type}`;
  let display = names.get(key);
  if (!display) names.set(key, (display = new Intl.DisplayNames([INTL[locale]], { type, fallback: "code" })));
  return display;
}

/** The name of an ISO 3166-1 country code in `locale` ("FR" -> "France"); the code when unknown. */
export function countryName(code: string, locale: Locale): string {
  if (!code) return "";
  return displayed(`${locale}|region|${code}`, () => {
    try {
      return displayNames(locale, "region").of(code) ?? code;
    } catch {
      return code;
    }
  });
}

/** The name of a language code in `locale`, capitalised ("fr" -> "French" / "Français"). */
export function languageName(code: string, locale: Locale): string {
  return displayed(`${locale}|language|${code}`, () => {
    try {
      const name = displayNames(locale, "language").of(code) ?? code;
      return name.charAt(0).toLocaleUpperCase(INTL[locale]) + name.slice(1);
    } catch {
      return code;
    }
  });
}

const collators = new Map<Locale, Intl.Collator>();

/**
 * Compares two names as readers of `locale` sort them (Intl.Collator: "Élodie" beside "Elodie",
 * "Zoë" before "Zygmunt", "Ørsted" where a Danish reader looks for it only in Danish, digits as
 * numbers). Every list ordered by name uses it, in the viewer's language.
 */
export function compareNames(locale: Locale): (a: string, b: string) => number {
  let collator = collators.get(locale);
  if (!collator) collators.set(locale, (collator = new Intl.Collator(INTL[locale], { numeric: true })));
  return collator.compare;
}

/** `items` sorted by `name` as readers of `locale` sort names (a new array; ties keep their order). */
export function sortByName<T>(items: readonly T[], name: (item: T) => string, locale: Locale): T[] {
  const compare = compareNames(locale);
  return [...items].sort((a, b) => compare(name(a), name(b)));
}
