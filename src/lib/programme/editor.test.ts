import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asc, eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { auditLog, rooms, sessions, sessionSpeakers, speakers } from "../../../db/schema/index.ts";
import { seedIfEmpty } from "../demo/seed.ts";
import { loadEdition, type Edition } from "../config/edition.ts";
import {
  createSession,
  scheduleSession,
  setSessionState,
  slugify,
  uniqueSlug,
  updateSessionDetails,
  type DetailsInput,
  type ScheduleInput,
} from "./editor.ts";
import { zonedToInstant } from "./time.ts";

const actor = { id: 1, email: "organizer@example.org" };
let db: Db;
let edition: Edition;
let target: typeof sessions.$inferSelect;

const counter = () => db.$client.prepare("select value from change_counters where name = 'programme'").pluck().get() as number;
const audits = () => db.select().from(auditLog).all();
const snapshot = () => ({
  sessions: db.select().from(sessions).orderBy(asc(sessions.id)).all(),
  speakers: db.select().from(sessionSpeakers).all(),
  counter: counter(),
  audits: audits().length,
});
const at = (day: string, time: string) => zonedToInstant(day, time, edition.timezone);

function scheduleInput(over: Partial<ScheduleInput> = {}): ScheduleInput {
  return {
    slug: target.slug,
    version: target.version,
    startsAt: at(edition.startDate, "10:00"),
    endsAt: at(edition.startDate, "10:45"),
    roomId: db.select().from(rooms).get()!.id,
    ...over,
  };
}

function detailsInput(over: Partial<DetailsInput> = {}): DetailsInput {
  const speakerIds = db
    .select({ id: sessionSpeakers.speakerId })
    .from(sessionSpeakers)
    .where(eq(sessionSpeakers.sessionId, target.id))
    .orderBy(asc(sessionSpeakers.position))
    .all()
    .map((r) => r.id);
  return {
    slug: target.slug,
    version: target.version,
    titleEn: target.titleEn,
    titleFr: target.titleFr,
    abstractEn: target.abstractEn,
    abstractFr: target.abstractFr,
    descriptionEn: target.descriptionEn,
    descriptionFr: target.descriptionFr,
    language: target.language,
    audience: target.audience,
    tlp: target.tlp,
    titlePublic: target.titlePublic,
    formatId: target.formatId,
    trackId: target.trackId,
    speakerIds,
    expectedAudience: target.expectedAudience,
    ...over,
  };
}

beforeEach(() => {
  db = openDatabase(join(mkdtempSync(join(tmpdir(), "editor-")), "forum.db"));
  seedIfEmpty(db);
  edition = loadEdition();
  target = db.select().from(sessions).where(eq(sessions.state, "confirmed")).orderBy(asc(sessions.id)).get()!;
});

describe("scheduleSession", () => {
  it.each([
    ["incomplete_time", { endsAt: null }],
    ["end_before_start", { endsAt: undefined as unknown as Date }],
    ["not_on_5_minutes", { startsAt: undefined as unknown as Date }],
    ["outside_days", { startsAt: undefined as unknown as Date, endsAt: undefined as unknown as Date }],
    ["unknown_room", { roomId: 999_999 }],
    ["not_found", { slug: "no-such-session" }],
  ])("refuses %s and changes nothing", (code, over) => {
    const patch: Partial<ScheduleInput> = { ...over };
    if (code === "end_before_start") patch.endsAt = at(edition.startDate, "09:55");
    if (code === "not_on_5_minutes") patch.startsAt = at(edition.startDate, "10:02");
    if (code === "outside_days") {
      patch.startsAt = at(edition.endDate, "23:30");
      patch.endsAt = new Date(patch.startsAt.getTime() + 60 * 60_000);
    }
    const before = snapshot();
    expect(scheduleSession(db, edition, scheduleInput(patch), actor)).toEqual({ ok: false, error: code });
    expect(snapshot()).toEqual(before);
  });

  it("refuses an end equal to the start and a time a day before the forum", () => {
    const start = at(edition.startDate, "10:00");
    expect(scheduleSession(db, edition, scheduleInput({ startsAt: start, endsAt: start }), actor)).toMatchObject({
      error: "end_before_start",
    });
    const early = new Date(start.getTime() - 24 * 3600_000);
    const r = scheduleSession(db, edition, scheduleInput({ startsAt: early, endsAt: new Date(early.getTime() + 3600_000) }), actor);
    expect(r).toMatchObject({ error: "outside_days" });
  });

  it("saves, bumps the version, records an audit entry and invalidates caches", () => {
    const before = counter();
    const input = scheduleInput();
    const result = scheduleSession(db, edition, input, actor, 1_700_000_000_000);
    expect(result).toEqual({ ok: true, version: target.version + 1 });
    const row = db.select().from(sessions).where(eq(sessions.id, target.id)).get()!;
    expect(row.startsAt).toEqual(input.startsAt);
    expect(row.endsAt).toEqual(input.endsAt);
    expect(row.roomId).toBe(input.roomId);
    expect(row.version).toBe(target.version + 1);
    expect(row.updatedAt.getTime()).toBe(1_700_000_000_000);
    expect(counter()).toBeGreaterThan(before);
    const [entry] = audits();
    expect(entry).toMatchObject({ action: "programme.schedule", subjectType: "session", subjectId: target.slug, actorEmail: actor.email });
    expect(entry.after).toEqual({ startsAt: input.startsAt!.toISOString(), endsAt: input.endsAt!.toISOString(), roomId: input.roomId });
  });

  it("clears the time of a session (both null)", () => {
    expect(scheduleSession(db, edition, scheduleInput({ startsAt: null, endsAt: null, roomId: null }), actor)).toMatchObject({ ok: true });
    const row = db.select().from(sessions).where(eq(sessions.id, target.id)).get()!;
    expect([row.startsAt, row.endsAt, row.roomId]).toEqual([null, null, null]);
  });

  it("does not overwrite a concurrent save: returns the current values and what changed", () => {
    const seen = { startsAt: target.startsAt, endsAt: target.endsAt, roomId: target.roomId };
    const first = scheduleInput({ startsAt: at(edition.startDate, "14:00"), endsAt: at(edition.startDate, "15:00") });
    expect(scheduleSession(db, edition, first, actor)).toMatchObject({ ok: true });
    const before = snapshot();
    const second = scheduleInput({ startsAt: at(edition.startDate, "16:00"), endsAt: at(edition.startDate, "17:00"), seen });
    const result = scheduleSession(db, edition, second, { id: 2, email: "other@example.org" });
    expect(result).toMatchObject({ ok: false, error: "conflict" });
    if (result.ok || result.error !== "conflict") throw new Error("expected a conflict");
    expect(result.conflict.current).toEqual({
      startsAt: first.startsAt,
      endsAt: first.endsAt,
      roomId: first.roomId,
      version: target.version + 1,
    });
    expect(result.conflict.changed).toEqual(expect.arrayContaining(["startsAt", "endsAt"]));
    expect(snapshot()).toEqual(before);
  });
});

describe("updateSessionDetails", () => {
  it.each([
    ["title_required", () => ({ titleEn: "  ", titleFr: "" })],
    ["too_long:title", () => ({ titleEn: "x".repeat(301) })],
    ["too_long:title", () => ({ titleFr: "x".repeat(301) })],
    ["too_long:abstract", () => ({ abstractEn: "x".repeat(5_001) })],
    ["too_long:abstract", () => ({ abstractFr: "x".repeat(5_001) })],
    ["too_long:description", () => ({ descriptionFr: "x".repeat(50_001) })],
    ["unknown_language", () => ({ language: "de" as never })],
    ["unknown_audience", () => ({ audience: "vip" as never })],
    ["unknown_tlp", () => ({ tlp: "PURPLE" as never })],
    ["unknown_format", () => ({ formatId: 999_999 })],
    ["unknown_track", () => ({ trackId: 999_999 })],
    ["unknown_speaker", () => ({ speakerIds: [999_999] })],
    ["duplicate_speaker", () => ({ speakerIds: [1, 1] })],
    ["invalid_expected_audience", () => ({ expectedAudience: 0 })],
    ["invalid_expected_audience", () => ({ expectedAudience: 2.5 })],
    ["not_found", () => ({ slug: "no-such-session" })],
  ])("refuses %s and changes nothing", (code, over) => {
    const before = snapshot();
    expect(updateSessionDetails(db, edition, detailsInput(over()), actor)).toEqual({ ok: false, error: code });
    expect(snapshot()).toEqual(before);
  });

  it("saves fields and speakers in order, bumps the version, audits and invalidates caches", () => {
    const before = counter();
    const ids = db
      .select({ id: speakers.id })
      .from(speakers)
      .orderBy(asc(speakers.id))
      .limit(3)
      .all()
      .map((r) => r.id)
      .reverse();
    const result = updateSessionDetails(db, edition, detailsInput({ titleFr: "Nouveau titre", tlp: "AMBER", speakerIds: ids }), actor);
    expect(result).toEqual({ ok: true, version: target.version + 1 });
    const row = db.select().from(sessions).where(eq(sessions.id, target.id)).get()!;
    expect([row.titleEn, row.titleFr, row.tlp, row.version]).toEqual([target.titleEn, "Nouveau titre", "AMBER", target.version + 1]);
    expect(detailsInput().speakerIds).toEqual(ids);
    expect(counter()).toBeGreaterThan(before);
    const [entry] = audits();
    expect(entry).toMatchObject({ action: "programme.details", subjectId: target.slug });
    expect(entry.after).toMatchObject({ titleFr: "Nouveau titre", speakerIds: ids });
    expect(entry.before).toMatchObject({ titleEn: target.titleEn, titleFr: target.titleFr });
  });

  it("returns a conflict with the current values when the version is stale", () => {
    const seen = { titleEn: target.titleEn, titleFr: target.titleFr, tlp: target.tlp };
    expect(updateSessionDetails(db, edition, detailsInput({ titleFr: "Premier enregistrement" }), actor)).toMatchObject({ ok: true });
    const before = snapshot();
    const result = updateSessionDetails(db, edition, detailsInput({ titleEn: "Second save", seen }), actor);
    if (result.ok || result.error !== "conflict") throw new Error("expected a conflict");
    expect(result.conflict.current).toMatchObject({ titleFr: "Premier enregistrement", version: target.version + 1 });
    expect(result.conflict.changed).toEqual(["titleFr"]);
    expect(snapshot()).toEqual(before);
  });
});

describe("createSession", () => {
  const fields = () => {
    const { slug: _slug, version: _version, ...rest } = detailsInput();
    return rest;
  };

  it("adds a confirmed, published, unscheduled session with its speakers in order and a unique slug", () => {
    const ids = db
      .select({ id: speakers.id })
      .from(speakers)
      .orderBy(asc(speakers.id))
      .limit(2)
      .all()
      .map((r) => r.id)
      .reverse();
    const first = createSession(
      db,
      edition,
      { ...fields(), titleEn: "Café & Sécurité: the 2013 view", speakerIds: ids, expectedAudience: 80 },
      actor,
    );
    const second = createSession(db, edition, { ...fields(), titleEn: "Café & Sécurité: the 2013 view" }, actor);
    expect(first).toEqual({ ok: true, slug: "cafe-securite-the-2013-view" });
    expect(second).toEqual({ ok: true, slug: "cafe-securite-the-2013-view-2" });
    const row = db.select().from(sessions).where(eq(sessions.slug, "cafe-securite-the-2013-view")).get()!;
    expect(row).toMatchObject({
      state: "confirmed",
      published: true,
      startsAt: null,
      endsAt: null,
      roomId: null,
      expectedAudience: 80,
      version: 1,
    });
    const linked = db
      .select()
      .from(sessionSpeakers)
      .where(eq(sessionSpeakers.sessionId, row.id))
      .orderBy(asc(sessionSpeakers.position))
      .all();
    expect(linked.map((l) => l.speakerId)).toEqual(ids);
    expect(
      audits()
        .filter((a) => a.action === "programme.create")
        .map((a) => a.subjectId),
    ).toEqual(["cafe-securite-the-2013-view", "cafe-securite-the-2013-view-2"]);
  });

  it("takes a session given in French only, or in both languages, and keeps each text in its own language", () => {
    const french = createSession(
      db,
      edition,
      {
        ...fields(),
        titleEn: "",
        titleFr: "Sécurité numérique des collectivités",
        abstractEn: "",
        abstractFr: "Résumé : court ; vraiment ?",
      },
      actor,
    );
    expect(french).toEqual({ ok: true, slug: "securite-numerique-des-collectivites" });
    expect(db.select().from(sessions).where(eq(sessions.slug, "securite-numerique-des-collectivites")).get()).toMatchObject({
      titleEn: "",
      titleFr: "Sécurité numérique des collectivités",
      abstractEn: "",
      // Typed with ordinary spaces, saved with the French no-break spaces.
      abstractFr: "Résumé\u00a0: court\u202f; vraiment\u202f?",
    });
    // With both, the slug is made of the English title.
    const both = createSession(
      db,
      edition,
      { ...fields(), titleEn: "Local authorities online", titleFr: "Les collectivités en ligne" },
      actor,
    );
    expect(both).toEqual({ ok: true, slug: "local-authorities-online" });
  });

  it("refuses invalid fields and unknown references, adding nothing", () => {
    const before = snapshot();
    expect(createSession(db, edition, { ...fields(), titleEn: "", titleFr: "" }, actor)).toEqual({ ok: false, error: "title_required" });
    expect(createSession(db, edition, { ...fields(), formatId: 999_999 }, actor)).toEqual({ ok: false, error: "unknown_format" });
    expect(createSession(db, edition, { ...fields(), speakerIds: [999_999] }, actor)).toEqual({ ok: false, error: "unknown_speaker" });
    expect(snapshot()).toEqual(before);
  });
});

describe("setSessionState", () => {
  it("cancels a confirmed session and restores it, refusing other moves and stale versions", () => {
    const cancelled = setSessionState(db, { slug: target.slug, version: target.version, state: "cancelled" }, actor);
    expect(cancelled).toEqual({ ok: true, version: target.version + 1 });
    expect(setSessionState(db, { slug: target.slug, version: target.version + 1, state: "cancelled" }, actor)).toEqual({
      ok: false,
      error: "not_allowed",
    });
    const before = snapshot();
    const stale = setSessionState(db, { slug: target.slug, version: target.version, state: "confirmed" }, actor);
    expect(stale).toMatchObject({
      ok: false,
      error: "conflict",
      conflict: { current: { state: "cancelled", version: target.version + 1 } },
    });
    expect(snapshot()).toEqual(before);
    expect(setSessionState(db, { slug: target.slug, version: target.version + 1, state: "confirmed" }, actor)).toEqual({
      ok: true,
      version: target.version + 2,
    });
    expect(setSessionState(db, { slug: "nope", version: 1, state: "confirmed" }, actor)).toEqual({ ok: false, error: "not_found" });
    expect(
      audits()
        .filter((a) => a.action === "programme.state")
        .map((a) => a.after),
    ).toEqual([{ state: "cancelled" }, { state: "confirmed" }]);
  });
});

describe("slugs", () => {
  it("transliterates names from every script into readable words", () => {
    expect(slugify("Анна Петрова", "speaker")).toBe("anna-petrova");
    expect(slugify("Γιώργος Παπαδόπουλος", "speaker")).toBe("giorgos-papadopoylos");
    expect(slugify("Олександр Шевченко", "speaker")).toBe("oleksandr-shevchenko");
    expect(slugify("محمد العلي", "speaker")).toMatch(/^mhmd-[a-z]+$/);
    expect(slugify("王小明", "speaker")).toBe("wang-xiao-ming");
    expect(slugify("김민준", "speaker")).toBe("gimminjun");
    expect(slugify("Nguyễn Văn Đức", "speaker")).toBe("nguyen-van-duc");
    expect(slugify("Bjørn Ólafur Þórsson", "speaker")).toBe("bjorn-olafur-thorsson");
    expect(slugify("🙂🙂", "speaker")).toBe("speaker");
  });

  it("makes lower-case ASCII words of any title and numbers repeats", () => {
    expect(slugify("  Ünïcode — Crime & IA (2013)! ")).toBe("unicode-crime-ia-2013");
    expect(slugify("!!!")).toBe("item");
    expect(slugify("Œuvres, æther & Straße", "session")).toBe("oeuvres-aether-strasse");
    expect(slugify("", "session")).toBe("session");
    expect(slugify("x".repeat(80))).toHaveLength(60);
    const taken = new Set(["talk", "talk-2"]);
    expect(uniqueSlug("talk", (s) => taken.has(s))).toBe("talk-3");
    expect(uniqueSlug("other", (s) => taken.has(s))).toBe("other");
  });
});
