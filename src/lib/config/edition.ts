import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const localized = z.object({ en: z.string().min(1), fr: z.string().min(1) }).strict();
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date as YYYY-MM-DD");

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A local date and time of the edition's zone, "YYYY-MM-DDTHH:MM" (quoted in YAML). */
const localDateTime = z
  .string('expected a local date and time like "2013-03-31T23:59"')
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, 'expected a local date and time like "2013-03-31T23:59"')
  .refine((v) => {
    const at = new Date(`${v}:00Z`);
    return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 16) === v;
  }, "not a real date and time");

/**
 * The call for papers (`cfp:`): when it opens, its deadline (the last minute it is open, in the
 * edition's time zone), the formats on offer (slugs of content/programme/setup.yaml), each with
 * its own opening or deadline if it differs, and the short text of the public call page.
 */
export const cfpSchema = z
  .object({
    opens: localDateTime,
    deadline: localDateTime,
    formats: z
      .array(
        z
          .object({
            format: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "expected a format slug like talk"),
            opens: localDateTime.optional(),
            deadline: localDateTime.optional(),
          })
          .strict()
          .refine((f) => !f.opens || !f.deadline || f.opens < f.deadline, { message: "must be before deadline", path: ["opens"] }),
      )
      .min(1)
      .refine((list) => new Set(list.map((f) => f.format)).size === list.length, "a format is listed twice"),
    intro: localized.optional(),
  })
  .strict()
  .refine((c) => c.opens < c.deadline, { message: "must be before deadline", path: ["opens"] });

export type CfpConfig = z.infer<typeof cfpSchema>;

/** Schema of `content/edition.yaml`: everything specific to one edition of the forum. */
export const editionSchema = z
  .object({
    name: localized,
    shortName: localized,
    acronym: z.string().min(1),
    /** Who hosts the forum: a name said the same in both languages, or `{ en, fr }`. */
    hosts: z
      .array(
        z.union([
          z
            .string()
            .min(1)
            .transform((name) => ({ en: name, fr: name })),
          localized,
        ]),
      )
      .default([]),
    startDate: z.preprocess((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v), isoDate),
    endDate: z.preprocess((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v), isoDate),
    timezone: z.string().refine(isTimeZone, "unknown IANA time zone"),
    venue: z
      .object({
        name: z.string().min(1),
        address: z.string().min(1),
        city: z.string().min(1),
        country: z.string().regex(/^[A-Z]{2}$/, "expected an ISO 3166-1 alpha-2 code"),
        latitude: z.number().min(-90).max(90).optional(),
        longitude: z.number().min(-180).max(180).optional(),
      })
      .strict(),
    languages: z.array(z.enum(["en", "fr"])).min(1),
    contactEmail: z.email().optional(),
    registration: z
      .object({
        capacity: z.number().int().positive(),
        pendingEmailHours: z.number().positive().default(48),
        purgeAfterDays: z.number().int().positive().default(180),
        categories: z
          .array(
            z
              .object({
                id: z.string().regex(/^[a-z][a-z-]*$/, "expected a lower-case id like law-enforcement"),
                label: localized,
                capacity: z.number().int().nonnegative(),
                vetting: z.boolean().default(false),
                /** The colour band of the category's badges, `#rrggbb` (a default per category when absent). */
                colour: z
                  .string()
                  .regex(/^#[0-9a-f]{6}$/i, "expected a colour like #1f6feb")
                  .optional(),
              })
              .strict(),
          )
          .min(1),
      })
      .strict(),
    /** The programme editor's warnings: minutes a speaker needs to walk between rooms. */
    schedule: z
      .object({ speakerGapMinutes: z.number().int().min(0).max(120).default(10) })
      .strict()
      .default({ speakerGapMinutes: 10 }),
    officialDomains: z
      .array(z.string().regex(/^(\*\.)?[a-z0-9.-]+\.[a-z]{2,}$/i, "expected a domain like interpol.int or *.gouv.fr"))
      .default([]),
    /** The call for papers; without it there is no call. */
    cfp: cfpSchema.optional(),
  })
  .strict()
  .refine((e) => e.startDate <= e.endDate, { message: "must not be after endDate", path: ["startDate"] });

export type Edition = z.infer<typeof editionSchema>;

/** A configuration file that failed validation; the message names the file and the field. */
export class ContentError extends Error {
  override name = "ContentError";
}

/** Turns zod issues into lines like `content/edition.yaml: venue.city: expected string`. */
export function describeIssues(file: string, error: z.ZodError): string {
  return error.issues.map((issue) => `${file}: ${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`).join("\n");
}

/** Parses YAML text and validates it with `schema`, throwing a ContentError that names `file` and the field. */
export function parseContent<T extends z.ZodType>(file: string, text: string, schema: T): z.output<T> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ContentError(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw new ContentError(describeIssues(file, result.error));
  return result.data;
}

/** Default folder of the edition's content, relative to the working directory. */
export function contentDir(): string {
  return process.env.CONTENT_DIR ?? "content";
}

/** Reads and validates `edition.yaml` from the content folder. */
export function loadEdition(dir: string = contentDir()): Edition {
  const path = join(dir, "edition.yaml");
  return parseContent(relative(process.cwd(), path) || path, readFileSync(path, "utf8"), editionSchema);
}

/** The edition's days as local dates YYYY-MM-DD, first to last. */
export function editionDays(edition: Pick<Edition, "startDate" | "endDate">): string[] {
  const days: string[] = [];
  for (
    let d = new Date(`${edition.startDate}T00:00:00Z`);
    d <= new Date(`${edition.endDate}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1)
  ) {
    days.push(d.toISOString().slice(0, 10));
  }
  return days;
}
