import { cpSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../../db/client.ts";
import { sessionSpeakers, sessions, speakers } from "../../../db/schema/index.ts";
import { ContentError, loadEdition } from "../config/edition.ts";
import { importProgramme, isProgrammeEmpty } from "./import.ts";
import { loadProgramme } from "./queries.ts";

const edition = loadEdition("content");
const sessionFiles = readdirSync("content/programme/sessions").filter((f) => f.endsWith(".md"));
const speakerFiles = readdirSync("content/programme/speakers").filter((f) => f.endsWith(".md"));

/** A copy of the demo programme that a test may break. */
function programmeCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "programme-"));
  cpSync("content/programme", dir, { recursive: true });
  return dir;
}

describe("importProgramme", () => {
  it("loads every session and speaker of the demo edition, and importing twice changes nothing", () => {
    const db = openDatabase(":memory:");
    expect(isProgrammeEmpty(db)).toBe(true);
    const first = importProgramme(db, "content/programme", edition);
    expect(first.sessions).toBe(sessionFiles.length);
    expect(first.speakers).toBe(speakerFiles.length);
    const links = db.select({ n: count() }).from(sessionSpeakers).get()!.n;

    const second = importProgramme(db, "content/programme", edition);
    expect(second).toEqual({ rooms: 0, tracks: 0, formats: 0, speakers: 0, sessions: 0 });
    expect(db.select({ n: count() }).from(sessions).get()!.n).toBe(sessionFiles.length);
    expect(db.select({ n: count() }).from(sessionSpeakers).get()!.n).toBe(links);
    expect(isProgrammeEmpty(db)).toBe(false);
  });

  it("never overwrites what organizers edited", () => {
    const db = openDatabase(":memory:");
    importProgramme(db, "content/programme", edition);
    const slug = sessionFiles[0].slice(0, -3);
    db.update(sessions).set({ titleEn: "Edited by an organizer" }).where(eq(sessions.slug, slug)).run();
    importProgramme(db, "content/programme", edition);
    expect(db.select({ title: sessions.titleEn }).from(sessions).where(eq(sessions.slug, slug)).get()!.title).toBe(
      "Edited by an organizer",
    );
  });

  it("stores local times of the edition's zone as instants, and speakers in order", () => {
    const dir = programmeCopy();
    writeFileSync(
      join(dir, "sessions", "zz-probe.md"),
      `---\ntitle: Probe\nformat: talk\nlanguage: fr\nday: ${edition.startDate}\nstart: "09:30"\nend: "10:00"\nspeakers: [${speakerFiles
        .slice(0, 2)
        .map((f) => f.slice(0, -3))
        .reverse()
        .join(", ")}]\n---\nCorps.`,
    );
    const db = openDatabase(":memory:");
    importProgramme(db, dir, edition);
    const probe = loadProgramme(db).sessions.find((s) => s.slug === "zz-probe")!;
    expect(probe.startsAt!.toISOString()).toBe(`${edition.startDate}T07:30:00.000Z`);
    // The body and the title are in the session's language; nothing was given in the other.
    expect(probe.abstract).toEqual({ en: "", fr: "Corps." });
    expect(probe.title).toEqual({ en: "", fr: "Probe" });
    expect(probe.language).toBe("fr");
    const names = db.select({ slug: speakers.slug, id: speakers.id }).from(speakers).all();
    const slugOf = new Map(names.map((s) => [s.id, s.slug]));
    expect(probe.speakerIds.map((id) => slugOf.get(id))).toEqual(
      speakerFiles
        .slice(0, 2)
        .map((f) => f.slice(0, -3))
        .reverse(),
    );
  });

  it("reads the other language's texts from the front matter: title_<lang>, abstract_<lang>, description_<lang>, bio_<lang>", () => {
    const dir = programmeCopy();
    writeFileSync(
      join(dir, "sessions", "zz-both.md"),
      [
        "---",
        "title: Prévenir la fraude",
        "title_en: Preventing fraud",
        "format: talk",
        "language: fr",
        "description: |\n  Détails.",
        "description_en: |\n  Details.",
        "abstract_en: |\n  The abstract in English.",
        "---",
        "Le résumé en français.",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "speakers", "zz-speaker.md"),
      "---\nname: Zoé Exemple\nlanguage: fr\nbio_en: Works on fraud.\n---\nTravaille sur la fraude.",
    );
    const db = openDatabase(":memory:");
    importProgramme(db, dir, edition);
    const programme = loadProgramme(db);
    expect(programme.sessions.find((s) => s.slug === "zz-both")).toMatchObject({
      language: "fr",
      title: { en: "Preventing fraud", fr: "Prévenir la fraude" },
      abstract: { en: "The abstract in English.", fr: "Le résumé en français." },
      description: { en: "Details.", fr: "Détails." },
    });
    expect(programme.speakers.find((s) => s.slug === "zz-speaker")).toMatchObject({
      language: "fr",
      bio: { en: "Works on fraud.", fr: "Travaille sur la fraude." },
    });
  });

  it("refuses a translation key in the file's own language, which would say the same text twice", () => {
    const dir = programmeCopy();
    writeFileSync(join(dir, "sessions", "zz-twice.md"), "---\ntitle: Talk\ntitle_en: Talk again\nformat: talk\n---\nBody");
    const db = openDatabase(":memory:");
    expect(() => importProgramme(db, dir, edition)).toThrow(
      "zz-twice.md: title_en: the English text is title; title_en is for the other language",
    );
    expect(isProgrammeEmpty(db)).toBe(true);
  });

  it.each([
    ["an unknown speaker", "speakers: [nobody-at-all]", 'speakers: unknown speaker "nobody-at-all"'],
    ["an unknown format", "format: lecture", 'format: unknown format "lecture"'],
    ["a day outside the forum", 'day: 2014-01-01\nstart: "09:00"\nend: "10:00"', "day: 2014-01-01 is not a day of the forum"],
    ["an end before the start", 'day: 2013-07-02\nstart: "11:00"\nend: "10:00"', "start: must be before end"],
    ["a wrong audience", "audience: vip", "audience:"],
  ])("refuses %s, naming the file and field, and writes nothing", (_label, line, message) => {
    const dir = programmeCopy();
    const formatLine = line.startsWith("format:") ? "" : "format: talk\n";
    writeFileSync(join(dir, "sessions", "zz-broken.md"), `---\ntitle: Broken\n${formatLine}${line}\n---\nBody`);
    const db = openDatabase(":memory:");
    expect(() => importProgramme(db, dir, edition)).toThrow(ContentError);
    expect(() => importProgramme(db, dir, edition)).toThrow(`zz-broken.md: ${message}`);
    expect(isProgrammeEmpty(db)).toBe(true);
  });
});
