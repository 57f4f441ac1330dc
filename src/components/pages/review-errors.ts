import { isInputError, type ActionError } from "astro:actions";
import { errorMessage } from "../../i18n/errors.ts";
import type { Messages } from "../../i18n/index.ts";
import type { FormErrors } from "../../lib/server/forms.ts";

/** The message of an error key, the `review:` ones included. */
export function reviewMessage(m: Messages, key: string | undefined): string {
  const [area, name] = (key ?? "").split(":");
  if (area !== "review") return errorMessage(m, key);
  const errors = m.review.errors;
  return name && Object.hasOwn(errors, name) ? errors[name as keyof typeof errors] : m.errors.generic;
}

/** An Action's error as messages by field (input errors) or for the whole form. */
export function reviewErrors(error: ActionError | undefined, m: Messages, fieldOrder: readonly string[]): FormErrors {
  const byField: Record<string, string> = {};
  const summary: FormErrors["summary"] = [];
  if (!error) return { byField, summary };
  if (isInputError(error)) {
    const fields = error.fields as Record<string, string[] | undefined>;
    for (const field of [...fieldOrder, ...Object.keys(fields).filter((f) => !fieldOrder.includes(f))]) {
      const key = fields[field]?.[0];
      if (key) summary.push({ field, message: (byField[field] = reviewMessage(m, key)) });
    }
    if (summary.length === 0) summary.push({ field: "", message: m.errors.generic });
    return { byField, summary };
  }
  summary.push({ field: "", message: reviewMessage(m, error.code === "CONTENT_TOO_LARGE" ? "tooLarge" : error.message) });
  return { byField, summary };
}
