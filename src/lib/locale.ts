/**
 * The site's two languages and where each lives: English at the root, French under /fr. A leaf
 * that the domain (links in e-mails, exports) and the messages (src/i18n) both use.
 */

export const LOCALES = ["en", "fr"] as const;
export type Locale = (typeof LOCALES)[number];

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
