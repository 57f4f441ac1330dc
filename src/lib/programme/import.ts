import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { Db } from "../../../db/client.ts";
import {
  AUDIENCES,
  LANGUAGES,
  SESSION_STATES,
  TLP_LABELS,
  type Language,
  formats,
  rooms,
  sessionSpeakers,
  sessions,
  speakers,
  tracks,
} from "../../../db/schema/index.ts";
import { ContentError, describeIssues, editionDays, parseContent, type Edition } from "../config/edition.ts";
import { otherLanguage } from "./texts.ts";
import { frenchSpacing } from "../typography.ts";
import { zonedToInstant } from "./time.ts";

const slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "expected a slug like lower-case-words");
const localized = z.object({ en: z.string().min(1), fr: z.string().min(1) }).strict();
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected a time as HH:MM");

/** Schema of `content/programme/setup.yaml`. */
export const setupSchema = z
  .object({
    rooms: z
      .array(
        z.object({ slug, name: z.string().min(1), capacity: z.number().int().positive(), description: z.string().default("") }).strict(),
      )
      .min(1),
    tracks: z.array(
      z.object({ slug, name: localized, colour: z.string().regex(/^#[0-9a-f]{6}$/i, "expected a colour like #1f5fa8") }).strict(),
    ),
    formats: z.array(z.object({ slug, name: localized, duration: z.number().int().positive() }).strict()).min(1),
  })
  .strict();

/** Front matter of a speaker file. */
export const speakerSchema = z
  .object({
    name: z.string().min(1).max(200),
    affiliation: z.string().max(200).default(""),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, "expected an ISO 3166-1 alpha-2 code")
      .or(z.literal(""))
      .default(""),
    email: z.email().nullish(),
    links: z.array(z.object({ label: z.string().min(1), url: z.url({ protocol: /^https?$/ }) }).strict()).default([]),
    photo: z.string().nullish(),
    /** The speaker's language: their e-mails', and the biography's in the body. */
    language: z.enum(LANGUAGES).default("en"),
    /** The biography in the other language. */
    bio_en: z.string().optional(),
    bio_fr: z.string().optional(),
  })
  .strict()
  .superRefine((s, ctx) => sameLanguageKey(ctx, s.language, { bio_en: s.bio_en, bio_fr: s.bio_fr }, "the body"));

/** Front matter of a session file. */
export const sessionSchema = z
  .object({
    title: z.string().min(1).max(300),
    format: slug,
    track: slug.nullish(),
    language: z.enum(LANGUAGES).default("en"),
    audience: z.enum(AUDIENCES).default("public"),
    titlePublic: z.boolean().default(true),
    tlp: z.enum(TLP_LABELS).default("CLEAR"),
    state: z.enum(SESSION_STATES).default("confirmed"),
    published: z.boolean().default(true),
    day: z
      .preprocess(
        (v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v),
        z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date as YYYY-MM-DD"),
      )
      .optional(),
    start: hhmm.optional(),
    end: hhmm.optional(),
    room: slug.nullish(),
    speakers: z.array(slug).default([]),
    description: z.string().default(""),
    /** The title, abstract and description in the other language than `language` (the body is the abstract in `language`). */
    title_en: z.string().min(1).max(300).optional(),
    title_fr: z.string().min(1).max(300).optional(),
    abstract_en: z.string().optional(),
    abstract_fr: z.string().optional(),
    description_en: z.string().optional(),
    description_fr: z.string().optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    sameLanguageKey(ctx, s.language, { title_en: s.title_en, title_fr: s.title_fr }, "title");
    sameLanguageKey(ctx, s.language, { abstract_en: s.abstract_en, abstract_fr: s.abstract_fr }, "the body");
    sameLanguageKey(ctx, s.language, { description_en: s.description_en, description_fr: s.description_fr }, "description");
  })
  .refine((s) => !s.start || !s.end || s.start < s.end, { message: "must be before end", path: ["start"] })
  .refine((s) => (s.day === undefined) === (s.start === undefined) && (s.start === undefined) === (s.end === undefined), {
    message: "day, start and end go together",
    path: ["day"],
  });

/** Refuses `<field>_<language>` in the file's own language: that text is already `plain` (the title, the body...). */
function sameLanguageKey(ctx: z.RefinementCtx, language: Language, keys: Record<string, string | undefined>, plain: string): void {
  for (const [key, value] of Object.entries(keys)) {
    if (value !== undefined && key.endsWith(`_${language}`)) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `the ${language === "en" ? "English" : "French"} text is ${plain}; ${key} is for the other language`,
      });
    }
  }
}

/** The text of a file in its own language `language` (`own`) and its translation (`<field>_<other>`). */
function bothLanguages(language: Language, own: string, translations: { en?: string; fr?: string }): { en: string; fr: string } {
  const other = otherLanguage(language);
  const text = { en: "", fr: "" };
  text[language] = own.trim();
  text[other] = (translations[other] ?? "").trim();
  text.fr = frenchSpacing(text.fr);
  return text;
}

/** Splits `---` front matter from a Markdown body and validates the front matter. */
export function parseMarkdownFile<T extends z.ZodType>(file: string, text: string, schema: T): { data: z.output<T>; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!match) throw new ContentError(`${file}: missing front matter between --- lines`);
  let raw: unknown;
  try {
    raw = parseYaml(match[1]);
  } catch (error) {
    throw new ContentError(`${file}: front matter is not valid YAML: ${(error as Error).message}`);
  }
  const result = schema.safeParse(raw ?? {});
  if (!result.success) throw new ContentError(describeIssues(file, result.error));
  return { data: result.data, body: match[2].trim() };
}

function markdownFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".md"))
      .sort();
  } catch {
    return [];
  }
}

/** Counts of rows the import added. */
export interface ImportResult {
  rooms: number;
  tracks: number;
  formats: number;
  speakers: number;
  sessions: number;
}

/**
 * Imports the programme under `dir` (setup.yaml, speakers/, sessions/) into the database in one
 * transaction. Rows are matched by slug and existing ones are left alone, so importing twice
 * changes nothing and never overwrites what organizers edited.
 */
export function importProgramme(db: Db, dir: string, edition: Edition): ImportResult {
  const show = (p: string) => relative(process.cwd(), p) || p;
  const setupPath = join(dir, "setup.yaml");
  const setup = parseContent(show(setupPath), readFileSync(setupPath, "utf8"), setupSchema);
  const days = new Set(editionDays(edition));

  const speakerFiles = markdownFiles(join(dir, "speakers")).map((f) => {
    const path = join(dir, "speakers", f);
    return { slug: f.slice(0, -3), ...parseMarkdownFile(show(path), readFileSync(path, "utf8"), speakerSchema) };
  });
  const sessionFiles = markdownFiles(join(dir, "sessions")).map((f) => {
    const path = join(dir, "sessions", f);
    return { slug: f.slice(0, -3), file: show(path), ...parseMarkdownFile(show(path), readFileSync(path, "utf8"), sessionSchema) };
  });

  // Cross-references are checked before anything is written.
  const roomSlugs = new Set(setup.rooms.map((r) => r.slug));
  const trackSlugs = new Set(setup.tracks.map((t) => t.slug));
  const formatSlugs = new Set(setup.formats.map((f) => f.slug));
  const speakerSlugs = new Set(speakerFiles.map((s) => s.slug));
  for (const s of sessionFiles) {
    if (!formatSlugs.has(s.data.format)) throw new ContentError(`${s.file}: format: unknown format "${s.data.format}"`);
    if (s.data.track && !trackSlugs.has(s.data.track)) throw new ContentError(`${s.file}: track: unknown track "${s.data.track}"`);
    if (s.data.room && !roomSlugs.has(s.data.room)) throw new ContentError(`${s.file}: room: unknown room "${s.data.room}"`);
    if (s.data.day && !days.has(s.data.day)) throw new ContentError(`${s.file}: day: ${s.data.day} is not a day of the forum`);
    const unknown = s.data.speakers.find((sp) => !speakerSlugs.has(sp));
    if (unknown) throw new ContentError(`${s.file}: speakers: unknown speaker "${unknown}"`);
  }

  const result: ImportResult = { rooms: 0, tracks: 0, formats: 0, speakers: 0, sessions: 0 };
  db.transaction((tx) => {
    setup.rooms.forEach((r, position) => {
      result.rooms += tx
        .insert(rooms)
        .values({ ...r, position })
        .onConflictDoNothing()
        .run().changes;
    });
    setup.tracks.forEach((t, position) => {
      result.tracks += tx
        .insert(tracks)
        .values({ slug: t.slug, nameEn: t.name.en, nameFr: t.name.fr, colour: t.colour, position })
        .onConflictDoNothing()
        .run().changes;
    });
    for (const f of setup.formats) {
      result.formats += tx
        .insert(formats)
        .values({ slug: f.slug, nameEn: f.name.en, nameFr: f.name.fr, defaultDuration: f.duration })
        .onConflictDoNothing()
        .run().changes;
    }
    for (const s of speakerFiles) {
      const bio = bothLanguages(s.data.language, s.body, { en: s.data.bio_en, fr: s.data.bio_fr });
      result.speakers += tx
        .insert(speakers)
        .values({
          slug: s.slug,
          name: s.data.name,
          affiliation: s.data.affiliation,
          country: s.data.country,
          email: s.data.email ?? null,
          links: s.data.links,
          photo: s.data.photo ?? null,
          language: s.data.language,
          bioEn: bio.en,
          bioFr: bio.fr,
        })
        .onConflictDoNothing()
        .run().changes;
    }
    const idOf = <T extends { id: number; slug: string }>(rows: T[]) => new Map(rows.map((r) => [r.slug, r.id]));
    const roomIds = idOf(tx.select({ id: rooms.id, slug: rooms.slug }).from(rooms).all());
    const trackIds = idOf(tx.select({ id: tracks.id, slug: tracks.slug }).from(tracks).all());
    const formatIds = idOf(tx.select({ id: formats.id, slug: formats.slug }).from(formats).all());
    const speakerIds = idOf(tx.select({ id: speakers.id, slug: speakers.slug }).from(speakers).all());
    for (const s of sessionFiles) {
      const d = s.data;
      const title = bothLanguages(d.language, d.title, { en: d.title_en, fr: d.title_fr });
      const abstract = bothLanguages(d.language, s.body, { en: d.abstract_en, fr: d.abstract_fr });
      const description = bothLanguages(d.language, d.description, { en: d.description_en, fr: d.description_fr });
      const inserted = tx
        .insert(sessions)
        .values({
          slug: s.slug,
          titleEn: title.en,
          titleFr: title.fr,
          abstractEn: abstract.en,
          abstractFr: abstract.fr,
          descriptionEn: description.en,
          descriptionFr: description.fr,
          formatId: formatIds.get(d.format)!,
          trackId: d.track ? trackIds.get(d.track)! : null,
          language: d.language,
          audience: d.audience,
          titlePublic: d.titlePublic,
          tlp: d.tlp,
          state: d.state,
          published: d.published,
          startsAt: d.day && d.start ? zonedToInstant(d.day, d.start, edition.timezone) : null,
          endsAt: d.day && d.end ? zonedToInstant(d.day, d.end, edition.timezone) : null,
          roomId: d.room ? roomIds.get(d.room)! : null,
        })
        .onConflictDoNothing()
        .returning({ id: sessions.id })
        .all();
      if (inserted.length === 0) continue;
      result.sessions += 1;
      d.speakers.forEach((sp, position) => {
        tx.insert(sessionSpeakers)
          .values({ sessionId: inserted[0].id, speakerId: speakerIds.get(sp)!, position })
          .run();
      });
    }
  });
  return result;
}

/** True when no session exists yet: the demo edition is loaded only into an empty programme. */
export function isProgrammeEmpty(db: Db): boolean {
  return (
    db.select({ id: sessions.id }).from(sessions).limit(1).all().length === 0 &&
    db.select({ id: rooms.id }).from(rooms).limit(1).all().length === 0
  );
}
