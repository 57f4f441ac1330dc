// Migrations that change data, not only the schema, tried on a database as it was before them.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { afterEach, describe, expect, it } from "vitest";
import { migrationsFolder } from "./client.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the migrations folder that stops before the migration tagged `tag`. */
function migrationsBefore(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), "forum-migrations-"));
  dirs.push(dir);
  cpSync(migrationsFolder(), dir, { recursive: true });
  const journalPath = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  expect(at).toBeGreaterThan(0);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
  return dir;
}

/** A database migrated up to (not including) `tag`, `before` run on it, then migrated to the end; its criteria. */
function criteriaAfterUpgrade(tag: string, before: (sqlite: Database.Database) => void) {
  const sqlite = new Database(":memory:");
  sqlite.function("fold", { deterministic: true }, (v: unknown) => v);
  const db = drizzle({ client: sqlite });
  migrate(db, { migrationsFolder: migrationsBefore(tag) });
  before(sqlite);
  migrate(db, { migrationsFolder: migrationsFolder() });
  const rows = sqlite.prepare("select name_en, name_fr, scale_min, scale_max, weight from review_criteria order by id").all();
  sqlite.close();
  return rows;
}

describe("0011: the default review criterion", () => {
  it("is given to an existing database that has no criterion", () => {
    expect(criteriaAfterUpgrade("0011_default_review_criterion", () => {})).toEqual([
      { name_en: "Overall", name_fr: "Appréciation générale", scale_min: 1, scale_max: 5, weight: 1 },
    ]);
  });

  it("is not added where the committee already has its own criteria", () => {
    const own = (sqlite: Database.Database) =>
      sqlite
        .prepare("insert into review_criteria (name_en, name_fr, scale_min, scale_max, weight, position) values (?, ?, 0, 10, 2, 0)")
        .run("Relevance", "Pertinence");
    expect(criteriaAfterUpgrade("0011_default_review_criterion", own)).toEqual([
      { name_en: "Relevance", name_fr: "Pertinence", scale_min: 0, scale_max: 10, weight: 2 },
    ]);
  });
});
