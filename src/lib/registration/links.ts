import { localizePath, type Locale } from "../locale.ts";

/** Path of a registration's private manage page in `language`. */
export function managePath(language: Locale, token: string): string {
  return localizePath(`/register/manage/${encodeURIComponent(token)}`, language);
}

/** Absolute URL of a registration's private manage page. */
export function manageUrl(siteUrl: string, language: Locale, token: string): string {
  return new URL(managePath(language, token), siteUrl).href;
}
