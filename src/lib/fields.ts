import { z } from "zod";

/**
 * The form fields every form shares, defined once: how an HTML form's values arrive (empty fields
 * as null or absent, checkboxes as "on", numbers as strings) and the error keys the pages
 * translate (src/i18n/errors.ts). Domain forms (registration, proposals, catalogue, review) and the
 * Actions build their schemas from these.
 */

/** Control characters (and bidirectional overrides) refused in a one-line field. */
const CONTROL_SINGLE_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** The same, but tabs and line breaks are allowed in a multi-line field. */
const CONTROL_MULTI_LINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Whether a one-line value holds a control character (or a bidirectional override). */
export const hasControlCharacters = (value: string): boolean => CONTROL_SINGLE_LINE.test(value);

/** Empty fields arrive as null (or are absent): both become ""; a string is trimmed. */
export const blank = (v: unknown): unknown => (v === null || v === undefined ? "" : typeof v === "string" ? v.trim() : v);

/**
 * A text field of at most `max` characters, trimmed ("" when empty): `required` refuses the empty
 * one; `multiline` keeps tabs and line breaks (as "\n") and refuses the other control characters,
 * as a one-line field refuses them all.
 */
export function text(max: number, { multiline = false, required = false }: { multiline?: boolean; required?: boolean } = {}) {
  return z.preprocess(
    blank,
    z
      .string("invalid")
      .refine((s) => !required || s !== "", "required")
      .refine((s) => s.length <= max, `tooLong:${max}`)
      .refine((s) => !(multiline ? CONTROL_MULTI_LINE : CONTROL_SINGLE_LINE).test(s), "invalidCharacters")
      .transform((s) => (multiline ? s.replace(/\r\n?/g, "\n") : s)),
  );
}

/** An HTML checkbox: present ("on") when ticked, absent otherwise. */
export const checkbox = z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean());

/**
 * A value the site put in the form or a link (a token, a slug, a digest, a reference), trimmed
 * ("" when absent): refused past `max` characters as `tooLong`, and when blank as `blank` if given.
 * Text a person types is `text` (it also refuses control characters).
 */
export function trimmed(max: number, { tooLong = "invalid", blank }: { tooLong?: string; blank?: string } = {}) {
  const base = z.string().max(max, tooLong);
  return z.preprocess((v) => (typeof v === "string" ? v.trim() : ""), blank === undefined ? base : base.min(1, blank));
}

/** A link's token carried in a form (a signed link's secret part). */
export const token = trimmed(100);

/** A code typed by hand (sign-in, second factor), its spaces removed: people copy "123 456". */
export const typedCode = (max: number) =>
  z.preprocess((v) => (typeof v === "string" ? v.replace(/\s+/g, "") : ""), z.string().max(max, "invalid"));

/** A row's id in a form. */
export const id = z.preprocess(
  (v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v),
  z.number("invalid").int("invalid").positive("invalid"),
);

/** A select whose empty choice means "none": null. */
export const optionalId = z.preprocess(
  (v) => (v === "" || v === null || v === undefined ? null : typeof v === "string" ? Number(v) : v),
  z.number("invalid").int("invalid").positive("invalid").nullable(),
);

/** An e-mail address, trimmed and lower-cased; "" allowed only when not `required`. */
export function email({ max = 254, required = true }: { max?: number; required?: boolean } = {}) {
  return z.preprocess(
    (v) => (typeof v === "string" ? v.trim().toLowerCase() : blank(v)),
    z
      .string("invalid")
      .refine((s) => !required || s !== "", "required")
      .refine((s) => s.length <= max, `tooLong:${max}`)
      .refine((s) => s === "" || s.length > max || z.email().safeParse(s).success, "invalidEmail"),
  );
}

/** A proposal's public code (or another short code) in a form or URL, upper-cased. */
export const code = (max = 20) =>
  z.preprocess((v) => (typeof v === "string" ? v.trim().toUpperCase() : ""), z.string().max(max, "invalid"));

/** The version (a positive whole number) the form was drawn from. */
export const version = z.preprocess((v) => (typeof v === "string" ? Number(v) : v), z.number("invalid").int("invalid").positive("invalid"));
