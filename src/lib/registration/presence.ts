import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client.ts";
import { checkinPresence, checkinSettings, registrations } from "../../../db/schema/index.ts";
import { recordAudit } from "../audit.ts";

/**
 * Entry and exit at the doors (decision 38): where organizers turn it on, each desk scans one way
 * (entry or exit) and the site knows, per forum day, who is inside, so that the safety officer has
 * the count of people in the building, per category and overall. Off, a desk only admits.
 */

/** Whether the desks count entry and exit (off until an organizer turns it on). */
export function entryExitMode(db: Db): boolean {
  return db.select({ on: checkinSettings.entryExit }).from(checkinSettings).where(eq(checkinSettings.id, 1)).get()?.on ?? false;
}

/** Turns entry and exit on or off, with an audit entry; nothing is written when it does not change. */
export function setEntryExitMode(db: Db, actor: { id: number; email: string }, on: boolean, now = Date.now()): { changed: boolean } {
  return db.transaction(
    (tx) => {
      const t = tx as unknown as Db;
      const before = entryExitMode(t);
      if (before === on) return { changed: false };
      t.insert(checkinSettings)
        .values({ id: 1, entryExit: on, updatedAt: new Date(now) })
        .onConflictDoUpdate({ target: checkinSettings.id, set: { entryExit: on, updatedAt: new Date(now) } })
        .run();
      recordAudit(
        t,
        { actor, action: "checkin.entry_exit", subjectType: "settings", before: { entryExit: before }, after: { entryExit: on } },
        now,
      );
      return { changed: true };
    },
    { behavior: "immediate" },
  );
}

/** A registration's presence on one forum day, as a desk shows it. */
export interface Presence {
  inside: boolean;
  /** Epoch ms of the last entry or exit, and its desk. */
  since: number;
  desk: string;
  entries: number;
  exits: number;
}

/** Where `registrationId` stands on `day` (YYYY-MM-DD), if it came through a door that day. */
export function presenceOf(db: Db, registrationId: number, day: string): Presence | undefined {
  const row = db
    .select()
    .from(checkinPresence)
    .where(and(eq(checkinPresence.registrationId, registrationId), eq(checkinPresence.day, day)))
    .get();
  return row ? { inside: row.inside, since: row.since.getTime(), desk: row.desk, entries: row.entries, exits: row.exits } : undefined;
}

/**
 * Lets a registration in on `day`: its first entry of the day, or back in after an exit. One
 * statement, so that two entrances scanning the same person at once count one entry; an entry of
 * someone inside changes nothing and says so.
 */
export function enter(db: Db, registrationId: number, day: string, at: number, desk: string): "entered" | "already_inside" {
  const changed = db
    .insert(checkinPresence)
    .values({ registrationId, day, inside: true, entries: 1, exits: 0, since: new Date(at), desk })
    .onConflictDoUpdate({
      target: [checkinPresence.registrationId, checkinPresence.day],
      set: { inside: true, entries: sql`${checkinPresence.entries} + 1`, since: new Date(at), desk },
      setWhere: sql`${checkinPresence.inside} = 0`,
    })
    .returning({ id: checkinPresence.registrationId })
    .all();
  return changed.length === 1 ? "entered" : "already_inside";
}

/**
 * Lets a registration out on `day`: `update ... where inside = 1`, so that the same person scanned
 * out at two doors at once counts one exit; the exit of someone not inside changes nothing.
 */
export function leave(db: Db, registrationId: number, day: string, at: number, desk: string): "exited" | "not_inside" {
  const changed = db
    .update(checkinPresence)
    .set({ inside: false, exits: sql`${checkinPresence.exits} + 1`, since: new Date(at), desk })
    .where(and(eq(checkinPresence.registrationId, registrationId), eq(checkinPresence.day, day), eq(checkinPresence.inside, true)))
    .returning({ id: checkinPresence.registrationId })
    .all();
  return changed.length === 1 ? "exited" : "not_inside";
}

/** One line of the counts: people inside now, and the day's entries, exits and people who came. */
export interface PresenceCount {
  inside: number;
  entries: number;
  exits: number;
  /** Different people who came in that day. */
  people: number;
}

const zero = (): PresenceCount => ({ inside: 0, entries: 0, exits: 0, people: 0 });

/**
 * The counts of `day`, per category and overall. Everyone let in counts while inside, whatever has
 * happened to their registration since (a cancelled attendee inside is still in the building).
 */
export function presenceCounts(db: Db, day: string): PresenceCount & { byCategory: Record<string, PresenceCount> } {
  const rows = db
    .select({
      category: registrations.category,
      inside: sql<number>`coalesce(sum(${checkinPresence.inside}), 0)`,
      entries: sql<number>`coalesce(sum(${checkinPresence.entries}), 0)`,
      exits: sql<number>`coalesce(sum(${checkinPresence.exits}), 0)`,
      people: sql<number>`count(*)`,
    })
    .from(checkinPresence)
    .innerJoin(registrations, eq(registrations.id, checkinPresence.registrationId))
    .where(eq(checkinPresence.day, day))
    .groupBy(registrations.category)
    .all();
  const total = zero();
  const byCategory: Record<string, PresenceCount> = {};
  for (const { category, ...count } of rows) {
    byCategory[category] = count;
    for (const key of ["inside", "entries", "exits", "people"] as const) total[key] += count[key];
  }
  return { ...total, byCategory };
}

/** Every day with entries or exits, newest first, with its overall counts ("inside" at its end for past days). */
export function presenceDays(db: Db): ({ day: string } & PresenceCount)[] {
  return db
    .select({
      day: checkinPresence.day,
      inside: sql<number>`coalesce(sum(${checkinPresence.inside}), 0)`,
      entries: sql<number>`coalesce(sum(${checkinPresence.entries}), 0)`,
      exits: sql<number>`coalesce(sum(${checkinPresence.exits}), 0)`,
      people: sql<number>`count(*)`,
    })
    .from(checkinPresence)
    .groupBy(checkinPresence.day)
    .orderBy(desc(checkinPresence.day))
    .all();
}
