import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { registrations } from "./registration.ts";

/** What the desk answered to one scan. */
export const SCAN_OUTCOMES = ["admitted", "already", "refused"] as const;
export type ScanOutcome = (typeof SCAN_OUTCOMES)[number];

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
  },
  (t) => [
    uniqueIndex("checkin_scans_one_admission")
      .on(t.registrationId)
      .where(sql`outcome = 'admitted'`),
    index("checkin_scans_received").on(t.receivedAt),
  ],
);
