import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Counters bumped by triggers whenever a table group changes (see the `programme_revision`
 * migration), so a process can cache what it read and know in one cheap query when to read again,
 * whoever wrote (this process, a worker, an admin script).
 */
export const changeCounters = sqliteTable("change_counters", {
  name: text("name").primaryKey(),
  value: integer("value").notNull().default(0),
});
