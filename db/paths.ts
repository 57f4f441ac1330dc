import { resolve } from "node:path";

/** Default location of the database file, relative to the working directory. */
export const DEFAULT_DATABASE_PATH = "data/forum.db";

/** Folder of the committed drizzle-kit migrations (MIGRATIONS_DIR, else db/migrations). */
export function migrationsFolder(): string {
  return resolve(process.env.MIGRATIONS_DIR ?? "db/migrations");
}
