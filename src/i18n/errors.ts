import type { Messages } from "./index.ts";

/** The areas whose Actions refuse with `<area>:<name>` keys, and where their words are. */
const AREAS = {
  auth: (m: Messages) => m.auth.errors,
  admin: (m: Messages) => m.admin.errors,
  editor: (m: Messages) => m.editor.errors,
  catalogue: (m: Messages) => m.catalogue.errors,
  cfp: (m: Messages) => m.cfp.errors,
  review: (m: Messages) => m.review.errors,
  mailstaff: (m: Messages) => m.mailstaff.errors,
  webhooks: (m: Messages) => m.webhooks.errors,
} as const;

/** Translates an error key of a form schema or Action (`required`, `tooLong:200`, `retryAfter:30`). */
export function errorMessage(m: Messages, key: string | undefined): string {
  if (!key) return m.errors.generic;
  const [name, arg, extra] = key.split(":");
  // An area's own refusals, `<area>:<name>[:<number>]`, worded in that area's messages.
  const area = name && Object.hasOwn(AREAS, name) ? AREAS[name as keyof typeof AREAS](m) : undefined;
  if (area && arg && Object.hasOwn(area, arg)) {
    const entry = (area as Record<string, string | ((n: number) => string)>)[arg]!;
    return typeof entry === "function" ? entry(Number(extra) || 0) : entry;
  }
  if (area) return m.errors.generic;
  if (name === "invalidTime") return m.editor.errors.invalidTime!;
  if (name === "forbidden") return m.admin.forbiddenBody;
  const e = m.errors;
  switch (name) {
    case "tooLong":
      return e.tooLong(Number(arg));
    case "retryAfter":
      return e.retryAfter(Number(arg));
    case "required":
    case "invalid":
    case "invalidEmail":
    case "invalidCharacters":
    case "notApplicable":
    case "unknownCategory":
    case "unknownCountry":
    case "invalidLanguage":
    case "consentRequired":
    case "honeypot":
    case "tooLarge":
    case "conflict":
    case "invalidState":
    case "unknownLink":
      return e[name];
    default:
      // zod's own messages (a wrong type, say) are not shown raw.
      return e.invalid;
  }
}

/**
 * One line of an error summary: the field's name, then the message continuing the sentence
 * ("Full name: this field is required."; a message opening on an acronym, "TLP…", keeps it).
 */
export function summaryLine(m: Messages, field: string, message: string): string {
  const continued = /^\p{Lu}\p{Ll}/u.test(message) ? message.charAt(0).toLocaleLowerCase(m.intl) + message.slice(1) : message;
  return m.errorSummary.item(field, continued);
}
