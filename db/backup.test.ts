import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDatabase } from "./client.ts";
import { seedIfEmpty } from "./seed.ts";

describe("db:backup", () => {
  it("copies a live database, seeded rows included", () => {
    const dir = mkdtempSync(join(tmpdir(), "backup-"));
    const source = join(dir, "forum.db");
    const live = openDatabase(source);
    seedIfEmpty(live);
    const sessions = (live.$client.prepare("select count(*) as n from sessions").get() as { n: number }).n;
    const result = spawnSync(process.execPath, ["db/backup-cli.ts", join(dir, "copy.db")], {
      env: { ...process.env, DATABASE_PATH: source },
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const copy = new Database(join(dir, "copy.db"), { readonly: true });
    expect((copy.prepare("select count(*) as n from sessions").get() as { n: number }).n).toBe(sessions);
    expect(sessions).toBeGreaterThan(30);
    copy.close();
    live.$client.close();
  });
});
