import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MigrationError, openDatabase } from "./client.ts";
import { seedIfEmpty } from "../src/lib/demo/seed.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "migrate-"));
});
afterEach(() => {
  delete process.env.MIGRATIONS_DIR;
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of the committed migrations with `extra` appended (tag, SQL with statement breakpoints). */
function migrationsWith(...extra: [tag: string, sql: string][]): string {
  const folder = join(dir, "migrations");
  cpSync("db/migrations", folder, { recursive: true });
  const journalFile = join(folder, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { idx: number; when: number; tag: string }[] };
  for (const [tag, sql] of extra) {
    const last = journal.entries.at(-1)!;
    journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1000, tag });
    writeFileSync(join(folder, `${tag}.sql`), sql);
  }
  writeFileSync(journalFile, JSON.stringify(journal));
  return folder;
}

function state(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return {
      migrations: db.prepare("select count(*) from __drizzle_migrations").pluck().get(),
      tables: db.prepare("select name from sqlite_master where type = 'table' order by name").pluck().all(),
      sessions: db.prepare("select count(*) from sessions").pluck().get(),
      registrations: db.prepare("select count(*) from registrations").pluck().get(),
    };
  } finally {
    db.close();
  }
}

describe("migrations on open", () => {
  it("apply every pending migration in one transaction: a failing one leaves the database as it was", () => {
    const file = join(dir, "forum.db");
    const live = openDatabase(file);
    seedIfEmpty(live);
    live.$client.close();
    const before = state(file);

    process.env.MIGRATIONS_DIR = migrationsWith(
      ["9000_fine", "CREATE TABLE `upgrade_notes` (`id` integer PRIMARY KEY);\n--> statement-breakpoint\nDELETE FROM `registrations`;"],
      ["9001_broken", "ALTER TABLE `sessions` ADD `subtitle` text;\n--> statement-breakpoint\nALTER TABLE `no_such_table` ADD `x` text;"],
    );
    expect(() => openDatabase(file)).toThrow(MigrationError);
    expect(() => openDatabase(file)).toThrow(/Migrations failed, none applied: .*no_such_table/);
    // Neither the fine migration before it nor the broken one's first statement stayed.
    expect(state(file)).toEqual(before);
    const columns = new Database(file, { readonly: true });
    expect((columns.pragma("table_info(sessions)") as { name: string }[]).map((c) => c.name)).not.toContain("subtitle");
    columns.close();

    // Fixed, the upgrade goes through on the next start.
    process.env.MIGRATIONS_DIR = migrationsWith(["9000_fine", "CREATE TABLE `upgrade_notes` (`id` integer PRIMARY KEY);"]);
    openDatabase(file).$client.close();
    const after = state(file);
    expect(after.migrations).toBe((before.migrations as number) + 1);
    expect(after.tables).toContain("upgrade_notes");
    expect(after.sessions).toBe(before.sessions);
  });
});
