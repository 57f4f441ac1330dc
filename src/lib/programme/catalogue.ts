import { asc, count, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { blank, hasControlCharacters, email, text } from "../fields.ts";
import { fold, type Db, escapeLike } from "../../../db/client.ts";
import { proposals, proposalSpeakers, cfpTokens } from "../../../db/schema/cfp.ts";
import { formats, LANGUAGES, rooms, sessions, sessionSpeakers, speakers, tracks } from "../../../db/schema/programme.ts";
import { recordAudit } from "../audit.ts";
import { editionDays, type Edition } from "../config/edition.ts";
import { isCountryCode } from "../registration/countries.ts";
import { slugify, uniqueSlug, type EditorActor } from "./editor.ts";
import { frenchSpacing } from "../typography.ts";
import { instantToZoned, zonedToInstant } from "./time.ts";
import { sortByName, type Locale } from "../locale.ts";

/**
 * The programme's catalogue as organizers edit it: rooms, tracks, formats and speakers. Each form has
 * one zod schema here (its messages are error keys the page translates: `required`, `tooLong:120`,
 * `catalogue:...`); the functions take the schema's output, check what needs the database (the row
 * still exists, nobody saved in between, nothing uses what is deleted), and write the change with its
 * audit entry in one IMMEDIATE transaction. Slugs come from the name at creation and never change,
 * so links to a speaker survive a rename. The public sees all this only after the next release.
 */

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export const CATALOGUE_KINDS = ["room", "track", "format", "speaker"] as const;
export type CatalogueKind = (typeof CATALOGUE_KINDS)[number];

/** Maximum lengths (characters), shared with the forms' `maxlength`. */
export const CATALOGUE_LIMITS = {
  name: 120,
  description: 2000,
  affiliation: 200,
  bio: 5000,
  email: 254,
  linkLabel: 80,
  linkUrl: 500,
  links: 10,
  availability: 12,
} as const;
export const MAX_CAPACITY = 100_000;
export const DURATION = { min: 5, max: 600, step: 5 } as const;
/** Least contrast of a track colour against white: swatches and borders on white pages (WCAG 1.4.11). */
export const MIN_TRACK_CONTRAST = 3;

// ---------------------------------------------------------------------------------------------------
// Form schemas

/** A whole number typed in a field; `code` is the error key for anything else. */
function wholeNumber(code: string, min: number, max: number, step = 1) {
  return z.preprocess(
    (v) => {
      const s = blank(v);
      if (s === "") return undefined;
      return typeof s === "string" && /^-?\d{1,9}$/.test(s) ? Number(s) : NaN;
    },
    z.number(code).refine((n) => Number.isInteger(n) && n >= min && n <= max && n % step === 0, code),
  );
}

const slugField = z.preprocess(
  blank,
  z
    .string("invalid")
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "invalid")
    .max(80, "invalid"),
);
/** The `updatedAt` (milliseconds) the form was rendered with. */
const updatedAtField = z.preprocess((v) => Number(blank(v)), z.number("invalid").int("invalid").nonnegative("invalid"));

export const roomFields = {
  name: text(CATALOGUE_LIMITS.name, { required: true }),
  capacity: wholeNumber("catalogue:capacity", 1, MAX_CAPACITY),
  description: text(CATALOGUE_LIMITS.description, { multiline: true }),
};
export const roomSchema = z.object(roomFields);
export type RoomFields = z.output<typeof roomSchema>;

/** Relative luminance of an sRGB colour `#rrggbb` (WCAG 2). */
export function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

/** Contrast ratio of `#rrggbb` against white, 1 to 21. */
export function contrastWithWhite(hex: string): number {
  return 1.05 / (luminance(hex) + 0.05);
}

export const trackFields = {
  nameEn: text(CATALOGUE_LIMITS.name, { required: true }),
  nameFr: text(CATALOGUE_LIMITS.name, { required: true }),
  colour: z.preprocess(
    (v) => (typeof v === "string" ? v.trim().toLowerCase() : blank(v)),
    z
      .string("invalid")
      .refine((s) => s !== "", "required")
      .refine((s) => s === "" || /^#[0-9a-f]{6}$/.test(s), "catalogue:colourFormat")
      .refine((s) => !/^#[0-9a-f]{6}$/.test(s) || contrastWithWhite(s) >= MIN_TRACK_CONTRAST, "catalogue:colourContrast"),
  ),
};
export const trackSchema = z.object(trackFields);
export type TrackFields = z.output<typeof trackSchema>;

export const formatFields = {
  nameEn: text(CATALOGUE_LIMITS.name, { required: true }),
  nameFr: text(CATALOGUE_LIMITS.name, { required: true }),
  defaultDuration: wholeNumber("catalogue:duration", DURATION.min, DURATION.max, DURATION.step),
};
export const formatSchema = z.object(formatFields);
export type FormatFields = z.output<typeof formatSchema>;

export interface SpeakerLink {
  label: string;
  url: string;
}
export interface Availability {
  /** ISO instants. */
  from: string;
  to: string;
}

export interface SpeakerFields {
  name: string;
  affiliation: string;
  /** ISO 3166-1 alpha-2, or "" when not given. */
  country: string;
  /** Biography (Markdown) in English and in French; either may be empty. */
  bioEn: string;
  bioFr: string;
  links: SpeakerLink[];
  /** Private. */
  email: string | null;
  language: (typeof LANGUAGES)[number];
  availability: Availability[];
}

/** An http(s) URL as typed, or null when it is anything else (javascript:, data:, relative...). */
export function httpUrl(value: string): string | null {
  if (!/^https?:\/\//i.test(value)) return null;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname ? url.href : null;
  } catch {
    return null;
  }
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Fields every update form adds: which row, and the `updatedAt` it was rendered with. */
export const rowFields = { slug: slugField, updatedAt: updatedAtField };
export const slugOnly = { slug: slugField };
const rows = z.array(z.string("invalid")).max(50, "invalid").default([]);

type Edition3 = Pick<Edition, "startDate" | "endDate" | "timezone">;

function speakerShape() {
  return {
    name: text(CATALOGUE_LIMITS.name, { required: true }),
    affiliation: text(CATALOGUE_LIMITS.affiliation),
    country: z.preprocess(
      (v) => (typeof v === "string" ? v.trim().toUpperCase() : blank(v)),
      z.string("invalid").refine((s) => s === "" || isCountryCode(s), "unknownCountry"),
    ),
    bioEn: text(CATALOGUE_LIMITS.bio, { multiline: true }),
    bioFr: text(CATALOGUE_LIMITS.bio, { multiline: true }),
    email: email({ max: CATALOGUE_LIMITS.email, required: false }).transform((s) => s || null),
    language: z.preprocess((v) => blank(v) || "en", z.enum(LANGUAGES, "invalidLanguage")),
    linkLabel: rows,
    linkUrl: rows,
    availabilityDay: rows,
    availabilityFrom: rows,
    availabilityTo: rows,
  };
}

type SpeakerRaw = z.output<z.ZodObject<ReturnType<typeof speakerShape>>>;

type SpeakerRows = Pick<SpeakerRaw, "linkLabel" | "linkUrl" | "availabilityDay" | "availabilityFrom" | "availabilityTo">;

/** The form's rows as links and availability windows, with the first problem of each group. */
function speakerRows(
  input: Partial<SpeakerRows>,
  edition: Edition3,
): { links: SpeakerLink[]; availability: Availability[]; linkError: string | null; availabilityError: string | null } {
  const days = new Set(editionDays(edition));
  const linkLabel = input.linkLabel ?? [];
  const linkUrl = input.linkUrl ?? [];
  const availabilityDay = input.availabilityDay ?? [];
  const availabilityFrom = input.availabilityFrom ?? [];
  const availabilityTo = input.availabilityTo ?? [];
  const links: SpeakerLink[] = [];
  let linkError: string | null = null;
  const linkCount = Math.max(linkLabel.length, linkUrl.length);
  for (let i = 0; i < linkCount; i++) {
    const label = (linkLabel[i] ?? "").trim();
    const raw = (linkUrl[i] ?? "").trim();
    if (label === "" && raw === "") continue;
    const url = httpUrl(raw);
    if (raw === "") linkError ??= "catalogue:linkUrlRequired";
    else if (!url || raw.length > CATALOGUE_LIMITS.linkUrl) linkError ??= "catalogue:linkUrl";
    else if (label === "") linkError ??= "catalogue:linkLabelRequired";
    else if (label.length > CATALOGUE_LIMITS.linkLabel || hasControlCharacters(label))
      linkError ??= `tooLong:${CATALOGUE_LIMITS.linkLabel}`;
    else links.push({ label, url });
  }
  if (!linkError && links.length > CATALOGUE_LIMITS.links) linkError = `catalogue:tooManyLinks:${CATALOGUE_LIMITS.links}`;

  const availability: Availability[] = [];
  let availabilityError: string | null = null;
  const windowCount = Math.max(availabilityDay.length, availabilityFrom.length, availabilityTo.length);
  for (let i = 0; i < windowCount; i++) {
    const day = (availabilityDay[i] ?? "").trim();
    const from = (availabilityFrom[i] ?? "").trim();
    const to = (availabilityTo[i] ?? "").trim();
    // A row with only its day chosen (the select's default) and no times is an empty row.
    if (from === "" && to === "") continue;
    if (day === "" || from === "" || to === "") availabilityError ??= "catalogue:availabilityIncomplete";
    else if (!days.has(day)) availabilityError ??= "catalogue:availabilityDay";
    else if (!TIME.test(from) || !TIME.test(to)) availabilityError ??= "catalogue:availabilityTime";
    else if (to <= from) availabilityError ??= "catalogue:availabilityOrder";
    else
      availability.push({
        from: zonedToInstant(day, from, edition.timezone).toISOString(),
        to: zonedToInstant(day, to, edition.timezone).toISOString(),
      });
  }
  if (!availabilityError && availability.length > CATALOGUE_LIMITS.availability)
    availabilityError = `catalogue:tooManyWindows:${CATALOGUE_LIMITS.availability}`;
  availability.sort((a, b) => a.from.localeCompare(b.from));
  return { links, availability, linkError, availabilityError };
}

/** Runs even when other fields failed, so that every error shows at once. */
const ALWAYS = { when: () => true };

function checkRows(input: Partial<SpeakerRows>, ctx: z.RefinementCtx, edition: Edition3): void {
  const { linkError, availabilityError } = speakerRows(input, edition);
  if (linkError) ctx.addIssue({ code: "custom", path: ["links"], message: linkError });
  if (availabilityError) ctx.addIssue({ code: "custom", path: ["availability"], message: availabilityError });
}

function toSpeakerFields(input: SpeakerRaw, edition: Edition3): SpeakerFields {
  const { links, availability } = speakerRows(input, edition);
  const { name, affiliation, country, bioEn, bioFr, email, language } = input;
  return { name, affiliation, country, bioEn, bioFr: frenchSpacing(bioFr), email, language, links, availability };
}

/**
 * The speaker form. Links and availability windows come as parallel rows (`linkLabel`/`linkUrl`,
 * `availabilityDay`/`availabilityFrom`/`availabilityTo`); empty rows are ignored; times are the
 * venue's wall clock on one of the forum's days.
 */
export function speakerSchema(edition: Edition3) {
  return z
    .object(speakerShape())
    .superRefine((input, ctx) => checkRows(input, ctx, edition), ALWAYS)
    .transform((input) => toSpeakerFields(input, edition));
}

/** The speaker form of an existing speaker: its slug and the `updatedAt` the form was rendered with, too. */
export function speakerUpdateSchema(edition: Edition3) {
  return z
    .object({ ...rowFields, ...speakerShape() })
    .superRefine((input, ctx) => checkRows(input, ctx, edition), ALWAYS)
    .transform(({ slug, updatedAt, ...input }) => ({ slug, updatedAt, ...toSpeakerFields(input, edition) }));
}

/** Availability windows as the form's rows: day and wall-clock times at the venue. */
export function availabilityRows(windows: Availability[], timezone: string): { day: string; from: string; to: string }[] {
  return windows.map((w) => {
    const from = instantToZoned(new Date(w.from), timezone);
    const to = instantToZoned(new Date(w.to), timezone);
    return { day: from.date, from: from.time, to: to.date === from.date ? to.time : "23:59" };
  });
}

// ---------------------------------------------------------------------------------------------------
// Changes

type Row = {
  room: typeof rooms.$inferSelect;
  track: typeof tracks.$inferSelect;
  format: typeof formats.$inferSelect;
  speaker: typeof speakers.$inferSelect;
};
type Fields = { room: RoomFields; track: TrackFields; format: FormatFields; speaker: SpeakerFields };

const TABLES = { room: rooms, track: tracks, format: formats, speaker: speakers } as const;
/** The column whose value makes the slug. */
const NAME_OF: { [K in CatalogueKind]: (f: Fields[K]) => string } = {
  room: (f) => f.name,
  track: (f) => f.nameEn,
  format: (f) => f.nameEn,
  speaker: (f) => f.name,
};
const FIELD_NAMES: { [K in CatalogueKind]: readonly (keyof Fields[K])[] } = {
  room: ["name", "capacity", "description"],
  track: ["nameEn", "nameFr", "colour"],
  format: ["nameEn", "nameFr", "defaultDuration"],
  speaker: ["name", "affiliation", "country", "bioEn", "bioFr", "links", "email", "language", "availability"],
};
/** Fields the audit log records only as "changed": private data stays out of the log. */
const PRIVATE_FIELDS = new Set(["email"]);

export type SaveError = "not_found" | "conflict";
export type CreateResult = { ok: true; slug: string };
export type UpdateResult<K extends CatalogueKind> =
  | { ok: true; slug: string; updatedAt: number }
  | { ok: false; error: "not_found" }
  | { ok: false; error: "conflict"; current: Row[K]; changed: (keyof Fields[K])[] };
export type DeleteResult =
  | { ok: true }
  | { ok: false; error: "not_found" }
  /** Sessions (or proposals) still use it; for a speaker, the titles of the sessions. */
  | { ok: false; error: "in_use"; uses: number; sessions: string[] }
  /** A speaker on proposals of the call for papers: their proposals would lose them. */
  | { ok: false; error: "has_proposals"; proposals: number };

// The tables differ only in their own columns; slug, id, updatedAt are common to all four.
type AnyTable = typeof rooms;
const tableOf = (kind: CatalogueKind) => TABLES[kind] as unknown as AnyTable;

function findRow<K extends CatalogueKind>(tx: Tx | Db, kind: K, slug: string): Row[K] | undefined {
  const table = tableOf(kind);
  return tx.select().from(table).where(eq(table.slug, slug)).get() as Row[K] | undefined;
}

const equal = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function changedFields<K extends CatalogueKind>(kind: K, row: Row[K], fields: Fields[K]): (keyof Fields[K])[] {
  return FIELD_NAMES[kind].filter((f) => !equal((row as Record<keyof Fields[K], unknown>)[f], fields[f]));
}

/** The audit's before and after: changed fields only, private ones masked. */
function auditDiff<K extends CatalogueKind>(kind: K, row: Row[K] | null, fields: Fields[K] | null) {
  const names = row && fields ? changedFields(kind, row, fields) : FIELD_NAMES[kind];
  const pick = (source: object | null) =>
    source
      ? Object.fromEntries(
          names.map((f) => {
            const value = (source as Record<string | number | symbol, unknown>)[f];
            return [f, PRIVATE_FIELDS.has(String(f)) && value ? "(private)" : value];
          }),
        )
      : null;
  return { before: pick(row), after: pick(fields) };
}

/** A time after the row's own, so that two saves in one millisecond still differ. */
const nextUpdatedAt = (previous: Date, now: number) => new Date(Math.max(now, previous.getTime() + 1));

function nextPosition(tx: Tx, table: typeof rooms | typeof tracks): number {
  return (
    (tx
      .select({ max: sql<number | null>`max(${table.position})` })
      .from(table)
      .get()?.max ?? -1) + 1
  );
}

/** Slugs that name pages of their own (/admin/programme/speakers/new). */
const RESERVED_SLUGS = new Set(["new"]);

/** Adds a room, track, format or speaker (at the end of the order); its slug comes from its name. */
export function createEntry<K extends CatalogueKind>(
  db: Db,
  kind: K,
  fields: Fields[K],
  actor: EditorActor,
  now: number = Date.now(),
): CreateResult {
  return db.transaction(
    (tx) => {
      const table = tableOf(kind);
      const slug = uniqueSlug(
        slugify(NAME_OF[kind](fields), kind),
        (s) => RESERVED_SLUGS.has(s) || !!tx.select({ id: table.id }).from(table).where(eq(table.slug, s)).get(),
      );
      const values: Record<string, unknown> = { ...fields, slug, createdAt: new Date(now), updatedAt: new Date(now) };
      if (kind === "room" || kind === "track") values.position = nextPosition(tx, TABLES[kind] as typeof rooms);
      tx.insert(table)
        .values(values as typeof rooms.$inferInsert)
        .run();
      recordAudit(tx, { actor, action: `${kind}.create`, subjectType: kind, subjectId: slug, ...auditDiff(kind, null, fields) }, now);
      return { ok: true as const, slug };
    },
    { behavior: "immediate" },
  );
}

/**
 * Saves an entry's fields if nobody saved it since `seenUpdatedAt` (what the form was rendered with);
 * otherwise writes nothing and returns the current row and the fields that differ from the input.
 */
export function updateEntry<K extends CatalogueKind>(
  db: Db,
  kind: K,
  slug: string,
  seenUpdatedAt: number,
  fields: Fields[K],
  actor: EditorActor,
  now: number = Date.now(),
): UpdateResult<K> {
  return db.transaction(
    (tx): UpdateResult<K> => {
      const row = findRow(tx, kind, slug);
      if (!row) return { ok: false, error: "not_found" };
      if (row.updatedAt.getTime() !== seenUpdatedAt) {
        return { ok: false, error: "conflict", current: row, changed: changedFields(kind, row, fields) };
      }
      const changed = changedFields(kind, row, fields);
      if (changed.length === 0) return { ok: true, slug, updatedAt: row.updatedAt.getTime() };
      const table = tableOf(kind);
      const updatedAt = nextUpdatedAt(row.updatedAt, now);
      tx.update(table)
        .set({ ...fields, updatedAt } as Partial<typeof rooms.$inferInsert>)
        .where(eq(table.id, row.id))
        .run();
      recordAudit(tx, { actor, action: `${kind}.update`, subjectType: kind, subjectId: slug, ...auditDiff(kind, row, fields) }, now);
      return { ok: true, slug, updatedAt: updatedAt.getTime() };
    },
    { behavior: "immediate" },
  );
}

/** How many sessions and proposals use a room, track or format; a speaker's sessions by title. */
export function usesOf(db: Db | Tx, kind: CatalogueKind, id: number): { uses: number; sessions: string[] } {
  const n = (q: { n: number } | undefined) => q?.n ?? 0;
  switch (kind) {
    case "room":
      return { uses: n(db.select({ n: count() }).from(sessions).where(eq(sessions.roomId, id)).get()), sessions: [] };
    case "track":
      return {
        uses:
          n(db.select({ n: count() }).from(sessions).where(eq(sessions.trackId, id)).get()) +
          n(db.select({ n: count() }).from(proposals).where(eq(proposals.trackId, id)).get()),
        sessions: [],
      };
    case "format":
      return {
        uses:
          n(db.select({ n: count() }).from(sessions).where(eq(sessions.formatId, id)).get()) +
          n(db.select({ n: count() }).from(proposals).where(eq(proposals.formatId, id)).get()) +
          n(db.select({ n: count() }).from(cfpTokens).where(eq(cfpTokens.formatId, id)).get()),
        sessions: [],
      };
    case "speaker": {
      // The English title, else the French one (titles are given in one language at least).
      const title = sql<string>`coalesce(nullif(${sessions.titleEn}, ''), ${sessions.titleFr})`;
      const titles = db
        .select({ title })
        .from(sessionSpeakers)
        .innerJoin(sessions, eq(sessions.id, sessionSpeakers.sessionId))
        .where(eq(sessionSpeakers.speakerId, id))
        .orderBy(title)
        .all()
        .map((r) => r.title);
      return { uses: titles.length, sessions: titles };
    }
  }
}

const isForeignKeyError = (error: unknown) =>
  error instanceof Error && (error as { code?: string }).code === "SQLITE_CONSTRAINT_FOREIGNKEY";

/**
 * Deletes an entry nothing uses. A speaker who still has sessions is only deleted with
 * `detachFromSessions` (the organizer confirmed): they are taken off those sessions, whose version
 * is bumped so that an editor who has one open is told. A speaker on proposals of the call for
 * papers is never deleted here: the proposals would silently lose them (and their e-mails).
 */
export function deleteEntry(
  db: Db,
  kind: CatalogueKind,
  slug: string,
  actor: EditorActor,
  { detachFromSessions = false }: { detachFromSessions?: boolean } = {},
  now: number = Date.now(),
): DeleteResult {
  try {
    return db.transaction(
      (tx): DeleteResult => {
        const row = findRow(tx, kind, slug);
        if (!row) return { ok: false, error: "not_found" };
        if (kind === "speaker") {
          const onProposals = tx.select({ n: count() }).from(proposalSpeakers).where(eq(proposalSpeakers.speakerId, row.id)).get()?.n ?? 0;
          if (onProposals > 0) return { ok: false, error: "has_proposals", proposals: onProposals };
        }
        const uses = usesOf(tx, kind, row.id);
        if (uses.uses > 0 && !(kind === "speaker" && detachFromSessions)) return { ok: false, error: "in_use", ...uses };
        if (kind === "speaker" && uses.uses > 0) {
          const sessionIds = tx
            .select({ id: sessionSpeakers.sessionId })
            .from(sessionSpeakers)
            .where(eq(sessionSpeakers.speakerId, row.id))
            .all()
            .map((r) => r.id);
          tx.update(sessions)
            .set({ version: sql`${sessions.version} + 1`, updatedAt: new Date(now) })
            .where(inArray(sessions.id, sessionIds))
            .run();
        }
        const table = tableOf(kind);
        tx.delete(table).where(eq(table.id, row.id)).run();
        if (kind === "room" || kind === "track") renumber(tx, TABLES[kind] as typeof rooms);
        recordAudit(
          tx,
          {
            actor,
            action: `${kind}.delete`,
            subjectType: kind,
            subjectId: slug,
            ...auditDiff(kind, row as never, null),
            after: kind === "speaker" && uses.uses > 0 ? { removedFromSessions: uses.sessions } : null,
          },
          now,
        );
        return { ok: true };
      },
      { behavior: "immediate" },
    );
  } catch (error) {
    // Something this module does not know of still points at the row (a newer table): refuse.
    if (isForeignKeyError(error)) return { ok: false, error: "in_use", uses: 1, sessions: [] };
    throw error;
  }
}

/** Positions 0, 1, 2... in the current order, so that moves swap neighbours. */
function renumber(tx: Tx, table: typeof rooms | typeof tracks): void {
  const ids = tx.select({ id: table.id, position: table.position }).from(table).orderBy(asc(table.position), asc(table.id)).all();
  ids.forEach((r, i) => {
    if (r.position !== i) tx.update(table).set({ position: i }).where(eq(table.id, r.id)).run();
  });
}

export type MoveResult = { ok: true; position: number } | { ok: false; error: "not_found" };

/**
 * Moves a room (or track) one place up or down, or to a 1-based `position`, in the order the
 * programme shows them. Moving past either end keeps it there.
 */
export function moveEntry(
  db: Db,
  kind: "room" | "track",
  slug: string,
  to: "up" | "down" | number,
  actor: EditorActor,
  now: number = Date.now(),
): MoveResult {
  const table = TABLES[kind] as typeof rooms;
  return db.transaction(
    (tx): MoveResult => {
      const order = tx.select({ id: table.id, slug: table.slug }).from(table).orderBy(asc(table.position), asc(table.id)).all();
      const from = order.findIndex((r) => r.slug === slug);
      if (from < 0) return { ok: false, error: "not_found" };
      const target = Math.min(order.length - 1, Math.max(0, to === "up" ? from - 1 : to === "down" ? from + 1 : to - 1));
      if (target === from) return { ok: true, position: from + 1 };
      const [moved] = order.splice(from, 1);
      order.splice(target, 0, moved);
      order.forEach((r, i) => tx.update(table).set({ position: i }).where(eq(table.id, r.id)).run());
      recordAudit(
        tx,
        {
          actor,
          action: `${kind}.move`,
          subjectType: kind,
          subjectId: slug,
          before: { position: from + 1 },
          after: { position: target + 1 },
        },
        now,
      );
      return { ok: true, position: target + 1 };
    },
    { behavior: "immediate" },
  );
}

// ---------------------------------------------------------------------------------------------------
// Lists
// (Columns in the subqueries are qualified: drizzle writes them bare here, and a bare `id` would be
// the subquery's own table, counting the same rows for every entry.)

/** Rooms in programme order, with how many sessions use each. */
export function listRooms(db: Db) {
  return db
    .select({
      room: rooms,
      uses: sql<number>`(select count(*) from ${sessions} where ${sessions}.${sessions.roomId} = ${rooms}.${rooms.id})`,
    })
    .from(rooms)
    .orderBy(asc(rooms.position), asc(rooms.id))
    .all();
}

/** Tracks in programme order, with how many sessions and proposals use each. */
export function listTracks(db: Db) {
  return db
    .select({
      track: tracks,
      uses: sql<number>`(select count(*) from ${sessions} where ${sessions}.${sessions.trackId} = ${tracks}.${tracks.id}) + (select count(*) from ${proposals} where ${proposals}.${proposals.trackId} = ${tracks}.${tracks.id})`,
    })
    .from(tracks)
    .orderBy(asc(tracks.position), asc(tracks.id))
    .all();
}

/** Formats by duration then name, with how many sessions and proposals use each. */
export function listFormats(db: Db) {
  return db
    .select({
      format: formats,
      uses: sql<number>`(select count(*) from ${sessions} where ${sessions}.${sessions.formatId} = ${formats}.${formats.id}) + (select count(*) from ${proposals} where ${proposals}.${proposals.formatId} = ${formats}.${formats.id})`,
    })
    .from(formats)
    .orderBy(asc(formats.defaultDuration), asc(formats.nameEn))
    .all();
}

/** Speakers sorted by name as readers of `locale` sort names, those matching `q` (name, affiliation, country or e-mail; accents and case ignored). */
export function listSpeakers(db: Db, q = "", locale: Locale = "en") {
  const query = q.trim().slice(0, 200);
  const pattern = `%${escapeLike(fold(query))}%`;
  const rows = db
    .select({
      speaker: speakers,
      sessions: sql<number>`(select count(*) from ${sessionSpeakers} where ${sessionSpeakers.speakerId} = ${speakers.id})`,
    })
    .from(speakers)
    .where(
      query
        ? sql`(fold(${speakers.name}) like ${pattern} escape '\\' or fold(${speakers.affiliation}) like ${pattern} escape '\\' or lower(${speakers.country}) = ${query.toLowerCase()} or lower(coalesce(${speakers.email}, '')) like ${pattern} escape '\\')`
        : undefined,
    )
    .orderBy(asc(speakers.id))
    .all();
  return sortByName(rows, (row) => row.speaker.name, locale);
}

/** One entry by slug. */
export function findEntry<K extends CatalogueKind>(db: Db, kind: K, slug: string): Row[K] | undefined {
  return findRow(db, kind, slug);
}
