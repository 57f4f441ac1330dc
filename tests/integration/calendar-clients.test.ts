// The calendars as a real client reads them: khal (python-icalendar) imports the programme, a
// session, a break and a speaker's feed from the built server, in New York: every time must be the
// session's Paris wall clock moved to New York (the TZID and VTIMEZONE understood), at the venue.
// Skipped, with the install command, when khal is missing; CI installs it and fails instead.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentSessions, isListed, isRestricted, titleIn, type ContentSession } from "../helpers/content.ts";
import { khalEvents, khalMissing } from "../helpers/khal.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

if (khalMissing && process.env.CI) throw new Error(`${khalMissing}: .ci/run installs it`);

const edition = parse(readFileSync("content/edition.yaml", "utf8")) as { startDate: string; venue: { name: string } };
const listed = contentSessions().filter((s) => isListed(s) && !(isRestricted(s) && s.titlePublic === false));
const exported = listed.filter((s) => s.format !== "break");
const aBreak = listed.find((s) => s.format === "break")!;
const speaker = exported.find((s) => !isRestricted(s) && s.speakers?.length)!.speakers![0];

/** `day` `time` in Paris (summer time in July, UTC+2) as New York's wall clock (UTC-4): six hours earlier. */
function newYork(day: string, time: string): string {
  const at = new Date(Date.parse(`${day}T${time}:00+02:00`) - 4 * 3600_000);
  return at.toISOString().slice(0, 16).replace("T", " ");
}
// The English feeds: each title in English (a French session's English version).
const expected = (s: ContentSession) => ({ start: newYork(s.day!, s.start!), end: newYork(s.day!, s.end!), title: titleIn(s, "en") });

describe.skipIf(!!khalMissing)(`khal reads the calendars${khalMissing ? ` (skipped: ${khalMissing})` : ""}`, () => {
  let server: TestServer;
  // Every file is fetched first: khal takes seconds per import on a loaded machine, longer than the
  // server keeps an idle connection open for the next request.
  const files = new Map<string, string>();
  const get = (path: string) => files.get(path)!;
  beforeAll(async () => {
    server = await startServer();
    const paths = ["/schedule.ics", `/sessions/${exported[0].slug}.ics`, `/sessions/${aBreak.slug}.ics`, `/speakers/${speaker}.ics`];
    for (const path of paths) {
      const response = await fetch(server.url + path);
      expect(response.status, path).toBe(200);
      files.set(path, await response.text());
    }
  });
  afterAll(() => server?.stop());

  it("imports the whole programme at the right times in another zone, at the venue", async () => {
    const events = khalEvents([get("/schedule.ics")], "America/New_York", "2013-07-01", 5);
    expect(events).toHaveLength(exported.length);
    const sorted = (list: { start: string; title: string }[]) =>
      [...list].sort((a, b) => a.start.localeCompare(b.start) || a.title.localeCompare(b.title));
    expect(sorted(events.map(({ start, end, title }) => ({ start, end, title })))).toEqual(sorted(exported.map(expected)));
    for (const event of events) expect(event.location).toContain(edition.venue.name);
  }, 90_000);

  it("imports one session, a break and a speaker's sessions", async () => {
    const session = exported[0];
    expect(khalEvents([get(`/sessions/${session.slug}.ics`)], "America/New_York", "2013-07-01", 5)).toMatchObject([expected(session)]);
    expect(khalEvents([get(`/sessions/${aBreak.slug}.ics`)], "America/New_York", "2013-07-01", 5)).toMatchObject([expected(aBreak)]);
    const theirs = exported.filter((s) => !isRestricted(s) && s.speakers?.includes(speaker));
    const events = khalEvents([get(`/speakers/${speaker}.ics`)], "America/New_York", "2013-07-01", 5);
    expect(events.map((e) => e.title).sort()).toEqual(theirs.map((s) => titleIn(s, "en")).sort());
  }, 90_000);
});
