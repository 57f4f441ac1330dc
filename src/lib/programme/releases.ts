import { desc, eq, sql } from "drizzle-orm";
import { emitWebhook } from "../webhooks/events.ts";
import type { Db } from "../../../db/client.ts";
import { scheduleReleases } from "../../../db/schema/index.ts";
import { recordAudit } from "../audit.ts";
import { diffProgrammes, type Change } from "./changelog.ts";
import { releaseWarnings, scheduleWarnings, warningsFingerprint, type ConflictOptions, type Warning } from "./conflicts.ts";
import type { Language, Programme } from "./model.ts";
import { loadProgramme } from "./queries.ts";
import { enqueueReleaseMails } from "./release-mail.ts";
import { inLanguage, type Localized } from "./texts.ts";
import { frenchSpacing } from "../typography.ts";

/**
 * Schedule releases: the public sees the latest published snapshot of the programme, never the
 * work in progress. A release is numbered 1, 2, 3..., timed, commented, and holds the whole
 * programme model, so that every page, export and the changelog read one consistent version.
 */

export interface Release {
  number: number;
  createdAt: Date;
  /** The organizers' words on the release, in English and in French. */
  comment: Localized;
  createdBy: string;
  programme: Programme;
}

const DATE_KEYS = new Set(["startsAt", "endsAt", "updatedAt", "lastModified"]);

/**
 * The programme as stored in a release (dates as ISO strings). Only the speakers of its sessions are
 * kept, without their availability: a release is kept for ever, and applicants of the call for papers
 * with no session, or when a speaker can speak, are nobody's business there.
 */
export function serializeProgramme(programme: Programme): string {
  const onSessions = new Set(programme.sessions.flatMap((s) => s.speakerIds));
  const speakers = programme.speakers.filter((s) => onSessions.has(s.id)).map(({ availability: _private, ...speaker }) => speaker);
  return JSON.stringify({ ...programme, speakers });
}

/** A programme read back from a release, its dates revived and its texts in both languages. */
export function deserializeProgramme(json: string): Programme {
  const programme: Programme = JSON.parse(json, (key, value) =>
    DATE_KEYS.has(key) && typeof value === "string" ? new Date(value) : value,
  );
  // Releases made before texts had two languages hold one string each, in the session's language
  // (a biography: in the speaker's e-mail language), as the migration of the live tables assumed.
  const both = (value: unknown, lang: Language): Localized =>
    typeof value === "string" ? inLanguage(value, lang) : ((value as Localized | undefined) ?? inLanguage("", lang));
  for (const session of programme.sessions) {
    session.title = both(session.title, session.language);
    session.abstract = both(session.abstract, session.language);
    session.description = both(session.description, session.language);
  }
  for (const speaker of programme.speakers) speaker.bio = both(speaker.bio, speaker.language ?? "en");
  return programme;
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
type Actor = { id: number | null; email: string };

/** Trims both languages of a release comment (a plain string is English). */
function trimComment(comment: Localized | string): Localized {
  const text = typeof comment === "string" ? inLanguage(comment, "en") : comment;
  return { en: text.en.trim(), fr: frenchSpacing(text.fr.trim()) };
}

/** Publishes the live programme as the next release, with a comment in either language or both; audited. Returns its number. */
export function publishRelease(db: Db, actor: Actor, comment: Localized | string = "", now: number = Date.now()): number {
  return db.transaction((tx) => publishWithin(tx, actor, comment, loadProgramme(tx as unknown as Db), now), { behavior: "immediate" });
}

export type CheckedPublish =
  | { ok: true; number: number }
  /**
   * The programme has warnings and `acknowledged` is not their fingerprint: none given (ask the
   * organizer first), or one of other warnings than now's (a stale confirmation). Nothing was published.
   */
  | { ok: false; reason: "unacknowledged"; warnings: Warning[]; fingerprint: string };

/**
 * Publishes the live programme as the next release, like publishRelease, but only if it has no
 * schedule warnings about what the release shows (releaseWarnings), or if `acknowledged` is the
 * fingerprint (warningsFingerprint) of exactly the warnings it has at this moment: an organizer who confirmed one list of warnings never publishes
 * another. The warnings are read in the same transaction as the snapshot. The audit entry records
 * how many warnings were acknowledged.
 */
export function publishCheckedRelease(
  db: Db,
  actor: Actor,
  { comment = "", acknowledged = "", options = {} }: { comment?: Localized | string; acknowledged?: string; options?: ConflictOptions },
  now: number = Date.now(),
): CheckedPublish {
  return db.transaction(
    (tx): CheckedPublish => {
      const programme = loadProgramme(tx as unknown as Db);
      const warnings = releaseWarnings(scheduleWarnings(programme, options), programme);
      const fingerprint = warningsFingerprint(warnings);
      if (warnings.length > 0 && acknowledged !== fingerprint) return { ok: false, reason: "unacknowledged", warnings, fingerprint };
      return { ok: true, number: publishWithin(tx, actor, comment, programme, now, warnings.length) };
    },
    { behavior: "immediate" },
  );
}

/** The release itself, inside the caller's transaction. */
function publishWithin(
  tx: Tx,
  actor: Actor,
  comment: Localized | string,
  programme: Programme,
  now: number,
  acknowledgedWarnings?: number,
): number {
  const words = trimComment(comment);
  const last = tx
    .select({ n: sql<number>`coalesce(max(${scheduleReleases.number}), 0)` })
    .from(scheduleReleases)
    .get()!.n;
  const number = last + 1;
  const previous =
    last === 0
      ? null
      : tx.select({ snapshot: scheduleReleases.snapshot }).from(scheduleReleases).where(eq(scheduleReleases.number, last)).get();
  tx.insert(scheduleReleases)
    .values({
      number,
      createdAt: new Date(now),
      commentEn: words.en,
      commentFr: words.fr,
      createdBy: actor.email,
      snapshot: serializeProgramme(programme),
    })
    .run();
  // Speakers and starring attendees of what moved, changed or was cancelled are told by e-mail.
  enqueueReleaseMails(tx, number, previous ? deserializeProgramme(previous.snapshot) : null, programme, now, {
    comment: words,
    createdBy: actor.email,
  });
  emitWebhook(tx, "release.published", { release: number, publishedAt: new Date(now).toISOString() }, now);
  if (actor.id !== null) {
    recordAudit(
      tx,
      {
        actor: { id: actor.id, email: actor.email },
        action: "programme.release",
        subjectType: "release",
        subjectId: number,
        after: { comment: words, ...(acknowledgedWarnings ? { acknowledgedWarnings } : {}) },
      },
      now,
    );
  }
  return number;
}

function toRelease(row: typeof scheduleReleases.$inferSelect): Release {
  return {
    number: row.number,
    createdAt: row.createdAt,
    comment: { en: row.commentEn, fr: row.commentFr },
    createdBy: row.createdBy,
    programme: deserializeProgramme(row.snapshot),
  };
}

/** Every release, newest first. */
export function listReleases(db: Db): Release[] {
  return db.select().from(scheduleReleases).orderBy(desc(scheduleReleases.number)).all().map(toRelease);
}

/**
 * A reader of the latest release, parsed once per release (one indexed lookup per request
 * otherwise). Undefined while nothing was released: the caller then shows the live programme.
 */
export function createReleaseCache(db: Db): () => Release | undefined {
  const latest = db.$client.prepare("select max(number) from schedule_releases").pluck();
  let cached: { number: number; release: Release } | undefined;
  return () => {
    const number = latest.get() as number | null;
    if (number === null) return undefined;
    if (!cached || cached.number !== number) {
      const row = db
        .select()
        .from(scheduleReleases)
        .where(sql`${scheduleReleases.number} = ${number}`)
        .get()!;
      cached = { number, release: toRelease(row) };
    }
    return cached.release;
  };
}

/** One release of the changelog: its number, time, comment and what changed since the previous one. */
export interface ChangelogEntry {
  release: Omit<Release, "programme">;
  changes: Change[];
  /** The first release: everything in it is new. */
  first: boolean;
}

/** The changelog of `releases` (newest first), each compared with the one before it. */
export function changelogOf(releases: readonly Release[]): ChangelogEntry[] {
  return releases.map(({ programme, ...release }, i) => ({
    release,
    changes: diffProgrammes(releases[i + 1]?.programme ?? null, programme),
    first: i === releases.length - 1,
  }));
}

/**
 * A reader of the changelog, computed once per release (parsing every snapshot and diffing them is
 * the costly part); one indexed lookup per request otherwise.
 */
export function createChangelogCache(db: Db): () => ChangelogEntry[] {
  const latest = db.$client.prepare("select max(number) from schedule_releases").pluck();
  let cached: { number: number | null; entries: ChangelogEntry[] } | undefined;
  return () => {
    const number = latest.get() as number | null;
    if (!cached || cached.number !== number) cached = { number, entries: changelogOf(listReleases(db)) };
    return cached.entries;
  };
}
