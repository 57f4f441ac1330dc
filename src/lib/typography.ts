/**
 * French typography: a no-break space (U+00A0) before a colon, a narrow no-break space (U+202F)
 * before a semicolon, a question mark and an exclamation mark, and inside « guillemets », so that
 * the sign never starts a line. Text typed in French by organizers and speakers gets the same on
 * save (`frenchSpacing`); the site's own French messages are written so (the typography test).
 */

/** No-break space, before a colon. */
export const NBSP = "\u00a0";
/** Narrow no-break space, before ; ! ? and inside guillemets. */
export const NNBSP = "\u202f";

const SPACES = "[ \\t\\u00a0\\u202f]+";

/**
 * `text` with the French spaces before : ; ! ? and inside « », where a space (of any width) is
 * already typed. A sign with no space before it is left alone: "10:30", "TLP:CLEAR" and URLs.
 */
export function frenchSpacing(text: string): string {
  return text
    .replace(new RegExp(`(?<=\\S)${SPACES}(?=:)`, "g"), NBSP)
    .replace(new RegExp(`(?<=\\S)${SPACES}(?=[;!?»])`, "g"), NNBSP)
    .replace(new RegExp(`«${SPACES}(?=\\S)`, "g"), `«${NNBSP}`);
}

/** The places in `text` that break French typography, each as a few characters around it (for tests and checks). */
export function frenchTypographyFaults(text: string): string[] {
  const faults: string[] = [];
  const around = (index: number) => text.slice(Math.max(0, index - 12), index + 4);
  const rules: [RegExp, (m: RegExpExecArray) => boolean][] = [
    // A sign after an ordinary space, or after the wrong no-break space.
    [/(?<=\S)[ \t]+[:;!?»]/g, () => true],
    [/\u202f:/g, () => true],
    [/\u00a0[;!?»]/g, () => true],
    [/«[ \t\u00a0]/g, () => true],
    // A sign glued to a word, then a space or the end: "Attention: ..." (not "10:30", "TLP:CLEAR", "https://").
    [/[\p{L}\p{N}»)*_]+[:;!?](?=\s|$)/gu, (m) => !/^(?:https?|mailto|TLP)$/i.test(m[0].slice(0, -1))],
    // An opening guillemet glued to the word.
    [/«(?=[\p{L}\p{N}])/gu, () => true],
    // A typewriter apostrophe between letters ("l'ordre"): French prints the typographic one (’).
    [/(?<=\p{L})'(?=\p{L})/gu, () => true],
  ];
  for (const [pattern, applies] of rules) {
    for (const match of text.matchAll(pattern)) if (applies(match)) faults.push(around(match.index ?? 0));
  }
  return faults;
}
