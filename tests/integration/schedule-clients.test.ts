// The schedule as the apps attendees use read it: the real ConfClerk (Debian's Qt frab reader)
// imports /schedule.xml from the built server, and what its own parser stored must be the programme
// of /schedule.json: every event, its time, room and track, and every speaker (ConfClerk keys persons
// on their integer id: without one it keeps none). Skipped, with the install command, when ConfClerk
// is missing; CI installs it and fails instead.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { confclerkMissing, importIntoConfClerk, type ConfClerkImport } from "../helpers/confclerk.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

interface JsonEvent {
  id: number;
  date: string;
  duration: string;
  room: string;
  title: string;
  track: string | null;
  type: string;
  language: string;
  abstract: string;
  persons: { id: number; public_name: string }[];
}

if (confclerkMissing && process.env.CI) throw new Error(`${confclerkMissing}: .ci/run installs it`);

/** ConfClerk's "timezone-less timestamp": the wall-clock time of `iso` (with its offset) read as if it were UTC. */
const wallClockSeconds = (iso: string) => Date.parse(`${iso.slice(0, 19)}Z`) / 1000;
const seconds = (hhmm: string) => Number(hhmm.slice(0, 2)) * 3600 + Number(hhmm.slice(3, 5)) * 60;

describe.skipIf(!!confclerkMissing)(`ConfClerk imports /schedule.xml${confclerkMissing ? ` (skipped: ${confclerkMissing})` : ""}`, () => {
  let server: TestServer;
  let events: JsonEvent[];
  let imported: ConfClerkImport;

  beforeAll(async () => {
    server = await startServer();
    const schedule = await (await fetch(`${server.url}/schedule.json`)).json();
    events = schedule.schedule.conference.days.flatMap((d: { rooms: Record<string, JsonEvent[]> }) => Object.values(d.rooms).flat());
    imported = await importIntoConfClerk(`${server.url}/schedule.xml`);
  }, 150_000);
  afterAll(() => server?.stop());

  it("takes the conference with its dates and zone", async () => {
    const schedule = await (await fetch(`${server.url}/schedule.json`)).json();
    const conference = schedule.schedule.conference;
    expect(imported.conference).toMatchObject({
      title: conference.title,
      start: Date.parse(`${conference.start}T00:00:00Z`) / 1000,
      end: Date.parse(`${conference.end}T00:00:00Z`) / 1000,
      timeslot_duration: seconds(conference.timeslot_duration),
      url: `${server.url}/schedule.xml`,
    });
  });

  it("keeps every event with its time, duration, room, track and format", () => {
    expect(events.length).toBeGreaterThan(3);
    const byId = new Map(imported.events.map((e) => [e.id, e]));
    expect(imported.events).toHaveLength(events.length);
    for (const event of events) {
      expect(byId.get(event.id), event.title).toMatchObject({
        title: event.title,
        start: wallClockSeconds(event.date),
        duration: seconds(event.duration),
        // ConfClerk files an event with an empty <track> under its own "No track".
        track: event.track ?? "No track",
        type: event.type,
        language: event.language,
        abstract: event.abstract,
      });
      expect(imported.rooms.filter((r) => r.event === event.id).map((r) => r.room)).toEqual([event.room]);
    }
  });

  it("keeps every speaker, by id, on each of their events", () => {
    const persons = new Map(events.flatMap((e) => e.persons.map((p) => [p.id, p.public_name] as const)));
    expect(persons.size).toBeGreaterThan(1);
    expect(imported.persons).toEqual([...persons].sort(([a], [b]) => a - b).map(([id, name]) => ({ id, name })));
    expect(imported.eventPersons).toEqual(
      events.flatMap((e) => e.persons.map((p) => ({ event: e.id, person: p.id }))).sort((a, b) => a.event - b.event || a.person - b.person),
    );
  });

  it("keeps no speaker at all from persons without an id (what the export sent before)", async () => {
    const xml = (await (await fetch(`${server.url}/schedule.xml`)).text()).replace(/<person id="\d+" /g, "<person ");
    expect(xml).toMatch(/<person guid=/);
    const legacy: Server = createServer((_request, response) => {
      response.writeHead(200, { "Content-Type": "application/xml; charset=utf-8" });
      response.end(xml);
    });
    await new Promise<void>((resolve) => legacy.listen(0, "127.0.0.1", resolve));
    try {
      const address = legacy.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const without = await importIntoConfClerk(`http://127.0.0.1:${port}/schedule.xml`);
      expect(without.events).toHaveLength(events.length);
      expect(without.persons).toEqual([]);
      expect(without.eventPersons).toEqual([]);
    } finally {
      await new Promise((resolve) => legacy.close(resolve));
    }
  }, 150_000);
});
