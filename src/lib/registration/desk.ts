import { and, eq, gt, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client.ts";
import {
  checkinPresence,
  checkinScans,
  registrations,
  SCAN_DIRECTIONS,
  type RegistrationState,
  type ScanDirection,
  type ScanOutcome,
} from "../../../db/schema/index.ts";
import { recordAudit } from "../audit.ts";
import { hashSecret } from "../security/secrets.ts";
import { enter, entryExitMode, leave, presenceCounts, type PresenceCount } from "./presence.ts";
import { checkInBy, type RegistrationDeps } from "./service.ts";

/**
 * The desks' protocol (decision 31): each scan carries a nonce the desk drew, the time it was read
 * and the desk's label. The server answers each nonce once, admits a registration once whatever the
 * number of desks, and keeps the first answer for a nonce sent again. Desks hold a roster for the
 * day (ticket hashes and what they show) to answer while the network is cut. Where organizers count
 * entry and exit (decision 38), each scan also says which way the desk scans.
 */

/** A ticket secret as the QR code carries it: 43 characters of base64url (256 bits). */
const TICKET_SECRET = /^[A-Za-z0-9_-]{43}$/;
/** The code printed under the QR code (the hash's first 12 hex digits), typed by hand. */
const PRINTED_CODE = /^[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}$/i;
/** Longest code a desk may send; what a scanner types beyond it is not a ticket. */
export const MAX_CODE = 200;
/** Scans in one request (an offline queue replayed in batches). */
export const MAX_BATCH = 100;
/** A desk's clock may run this far ahead of the server's. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** One scan sent by a desk. */
export const scanSchema = z.object({
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  // Whatever the scanner read: the domain says why it is no ticket (malformed), not the schema.
  code: z.string().max(10_000),
  at: z.number().int().nonnegative(),
  desk: z.string().trim().max(40).default(""),
  /** Which way the desk scans; only read while entry and exit are counted (a desk of before sends none: entry). */
  direction: z.enum(SCAN_DIRECTIONS).default("entry"),
});
/** A scan as the domain takes it (a caller of before may leave the way out: entry). */
export type Scan = Omit<z.infer<typeof scanSchema>, "direction"> & { direction?: ScanDirection };
export const scanBatchSchema = z.object({ scans: z.array(scanSchema).min(1).max(MAX_BATCH) });

/** Why a scan is refused: the registration's state, or the code is nothing we know. */
export type ScanRefusal = Exclude<RegistrationState, "confirmed"> | "not_found" | "malformed" | "stale";

/** What a desk shows of the registration it scanned (and keeps in its roster). */
export interface RosterEntry {
  /** SHA-256 of the ticket secret, hex (never the secret). */
  hash: string;
  id: number;
  name: string;
  organisation: string;
  category: string;
  state: RegistrationState;
  /** Epoch ms of the check-in, and the desk that made it. */
  checkedInAt: number | null;
  desk: string | null;
  /**
   * While entry and exit are counted (only then present): inside today or not, and when and at which
   * desk that last changed (null: not through a door today).
   */
  inside?: boolean;
  presenceAt?: number | null;
  presenceDesk?: string | null;
}

export interface ScanAnswer {
  nonce: string;
  outcome: ScanOutcome;
  reason?: ScanRefusal;
  attendee?: RosterEntry;
  /** Whether this nonce had been answered before (a retry or a replay): nothing was changed now. */
  replayed: boolean;
  /** While entry and exit are counted: the way this scan was taken. */
  direction?: ScanDirection;
}

/** The forum's calendar day of an instant, YYYY-MM-DD. */
export function forumDay(at: number, timezone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

const rosterColumns = {
  hash: registrations.ticketHash,
  id: registrations.id,
  name: registrations.name,
  organisation: registrations.organisation,
  category: registrations.category,
  state: registrations.status,
  checkedInAt: registrations.checkedInAt,
  desk: sql<
    string | null
  >`(select ${checkinScans.desk} from ${checkinScans} where ${checkinScans.registrationId} = ${registrations.id} and ${checkinScans.outcome} = 'admitted')`,
};

/** The roster's columns, with today's presence while entry and exit are counted. */
function columnsOf(day?: string) {
  if (!day) return rosterColumns;
  const today = sql`${checkinPresence.registrationId} = ${registrations.id} and ${checkinPresence.day} = ${day}`;
  return {
    ...rosterColumns,
    inside: sql<number>`coalesce((select ${checkinPresence.inside} from ${checkinPresence} where ${today}), 0)`,
    presenceAt: sql<number | null>`(select ${checkinPresence.since} from ${checkinPresence} where ${today})`,
    presenceDesk: sql<string | null>`(select ${checkinPresence.desk} from ${checkinPresence} where ${today})`,
  };
}

type RosterRow = Omit<RosterEntry, "checkedInAt" | "inside"> & { checkedInAt: Date | null; inside?: number };
const entryOf = ({ inside, ...r }: RosterRow): RosterEntry => ({
  ...r,
  checkedInAt: r.checkedInAt ? r.checkedInAt.getTime() : null,
  ...(inside === undefined ? {} : { inside: inside === 1 }),
});

/**
 * The roster a desk holds for the day: every registration past e-mail confirmation (a cancelled or
 * waiting one must be refused with its state, offline too), changed after `since` (epoch ms) if given;
 * with who is inside on `presenceDay` when entry and exit are counted.
 */
export function deskRoster(db: Db, since?: number, presenceDay?: string): RosterEntry[] {
  const where = and(sql`${registrations.status} <> 'pending_email'`, since ? gt(registrations.updatedAt, new Date(since)) : undefined);
  return db.select(columnsOf(presenceDay)).from(registrations).where(where).all().map(entryOf);
}

/** The desk's counts; `inside` only while entry and exit are counted. */
export interface DeskCounts {
  byCategory: Record<string, { in: number; expected: number; inside?: PresenceCount }>;
  in: number;
  expected: number;
  inside?: PresenceCount;
}

/**
 * Checked-in and expected (confirmed) attendees, per category and overall; with the people inside
 * on `presenceDay` (and that day's entries and exits) when entry and exit are counted.
 */
export function deskCounts(db: Db, presenceDay?: string): DeskCounts {
  const counts = admissionCounts(db);
  if (!presenceDay) return counts;
  const presence = presenceCounts(db, presenceDay);
  const none = { inside: 0, entries: 0, exits: 0, people: 0 };
  const { byCategory: insideBy, ...inside } = presence;
  const byCategory: DeskCounts["byCategory"] = {};
  for (const category of new Set([...Object.keys(counts.byCategory), ...Object.keys(insideBy)]))
    byCategory[category] = { ...(counts.byCategory[category] ?? { in: 0, expected: 0 }), inside: insideBy[category] ?? none };
  return { ...counts, byCategory, inside };
}

function admissionCounts(db: Db): DeskCounts {
  const rows = db
    .select({
      category: registrations.category,
      expected: sql<number>`count(*)`,
      in: sql<number>`count(${registrations.checkedInAt})`,
    })
    .from(registrations)
    .where(eq(registrations.status, "confirmed"))
    .groupBy(registrations.category)
    .all();
  const byCategory = Object.fromEntries(rows.map((r) => [r.category, { in: r.in, expected: r.expected }]));
  return { byCategory, in: rows.reduce((n, r) => n + r.in, 0), expected: rows.reduce((n, r) => n + r.expected, 0) };
}

function rosterEntry(db: Db, where: SQL, presenceDay?: string): RosterEntry | undefined {
  const row = db.select(columnsOf(presenceDay)).from(registrations).where(where).get();
  return row ? entryOf(row) : undefined;
}

/** The answer stored for a nonce, as the desk gets it again. */
function storedAnswer(db: Db, nonce: string, presenceDay?: string): ScanAnswer | undefined {
  const row = db.select().from(checkinScans).where(eq(checkinScans.nonce, nonce)).get();
  if (!row) return undefined;
  const attendee = row.registrationId ? rosterEntry(db, eq(registrations.id, row.registrationId), presenceDay) : undefined;
  return {
    nonce,
    outcome: row.outcome,
    ...(row.reason ? { reason: row.reason as ScanRefusal } : {}),
    ...(attendee ? { attendee } : {}),
    ...(presenceDay ? { direction: row.direction } : {}),
    replayed: true,
  };
}

/**
 * Answers one scan of a desk: admits a confirmed registration not yet checked in (and says so to
 * this nonce forever), says "already" with the first check-in's time and desk, or refuses with the
 * reason. A refusal leaves an audit entry; nothing else changes but the scan's own row. While entry
 * and exit are counted (decision 38), an entry of someone admitted before lets them in again and an
 * exit lets them out, each once whatever the number of doors.
 */
export function scanAtDesk(deps: RegistrationDeps, staff: { id: number; email: string }, scan: Scan): ScanAnswer {
  const now = deps.now?.() ?? Date.now();
  const db = deps.db;
  return db.transaction(
    (tx) => {
      const t = tx as unknown as Db;
      const counting = entryExitMode(t);
      const today = counting ? forumDay(now, deps.edition.timezone) : undefined;
      const replay = storedAnswer(t, scan.nonce, today);
      if (replay) return replay;
      const direction: ScanDirection = counting ? (scan.direction ?? "entry") : "entry";
      const scannedAt = Math.min(scan.at, now + CLOCK_SKEW_MS, now);
      const code = scan.code.trim();
      const desk = scan.desk.trim();
      const save = (outcome: ScanOutcome, registrationId: number | null, reason = "") =>
        t
          .insert(checkinScans)
          .values({
            nonce: scan.nonce,
            registrationId,
            userId: staff.id,
            desk,
            scannedAt: new Date(scannedAt),
            receivedAt: new Date(now),
            outcome,
            reason,
            direction,
          })
          .run();
      const answer = (outcome: ScanOutcome, attendee?: RosterEntry, reason?: ScanRefusal): ScanAnswer => ({
        nonce: scan.nonce,
        outcome,
        ...(reason ? { reason } : {}),
        ...(attendee ? { attendee } : {}),
        replayed: false,
        ...(counting ? { direction } : {}),
      });
      const refuse = (reason: ScanRefusal, attendee?: RosterEntry): ScanAnswer => {
        save("refused", attendee?.id ?? null, reason);
        recordAudit(
          t,
          {
            actor: staff,
            action: "registration.checkin_refused",
            subjectType: "registration",
            subjectId: attendee?.id,
            // What was read is not kept (it may be a ticket of someone else): only its length.
            after: {
              reason,
              desk,
              scannedAt: new Date(scannedAt).toISOString(),
              codeLength: scan.code.length,
              ...(counting ? { direction } : {}),
            },
          },
          now,
        );
        return answer("refused", attendee, reason);
      };
      /** The row changed now, so that desks asking for what changed since their last look see it. */
      const touch = (id: number) =>
        t
          .update(registrations)
          .set({ updatedAt: new Date(now) })
          .where(eq(registrations.id, id))
          .run();
      const printed = PRINTED_CODE.test(code) ? code.replace(/-/g, "").toLowerCase() : undefined;
      if (!TICKET_SECRET.test(code) && !printed) return refuse("malformed");
      const where = printed ? sql`substr(${registrations.ticketHash}, 1, 12) = ${printed}` : eq(registrations.ticketHash, hashSecret(code));
      const attendee = rosterEntry(t, where, today);
      if (!attendee) return refuse("not_found");
      // A scan queued yesterday and sent today says nothing about who is here today.
      if (forumDay(scannedAt, deps.edition.timezone) !== forumDay(now, deps.edition.timezone)) return refuse("stale", attendee);
      if (direction === "exit") {
        // Someone let in and cancelled since is still in the building: their exit counts, or the
        // count of people inside would be wrong. Anyone else not confirmed is refused.
        if (attendee.state !== "confirmed" && !attendee.inside) return refuse(attendee.state as ScanRefusal, attendee);
        const outcome = leave(t, attendee.id, today!, scannedAt, desk);
        save(outcome, attendee.id);
        if (outcome === "exited") touch(attendee.id);
        return answer(outcome, outcome === "exited" ? rosterEntry(t, eq(registrations.id, attendee.id), today)! : attendee);
      }
      if (attendee.state !== "confirmed") return refuse(attendee.state as ScanRefusal, attendee);
      if (attendee.checkedInAt) {
        if (!counting) {
          save("already", attendee.id);
          return answer("already", attendee);
        }
        const outcome = enter(t, attendee.id, today!, scannedAt, desk);
        save(outcome, attendee.id);
        if (outcome === "entered") touch(attendee.id);
        return answer(outcome, outcome === "entered" ? rosterEntry(t, eq(registrations.id, attendee.id), today)! : attendee);
      }
      checkInBy({ ...deps, db: t, now: () => now }, { id: attendee.id }, `staff:${staff.id}`);
      // The attendee came in when the code was read (offline, maybe minutes ago); the row changed now,
      // so that desks asking for what changed since their last look see it.
      t.update(registrations)
        .set({ checkedInAt: new Date(scannedAt) })
        .where(eq(registrations.id, attendee.id))
        .run();
      // The first admission is also the day's first entry.
      if (counting) enter(t, attendee.id, today!, scannedAt, desk);
      save("admitted", attendee.id);
      recordAudit(
        t,
        {
          actor: staff,
          action: "registration.checkin",
          subjectType: "registration",
          subjectId: attendee.id,
          before: { checkedInAt: null },
          after: { checkedInAt: new Date(scannedAt).toISOString(), by: "ticket", desk },
        },
        now,
      );
      return answer("admitted", rosterEntry(t, eq(registrations.id, attendee.id), today)!);
    },
    { behavior: "immediate" },
  );
}
