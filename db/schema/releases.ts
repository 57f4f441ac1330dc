import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Published versions of the programme. The public pages and exports show the latest one; the
 * organizers edit the live tables and release when ready. The snapshot is the whole programme
 * model (src/lib/programme/model.ts) as JSON.
 */
export const scheduleReleases = sqliteTable("schedule_releases", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  /** 1, 2, 3...: what the changelog and the exports call the version. */
  number: integer("number").notNull().unique(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  commentEn: text("comment_en").notNull().default(""),
  commentFr: text("comment_fr").notNull().default(""),
  /** Who released it (an address, or "system" for the demo's first release). */
  createdBy: text("created_by").notNull(),
  snapshot: text("snapshot").notNull(),
});
