import { asc, eq, inArray, sql } from "drizzle-orm";
import { transliterate } from "transliteration";
import type { Db } from "../../../db/client.ts";
import {
  AUDIENCES,
  formats,
  LANGUAGES,
  rooms,
  sessions,
  sessionSpeakers,
  speakers,
  TLP_LABELS,
  tracks,
  type Audience,
  type Language,
  type TlpLabel,
} from "../../../db/schema/programme.ts";
import { recordAudit } from "../audit.ts";
import type { Edition } from "../config/edition.ts";
import { frenchSpacing } from "../typography.ts";
import { zonedToInstant } from "./time.ts";

/**
 * Organizers' edits of a session, with optimistic concurrency: the caller sends the `version` it
 * read; if someone saved in between, nothing is written and the caller gets the current values
 * (and, when it passes what it saw, which fields changed) so it can show them. Each save runs in
 * one IMMEDIATE transaction with its audit entry. Error codes double as i18n keys.
 */

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface EditorActor {
  id: number;
  email: string;
}

/** Maximum lengths of the text fields (characters). */
export const MAX_LENGTHS = { title: 300, abstract: 5_000, description: 50_000 } as const;

/** Schedule granularity: times must fall on these boundaries. */
export const SNAP_MINUTES = 5;

export interface ScheduleFields {
  startsAt: Date | null;
  endsAt: Date | null;
  roomId: number | null;
}

export interface ScheduleInput extends ScheduleFields {
  slug: string;
  /** The version the caller read. */
  version: number;
  /** The values the caller read, to report which fields someone else changed. */
  seen?: Partial<ScheduleFields>;
}

export type ScheduleError = "not_found" | "incomplete_time" | "end_before_start" | "not_on_5_minutes" | "outside_days" | "unknown_room";

export type ScheduleResult =
  | { ok: true; version: number }
  | { ok: false; error: ScheduleError }
  | { ok: false; error: "conflict"; conflict: { current: ScheduleFields & { version: number }; changed: (keyof ScheduleFields)[] } };

export interface DetailsFields {
  /** Title, abstract and description in English and in French: the title in one language at least. */
  titleEn: string;
  titleFr: string;
  abstractEn: string;
  abstractFr: string;
  descriptionEn: string;
  descriptionFr: string;
  language: Language;
  audience: Audience;
  tlp: TlpLabel;
  titlePublic: boolean;
  formatId: number;
  trackId: number | null;
  /** In display order. */
  speakerIds: number[];
  /** People expected, compared with the room's capacity; null when unknown. */
  expectedAudience: number | null;
}

export interface DetailsInput extends DetailsFields {
  slug: string;
  version: number;
  seen?: Partial<DetailsFields>;
}

export type DetailsError =
  | "not_found"
  | "title_required"
  | `too_long:${keyof typeof MAX_LENGTHS}`
  | "unknown_language"
  | "unknown_audience"
  | "unknown_tlp"
  | "unknown_format"
  | "unknown_track"
  | "unknown_speaker"
  | "duplicate_speaker"
  | "invalid_expected_audience";

export type DetailsResult =
  | { ok: true; version: number }
  | { ok: false; error: DetailsError }
  | { ok: false; error: "conflict"; conflict: { current: DetailsFields & { version: number }; changed: (keyof DetailsFields)[] } };

const SCHEDULE_KEYS = ["startsAt", "endsAt", "roomId"] as const;
const DETAILS_KEYS = [
  "titleEn",
  "titleFr",
  "abstractEn",
  "abstractFr",
  "descriptionEn",
  "descriptionFr",
  "language",
  "audience",
  "tlp",
  "titlePublic",
  "formatId",
  "trackId",
  "speakerIds",
  "expectedAudience",
] as const;

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => v === b[i]);
  }
  return a === b;
}

function changedFields<T extends object, K extends keyof T>(keys: readonly K[], current: T, seen: Partial<T> | undefined): K[] {
  if (!seen) return [];
  return keys.filter((k) => k in seen && !same(seen[k], current[k]));
}

function nextDay(isoDate: string): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The half-open interval [first day 00:00, day after the last 00:00) in the edition's zone. */
export function forumBounds(edition: Pick<Edition, "startDate" | "endDate" | "timezone">): { from: Date; to: Date } {
  return {
    from: zonedToInstant(edition.startDate, "00:00", edition.timezone),
    to: zonedToInstant(nextDay(edition.endDate), "00:00", edition.timezone),
  };
}

const SNAP_MS = SNAP_MINUTES * 60_000;

/** Validation that needs no database. */
export function checkSchedule(edition: Edition, input: ScheduleFields): Exclude<ScheduleError, "not_found" | "unknown_room"> | null {
  const { startsAt, endsAt } = input;
  if ((startsAt === null) !== (endsAt === null)) return "incomplete_time";
  if (startsAt === null || endsAt === null) return null;
  if (Number.isNaN(startsAt.getTime()) || Number.isNaN(endsAt.getTime())) return "incomplete_time";
  if (endsAt.getTime() <= startsAt.getTime()) return "end_before_start";
  // Zones whose offset is not a multiple of 5 minutes do not exist today, so UTC boundaries are local ones.
  if (startsAt.getTime() % SNAP_MS !== 0 || endsAt.getTime() % SNAP_MS !== 0) return "not_on_5_minutes";
  const { from, to } = forumBounds(edition);
  if (startsAt < from || endsAt > to) return "outside_days";
  return null;
}

function scheduleOf(row: typeof sessions.$inferSelect): ScheduleFields {
  return { startsAt: row.startsAt, endsAt: row.endsAt, roomId: row.roomId };
}

function detailsOf(tx: Tx, row: typeof sessions.$inferSelect): DetailsFields {
  const speakerIds = tx
    .select({ id: sessionSpeakers.speakerId })
    .from(sessionSpeakers)
    .where(eq(sessionSpeakers.sessionId, row.id))
    .orderBy(asc(sessionSpeakers.position), asc(sessionSpeakers.speakerId))
    .all()
    .map((r) => r.id);
  return {
    titleEn: row.titleEn,
    titleFr: row.titleFr,
    abstractEn: row.abstractEn,
    abstractFr: row.abstractFr,
    descriptionEn: row.descriptionEn,
    descriptionFr: row.descriptionFr,
    language: row.language,
    audience: row.audience,
    tlp: row.tlp,
    titlePublic: row.titlePublic,
    formatId: row.formatId,
    trackId: row.trackId,
    speakerIds,
    expectedAudience: row.expectedAudience,
  };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const auditSchedule = (s: ScheduleFields) => ({ startsAt: iso(s.startsAt), endsAt: iso(s.endsAt), roomId: s.roomId });

/** Sets (or clears) a session's time and room. */
export function scheduleSession(
  db: Db,
  edition: Edition,
  input: ScheduleInput,
  actor: EditorActor,
  now: number = Date.now(),
): ScheduleResult {
  const invalid = checkSchedule(edition, input);
  if (invalid) return { ok: false, error: invalid };
  return db.transaction(
    (tx): ScheduleResult => {
      const row = tx.select().from(sessions).where(eq(sessions.slug, input.slug)).get();
      if (!row) return { ok: false, error: "not_found" };
      const current = scheduleOf(row);
      if (row.version !== input.version) {
        return {
          ok: false,
          error: "conflict",
          conflict: { current: { ...current, version: row.version }, changed: changedFields(SCHEDULE_KEYS, current, input.seen) },
        };
      }
      if (input.roomId !== null && !tx.select({ id: rooms.id }).from(rooms).where(eq(rooms.id, input.roomId)).get()) {
        return { ok: false, error: "unknown_room" };
      }
      const next: ScheduleFields = { startsAt: input.startsAt, endsAt: input.endsAt, roomId: input.roomId };
      const updated = tx
        .update(sessions)
        .set({ ...next, version: sql`${sessions.version} + 1`, updatedAt: new Date(now) })
        .where(eq(sessions.id, row.id))
        .returning({ version: sessions.version })
        .get()!;
      recordAudit(
        tx,
        {
          actor,
          action: "programme.schedule",
          subjectType: "session",
          subjectId: row.slug,
          before: auditSchedule(current),
          after: auditSchedule(next),
        },
        now,
      );
      return { ok: true, version: updated.version };
    },
    { behavior: "immediate" },
  );
}

/** The text fields of a session, each in English and French, with the limit they share. */
export const TEXT_FIELDS = [
  ["titleEn", "title"],
  ["titleFr", "title"],
  ["abstractEn", "abstract"],
  ["abstractFr", "abstract"],
  ["descriptionEn", "description"],
  ["descriptionFr", "description"],
] as const;

/** The French texts with French spacing before : ; ! ? (typed with ordinary spaces). */
function spaced<T extends Pick<DetailsFields, "titleFr" | "abstractFr" | "descriptionFr">>(input: T): T {
  return {
    ...input,
    titleFr: frenchSpacing(input.titleFr),
    abstractFr: frenchSpacing(input.abstractFr),
    descriptionFr: frenchSpacing(input.descriptionFr),
  };
}

function checkDetails(input: DetailsFields): DetailsError | null {
  if (input.titleEn.trim() === "" && input.titleFr.trim() === "") return "title_required";
  for (const [field, limit] of TEXT_FIELDS) {
    if (input[field].length > MAX_LENGTHS[limit]) return `too_long:${limit}`;
  }
  if (!(LANGUAGES as readonly string[]).includes(input.language)) return "unknown_language";
  if (!(AUDIENCES as readonly string[]).includes(input.audience)) return "unknown_audience";
  if (!(TLP_LABELS as readonly string[]).includes(input.tlp)) return "unknown_tlp";
  if (new Set(input.speakerIds).size !== input.speakerIds.length) return "duplicate_speaker";
  const expected = input.expectedAudience;
  if (expected !== null && !(Number.isInteger(expected) && expected >= 1 && expected <= MAX_EXPECTED_AUDIENCE)) {
    return "invalid_expected_audience";
  }
  return null;
}

/** Largest expected audience accepted (a typo guard, far above any room). */
export const MAX_EXPECTED_AUDIENCE = 100_000;

/** References of a session that must exist: format, track, speakers. */
function missingReference(tx: Tx, input: Pick<DetailsFields, "formatId" | "trackId" | "speakerIds">): DetailsError | null {
  if (!tx.select({ id: formats.id }).from(formats).where(eq(formats.id, input.formatId)).get()) return "unknown_format";
  if (input.trackId !== null && !tx.select({ id: tracks.id }).from(tracks).where(eq(tracks.id, input.trackId)).get()) {
    return "unknown_track";
  }
  if (input.speakerIds.length > 0) {
    const found = tx.select({ id: speakers.id }).from(speakers).where(inArray(speakers.id, input.speakerIds)).all();
    if (found.length !== input.speakerIds.length) return "unknown_speaker";
  }
  return null;
}

/**
 * A URL slug made of `text`: lower-case ASCII words joined by hyphens, at most 60 characters. Any
 * script is transliterated first (Анна Петрова -> anna-petrova, 王小明 -> wang-xiao-ming), so that
 * names in Cyrillic, Greek, Arabic or CJK get readable slugs rather than the fallback. Only new
 * rows take a slug: a stored one never changes (slugs are URLs).
 */
export function slugify(text: string, fallback = "item"): string {
  const slug = transliterate(text.normalize("NFC"))
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/œ/g, "oe")
    .replace(/æ/g, "ae")
    .replace(/ß/g, "ss")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
  return slug || fallback;
}

/** `base`, or `base-2`, `base-3`... whichever `taken` says is free. */
export function uniqueSlug(base: string, taken: (slug: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`;
}

/** Replaces a session's descriptive fields and its speakers (in the given order). */
export function updateSessionDetails(
  db: Db,
  _edition: Edition,
  input: DetailsInput,
  actor: EditorActor,
  now: number = Date.now(),
): DetailsResult {
  input = spaced(input);
  const invalid = checkDetails(input);
  if (invalid) return { ok: false, error: invalid };
  return db.transaction(
    (tx): DetailsResult => {
      const row = tx.select().from(sessions).where(eq(sessions.slug, input.slug)).get();
      if (!row) return { ok: false, error: "not_found" };
      const current = detailsOf(tx, row);
      if (row.version !== input.version) {
        return {
          ok: false,
          error: "conflict",
          conflict: { current: { ...current, version: row.version }, changed: changedFields(DETAILS_KEYS, current, input.seen) },
        };
      }
      const missing = missingReference(tx, input);
      if (missing) return { ok: false, error: missing };
      const next: DetailsFields = {
        titleEn: input.titleEn,
        titleFr: input.titleFr,
        abstractEn: input.abstractEn,
        abstractFr: input.abstractFr,
        descriptionEn: input.descriptionEn,
        descriptionFr: input.descriptionFr,
        language: input.language,
        audience: input.audience,
        tlp: input.tlp,
        titlePublic: input.titlePublic,
        formatId: input.formatId,
        trackId: input.trackId,
        speakerIds: [...input.speakerIds],
        expectedAudience: input.expectedAudience,
      };
      const { speakerIds, ...columns } = next;
      const updated = tx
        .update(sessions)
        .set({ ...columns, version: sql`${sessions.version} + 1`, updatedAt: new Date(now) })
        .where(eq(sessions.id, row.id))
        .returning({ version: sessions.version })
        .get()!;
      if (!same(current.speakerIds, speakerIds)) {
        tx.delete(sessionSpeakers).where(eq(sessionSpeakers.sessionId, row.id)).run();
        if (speakerIds.length > 0) {
          tx.insert(sessionSpeakers)
            .values(speakerIds.map((speakerId, position) => ({ sessionId: row.id, speakerId, position })))
            .run();
        }
      }
      recordAudit(
        tx,
        { actor, action: "programme.details", subjectType: "session", subjectId: row.slug, before: current, after: next },
        now,
      );
      return { ok: true, version: updated.version };
    },
    { behavior: "immediate" },
  );
}

export type CreateResult = { ok: true; slug: string } | { ok: false; error: DetailsError };

/**
 * Inserts a confirmed, published session without time or room (it waits beside the grid), its
 * speakers in order, under a slug made unique from its title; returns the slug. For the caller's
 * transaction: the organizers' new session, a speaker's confirmed proposal.
 */
export function insertUnscheduledSession(
  tx: Pick<Db, "select" | "insert">,
  fields: Omit<DetailsFields, "speakerIds" | "expectedAudience"> & { expectedAudience?: number | null },
  speakerIds: readonly number[],
  now: number,
): string {
  const slug = uniqueSlug(
    // The English title when there is one: slugs are ASCII words either way.
    slugify(fields.titleEn.trim() || fields.titleFr, "session"),
    (s) => !!tx.select({ id: sessions.id }).from(sessions).where(eq(sessions.slug, s)).get(),
  );
  const row = tx
    .insert(sessions)
    .values({
      ...fields,
      slug,
      state: "confirmed",
      published: true,
      startsAt: null,
      endsAt: null,
      roomId: null,
      createdAt: new Date(now),
      updatedAt: new Date(now),
    })
    .returning({ id: sessions.id })
    .get();
  if (speakerIds.length > 0) {
    tx.insert(sessionSpeakers)
      .values(speakerIds.map((speakerId, position) => ({ sessionId: row.id, speakerId, position })))
      .run();
  }
  return slug;
}

/**
 * Adds a session made by the organizers (an invited talk, a break, a plenary item): confirmed and
 * published at once, unscheduled, so it waits beside the grid and reaches the public with the next release.
 */
export function createSession(db: Db, _edition: Edition, input: DetailsFields, actor: EditorActor, now: number = Date.now()): CreateResult {
  input = spaced(input);
  const invalid = checkDetails(input);
  if (invalid) return { ok: false, error: invalid };
  return db.transaction(
    (tx): CreateResult => {
      const missing = missingReference(tx, input);
      if (missing) return { ok: false, error: missing };
      const { speakerIds, ...columns } = input;
      const slug = insertUnscheduledSession(tx, columns, speakerIds, now);
      recordAudit(tx, { actor, action: "programme.create", subjectType: "session", subjectId: slug, after: input }, now);
      return { ok: true, slug };
    },
    { behavior: "immediate" },
  );
}

/** The states an organizer may set by hand: cancel a confirmed session, or restore a cancelled one. */
export const EDITOR_STATES = ["confirmed", "cancelled"] as const;
export type EditorState = (typeof EDITOR_STATES)[number];

export type StateResult =
  | { ok: true; version: number }
  | { ok: false; error: "not_found" | "not_allowed" }
  | { ok: false; error: "conflict"; conflict: { current: { state: string; version: number }; changed: "state"[] } };

/** Cancels a confirmed session (it stays listed as cancelled in the changelog) or restores a cancelled one. */
export function setSessionState(
  db: Db,
  input: { slug: string; version: number; state: EditorState },
  actor: EditorActor,
  now: number = Date.now(),
): StateResult {
  return db.transaction(
    (tx): StateResult => {
      const row = tx.select().from(sessions).where(eq(sessions.slug, input.slug)).get();
      if (!row) return { ok: false, error: "not_found" };
      if (row.version !== input.version) {
        return { ok: false, error: "conflict", conflict: { current: { state: row.state, version: row.version }, changed: ["state"] } };
      }
      const from = row.state;
      const allowed = (from === "confirmed" && input.state === "cancelled") || (from === "cancelled" && input.state === "confirmed");
      if (!allowed) return { ok: false, error: "not_allowed" };
      const updated = tx
        .update(sessions)
        .set({ state: input.state, version: sql`${sessions.version} + 1`, updatedAt: new Date(now) })
        .where(eq(sessions.id, row.id))
        .returning({ version: sessions.version })
        .get()!;
      recordAudit(
        tx,
        {
          actor,
          action: "programme.state",
          subjectType: "session",
          subjectId: row.slug,
          before: { state: from },
          after: { state: input.state },
        },
        now,
      );
      return { ok: true, version: updated.version };
    },
    { behavior: "immediate" },
  );
}
