import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "./client.ts";
import { backupDatabase, RestoreError, restoreDatabase } from "./backup.ts";
import { seedIfEmpty } from "../src/lib/demo/seed.ts";
import { loadEdition } from "../src/lib/config/edition.ts";
import { submit } from "../src/lib/registration/service.ts";
import { registrationInput } from "../tests/fixtures/registration.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "backup-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command as an operator would (its output and exit code); each run is a Node start, so few tests do. */
function cli(script: "backup" | "restore", args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [`db/${script}-cli.ts`, ...args], {
    env: { ...process.env, DATABASE_PATH: join(dir, "forum.db"), ...env },
    encoding: "utf8",
  });
}

const CLI_TIMEOUT = 60_000;

/** restoreDatabase into the test's database, as the CLI's exit code and message. */
function restore(file: string): { status: number; message: string } {
  try {
    const r = restoreDatabase(join(dir, "forum.db"), file);
    return { status: 0, message: r.keptAs ?? "" };
  } catch (error) {
    if (error instanceof RestoreError) return { status: error.exitCode, message: error.message };
    throw error;
  }
}

const count = (file: string, sql: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).pluck().get() as number;
  } finally {
    db.close();
  }
};

/** The directory's files and their contents' hashes: what "nothing changed" means. */
function snapshot() {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [
        f,
        createHash("sha256")
          .update(readFileSync(join(dir, f)))
          .digest("hex"),
      ]),
  );
}

function seeded(file = join(dir, "forum.db")) {
  const db = openDatabase(file);
  seedIfEmpty(db);
  return db;
}

function addPerson(db: ReturnType<typeof openDatabase>, email: string) {
  submit({ db, edition: loadEdition(), appKey: randomBytes(32) }, registrationInput({ email }));
}

describe("db:backup", () => {
  it(
    "copies a live database, seeded rows included, and passes its checks",
    () => {
      const live = seeded();
      const sessions = count(join(dir, "forum.db"), "select count(*) from sessions");
      const result = cli("backup", [join(dir, "copy.db")]);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Backed up .* to .*copy\.db \(\d+ KiB\)\.$/m);
      expect(count(join(dir, "copy.db"), "select count(*) from sessions")).toBe(sessions);
      expect(sessions).toBeGreaterThan(30);
      expect(readdirSync(dir).filter((f) => f.includes("partial"))).toEqual([]);
      live.$client.close();
    },
    CLI_TIMEOUT,
  );

  it("never overwrites a file", () => {
    seeded().$client.close();
    writeFileSync(join(dir, "copy.db"), "precious");
    expect(() => backupDatabase(join(dir, "forum.db"), join(dir, "copy.db"))).toThrow("already exists");
    expect(readFileSync(join(dir, "copy.db"), "utf8")).toBe("precious");
  });
});

describe("db:restore", () => {
  it(
    "puts a backup back, keeps the database it replaces, and the server's migrations apply on the next open",
    () => {
      const live = seeded();
      addPerson(live, "before@example.org");
      live.$client.close();
      backupDatabase(join(dir, "forum.db"), join(dir, "copy.db"));
      const after = openDatabase(join(dir, "forum.db"));
      addPerson(after, "after@example.org");
      after.$client.close();

      const result = cli("restore", [join(dir, "copy.db")]);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      expect(result.stdout).toContain("1 registrations");
      expect(result.stdout).toMatch(/kept as .*forum\.db\.before-restore-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ/);
      const restored = join(dir, "forum.db");
      expect(count(restored, "select count(*) from registrations where email = 'before@example.org'")).toBe(1);
      expect(count(restored, "select count(*) from registrations where email = 'after@example.org'")).toBe(0);
      const kept = readdirSync(dir).find((f) => f.startsWith("forum.db.before-restore-"))!;
      expect(count(join(dir, kept), "select count(*) from registrations")).toBe(2);
      expect(readdirSync(dir).filter((f) => f.includes("restoring"))).toEqual([]);
      const reopened = openDatabase(restored);
      expect(reopened.$client.pragma("integrity_check", { simple: true })).toBe("ok");
      reopened.$client.close();
    },
    CLI_TIMEOUT,
  );

  it("restores a backup made before the latest migrations, which apply at the next start", () => {
    const older = join(dir, "migrations-older");
    cpSync("db/migrations", older, { recursive: true });
    const journalFile = join(older, "meta/_journal.json");
    const journal = JSON.parse(readFileSync(journalFile, "utf8"));
    const latest = journal.entries.pop();
    writeFileSync(journalFile, JSON.stringify(journal));
    const source = join(dir, "old-version.db");
    process.env.MIGRATIONS_DIR = older;
    try {
      openDatabase(source).$client.close();
    } finally {
      delete process.env.MIGRATIONS_DIR;
    }
    backupDatabase(source, join(dir, "old.db"));
    expect(restoreDatabase(join(dir, "forum.db"), join(dir, "old.db")).latestMigration).toBe(journal.entries.at(-1).tag);
    const current = openDatabase(join(dir, "forum.db"));
    const applied = current.$client.prepare("select count(*) from __drizzle_migrations").pluck().get();
    expect(applied).toBe(journal.entries.length + 1);
    expect(latest.tag).toBeTruthy();
    current.$client.close();
  });

  describe("refuses what is not a sound backup of this site, changing nothing", () => {
    beforeEach(() => {
      const live = seeded();
      addPerson(live, "kept@example.org");
      live.$client.close();
    });

    const cases: [string, (file: string) => void, RegExp][] = [
      ["random bytes", (f) => writeFileSync(f, randomBytes(8192)), /not an SQLite database/],
      ["an empty file", (f) => writeFileSync(f, ""), /not an SQLite database/],
      [
        "an empty SQLite database",
        (f) => {
          const db = new Database(f);
          db.exec("create table t(x); drop table t; vacuum");
          db.close();
        },
        /no migration journal/,
      ],
      [
        "another application's SQLite database",
        (f) => {
          const db = new Database(f);
          db.exec(
            "create table __drizzle_migrations (id integer primary key, hash text, created_at numeric); create table invoices (id integer)",
          );
          db.close();
        },
        /lacks the tables/,
      ],
      [
        "a database of a newer version",
        (f) => {
          const db = openDatabase(f);
          db.$client.prepare("insert into __drizzle_migrations (hash, created_at) values ('x', ?)").run(Date.UTC(2099, 0, 1));
          db.$client.close();
        },
        /another \(newer\?\) version/,
      ],
      [
        "a damaged database",
        (f) => {
          const db = seeded(f);
          db.$client.pragma("journal_mode = DELETE");
          db.$client.close();
          const bytes = readFileSync(f);
          // Garbage over the middle of the file: pages of tables and indexes.
          randomBytes(16 * 1024).copy(bytes, Math.floor(bytes.length / 2));
          writeFileSync(f, bytes);
        },
        /integrity check|damaged|malformed/,
      ],
    ];

    it.each(cases)("%s", (_name, make, message) => {
      const outside = mkdtempSync(join(tmpdir(), "backup-bad-"));
      try {
        const file = join(outside, "bad.db");
        make(file);
        const before = snapshot();
        const result = restore(file);
        expect(result.message).toMatch(message);
        expect(result.status).toBe(2);
        expect(snapshot()).toEqual(before);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it(
      "a missing file, and no argument at all (the command's own answers)",
      () => {
        const before = snapshot();
        const missing = cli("restore", [join(dir, "nope.db")]);
        expect(missing.status).toBe(2);
        expect(missing.stderr).toContain("is not a file.\nNothing was changed.");
        const usage = cli("restore", []);
        expect(usage.status).toBe(1);
        expect(usage.stderr).toContain("Usage: npm run db:restore -- <backup file>");
        expect(snapshot()).toEqual(before);
      },
      CLI_TIMEOUT,
    );

    it("the database itself", () => {
      const before = snapshot();
      const result = restore(join(dir, "forum.db"));
      expect(result.status).toBe(2);
      expect(result.message).toContain("is the database itself");
      expect(snapshot()).toEqual(before);
    });
  });

  it(
    "refuses while the database is open elsewhere (a running server), changing nothing",
    () => {
      seeded().$client.close();
      backupDatabase(join(dir, "forum.db"), join(dir, "copy.db"));
      const server = openDatabase(join(dir, "forum.db"));
      try {
        const before = readFileSync(join(dir, "forum.db"));
        const result = cli("restore", [join(dir, "copy.db")]);
        expect(result.status).toBe(3);
        expect(result.stderr).toContain("is in use (is the server running?)");
        expect(readFileSync(join(dir, "forum.db")).equals(before)).toBe(true);
        expect(readdirSync(dir).filter((f) => f.includes("before-restore") || f.includes("restoring"))).toEqual([]);
        // The open connection still works on the same file.
        expect(server.$client.prepare("select count(*) from sessions").pluck().get()).toBeGreaterThan(30);
      } finally {
        server.$client.close();
      }
    },
    CLI_TIMEOUT,
  );
});
