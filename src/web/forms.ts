import { isInputError, type ActionError } from "astro:actions";
import { errorMessage } from "../i18n/errors.ts";
import type { Messages } from "../i18n/index.ts";

/**
 * Every text value of a form POST, repeated fields kept in order (files left out), or null: not a
 * POST, longer than `limit` or without a length, or not a form. For putting values back in a form.
 */
export async function submittedFields(request: Request, limit = 64 * 1024): Promise<URLSearchParams | null> {
  if (request.method !== "POST") return null;
  const length = Number(request.headers.get("content-length") ?? NaN);
  if (!(length <= limit)) return null;
  try {
    const fields = new URLSearchParams();
    for (const [key, value] of await request.clone().formData()) if (typeof value === "string") fields.append(key, value);
    return fields;
  } catch {
    return null;
  }
}

/** The submitted fields of a form POST, one value each (the last), or null. */
export async function submittedForm(request: Request, limit = 64 * 1024): Promise<Record<string, string> | null> {
  const fields = await submittedFields(request, limit);
  return fields ? Object.fromEntries(fields) : null;
}

export interface FormErrors {
  /** Message per field name. */
  byField: Record<string, string>;
  /** All messages in field order, the form-level one first (field ""). */
  summary: { field: string; message: string }[];
}

/** How one area of the site words its errors. */
export interface ErrorWording {
  /** The message of an error key (default: the site's common messages). */
  message?: (key: string) => string;
  /** The field a refusal (not an input error) belongs to, so that it shows by that field. */
  fieldOf?: (key: string) => string | undefined;
  /** Input errors of fields not in the order still link to their field (generated fields, say). */
  linkUnlisted?: boolean;
}

/**
 * Translates an Action's error into messages by field (input errors, and refusals that belong to a
 * field) or for the whole form, the summary in field order. Every area's forms go through this.
 */
export function formErrors(
  error: ActionError | undefined,
  m: Messages,
  fieldOrder: readonly string[],
  wording: ErrorWording = {},
): FormErrors {
  const message = wording.message ?? ((key: string) => errorMessage(m, key));
  const byField: Record<string, string> = {};
  const summary: { field: string; message: string }[] = [];
  if (!error) return { byField, summary };
  if (isInputError(error)) {
    const fields = error.fields as Record<string, string[] | undefined>;
    for (const field of fieldOrder) {
      const key = fields[field]?.[0];
      if (key) summary.push({ field, message: (byField[field] = message(key)) });
    }
    for (const [field, keys] of Object.entries(fields)) {
      if (field in byField || !keys?.[0]) continue;
      if (wording.linkUnlisted) summary.push({ field, message: (byField[field] = message(keys[0])) });
      else summary.push({ field: "", message: message(keys[0]) });
    }
    if (summary.length === 0) summary.push({ field: "", message: m.errors.generic });
    return { byField, summary };
  }
  const key = error.code === "CONTENT_TOO_LARGE" ? "tooLarge" : error.message;
  const field = wording.fieldOf?.(key);
  if (field && fieldOrder.includes(field)) summary.push({ field, message: (byField[field] = message(key)) });
  else summary.push({ field: "", message: message(key) });
  return { byField, summary };
}

/** Seconds from a rate-limit error's message (`retryAfter:30`), for the Retry-After header. */
export function retryAfterOf(error: ActionError | undefined): number | undefined {
  if (!error || error.code !== "TOO_MANY_REQUESTS") return undefined;
  const seconds = Number(error.message.split(":")[1]);
  return Number.isFinite(seconds) ? seconds : undefined;
}
