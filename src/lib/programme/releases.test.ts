import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../../db/client.ts";
import { seedIfEmpty } from "../demo/seed.ts";
import { loadProgramme } from "./queries.ts";
import {
  createChangelogCache,
  createReleaseCache,
  deserializeProgramme,
  listReleases,
  publishCheckedRelease,
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
      expect(cache()).toMatchObject({ number: 2, comment: { en: "Second", fr: "" }, createdBy: "o@example.org" });
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
    publishRelease(db, { id: null, email: "o@example.org" }, { en: " Later keynote ", fr: "Ouverture plus tard" });
    const [latest] = changelog();
    expect(latest.release).toMatchObject({ number: 2, comment: { en: "Later keynote", fr: "Ouverture plus tard" } });
    expect(latest.changes.map((c) => [c.kind, c.slug])).toEqual([["moved", "opening-keynote-anticipating-crime"]]);
    expect("programme" in latest.release).toBe(false);
    db.$client.close();
  });

  it("read releases made before texts had two languages: each text in its session's language, a biography in the speaker's", () => {
    const old = {
      rooms: [],
      tracks: [],
      formats: [],
      speakers: [
        { id: 1, slug: "ada", name: "Ada", affiliation: "", country: "", bio: "Bio in English.", links: [], photo: null, email: null },
        {
          id: 2,
          slug: "bea",
          name: "Bea",
          affiliation: "",
          country: "",
          bio: "Biographie.",
          links: [],
          photo: null,
          email: null,
          language: "fr",
        },
      ],
      sessions: [
        {
          id: 1,
          slug: "talk",
          title: "Talk",
          abstract: "Abstract.",
          description: "",
          language: "en",
          startsAt: "2013-07-02T08:00:00.000Z",
        },
        {
          id: 2,
          slug: "expose",
          title: "Exposé",
          abstract: "Résumé.",
          description: "Détails.",
          language: "fr",
          updatedAt: "2013-06-01T00:00:00.000Z",
        },
      ],
      lastModified: "2013-06-01T00:00:00.000Z",
    };
    const programme = deserializeProgramme(JSON.stringify(old));
    expect(programme.sessions.map((s) => [s.title, s.abstract, s.description])).toEqual([
      [
        { en: "Talk", fr: "" },
        { en: "Abstract.", fr: "" },
        { en: "", fr: "" },
      ],
      [
        { en: "", fr: "Exposé" },
        { en: "", fr: "Résumé." },
        { en: "", fr: "Détails." },
      ],
    ]);
    expect(programme.sessions[0]!.startsAt).toEqual(new Date("2013-07-02T08:00:00.000Z"));
    expect(programme.speakers.map((s) => s.bio)).toEqual([
      { en: "Bio in English.", fr: "" },
      { en: "", fr: "Biographie." },
    ]);
    // A release in today's shape reads back as written.
    expect(deserializeProgramme(JSON.stringify(programme)).sessions[1]!.title).toEqual({ en: "", fr: "Exposé" });
  });

  it("read nothing from a database that never released", () => {
    const db = openDatabase(":memory:");
    expect(createReleaseCache(db)()).toBeUndefined();
    db.$client.close();
  });

  it("with warnings, publish only once those very warnings are acknowledged", () => {
    const db = openDatabase(":memory:");
    seedIfEmpty(db);
    const actor = { id: 7, email: "o@example.org" };
    // The demo has no warning: one step, as ever. A confirmed session not yet on the grid is in no
    // release, so it asks nothing either.
    db.$client
      .prepare(
        "insert into sessions (slug, title_en, format_id, state) select 'not-placed', 'Not placed', id, 'confirmed' from formats where slug = 'keynote'",
      )
      .run();
    const clean = publishCheckedRelease(db, actor, { comment: "Clean" });
    expect(clean, JSON.stringify(clean)).toEqual({ ok: true, number: 2 });
    const move = (slug: string, from: string) =>
      db.$client
        .prepare(
          `update sessions set starts_at = (select starts_at from sessions where slug = ?), ends_at = (select ends_at from sessions where slug = ?), room_id = (select room_id from sessions where slug = ?) where slug = ?`,
        )
        .run(from, from, from, slug);
    move("measuring-what-prevention-prevents", "opening-keynote-anticipating-crime");
    const asked = publishCheckedRelease(db, actor, { comment: "Clash" });
    expect(asked).toMatchObject({ ok: false, reason: "unacknowledged" });
    if (asked.ok) throw new Error("published");
    expect(asked.warnings.map((w) => w.kind)).toContain("room_overlap");
    expect(publishCheckedRelease(db, actor, { comment: "Clash", acknowledged: "not-the-fingerprint" })).toMatchObject({ ok: false });
    expect(listReleases(db).map((r) => r.number)).toEqual([2, 1]);

    // A confirmation of yesterday's warnings does not publish today's.
    const stale = asked.fingerprint;
    const sessions = db.$client.prepare("select slug from sessions where room_id is not null order by starts_at").pluck().all() as string[];
    move(sessions.at(-1)!, sessions.at(-2)!);
    const again = publishCheckedRelease(db, actor, { comment: "Clash", acknowledged: stale });
    expect(again).toMatchObject({ ok: false, reason: "unacknowledged" });
    if (again.ok) throw new Error("published");
    expect(again.fingerprint).not.toBe(stale);
    expect(again.warnings.length).toBeGreaterThan(asked.warnings.length);

    expect(publishCheckedRelease(db, actor, { comment: "Clash", acknowledged: again.fingerprint })).toEqual({ ok: true, number: 3 });
    const audit = db.$client.prepare("select after from audit_log where action = 'programme.release' order by id desc limit 1").get() as {
      after: string;
    };
    expect(JSON.parse(audit.after)).toEqual({ comment: { en: "Clash", fr: "" }, acknowledgedWarnings: again.warnings.length });
    db.$client.close();
  });
});
