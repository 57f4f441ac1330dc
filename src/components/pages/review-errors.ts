import type { ActionError } from "astro:actions";
import { errorMessage } from "../../i18n/errors.ts";
import type { Messages } from "../../i18n/index.ts";
import { formErrors, type FormErrors } from "../../lib/server/forms.ts";

/** The message of an error key, the `review:` ones included. */
export function reviewMessage(m: Messages, key: string | undefined): string {
  const [area, name] = (key ?? "").split(":");
  if (area !== "review") return errorMessage(m, key);
  const errors = m.review.errors;
  return name && Object.hasOwn(errors, name) ? errors[name as keyof typeof errors] : m.errors.generic;
}

/** An Action's error as messages by field (input errors) or for the whole form. */
export function reviewErrors(error: ActionError | undefined, m: Messages, fieldOrder: readonly string[]): FormErrors {
  return formErrors(error, m, fieldOrder, { message: (key) => reviewMessage(m, key), linkUnlisted: true });
}
