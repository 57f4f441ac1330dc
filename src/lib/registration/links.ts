import type { Locale } from "../../i18n/index.ts";

/** Path of a registration's private manage page in `language`. */
export function managePath(language: Locale, token: string): string {
  return `${language === "fr" ? "/fr" : ""}/register/manage/${encodeURIComponent(token)}`;
}

/** Absolute URL of a registration's private manage page. */
export function manageUrl(siteUrl: string, language: Locale, token: string): string {
  return new URL(managePath(language, token), siteUrl).href;
}
