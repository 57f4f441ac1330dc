import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../../db/client.ts";
import { seedIfEmpty } from "../demo/seed.ts";
import { createProgrammeCache, loadProgramme } from "./queries.ts";

describe("loadProgramme", () => {
  it("resolves relations of the demo edition", () => {
    const db = openDatabase(":memory:");
    seedIfEmpty(db);
    const programme = loadProgramme(db);
    const keynote = programme.sessions.find((s) => s.format.slug === "keynote")!;
    expect(keynote.room?.slug).toBeTypeOf("string");
    expect(keynote.speakerIds.length).toBeGreaterThan(0);
    expect(programme.rooms.map((r) => r.position)).toEqual([...programme.rooms.map((r) => r.position)].sort((a, b) => a - b));
    expect(programme.lastModified.getTime()).toBeGreaterThan(0);
  });
});

describe("createProgrammeCache", () => {
  it("reads again only after a programme table changed, whoever wrote it", () => {
    const path = join(mkdtempSync(join(tmpdir(), "cache-")), "forum.db");
    const db = openDatabase(path);
    seedIfEmpty(db);
    const read = createProgrammeCache(db);
    const first = read();
    expect(read()).toBe(first);

    // Another connection (another process, in production) renames a room.
    const other = new Database(path);
    other.prepare("update rooms set name = 'Renamed hall' where id = (select min(id) from rooms)").run();
    other.close();
    const second = read();
    expect(second).not.toBe(first);
    expect(second.rooms[0].name).toBe("Renamed hall");
    expect(read()).toBe(second);

    // This connection deletes a speaker link: also seen.
    db.$client.prepare("delete from session_speakers where rowid = (select min(rowid) from session_speakers)").run();
    expect(read()).not.toBe(second);
    db.$client.close();
  });
});
