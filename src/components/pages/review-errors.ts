import type { ActionError } from "astro:actions";
import type { Messages } from "../../i18n/index.ts";
import { formErrors, type FormErrors } from "../../web/forms.ts";

/** An Action's error as messages by field (input errors) or for the whole form. */
export function reviewErrors(error: ActionError | undefined, m: Messages, fieldOrder: readonly string[]): FormErrors {
  return formErrors(error, m, fieldOrder, { linkUnlisted: true });
}
