import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { DEFAULT_DATABASE_PATH, migrationsFolder } from "./paths.ts";
import * as schema from "./schema/index.ts";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** The database or a transaction inside it (`db.transaction((tx) => enqueue(tx, ...))`). */
export type DbLike = Pick<Db, "insert" | "select" | "update">;

export { DEFAULT_DATABASE_PATH, migrationsFolder } from "./paths.ts";

/**
 * A pending migration failed. Drizzle's migrator applies all pending migrations in one transaction,
 * so the database was left as it was before (db/client.test.ts proves it).
 */
export class MigrationError extends Error {
  override name = "MigrationError";
}

/**
 * Opens (creating if needed) the SQLite database with WAL and foreign keys, and applies pending
 * migrations; throws MigrationError (the file unchanged, the connection closed) when one fails.
 * With `onMigrationFailure`, a failure is reported to it instead and the database is returned as it
 * is: the server's workers do so, since the background process's setup already applied (or reported)
 * the migrations and a worker that cannot migrate should still serve (see scripts/background.mjs).
 */
export function openDatabase(
  path: string = process.env.DATABASE_PATH ?? DEFAULT_DATABASE_PATH,
  { onMigrationFailure }: { onMigrationFailure?: (error: MigrationError) => void } = {},
): Db {
  if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
  // Statement journals and temporary tables in memory: otherwise SQLite creates (and deletes) a
  // temporary file for nearly every write in a multi-statement transaction (a registration did
  // one open, access and close of /var/tmp per form).
  sqlite.pragma("temp_store = MEMORY");
  // fold(text): lower case without accents, for searches ("elodie" finds "Élodie"); SQLite's own
  // lower() only knows ASCII.
  sqlite.function("fold", { deterministic: true }, (value: unknown) => (typeof value === "string" ? fold(value) : value));
  const db = drizzle({ client: sqlite, schema }) as Db;
  try {
    migrate(db, { migrationsFolder: migrationsFolder() });
  } catch (error) {
    // Drizzle wraps SQLite's error in one that quotes the whole query: SQLite's says what failed.
    const root = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const failure = new MigrationError(`Migrations failed, none applied: ${(root as Error)?.message ?? root}`, { cause: error });
    if (!onMigrationFailure) {
      sqlite.close();
      throw failure;
    }
    onMigrationFailure(failure);
  }
  return db;
}

/** Lower case without diacritics: what searches compare ("Sécurité" and "securite" match). */
export function fold(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

/** `text` taken literally in a LIKE pattern with a backslash as ESCAPE: its percent signs, underscores and backslashes escaped. */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** True when the database answers a trivial query. */
export function isDatabaseReachable(db: Db): boolean {
  try {
    return db.$client.prepare("select 1 as ok").get() !== undefined;
  } catch {
    return false;
  }
}
