import { z } from "zod";
import { blank, hasControlCharacters, code, text, version } from "../fields.ts";
import { AUDIENCES, TLP_LABELS } from "../../../db/schema/programme.ts";
import type { Edition } from "../config/edition.ts";
import { editionDays } from "../config/edition.ts";
import { isCountryCode } from "../registration/countries.ts";
import { isCallFormat } from "./call.ts";

/**
 * The speakers' forms, as zod schemas the Actions take as input (`accept: "form"`): empty fields
 * arrive as null and become "", every message is an error key the pages translate.
 */

export const CFP_LIMITS = {
  title: 200,
  short: 200,
  abstract: 2000,
  description: 10_000,
  notes: 5000,
  bio: 5000,
  links: 5,
  url: 500,
} as const;

const languageField = z.preprocess(blank, z.enum(["en", "fr"], "invalidLanguage"));

/** The proposal form's fields, without the rule across them. */
function proposalShape(edition: Pick<Edition, "cfp">) {
  return z.object({
    titleEn: text(CFP_LIMITS.title),
    titleFr: text(CFP_LIMITS.title),
    abstractEn: text(CFP_LIMITS.abstract, { multiline: true }),
    abstractFr: text(CFP_LIMITS.abstract, { multiline: true }),
    descriptionEn: text(CFP_LIMITS.description, { multiline: true }),
    descriptionFr: text(CFP_LIMITS.description, { multiline: true }),
    format: z.preprocess(
      blank,
      z
        .string("invalid")
        .min(1, "required")
        .refine((f) => isCallFormat(edition, f), "cfp:unknownFormat"),
    ),
    /** A track slug, or "" for none (checked against the database by the domain). */
    track: z.preprocess(blank, z.string("invalid").max(100, "invalid")),
    language: languageField,
    audience: z.preprocess(blank, z.enum(AUDIENCES, "invalid")),
    tlp: z.preprocess(blank, z.enum(TLP_LABELS, "invalid")),
    notes: text(CFP_LIMITS.notes, { multiline: true }),
  });
}

/** A title in one language at least (the message sits by the English title). */
function titleInOneLanguage(v: { titleEn: unknown; titleFr: unknown }, ctx: z.RefinementCtx): void {
  if (!v.titleEn && !v.titleFr) ctx.addIssue({ code: "custom", path: ["titleEn"], message: "cfp:titleEitherLanguage" });
}
/** Runs even when other fields failed, so that every error shows at once. */
const ALWAYS = { when: () => true };

/**
 * The proposal form: what the speaker writes, title, abstract and description in English, French or
 * both (a title in one at least); the format must be one the call offers.
 */
export function proposalSchema(edition: Pick<Edition, "cfp">) {
  return proposalShape(edition).superRefine(titleInOneLanguage, ALWAYS);
}

/** The proposal form of an existing proposal: its code and the version it was drawn from, too. */
export function proposalUpdateSchema(edition: Pick<Edition, "cfp">) {
  return proposalShape(edition).extend({ code: code(), version: version }).superRefine(titleInOneLanguage, ALWAYS);
}
export type ProposalInput = z.output<ReturnType<typeof proposalSchema>>;

/** Field names of the proposal form, in page order. */
export const PROPOSAL_FIELDS = [
  "titleEn",
  "titleFr",
  "abstractEn",
  "abstractFr",
  "descriptionEn",
  "descriptionFr",
  "format",
  "track",
  "language",
  "audience",
  "tlp",
  "notes",
] as const;

/** Links typed one per line: http(s) addresses only, at most CFP_LIMITS.links. */
const linksField = z.preprocess(
  (v) => (typeof v === "string" ? v : ""),
  z
    .string()
    .max(CFP_LIMITS.links * (CFP_LIMITS.url + 2), "invalid")
    .transform((s) =>
      s
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter(Boolean),
    )
    .refine((lines) => lines.length <= CFP_LIMITS.links, `cfp:tooManyLinks`)
    .refine((lines) => lines.every((line) => line.length <= CFP_LIMITS.url && isWebAddress(line)), "cfp:invalidLink"),
);

function isWebAddress(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "https:" || url.protocol === "http:") && !!url.hostname && !hasControlCharacters(text);
  } catch {
    return false;
  }
}

/** The speaker profile form. `days` are the edition's days the speaker can speak on (none: any). */
export function profileSchema(edition: Pick<Edition, "startDate" | "endDate">) {
  const days = editionDays(edition);
  return z.object({
    name: text(CFP_LIMITS.short, { required: true }),
    affiliation: text(CFP_LIMITS.short),
    country: z.preprocess(
      (v) => (typeof v === "string" ? v.trim().toUpperCase() : blank(v)),
      z.string("invalid").refine((c) => c === "" || isCountryCode(c), "unknownCountry"),
    ),
    bioEn: text(CFP_LIMITS.bio, { multiline: true }),
    bioFr: text(CFP_LIMITS.bio, { multiline: true }),
    links: linksField,
    language: languageField,
    days: z.array(z.string().refine((d) => days.includes(d), "invalid")).max(days.length, "invalid"),
  });
}
export type ProfileInput = z.output<ReturnType<typeof profileSchema>>;

/** Field names of the profile form, in page order. */
export const PROFILE_FIELDS = ["name", "affiliation", "country", "bioEn", "bioFr", "links", "language", "days"] as const;
