import { z } from "zod";
import { blank, checkbox, email as emailField, text as textField, token } from "../fields.ts";
import type { Edition } from "../config/edition.ts";
import { isCountryCode } from "./countries.ts";

/**
 * The registration form's one schema. Error messages are keys (`required`, `tooLong:200`, ...)
 * that the page translates next to each field, in the form's language.
 */

/** Fields that belong to one category only. Categories configured with other ids have none. */
export const CATEGORY_FIELDS = {
  "law-enforcement": ["agency", "position", "officialEmail"],
  industry: ["company", "role"],
  researcher: ["institution"],
  "policy-maker": ["policyBody"],
} as const satisfies Record<string, readonly string[]>;

export const ALL_CATEGORY_FIELDS = ["agency", "position", "officialEmail", "company", "role", "institution", "policyBody"] as const;
export type CategoryField = (typeof ALL_CATEGORY_FIELDS)[number];

export function fieldsOfCategory(category: string): readonly CategoryField[] {
  // Own properties only: "__proto__" or "constructor" must not reach Object.prototype.
  return Object.hasOwn(CATEGORY_FIELDS, category) ? (CATEGORY_FIELDS as Record<string, readonly CategoryField[]>)[category] : [];
}

/** Limits, shared with the page's `maxlength` attributes. */
export const LIMITS = { short: 200, email: 254, long: 1000 } as const;

const text = ({ max, multiline = false }: { max: number; multiline?: boolean }) => textField(max, { multiline });
const email = emailField({ max: LIMITS.email, required: false });

/** Cross-field checks run even when a field already failed, so that every error shows at once. */
const ALWAYS = { when: () => true };

/** The details a person gives and may later edit: shared by the registration and edit forms. */
const details = {
  name: text({ max: LIMITS.short }),
  organisation: text({ max: LIMITS.short }),
  country: z.preprocess((v) => (typeof v === "string" ? v.trim().toUpperCase() : blank(v)), z.string("invalid")),
  language: z.preprocess(blank, z.string("invalid")),
  dietary: text({ max: LIMITS.long, multiline: true }),
  accessibility: text({ max: LIMITS.long, multiline: true }),
  agency: text({ max: LIMITS.short }),
  position: text({ max: LIMITS.short }),
  officialEmail: email,
  company: text({ max: LIMITS.short }),
  role: text({ max: LIMITS.short }),
  institution: text({ max: LIMITS.short }),
  policyBody: text({ max: LIMITS.short }),
  listConsent: checkbox,
};

type Issue = (path: string, message: string) => void;

/**
 * The cross-field checks of the details: required fields, a known country and language, the
 * category's own fields required and the others' refused (only once the category is one of
 * `categories`, unless `refuseForeignAlways`).
 */
function checkDetails(
  value: { category: string; country: unknown; language: unknown } & Record<
    (typeof ALL_CATEGORY_FIELDS)[number] | "name" | "organisation",
    unknown
  >,
  issue: Issue,
  categories: readonly string[],
  refuseForeignAlways: boolean,
): void {
  for (const field of ["name", "organisation", "country", "language"] as const) {
    if (value[field] === "") issue(field, "required");
  }
  if (typeof value.country === "string" && value.country !== "" && !isCountryCode(value.country)) issue("country", "unknownCountry");
  if (value.language !== "" && value.language !== "en" && value.language !== "fr") issue("language", "invalidLanguage");
  const own = new Set<string>(fieldsOfCategory(value.category));
  for (const field of ALL_CATEGORY_FIELDS) {
    if (own.has(field)) {
      if (value[field] === "") issue(field, "required");
    } else if (typeof value[field] === "string" && value[field] !== "" && (refuseForeignAlways || categories.includes(value.category))) {
      issue(field, "notApplicable");
    }
  }
}

/** Builds the schema for the configured categories. */
export function registrationSchema(edition: Pick<Edition, "registration">) {
  const categories = edition.registration.categories.map((c) => c.id);
  return z
    .object({
      category: z.preprocess(blank, z.string("invalid")),
      email,
      ...details,
      privacyConsent: checkbox,
      /** Honeypot: hidden from people, filled by bots. */
      website: z.preprocess(blank, z.string("invalid").max(LIMITS.long, `tooLong:${LIMITS.long}`)),
    })
    .superRefine((value, ctx) => {
      const issue: Issue = (path, message) => ctx.addIssue({ code: "custom", path: [path], message });
      if (value.category === "") issue("category", "required");
      else if (!categories.includes(value.category)) issue("category", "unknownCategory");
      if (value.email === "") issue("email", "required");
      if (!value.privacyConsent) issue("privacyConsent", "consentRequired");
      checkDetails(value, issue, categories, false);
    }, ALWAYS)
    .transform((v) => ({ ...v, language: v.language as "en" | "fr" }));
}

export type RegistrationInput = z.output<ReturnType<typeof registrationSchema>>;

/** The fields an attendee may change afterwards (not the category, not the address). */
export const EDITABLE_FIELDS = [
  "name",
  "organisation",
  "country",
  "language",
  "dietary",
  "accessibility",
  "listConsent",
  ...ALL_CATEGORY_FIELDS,
] as const;
export type EditableField = (typeof EDITABLE_FIELDS)[number];

/** Fields checked by the organizers when a category is vetted: changing one sends it back to review. */
export const VETTED_FIELDS = ["name", "organisation", "country", "agency", "position", "officialEmail"] as const;

/**
 * Schema of the edit form: the registration form without address, consents and honeypot. The
 * category comes in a hidden field and must match the registration's own (checked by the handler).
 */
export function editSchema(edition: Pick<Edition, "registration">) {
  const categories = edition.registration.categories.map((c) => c.id);
  return z
    .object({
      token,
      category: z.preprocess(blank, z.string("invalid")),
      version: z.preprocess((v) => Number(blank(v) || NaN), z.number("invalid").int("invalid")),
      ...details,
    })
    .superRefine((value, ctx) => {
      const issue: Issue = (path, message) => ctx.addIssue({ code: "custom", path: [path], message });
      if (!categories.includes(value.category)) issue("category", "unknownCategory");
      checkDetails(value, issue, categories, true);
    }, ALWAYS)
    .transform((v) => ({ ...v, language: v.language as "en" | "fr" }));
}
