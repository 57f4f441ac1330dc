import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../../db/client.ts";
import { seedIfEmpty } from "../../../db/seed.ts";
import { loadProgramme } from "./queries.ts";
import {
  createChangelogCache,
  createReleaseCache,
  deserializeProgramme,
  listReleases,
  publishRelease,
  serializeProgramme,
} from "./releases.ts";

describe("releases", () => {
  it("store the whole programme and read it back identical, dates included", () => {
    const dir = mkdtempSync(join(tmpdir(), "forum-releases-"));
    const db = openDatabase(join(dir, "forum.db"));
    try {
      seedIfEmpty(db);
      const live = loadProgramme(db);
      const onSessions = new Set(live.sessions.flatMap((s) => s.speakerIds));
      const stored = deserializeProgramme(serializeProgramme(live));
      expect(stored).toEqual({
        ...live,
        speakers: live.speakers.filter((s) => onSessions.has(s.id)).map(({ availability: _, ...s }) => s),
      });
      // The demo is release 1; the next gets 2, with its comment and an audit entry.
      const cache = createReleaseCache(db);
      expect(cache()?.number).toBe(1);
      expect(publishRelease(db, { id: 7, email: "o@example.org" }, "  Second  ", Date.UTC(2013, 5, 20))).toBe(2);
      expect(cache()).toMatchObject({ number: 2, comment: "Second", createdBy: "o@example.org" });
      expect(cache()!.programme).toEqual(stored);
      expect(listReleases(db).map((r) => r.number)).toEqual([2, 1]);
      expect(db.$client.prepare("select action, subject_id from audit_log").all()).toEqual([
        { action: "programme.release", subject_id: "2" },
      ]);
    } finally {
      db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keep neither applicants without a session nor anyone's availability", () => {
    const db = openDatabase(":memory:");
    seedIfEmpty(db);
    db.$client
      .prepare("insert into speakers (slug, name, email, availability) values ('applicant', 'Ann Applicant', 'ann@example.org', ?)")
      .run(JSON.stringify([{ from: "2013-07-02T07:00:00.000Z", to: "2013-07-02T10:00:00.000Z" }]));
    const text = serializeProgramme(loadProgramme(db));
    expect(text).not.toContain("ann@example.org");
    expect(text).not.toContain("availability");
    expect(deserializeProgramme(text).speakers.length).toBeGreaterThan(0);
    db.$client.close();
  });

  it("keep the changelog until the next release, then tell what it moved", () => {
    const db = openDatabase(":memory:");
    seedIfEmpty(db);
    const changelog = createChangelogCache(db);
    const first = changelog();
    expect(first.map((e) => [e.release.number, e.first])).toEqual([[1, true]]);
    expect(changelog()).toBe(first);
    db.$client
      .prepare(
        "update sessions set starts_at = starts_at + 3600000, ends_at = ends_at + 3600000 where slug = 'opening-keynote-anticipating-crime'",
      )
      .run();
    // An edit alone changes nothing public.
    expect(changelog()).toBe(first);
    publishRelease(db, { id: null, email: "o@example.org" }, "Later keynote");
    const [latest] = changelog();
    expect(latest.release).toMatchObject({ number: 2, comment: "Later keynote" });
    expect(latest.changes.map((c) => [c.kind, c.slug])).toEqual([["moved", "opening-keynote-anticipating-crime"]]);
    expect("programme" in latest.release).toBe(false);
    db.$client.close();
  });

  it("read nothing from a database that never released", () => {
    const db = openDatabase(":memory:");
    expect(createReleaseCache(db)()).toBeUndefined();
    db.$client.close();
  });
});
