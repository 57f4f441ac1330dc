import { isInputError, type ActionError } from "astro:actions";
import { errorMessage } from "../../i18n/errors.ts";
import type { Messages } from "../../i18n/index.ts";

/** The submitted fields of a form POST (for putting them back in the form), or null. */
export async function submittedForm(request: Request, limit = 64 * 1024): Promise<Record<string, string> | null> {
  if (request.method !== "POST") return null;
  const length = Number(request.headers.get("content-length") ?? NaN);
  if (!(length <= limit)) return null;
  try {
    const data = await request.clone().formData();
    const values: Record<string, string> = {};
    for (const [key, value] of data) if (typeof value === "string") values[key] = value;
    return values;
  } catch {
    return null;
  }
}

export interface FormErrors {
  /** Message per field name. */
  byField: Record<string, string>;
  /** All messages in field order, the form-level one first (field ""). */
  summary: { field: string; message: string }[];
}

/** Translates an Action's error into messages by field (input errors) or for the whole form. */
export function formErrors(error: ActionError | undefined, m: Messages, fieldOrder: readonly string[]): FormErrors {
  const byField: Record<string, string> = {};
  const summary: { field: string; message: string }[] = [];
  if (!error) return { byField, summary };
  if (isInputError(error)) {
    for (const field of fieldOrder) {
      const key = error.fields[field as keyof typeof error.fields]?.[0];
      if (key) {
        byField[field] = errorMessage(m, key);
        summary.push({ field, message: byField[field] });
      }
    }
    for (const [field, keys] of Object.entries(error.fields)) {
      if (!(field in byField) && Array.isArray(keys) && keys[0]) summary.push({ field: "", message: errorMessage(m, keys[0]) });
    }
    if (summary.length === 0) summary.push({ field: "", message: m.errors.generic });
    return { byField, summary };
  }
  const key = error.code === "CONTENT_TOO_LARGE" ? "tooLarge" : error.message;
  summary.push({ field: "", message: errorMessage(m, key) });
  return { byField, summary };
}

/** Seconds from a rate-limit error's message (`retryAfter:30`), for the Retry-After header. */
export function retryAfterOf(error: ActionError | undefined): number | undefined {
  if (!error || error.code !== "TOO_MANY_REQUESTS") return undefined;
  const seconds = Number(error.message.split(":")[1]);
  return Number.isFinite(seconds) ? seconds : undefined;
}
