import type { Messages } from "./index.ts";

/** Translates an error key of a form schema or Action (`required`, `tooLong:200`, `retryAfter:30`). */
export function errorMessage(m: Messages, key: string | undefined): string {
  if (!key) return m.errors.generic;
  const [name, arg] = key.split(":");
  if (name === "auth" && arg && arg in m.auth.errors) return m.auth.errors[arg as keyof typeof m.auth.errors];
  if (name === "admin" && arg && arg in m.admin.errors) return m.admin.errors[arg as keyof typeof m.admin.errors];
  if (name === "editor" && arg && arg in m.editor.errors) return m.editor.errors[arg]!;
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
