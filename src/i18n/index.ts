import { en } from "./en.ts";
import { fr } from "./fr.ts";

import { asLocale, type Locale } from "../lib/locale.ts";

export { asLocale, localeOfPath, localizePath, LOCALES, otherLocale, unlocalizePath, type Locale } from "../lib/locale.ts";
export type Messages = typeof en;

const messages: Record<Locale, Messages> = { en, fr };

/** The messages of `locale` (English when unknown). */
export function t(locale: string | undefined): Messages {
  return messages[asLocale(locale)];
}
