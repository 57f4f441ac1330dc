import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { registrations } from "./registration.ts";

/**
 * What the desk answered to one scan. With entry and exit counted (decision 38): `entered` (back in,
 * or in on a later day), `exited`, and the two amber answers `already_inside` (an entry of someone
 * inside) and `not_inside` (an exit of someone not inside); a first admission stays `admitted`.
 */
export const SCAN_OUTCOMES = ["admitted", "already", "refused", "entered", "exited", "already_inside", "not_inside"] as const;
export type ScanOutcome = (typeof SCAN_OUTCOMES)[number];

/** Which way a desk at a door scans (decision 38); every scan is an entry while the mode is off. */
export const SCAN_DIRECTIONS = ["entry", "exit"] as const;
export type ScanDirection = (typeof SCAN_DIRECTIONS)[number];

/**
 * Every scan a desk sent, keyed by the nonce the desk drew for it: a scan sent twice (a retry, an
 * offline queue replayed) finds its first answer here and changes nothing. The one `admitted` row of
 * a registration says when and at which desk it was checked in; the partial unique index makes a
 * second one impossible, whatever the number of processes.
 */
export const checkinScans = sqliteTable(
  "checkin_scans",
  {
    nonce: text("nonce").primaryKey(),
    registrationId: integer("registration_id").references(() => registrations.id, { onDelete: "cascade" }),
    /** The staff account that scanned. */
    userId: integer("user_id").notNull(),
    /** The desk's own label ("1", "Hall B"), as its staff set it. */
    desk: text("desk").notNull(),
    /** When the desk read the code (its clock, never later than received). */
    scannedAt: integer("scanned_at", { mode: "timestamp_ms" }).notNull(),
    receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
    outcome: text("outcome", { enum: SCAN_OUTCOMES }).notNull(),
    /** For a refusal: the registration's state, `not_found`, `malformed` or `stale`. */
    reason: text("reason").notNull().default(""),
    /** The way the desk was scanning: `exit` only while entry and exit are counted. */
    direction: text("direction", { enum: SCAN_DIRECTIONS }).notNull().default("entry"),
  },
  (t) => [
    uniqueIndex("checkin_scans_one_admission")
      .on(t.registrationId)
      .where(sql`outcome = 'admitted'`),
    index("checkin_scans_received").on(t.receivedAt),
  ],
);

/**
 * Who is inside, per registration and forum day (decision 38), while organizers count entry and
 * exit: `inside` flips with each entry and exit, `since` and `desk` say when and where it last did.
 * An exit is one `update ... where inside = 1`, so two doors scanning the same person out count one.
 */
export const checkinPresence = sqliteTable(
  "checkin_presence",
  {
    registrationId: integer("registration_id")
      .notNull()
      .references(() => registrations.id, { onDelete: "cascade" }),
    /** The forum's calendar day, YYYY-MM-DD in its time zone. */
    day: text("day").notNull(),
    inside: integer("inside", { mode: "boolean" }).notNull(),
    entries: integer("entries").notNull().default(0),
    exits: integer("exits").notNull().default(0),
    /** When the last entry or exit was read. */
    since: integer("since", { mode: "timestamp_ms" }).notNull(),
    desk: text("desk").notNull().default(""),
  },
  (t) => [primaryKey({ columns: [t.registrationId, t.day] }), index("checkin_presence_day").on(t.day, t.inside)],
);

/** The organizers' choices for the desks; a single row (id = 1), absent until first saved. */
export const checkinSettings = sqliteTable("checkin_settings", {
  id: integer("id").primaryKey(),
  /** Count entry and exit at the doors (decision 38); off, a desk only admits. */
  entryExit: integer("entry_exit", { mode: "boolean" }).notNull().default(false),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});
