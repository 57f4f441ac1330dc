import { asc, eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../db/client.ts";
import { auditLog, formats, proposalSpeakers, rooms, sessions, sessionSpeakers, speakers, tracks } from "../../../db/schema/index.ts";
import { proposal as makeProposal } from "../../../tests/fixtures/cfp.ts";
import { seedIfEmpty } from "../demo/seed.ts";
import { loadEdition, type Edition } from "../config/edition.ts";
import {
  availabilityRows,
  contrastWithWhite,
  createEntry,
  deleteEntry,
  formatSchema,
  httpUrl,
  listFormats,
  listRooms,
  listSpeakers,
  listTracks,
  moveEntry,
  roomSchema,
  speakerSchema,
  trackSchema,
  updateEntry,
  type SpeakerFields,
} from "./catalogue.ts";
import { zonedToInstant } from "./time.ts";

const actor = { id: 1, email: "organizer@example.org" };
let db: Db;
let edition: Edition;

const counter = () => db.$client.prepare("select value from change_counters where name = 'programme'").pluck().get() as number;
const audits = () => db.select().from(auditLog).orderBy(asc(auditLog.id)).all();
const roomOrder = () =>
  db
    .select({ slug: rooms.slug })
    .from(rooms)
    .orderBy(asc(rooms.position), asc(rooms.id))
    .all()
    .map((r) => r.slug);
/** Issues of a failed parse as `field: message`. */
const issues = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  result.success ? [] : result.error!.issues.map((i) => `${String(i.path[0])}: ${i.message}`);

const speakerForm = (over: Record<string, unknown> = {}) => ({
  name: "Ada Example",
  affiliation: "Example Lab",
  country: "fr",
  bioEn: "Works on **things**.",
  bioFr: "  Travaille sur *des choses*.  ",
  email: "Ada@Example.org",
  language: "fr",
  linkLabel: ["Site", ""],
  linkUrl: ["https://example.org/ada", ""],
  availabilityDay: [edition.startDate, edition.startDate],
  availabilityFrom: ["09:00", ""],
  availabilityTo: ["12:30", ""],
  ...over,
});

beforeEach(() => {
  db = openDatabase(":memory:");
  seedIfEmpty(db);
  edition = loadEdition();
});

describe("form schemas", () => {
  it("rooms: a name, a capacity of at least 1", () => {
    expect(roomSchema.parse({ name: "  Hall  ", capacity: "12", description: null })).toEqual({
      name: "Hall",
      capacity: 12,
      description: "",
    });
    expect(issues(roomSchema.safeParse({ name: "", capacity: "0", description: "" }))).toEqual([
      "name: required",
      "capacity: catalogue:capacity",
    ]);
    expect(issues(roomSchema.safeParse({ name: "x", capacity: "1.5", description: "" }))).toEqual(["capacity: catalogue:capacity"]);
    expect(issues(roomSchema.safeParse({ name: "x", capacity: null, description: "" }))).toEqual(["capacity: catalogue:capacity"]);
    expect(issues(roomSchema.safeParse({ name: "x".repeat(121), capacity: "5", description: "" }))).toEqual(["name: tooLong:120"]);
  });

  it("tracks: a colour #rrggbb dark enough against white", () => {
    expect(trackSchema.parse({ nameEn: "A", nameFr: "B", colour: "#1F5FA8" }).colour).toBe("#1f5fa8");
    expect(issues(trackSchema.safeParse({ nameEn: "A", nameFr: "", colour: "blue" }))).toEqual([
      "nameFr: required",
      "colour: catalogue:colourFormat",
    ]);
    expect(issues(trackSchema.safeParse({ nameEn: "A", nameFr: "B", colour: "#ffee00" }))).toEqual(["colour: catalogue:colourContrast"]);
    expect(contrastWithWhite("#ffffff")).toBeCloseTo(1);
    expect(contrastWithWhite("#000000")).toBeCloseTo(21);
    expect(contrastWithWhite("#767676")).toBeGreaterThan(4.5);
  });

  it("formats: a default duration of 5 to 600 minutes, in steps of 5", () => {
    expect(formatSchema.parse({ nameEn: "Talk", nameFr: "Conférence", defaultDuration: "45" }).defaultDuration).toBe(45);
    for (const bad of ["0", "3", "42", "605", "abc", null]) {
      expect(issues(formatSchema.safeParse({ nameEn: "T", nameFr: "T", defaultDuration: bad })), String(bad)).toEqual([
        "defaultDuration: catalogue:duration",
      ]);
    }
  });

  it("speakers: rows of links and availability become lists; e-mail and country normalised", () => {
    const parsed = speakerSchema(edition).parse(speakerForm());
    expect(parsed).toEqual({
      name: "Ada Example",
      affiliation: "Example Lab",
      country: "FR",
      bioEn: "Works on **things**.",
      bioFr: "Travaille sur *des choses*.",
      email: "ada@example.org",
      language: "fr",
      links: [{ label: "Site", url: "https://example.org/ada" }],
      availability: [
        {
          from: zonedToInstant(edition.startDate, "09:00", edition.timezone).toISOString(),
          to: zonedToInstant(edition.startDate, "12:30", edition.timezone).toISOString(),
        },
      ],
    });
    expect(availabilityRows(parsed.availability, edition.timezone)).toEqual([{ day: edition.startDate, from: "09:00", to: "12:30" }]);
    const empty = speakerSchema(edition).parse({ name: "B", email: null, country: null, language: null });
    expect(empty).toMatchObject({ email: null, country: "", language: "en", links: [], availability: [] });
  });

  it.each([
    [{ country: "XX" }, "country: unknownCountry"],
    [{ email: "not-an-address" }, "email: invalidEmail"],
    [{ language: "de" }, "language: invalidLanguage"],
    [{ linkUrl: ["javascript:alert(1)", ""] }, "links: catalogue:linkUrl"],
    [{ linkUrl: ["ftp://example.org", ""] }, "links: catalogue:linkUrl"],
    [{ linkUrl: ["/relative", ""] }, "links: catalogue:linkUrl"],
    [{ linkLabel: ["", ""] }, "links: catalogue:linkLabelRequired"],
    [{ linkUrl: ["", ""] }, "links: catalogue:linkUrlRequired"],
    [{ availabilityTo: ["08:00", ""] }, "availability: catalogue:availabilityOrder"],
    [{ availabilityTo: ["", ""] }, "availability: catalogue:availabilityIncomplete"],
    [{ availabilityDay: ["2001-01-01", ""] }, "availability: catalogue:availabilityDay"],
    [{ availabilityFrom: ["9h", ""] }, "availability: catalogue:availabilityTime"],
  ])("speakers: refuses %j", (over, issue) => {
    expect(issues(speakerSchema(edition).safeParse(speakerForm(over)))).toEqual([issue]);
  });

  it("speakers: every error shows at once, the rows' ones too", () => {
    expect(
      issues(speakerSchema(edition).safeParse(speakerForm({ name: "", linkUrl: ["javascript:x", ""], availabilityTo: ["08:00", ""] }))),
    ).toEqual(["name: required", "links: catalogue:linkUrl", "availability: catalogue:availabilityOrder"]);
  });

  it("httpUrl keeps http(s) only", () => {
    expect(httpUrl("https://example.org")).toBe("https://example.org/");
    expect(httpUrl("HTTP://example.org/a?b=c")).toBe("http://example.org/a?b=c");
    for (const bad of ["javascript:alert(1)", "data:text/html,x", "//example.org", "https://", "mailto:a@b.c"])
      expect(httpUrl(bad)).toBeNull();
  });
});

describe("rooms", () => {
  it("creates a room at the end of the order with a unique slug, audited", () => {
    const before = counter();
    const first = createEntry(db, "room", { name: "Salle Rhône", capacity: 30, description: "" }, actor);
    expect(first).toEqual({ ok: true, slug: "salle-rhone-2" });
    expect(roomOrder().at(-1)).toBe("salle-rhone-2");
    expect(counter()).toBeGreaterThan(before);
    expect(audits().at(-1)).toMatchObject({
      action: "room.create",
      subjectType: "room",
      subjectId: "salle-rhone-2",
      actorEmail: actor.email,
    });
  });

  it("keeps the slug when the name changes", () => {
    const room = db.select().from(rooms).where(eq(rooms.slug, "salle-saone")).get()!;
    const result = updateEntry(
      db,
      "room",
      room.slug,
      room.updatedAt.getTime(),
      { name: "Grande salle", capacity: 150, description: "" },
      actor,
    );
    expect(result).toMatchObject({ ok: true, slug: "salle-saone" });
    expect(db.select().from(rooms).where(eq(rooms.id, room.id)).get()).toMatchObject({
      slug: "salle-saone",
      name: "Grande salle",
      capacity: 150,
    });
    expect(audits().at(-1)).toMatchObject({
      action: "room.update",
      before: { name: room.name, capacity: room.capacity, description: room.description },
      after: { name: "Grande salle", capacity: 150, description: "" },
    });
  });

  it("refuses a save based on an old version, and writes nothing", () => {
    const room = db.select().from(rooms).where(eq(rooms.slug, "salle-saone")).get()!;
    const seen = room.updatedAt.getTime();
    expect(updateEntry(db, "room", room.slug, seen, { name: "First", capacity: 10, description: "" }, actor, seen + 10).ok).toBe(true);
    const auditCount = audits().length;
    const second = updateEntry(db, "room", room.slug, seen, { name: "Second", capacity: 10, description: "" }, actor, seen + 20);
    expect(second).toMatchObject({ ok: false, error: "conflict", current: { name: "First" }, changed: ["name"] });
    expect(db.select().from(rooms).where(eq(rooms.id, room.id)).get()!.name).toBe("First");
    expect(audits().length).toBe(auditCount);
  });

  it("moves up and down, to a position, and stops at the ends", () => {
    const start = roomOrder();
    expect(moveEntry(db, "room", start[1], "up", actor)).toEqual({ ok: true, position: 1 });
    expect(roomOrder()).toEqual([start[1], start[0], ...start.slice(2)]);
    expect(moveEntry(db, "room", start[1], "up", actor)).toEqual({ ok: true, position: 1 });
    expect(moveEntry(db, "room", start[1], 99, actor)).toEqual({ ok: true, position: start.length });
    expect(roomOrder()).toEqual([start[0], ...start.slice(2), start[1]]);
    expect(moveEntry(db, "room", "nowhere", "down", actor)).toEqual({ ok: false, error: "not_found" });
    expect(audits().filter((a) => a.action === "room.move").length).toBe(2);
  });

  it("refuses to delete a room that sessions use; deletes an unused one", () => {
    const used = db
      .select()
      .from(sessions)
      .where(eq(sessions.state, "confirmed"))
      .all()
      .find((s) => s.roomId !== null)!;
    const room = db.select().from(rooms).where(eq(rooms.id, used.roomId!)).get()!;
    const result = deleteEntry(db, "room", room.slug, actor);
    expect(result).toMatchObject({ ok: false, error: "in_use" });
    expect(result.ok === false && result.error === "in_use" && result.uses).toBeGreaterThan(0);
    expect(db.select().from(rooms).where(eq(rooms.id, room.id)).get()).toBeDefined();

    const { slug } = createEntry(db, "room", { name: "Spare", capacity: 5, description: "" }, actor);
    expect(deleteEntry(db, "room", slug, actor)).toEqual({ ok: true });
    expect(db.select().from(rooms).where(eq(rooms.slug, slug)).get()).toBeUndefined();
    expect(audits().at(-1)).toMatchObject({ action: "room.delete", subjectId: slug });
    expect(deleteEntry(db, "room", slug, actor)).toEqual({ ok: false, error: "not_found" });
  });
});

describe("lists", () => {
  it("count, for each room, track and format, the sessions (and proposals) that use it: not the same number for all", () => {
    const countOf = (query: string) =>
      new Map((db.$client.prepare(query).all() as { id: number; n: number }[]).map(({ id, n }) => [id, n]));
    const perRoom = countOf("select room_id as id, count(*) as n from sessions where room_id is not null group by room_id");
    expect(listRooms(db).map(({ room, uses }) => [room.slug, uses])).toEqual(
      listRooms(db).map(({ room }) => [room.slug, perRoom.get(room.id) ?? 0]),
    );
    expect(new Set(listRooms(db).map((r) => r.uses)).size).toBeGreaterThan(1);
    const perTrack = countOf(
      "select id, (select count(*) from sessions s where s.track_id = t.id) + (select count(*) from proposals p where p.track_id = t.id) as n from tracks t",
    );
    expect(listTracks(db).map(({ track, uses }) => [track.slug, uses])).toEqual(
      listTracks(db).map(({ track }) => [track.slug, perTrack.get(track.id)]),
    );
    const perFormat = countOf("select format_id as id, count(*) as n from sessions group by format_id");
    expect(listFormats(db).map(({ format, uses }) => [format.slug, uses])).toEqual(
      listFormats(db).map(({ format }) => [format.slug, perFormat.get(format.id) ?? 0]),
    );
    expect(new Set(listFormats(db).map((f) => f.uses)).size).toBeGreaterThan(1);
  });
});

describe("tracks and formats", () => {
  it("a track used by sessions cannot be deleted; a new one can", () => {
    const used = db
      .select()
      .from(sessions)
      .all()
      .find((s) => s.trackId !== null)!;
    const track = db.select().from(tracks).where(eq(tracks.id, used.trackId!)).get()!;
    expect(deleteEntry(db, "track", track.slug, actor)).toMatchObject({ ok: false, error: "in_use" });
    const { slug } = createEntry(db, "track", { nameEn: "Ethics", nameFr: "Éthique", colour: "#1f5fa8" }, actor);
    expect(slug).toBe("ethics");
    expect(deleteEntry(db, "track", slug, actor)).toEqual({ ok: true });
  });

  it("a format used by sessions cannot be deleted; an update is audited", () => {
    const format = db.select().from(formats).where(eq(formats.slug, "talk")).get()!;
    expect(deleteEntry(db, "format", "talk", actor)).toMatchObject({ ok: false, error: "in_use" });
    const result = updateEntry(
      db,
      "format",
      "talk",
      format.updatedAt.getTime(),
      { nameEn: "Talk", nameFr: "Exposé", defaultDuration: 25 },
      actor,
    );
    expect(result.ok).toBe(true);
    expect(audits().at(-1)).toMatchObject({
      action: "format.update",
      before: { nameFr: format.nameFr, defaultDuration: 30 },
      after: { nameFr: "Exposé", defaultDuration: 25 },
    });
  });
});

describe("speakers", () => {
  const fields = (): SpeakerFields => speakerSchema(edition).parse(speakerForm());

  it("gives names in any script a readable slug, which a rename never changes", () => {
    const named = (name: string) => ({ ...fields(), name, email: "" });
    expect(createEntry(db, "speaker", named("Анна Петрова"), actor)).toEqual({ ok: true, slug: "anna-petrova" });
    expect(createEntry(db, "speaker", named("Анна Петрова"), actor)).toEqual({ ok: true, slug: "anna-petrova-2" });
    expect(createEntry(db, "speaker", named("Γιώργος Παπαδόπουλος"), actor)).toEqual({ ok: true, slug: "giorgos-papadopoylos" });
    expect(createEntry(db, "speaker", named("王小明"), actor)).toEqual({ ok: true, slug: "wang-xiao-ming" });
    expect(createEntry(db, "speaker", named("🙂"), actor)).toEqual({ ok: true, slug: "speaker" });
    const anna = db.select().from(speakers).where(eq(speakers.slug, "anna-petrova")).get()!;
    const renamed = updateEntry(db, "speaker", "anna-petrova", anna.updatedAt.getTime(), named("Anna Petrova-Smirnova"), actor);
    expect(renamed).toMatchObject({ ok: true, slug: "anna-petrova" });
    expect(db.select().from(speakers).where(eq(speakers.id, anna.id)).get()).toMatchObject({
      slug: "anna-petrova",
      name: "Anna Petrova-Smirnova",
    });
  });

  it("creates and updates a speaker; the audit masks the e-mail", () => {
    const { slug } = createEntry(db, "speaker", fields(), actor);
    expect(slug).toBe("ada-example");
    const row = db.select().from(speakers).where(eq(speakers.slug, slug)).get()!;
    expect(row).toMatchObject({
      name: "Ada Example",
      email: "ada@example.org",
      language: "fr",
      links: [{ label: "Site", url: "https://example.org/ada" }],
    });
    expect(row.availability).toHaveLength(1);
    expect(JSON.stringify(audits().at(-1))).not.toContain("ada@example.org");

    const renamed = updateEntry(
      db,
      "speaker",
      slug,
      row.updatedAt.getTime(),
      { ...fields(), name: "Ada Lovelace-Example", email: "new@example.org" },
      actor,
    );
    expect(renamed).toMatchObject({ ok: true, slug: "ada-example" });
    const audit = audits().at(-1)!;
    expect(audit).toMatchObject({
      action: "speaker.update",
      before: { name: "Ada Example", email: "(private)" },
      after: { name: "Ada Lovelace-Example", email: "(private)" },
    });
    expect(JSON.stringify(audit)).not.toContain("new@example.org");
  });

  it("a second organizer's save of the same speaker is refused and told what is there now", () => {
    const { slug } = createEntry(db, "speaker", fields(), actor, 1_000);
    const seen = db.select().from(speakers).where(eq(speakers.slug, slug)).get()!.updatedAt.getTime();
    const first = updateEntry(db, "speaker", slug, seen, { ...fields(), affiliation: "First Org" }, actor, 1_000);
    expect(first.ok).toBe(true);
    // Same millisecond as the row's own time: the version still moves on.
    expect(first.ok && first.updatedAt).toBe(1_001);
    const second = updateEntry(
      db,
      "speaker",
      slug,
      seen,
      { ...fields(), bioFr: "Deuxième biographie" },
      { id: 2, email: "other@example.org" },
      1_002,
    );
    expect(second).toMatchObject({ ok: false, error: "conflict", current: { affiliation: "First Org" } });
    expect(second.ok === false && second.error === "conflict" && second.changed).toEqual(["affiliation", "bioFr"]);
    expect(db.select().from(speakers).where(eq(speakers.slug, slug)).get()).toMatchObject({
      affiliation: "First Org",
      bioEn: "Works on **things**.",
      bioFr: "Travaille sur *des choses*.",
    });
  });

  it("a speaker with sessions is deleted only when taken off them, which bumps those sessions' versions", () => {
    const link = db.select().from(sessionSpeakers).get()!;
    const speaker = db.select().from(speakers).where(eq(speakers.id, link.speakerId)).get()!;
    const session = db.select().from(sessions).where(eq(sessions.id, link.sessionId)).get()!;
    const refused = deleteEntry(db, "speaker", speaker.slug, actor);
    expect(refused).toMatchObject({ ok: false, error: "in_use" });
    expect(refused.ok === false && refused.error === "in_use" && refused.sessions).toContain(session.titleEn || session.titleFr);
    expect(db.select().from(speakers).where(eq(speakers.id, speaker.id)).get()).toBeDefined();

    expect(deleteEntry(db, "speaker", speaker.slug, actor, { detachFromSessions: true })).toEqual({ ok: true });
    expect(db.select().from(speakers).where(eq(speakers.id, speaker.id)).get()).toBeUndefined();
    expect(db.select().from(sessionSpeakers).where(eq(sessionSpeakers.speakerId, speaker.id)).all()).toEqual([]);
    expect(db.select().from(sessions).where(eq(sessions.id, session.id)).get()!.version).toBe(session.version + 1);
    expect(audits().at(-1)).toMatchObject({
      action: "speaker.delete",
      subjectId: speaker.slug,
      after: { removedFromSessions: expect.arrayContaining([session.titleEn || session.titleFr]) },
    });
  });

  it("never deletes a speaker on a proposal of the call for papers, even when asked to take them off sessions", () => {
    const speaker = db.select().from(speakers).get()!;
    const proposal = makeProposal(db, [speaker.id]);
    const before = db.select().from(proposalSpeakers).all();
    expect(deleteEntry(db, "speaker", speaker.slug, actor, { detachFromSessions: true })).toEqual({
      ok: false,
      error: "has_proposals",
      proposals: 1,
    });
    expect(db.select().from(speakers).where(eq(speakers.id, speaker.id)).get()).toBeDefined();
    expect(db.select().from(proposalSpeakers).all()).toEqual(before);
    expect(before.map((r) => r.proposalId)).toContain(proposal.id);
  });

  it("searches without regard to accents or case", () => {
    createEntry(
      db,
      "speaker",
      { ...fields(), name: "Élodie Dupré", affiliation: "Université de Lyon", email: "elodie@example.org" },
      actor,
    );
    const names = (q: string) => listSpeakers(db, q).map((r) => r.speaker.name);
    expect(names("elodie")).toEqual(["Élodie Dupré"]);
    expect(names("DUPRE")).toEqual(["Élodie Dupré"]);
    expect(names("universite de")).toContain("Élodie Dupré");
    expect(names("%")).toEqual([]);
    expect(listSpeakers(db, "").length).toBe(db.select().from(speakers).all().length);
  });
});
