import type { Messages } from "./index.ts";

/** Translates an error key of a form schema or Action (`required`, `tooLong:200`, `retryAfter:30`). */
export function errorMessage(m: Messages, key: string | undefined): string {
  if (!key) return m.errors.generic;
  const [name, arg] = key.split(":");
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
