import { describe, expect, it } from "vitest";
import { format, programme, room, session, speaker } from "../../../tests/fixtures/programme.ts";
import { scheduleWarnings } from "./conflicts.ts";

const hall = room({ id: 1, slug: "hall", capacity: 300 });
const salon = room({ id: 2, slug: "salon", capacity: 40 });
const at = (hhmm: string) => new Date(`2013-07-02T${hhmm}:00+02:00`);
const ada = speaker({ id: 1, name: "Ada" });
const bob = speaker({ id: 2, name: "Bob" });

describe("schedule warnings", () => {
  it("finds two sessions in one room at once, not back-to-back ones", () => {
    const a = session({ slug: "a", room: hall, startsAt: at("09:00"), endsAt: at("10:00"), speakerIds: [1] });
    const b = session({ slug: "b", room: hall, startsAt: at("09:30"), endsAt: at("10:30"), speakerIds: [2] });
    const c = session({ slug: "c", room: hall, startsAt: at("10:30"), endsAt: at("11:00"), speakerIds: [2] });
    const d = session({ slug: "d", room: salon, startsAt: at("09:00"), endsAt: at("10:00"), speakerIds: [2] });
    const warnings = scheduleWarnings(programme([a, b, c, d], [ada, bob]));
    expect(warnings.filter((w) => w.kind === "room_overlap")).toEqual([{ kind: "room_overlap", sessions: ["a", "b"], room: "hall" }]);
  });

  it("finds a speaker in two places at once, and too short a walk between rooms", () => {
    const a = session({ slug: "a", room: hall, startsAt: at("09:00"), endsAt: at("10:00"), speakerIds: [1] });
    const b = session({ slug: "b", room: salon, startsAt: at("09:45"), endsAt: at("10:15"), speakerIds: [1, 2] });
    const c = session({ slug: "c", room: hall, startsAt: at("10:20"), endsAt: at("10:50"), speakerIds: [2] });
    const d = session({ slug: "d", room: salon, startsAt: at("11:00"), endsAt: at("11:30"), speakerIds: [2] });
    expect(
      scheduleWarnings(programme([a, b, c, d], [ada, bob]), { speakerGapMinutes: 10 }).filter((w) => w.kind.startsWith("speaker")),
    ).toEqual([
      { kind: "speaker_overlap", sessions: ["a", "b"], speaker: "Ada" },
      { kind: "speaker_gap", sessions: ["b", "c"], speaker: "Bob", minutes: 5 },
    ]);
  });

  it("treats a session without a room as spanning every room, except breaks among themselves", () => {
    const plenary = session({
      slug: "plenary",
      room: null,
      format: format({ slug: "keynote" }),
      startsAt: at("09:00"),
      endsAt: at("10:00"),
    });
    const talk = session({ slug: "talk", room: salon, startsAt: at("09:30"), endsAt: at("10:00"), speakerIds: [2] });
    const lunch = session({
      slug: "lunch",
      room: null,
      format: format({ slug: "break" }),
      speakerIds: [],
      startsAt: at("12:00"),
      endsAt: at("13:00"),
    });
    const coffee = session({
      slug: "coffee",
      room: null,
      format: format({ slug: "break" }),
      speakerIds: [],
      startsAt: at("12:30"),
      endsAt: at("12:45"),
    });
    const warnings = scheduleWarnings(programme([plenary, talk, lunch, coffee], [ada, bob]));
    expect(warnings).toEqual([{ kind: "room_overlap", sessions: ["plenary", "talk"], room: "salon" }]);
  });

  it("lists sessions without speaker, room or time, and rooms smaller than the expected audience", () => {
    const lonely = session({ slug: "lonely", speakerIds: [], room: salon });
    const floating = session({ slug: "floating", room: null, startsAt: at("15:00"), endsAt: at("15:30") });
    const unplaced = session({ slug: "unplaced", startsAt: null, endsAt: null, room: null });
    const crowded = session({ slug: "crowded", room: salon, startsAt: at("16:00"), endsAt: at("16:30") });
    const withdrawn = session({ slug: "withdrawn", state: "withdrawn", speakerIds: [], startsAt: null, endsAt: null });
    const warnings = scheduleWarnings(programme([lonely, floating, unplaced, crowded, withdrawn], [ada]), {
      expectedAudience: new Map([["crowded", 120]]),
    });
    expect(warnings).toEqual(
      expect.arrayContaining([
        { kind: "no_speaker", session: "lonely" },
        { kind: "no_room", session: "floating" },
        { kind: "unscheduled", session: "unplaced" },
        { kind: "room_too_small", session: "crowded", room: "salon", capacity: 40, expected: 120 },
      ]),
    );
    expect(warnings.some((w) => "session" in w && w.session === "withdrawn")).toBe(false);
  });

  it("warns when a session lies outside its speaker's availability, and uses the session's expected audience", () => {
    const busy = speaker({ id: 3, name: "Cy", availability: [{ from: at("09:00").toISOString(), to: at("12:00").toISOString() }] });
    const inside = session({ slug: "inside", speakerIds: [3], room: hall, startsAt: at("11:00"), endsAt: at("12:00") });
    const across = session({
      slug: "across",
      speakerIds: [3],
      room: hall,
      startsAt: at("11:30"),
      endsAt: at("12:30"),
      expectedAudience: 300,
    });
    const packed = session({
      slug: "packed",
      speakerIds: [1],
      room: salon,
      startsAt: at("14:00"),
      endsAt: at("14:30"),
      expectedAudience: 41,
    });
    const warnings = scheduleWarnings(programme([inside, across, packed], [ada, busy]));
    expect(warnings.filter((w) => w.kind === "speaker_unavailable" || w.kind === "room_too_small")).toEqual([
      { kind: "speaker_unavailable", session: "across", speaker: "Cy" },
      { kind: "room_too_small", session: "packed", room: "salon", capacity: 40, expected: 41 },
    ]);
  });

  it("finds nothing to say about the demo edition's rooms overlapping", async () => {
    const { openDatabase } = await import("../../../db/client.ts");
    const { seedIfEmpty } = await import("../demo/seed.ts");
    const { loadProgramme } = await import("./queries.ts");
    const db = openDatabase(":memory:");
    seedIfEmpty(db);
    const warnings = scheduleWarnings(loadProgramme(db));
    expect(warnings.filter((w) => w.kind === "room_overlap" || w.kind === "speaker_overlap")).toEqual([]);
    db.$client.close();
  });
});
