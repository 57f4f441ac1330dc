import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema/index.ts";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** Default location of the database file, relative to the working directory. */
export const DEFAULT_DATABASE_PATH = "data/forum.db";

/** Folder of the committed drizzle-kit migrations. */
export function migrationsFolder(): string {
  return resolve(process.env.MIGRATIONS_DIR ?? "db/migrations");
}

/** Opens (creating if needed) the SQLite database with WAL and foreign keys, and applies pending migrations. */
export function openDatabase(path: string = process.env.DATABASE_PATH ?? DEFAULT_DATABASE_PATH): Db {
  if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
  // fold(text): lower case without accents, for searches ("elodie" finds "Élodie"); SQLite's own
  // lower() only knows ASCII.
  sqlite.function("fold", { deterministic: true }, (value: unknown) => (typeof value === "string" ? fold(value) : value));
  const db = drizzle({ client: sqlite, schema }) as Db;
  migrate(db, { migrationsFolder: migrationsFolder() });
  return db;
}

/** Lower case without diacritics: what searches compare. */
export function fold(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

/** True when the database answers a trivial query. */
export function isDatabaseReachable(db: Db): boolean {
  try {
    return db.$client.prepare("select 1 as ok").get() !== undefined;
  } catch {
    return false;
  }
}
