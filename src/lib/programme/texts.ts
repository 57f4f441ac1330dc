import type { Language } from "../../../db/schema/programme.ts";

/**
 * The programme's texts (titles, abstracts, descriptions, biographies, release comments) are kept
 * in English and in French, either of which may be empty: a text written in one language waits for
 * its translation (decision 25). A reader sees their own language when it is there, else the other
 * one, marked with its `lang` so that screen readers and hyphenation read it right.
 */

/** A text in both languages of the site; an empty string is "not given in that language". */
export interface Localized {
  en: string;
  fr: string;
}

/** A text given in neither language. */
export const NO_TEXT: Readonly<Localized> = Object.freeze({ en: "", fr: "" });

/** The other language of the site. */
export function otherLanguage(lang: Language): Language {
  return lang === "en" ? "fr" : "en";
}

/** A text written in `lang` only (a release or a file from before translations existed). */
export function inLanguage(text: string, lang: Language): Localized {
  return lang === "fr" ? { en: "", fr: text } : { en: text, fr: "" };
}

/** True when the text is given in at least one language. */
export function hasText(text: Localized): boolean {
  return text.en.trim() !== "" || text.fr.trim() !== "";
}

/** What a reader of `lang` is shown: the text in `lang`, else in the other language (`lang` then names it). */
export function pickText(text: Localized, lang: Language): { text: string; lang: Language } {
  if (text[lang].trim() !== "") return { text: text[lang], lang };
  const other = otherLanguage(lang);
  if (text[other].trim() !== "") return { text: text[other], lang: other };
  return { text: "", lang };
}

/** The text for a reader of `locale`, with the `lang` attribute it needs: set only when it fell back to the other language. */
export function textFor(text: Localized, locale: Language): { text: string; lang: Language | undefined } {
  const picked = pickText(text, locale);
  return { text: picked.text, lang: picked.lang === locale ? undefined : picked.lang };
}

/** The text in `lang` or, failing that, the other language: for sorting, slugs and one-line logs. */
export function anyText(text: Localized, lang: Language = "en"): string {
  return pickText(text, lang).text;
}

/** True when both texts are the same in each language. */
export function sameText(a: Localized, b: Localized): boolean {
  return a.en === b.en && a.fr === b.fr;
}
