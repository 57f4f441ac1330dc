import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { migrationsFolder } from "./paths.ts";

/**
 * Backups and restores of the SQLite database (`npm run db:backup`, `npm run db:restore`).
 *
 * A backup is `VACUUM INTO`: one read transaction, so the copy is the database as it was at one
 * instant (every write committed before it began, none after), taken while the server keeps
 * writing (WAL readers never block writers), compact, and written under a temporary name that is
 * renamed only once it passed `PRAGMA quick_check`.
 *
 * A restore checks the file first (an SQLite file, `PRAGMA integrity_check`, no broken foreign
 * key, the site's tables and a migration journal this version knows), then refuses while anything
 * has the database open, keeps the database it replaces beside it under a dated name, and puts the
 * backup in place; pending migrations apply at the next start.
 */

/** Why a file cannot be restored (exit code 2), or why now is not the time (3: the database is in use). */
export class RestoreError extends Error {
  override name = "RestoreError";
  readonly exitCode: 2 | 3;
  constructor(message: string, exitCode: 2 | 3) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A file name's timestamp: 2026-12-01T21-14-54Z. */
export function stamp(date: Date = new Date()): string {
  return date
    .toISOString()
    .replaceAll(":", "-")
    .replace(/\.\d+Z$/, "Z");
}

/** Takes a consistent copy of the database at `source` into `target` (which must not exist); returns its size in bytes. */
export function backupDatabase(source: string, target: string): { bytes: number } {
  if (!existsSync(source)) throw new Error(`No database at ${source}.`);
  if (existsSync(target)) throw new Error(`${target} already exists; a backup never overwrites a file.`);
  mkdirSync(dirname(resolve(target)), { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    db.prepare("VACUUM INTO ?").run(partial);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    db.close();
  }
  const copy = new Database(partial, { fileMustExist: true });
  const check = copy.pragma("quick_check", { simple: true });
  copy.close();
  if (check !== "ok") {
    rmSync(partial, { force: true });
    throw new Error(`The copy failed its check (${check}); nothing was written.`);
  }
  renameSync(partial, target);
  return { bytes: statSync(target).size };
}

/** What a valid backup holds. */
export interface BackupSummary {
  migrations: number;
  latestMigration: string;
  registrations: number;
  sessions: number;
}

const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "binary");

/** The migrations this version has, by the `when` drizzle records as `created_at`. */
function knownMigrations(): Map<number, string> {
  const journal = JSON.parse(readFileSync(join(migrationsFolder(), "meta/_journal.json"), "utf8")) as {
    entries: { when: number; tag: string }[];
  };
  return new Map(journal.entries.map((e) => [e.when, e.tag]));
}

/** The tables of the first migration: any database of the site has them. */
function coreTables(): string[] {
  const first = knownMigrations().values().next().value!;
  const sql = readFileSync(join(migrationsFolder(), `${first}.sql`), "utf8");
  return [...sql.matchAll(/CREATE TABLE `([^`]+)`/g)].map((m) => m[1]);
}

/** Checks that `file` is a sound database of this site; throws RestoreError (exit code 2) saying why not. */
export function inspectBackup(file: string): BackupSummary {
  if (!existsSync(file) || !statSync(file).isFile()) throw new RestoreError(`${file} is not a file.`, 2);
  const header = Buffer.alloc(16);
  const fd = openSync(file, "r");
  const read = readSync(fd, header, 0, 16, 0);
  closeSync(fd);
  if (read < 16 || !header.equals(SQLITE_MAGIC)) throw new RestoreError(`${file} is not an SQLite database.`, 2);
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true });
  } catch (error) {
    throw new RestoreError(`${file} cannot be opened as an SQLite database: ${(error as Error).message}`, 2);
  }
  try {
    let problems: string[];
    try {
      problems = (db.pragma("integrity_check") as { integrity_check: string }[]).map((r) => r.integrity_check);
    } catch (error) {
      throw new RestoreError(`${file} is damaged: ${(error as Error).message}`, 2);
    }
    if (problems.length !== 1 || problems[0] !== "ok")
      throw new RestoreError(`${file} fails SQLite's integrity check: ${problems.slice(0, 5).join("; ")}`, 2);
    const tables = new Set(db.prepare("select name from sqlite_master where type = 'table'").pluck().all() as string[]);
    if (!tables.has("__drizzle_migrations"))
      throw new RestoreError(`${file} is an SQLite database, but not one of this site: it has no migration journal.`, 2);
    const missing = coreTables().filter((t) => !tables.has(t));
    if (missing.length) throw new RestoreError(`${file} is not a database of this site: it lacks the tables ${missing.join(", ")}.`, 2);
    const applied = db.prepare("select created_at from __drizzle_migrations order by created_at").pluck().all() as number[];
    if (applied.length === 0) throw new RestoreError(`${file} is not a database of this site: no migration was ever applied to it.`, 2);
    const known = knownMigrations();
    const unknown = applied.filter((when) => !known.has(Number(when)));
    if (unknown.length)
      throw new RestoreError(
        `${file} was written by another (newer?) version of the site: ${unknown.length} of its migrations are unknown here. Restore it with the version that made it.`,
        2,
      );
    const broken = db.pragma("foreign_key_check") as unknown[];
    if (broken.length) throw new RestoreError(`${file} has ${broken.length} rows whose foreign keys point nowhere.`, 2);
    const count = (table: string) => (tables.has(table) ? (db.prepare(`select count(*) from "${table}"`).pluck().get() as number) : 0);
    return {
      migrations: applied.length,
      latestMigration: known.get(Number(applied.at(-1)))!,
      registrations: count("registrations"),
      sessions: count("sessions"),
    };
  } finally {
    db.close();
  }
}

/**
 * Replaces the database at `databasePath` with the backup `file`, after inspectBackup(). Refuses
 * (RestoreError, exit code 3) while another connection has the database open: leaving WAL mode
 * needs every other connection closed, so a running server (or any tool) is detected by SQLite's
 * own locks. The replaced database is kept as `<name>.before-restore-<time>`.
 */
export function restoreDatabase(databasePath: string, file: string, now: Date = new Date()): BackupSummary & { keptAs?: string } {
  const target = resolve(databasePath);
  if (existsSync(target) && existsSync(file) && realpathSync(target) === realpathSync(file))
    throw new RestoreError(`${file} is the database itself.`, 2);
  mkdirSync(dirname(target), { recursive: true });
  // The backup is checked as the copy that will be put in place, on the same file system.
  const staged = join(dirname(target), `.${basename(target)}.restoring-${process.pid}`);
  rmSync(staged, { force: true });
  try {
    if (!existsSync(file) || !statSync(file).isFile()) throw new RestoreError(`${file} is not a file.`, 2);
    copyFileSync(file, staged);
    const summary = inspectBackup(staged);
    settleJournal(staged);

    let keptAs: string | undefined;
    if (existsSync(target)) {
      const live = new Database(target, { fileMustExist: true, timeout: 0 });
      try {
        try {
          live.pragma("journal_mode = DELETE");
          // Held while the files move: whoever opens the old file meanwhile waits.
          live.exec("BEGIN EXCLUSIVE");
        } catch (error) {
          if ((error as { code?: string }).code?.startsWith("SQLITE_BUSY"))
            throw new RestoreError(`${databasePath} is in use (is the server running?). Stop it, restore, then start it again.`, 3);
          throw error;
        }
        keptAs = `${target}.before-restore-${stamp(now)}`;
        renameSync(target, keptAs);
        try {
          renameSync(staged, target);
        } catch (error) {
          renameSync(keptAs, target);
          throw error;
        }
        live.exec("ROLLBACK");
      } finally {
        live.close();
      }
    } else {
      renameSync(staged, target);
    }
    // Journal files of the replaced database must never be applied to the restored one.
    for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(`${target}${suffix}`, { force: true });
    return { ...summary, keptAs };
  } finally {
    rmSync(staged, { force: true });
    for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(`${staged}${suffix}`, { force: true });
  }
}

/** Leaves `file` self-contained: WAL content checkpointed into it, in rollback-journal mode (the server turns WAL on again). */
function settleJournal(file: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma("journal_mode = DELETE");
  } finally {
    db.close();
  }
}
