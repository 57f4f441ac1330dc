import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../../db/client.ts";
import { seedIfEmpty } from "../../../db/seed.ts";
import { loadProgramme } from "./queries.ts";
import { createReleaseCache, deserializeProgramme, listReleases, publishRelease, serializeProgramme } from "./releases.ts";

describe("releases", () => {
  it("store the whole programme and read it back identical, dates included", () => {
    const dir = mkdtempSync(join(tmpdir(), "forum-releases-"));
    const db = openDatabase(join(dir, "forum.db"));
    try {
      seedIfEmpty(db);
      const live = loadProgramme(db);
      expect(deserializeProgramme(serializeProgramme(live))).toEqual(live);
      // The demo is release 1; the next gets 2, with its comment and an audit entry.
      const cache = createReleaseCache(db);
      expect(cache()?.number).toBe(1);
      expect(publishRelease(db, { id: 7, email: "o@example.org" }, "  Second  ", Date.UTC(2013, 5, 20))).toBe(2);
      expect(cache()).toMatchObject({ number: 2, comment: "Second", createdBy: "o@example.org" });
      expect(cache()!.programme).toEqual(live);
      expect(listReleases(db).map((r) => r.number)).toEqual([2, 1]);
      expect(db.$client.prepare("select action, subject_id from audit_log").all()).toEqual([
        { action: "programme.release", subject_id: "2" },
      ]);
    } finally {
      db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("read nothing from a database that never released", () => {
    const db = openDatabase(":memory:");
    expect(createReleaseCache(db)()).toBeUndefined();
    db.$client.close();
  });
});
