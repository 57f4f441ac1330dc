import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Rate-limit counters shared by every server process and kept across restarts
 * (src/lib/security/rate-limit.ts). One row per limiter and client: `key` is a keyed hash (HMAC with
 * the application key) of the address, e-mail or account, never the value itself; `slots` holds the
 * counts of the last window in at most 61 time slots, as JSON `[[slot, count], ...]`. A row is of no
 * use after `expires_at` and is swept by the housekeeping loop.
 */
export const rateLimits = sqliteTable(
  "rate_limits",
  {
    limiter: text("limiter").notNull(),
    key: text("key").notNull(),
    slots: text("slots").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.limiter, t.key] }), index("rate_limits_expiry").on(t.expiresAt)],
);
