import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./auth.ts";
import { sessions } from "./programme.ts";

const now = sql`(unixepoch('subsec') * 1000)`;

/**
 * The personal agenda: the sessions a signed-in person starred. Deleting the account or the session
 * deletes the star. Whether a star is shown is decided again on every read by the audience rule.
 */
export const agendaStars = sqliteTable(
  "agenda_stars",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    sessionId: integer("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.userId, t.sessionId] }), index("agenda_stars_session").on(t.sessionId)],
);

/**
 * One private calendar feed per account. The token in its URL is derived from `nonce` with the
 * application key; only its SHA-256 is stored. Resetting the link replaces the row: the old URL
 * then answers 404.
 */
export const agendaFeeds = sqliteTable("agenda_feeds", {
  userId: integer("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  nonce: text("nonce").notNull(),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(now),
});
