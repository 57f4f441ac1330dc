// Migrations that change data, not only the schema, tried on a database as it was before them.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { afterEach, describe, expect, it } from "vitest";
import { loadProgramme } from "../src/lib/programme/queries.ts";
import { listReleases } from "../src/lib/programme/releases.ts";
import { migrationsFolder, openDatabase } from "./client.ts";

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

describe("0014: texts in both languages", () => {
  it("moves every existing text to the column of its own language, and nothing is lost", () => {
    const dir = mkdtempSync(join(tmpdir(), "forum-migrate-"));
    dirs.push(dir);
    const path = join(dir, "forum.db");
    // A database as it was before: one text per row, in the session's (proposal's, speaker's) language.
    const old = new Database(path);
    migrate(drizzle({ client: old }), { migrationsFolder: migrationsBefore("0014_bilingual_texts") });
    old.exec(`
      insert into formats (slug, name_en, name_fr, default_duration) values ('talk', 'Talk', 'Conférence', 30);
      insert into speakers (slug, name, bio, language) values ('ada', 'Ada', 'Bio in English.', 'en'), ('bea', 'Béa', 'Biographie.', 'fr');
      insert into sessions (slug, title, abstract, description, format_id, language, state, published)
        values ('talk', 'A talk', 'Its abstract.', 'Its description.', 1, 'en', 'confirmed', 1),
               ('expose', 'Un exposé', 'Son résumé.', '', 1, 'fr', 'confirmed', 1);
      insert into session_speakers (session_id, speaker_id, position) values (1, 1, 0), (2, 2, 0);
      insert into users (email) values ('ada@example.org');
      insert into proposals (code, title, abstract, description, format_id, language, created_by)
        values ('PROPOSAL1', 'Une proposition', 'Un résumé.', 'Une description.', 1, 'fr', 1);
      insert into schedule_releases (number, created_at, comment, created_by, snapshot)
        values (1, 0, 'First', 'system', '${JSON.stringify({
          rooms: [],
          tracks: [],
          formats: [],
          speakers: [],
          sessions: [{ id: 1, slug: "talk", title: "A talk", abstract: "Its abstract.", description: "", language: "en" }],
          lastModified: "2013-06-01T00:00:00.000Z",
        })}');
    `);
    old.close();

    // Opened by the application: every migration, 0014 included, runs on start.
    const db = openDatabase(path);
    try {
      const rows = db.$client
        .prepare("select slug, title_en, title_fr, abstract_en, abstract_fr, description_en, description_fr from sessions order by id")
        .all();
      expect(rows).toEqual([
        {
          slug: "talk",
          title_en: "A talk",
          title_fr: "",
          abstract_en: "Its abstract.",
          abstract_fr: "",
          description_en: "Its description.",
          description_fr: "",
        },
        {
          slug: "expose",
          title_en: "",
          title_fr: "Un exposé",
          abstract_en: "",
          abstract_fr: "Son résumé.",
          description_en: "",
          description_fr: "",
        },
      ]);
      expect(db.$client.prepare("select slug, bio_en, bio_fr from speakers order by id").all()).toEqual([
        { slug: "ada", bio_en: "Bio in English.", bio_fr: "" },
        { slug: "bea", bio_en: "", bio_fr: "Biographie." },
      ]);
      expect(db.$client.prepare("select title_en, title_fr, abstract_fr, description_fr from proposals").get()).toEqual({
        title_en: "",
        title_fr: "Une proposition",
        abstract_fr: "Un résumé.",
        description_fr: "Une description.",
      });
      // The single-language columns are gone.
      const columns = (table: string) => (db.$client.prepare(`pragma table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
      expect(columns("sessions")).not.toContain("title");
      expect(columns("speakers")).not.toContain("bio");
      expect(columns("schedule_releases")).not.toContain("comment");
      // The programme and the old release read as they did, each text in its language.
      const programme = loadProgramme(db);
      expect(programme.sessions.map((s) => s.title)).toEqual([
        { en: "A talk", fr: "" },
        { en: "", fr: "Un exposé" },
      ]);
      const [release] = listReleases(db);
      expect(release!.comment).toEqual({ en: "First", fr: "" });
      expect(release!.programme.sessions[0]!.title).toEqual({ en: "A talk", fr: "" });
    } finally {
      db.$client.close();
    }
  });
});
