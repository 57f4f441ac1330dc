import { describe, expect, it } from "vitest";
import { unfoldIcs, vevents } from "../../../../tests/helpers/schedule.ts";
import { format, programme, room, session, speaker, track } from "../../../../tests/fixtures/programme.ts";
import { ANONYMOUS, viewProgramme, type Viewer } from "../audience.ts";
import type { Programme } from "../model.ts";
import { zonedToInstant } from "../time.ts";
import {
  agendaCalendar,
  programmeCalendar,
  releaseCalendar,
  sessionCalendar,
  sessionUid,
  speakerCalendar,
  type CalendarContext,
} from "./ical.ts";

const organizer: Viewer = { kind: "organizer" };
const paris = (day: string, time: string) => zonedToInstant(day, time, "Europe/Paris");

const context: CalendarContext = {
  edition: {
    acronym: "FTSW2013",
    name: { en: "Forum on Safety, Lyon; 2013", fr: "Forum" },
    shortName: { en: "Safety Forum", fr: "Forum" },
    timezone: "Europe/Paris",
    venue: { name: "Centre de congrès", address: "1 quai Exemple, 69007 Lyon", city: "Lyon", country: "FR" },
  },
  siteUrl: "https://forum.example.org:8443",
};

const mainHall = room({ id: 1, slug: "main-hall", name: "Main hall" });
const cyber = track({ id: 1, slug: "cyber", name: { en: "Cybercrime, fraud", fr: "Cyber" } });
const talk = format({ id: 1, slug: "talk" });
const coffee = format({ id: 2, slug: "break", name: { en: "Break", fr: "Pause" } });
const ada = speaker({ id: 1, slug: "ada-example", name: "Ada Example", email: "ada@example.org" });
const sam = speaker({ id: 2, slug: "secret-sam", name: "Secret Sam", email: "sam@police.example" });
const edited = new Date("2013-06-20T08:15:42Z");

const data: Programme = {
  ...programme(
    [
      session({
        id: 1,
        slug: "phishing-kits",
        title: 'Phishing <kits>, & "lures"; more',
        abstract: "Kits **explained** in [detail](https://example.org/x).\n\nSecond paragraph.",
        format: talk,
        track: cyber,
        room: mainHall,
        startsAt: paris("2013-07-02", "09:30"),
        endsAt: paris("2013-07-02", "10:15"),
        speakerIds: [1],
        updatedAt: edited,
      }),
      session({
        id: 2,
        slug: "operational-briefing",
        title: "Operational briefing",
        audience: "law-enforcement",
        tlp: "AMBER",
        abstract: "Target: botnet X",
        description: "Informant WREN",
        track: cyber,
        room: mainHall,
        startsAt: paris("2013-07-03", "11:00"),
        endsAt: paris("2013-07-03", "12:30"),
        speakerIds: [2, 1],
      }),
      session({
        id: 3,
        slug: "hidden-op",
        title: "Hidden op",
        audience: "registered",
        titlePublic: false,
        abstract: "Raid plan",
        speakerIds: [2],
      }),
      session({ id: 4, slug: "draft-talk", title: "Draft talk", state: "accepted", speakerIds: [1] }),
      session({
        id: 5,
        slug: "coffee",
        title: "Coffee",
        format: coffee,
        track: null,
        room: null,
        startsAt: paris("2013-07-02", "10:15"),
        endsAt: paris("2013-07-02", "10:45"),
        speakerIds: [],
      }),
      session({
        id: 6,
        slug: "plenary-welcome",
        title: "Welcome",
        track: null,
        room: null,
        startsAt: paris("2013-07-02", "09:00"),
        endsAt: paris("2013-07-02", "09:30"),
        speakerIds: [],
      }),
    ],
    [ada, sam],
  ),
  rooms: [mainHall],
  tracks: [cyber],
  formats: [talk, coffee],
};
const anonymous = viewProgramme(data, ANONYMOUS);

const eventOf = (ics: string, slug: string) => vevents(ics).find((lines) => lines.includes(`UID:${sessionUid(slug, context)}`));

describe("programmeCalendar", () => {
  const ics = programmeCalendar(anonymous, context);

  it("is a calendar with one VTIMEZONE for the edition's zone and the calendar's name", () => {
    const lines = unfoldIcs(ics);
    expect(lines.slice(0, 5)).toEqual([
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//forum-safer-world//programme//EN",
      "URL:https://forum.example.org:8443/schedule.ics",
      "NAME:Forum on Safety\\, Lyon\\; 2013",
    ]);
    expect(lines).toContain("X-WR-CALNAME:Forum on Safety\\, Lyon\\; 2013");
    expect(lines).toContain("X-WR-TIMEZONE:Europe/Paris");
    expect(lines.filter((l) => l === "BEGIN:VTIMEZONE")).toHaveLength(1);
    expect(lines[lines.indexOf("BEGIN:VTIMEZONE") + 1]).toBe("TZID:Europe/Paris");
    expect(lines).toContain("TZOFFSETTO:+0200");
    expect(ics.endsWith("\r\nEND:VCALENDAR\r\n")).toBe(true);
    expect(ics).not.toMatch(/[^\r]\n/);
  });

  it("has one event per session shown, breaks, hidden and unconfirmed sessions left out", () => {
    expect(vevents(ics).map((lines) => lines.find((l) => l.startsWith("UID:")))).toEqual([
      "UID:ftsw2013-session-plenary-welcome@forum.example.org",
      "UID:ftsw2013-session-phishing-kits@forum.example.org",
      "UID:ftsw2013-session-operational-briefing@forum.example.org",
    ]);
    for (const absent of ["Hidden op", "hidden-op", "Raid plan", "Draft talk", "Coffee"]) expect(ics).not.toContain(absent);
  });

  it("writes a session in full: local times with TZID, stamps from the data, escaped text", () => {
    expect(eventOf(ics, "phishing-kits")).toEqual([
      "UID:ftsw2013-session-phishing-kits@forum.example.org",
      "SEQUENCE:0",
      "DTSTAMP:20130620T081542Z",
      "DTSTART;TZID=Europe/Paris:20130702T093000",
      "DTEND;TZID=Europe/Paris:20130702T101500",
      'SUMMARY:Phishing <kits>\\, & "lures"\\; more',
      "LOCATION:Main hall\\, Centre de congrès\\, 1 quai Exemple\\, 69007 Lyon",
      "DESCRIPTION:Kits explained in detail.\\n\\nSecond paragraph.\\n\\nSpeakers: Ada Example\\n\\nhttps://forum.example.org:8443/sessions/phishing-kits",
      "CATEGORIES:Cybercrime\\, fraud",
      "URL;VALUE=URI:https://forum.example.org:8443/sessions/phishing-kits",
      "STATUS:CONFIRMED",
      "LAST-MODIFIED:20130620T081542Z",
    ]);
  });

  it("places a session without a room at the venue", () => {
    expect(eventOf(ics, "plenary-welcome")).toContain("LOCATION:Centre de congrès\\, 1 quai Exemple\\, 69007 Lyon");
  });

  it("keeps a restricted session to its title, time and a note", () => {
    const lines = eventOf(ics, "operational-briefing")!;
    expect(lines).toContain("SUMMARY:Operational briefing");
    expect(lines).toContain("DTSTART;TZID=Europe/Paris:20130703T110000");
    expect(lines.filter((l) => l.startsWith("DESCRIPTION"))).toEqual([
      "DESCRIPTION:The details of this session are restricted to confirmed law-enforcement attendees.",
    ]);
    for (const secret of ["botnet", "WREN", "Secret Sam", "Ada Example", "@example", "@police"])
      expect(lines.join("\n")).not.toContain(secret);
  });

  it("writes the Paris wall clock whatever the server's own time zone", () => {
    const saved = process.env.TZ;
    try {
      for (const zone of ["America/Los_Angeles", "Asia/Tokyo", "UTC"]) {
        process.env.TZ = zone;
        expect(programmeCalendar(anonymous, context)).toBe(ics);
      }
    } finally {
      process.env.TZ = saved;
    }
  });

  it("is byte-identical for the same programme", () => {
    expect(programmeCalendar(viewProgramme(data, ANONYMOUS), context)).toBe(ics);
  });

  it("shows organizers everything listed, with speakers and never an e-mail address", () => {
    const full = programmeCalendar(viewProgramme(data, organizer), context);
    expect(vevents(full)).toHaveLength(4);
    expect(unfoldIcs(full).join("\n")).toContain("Target: botnet X\\n\\nSpeakers: Secret Sam\\, Ada Example");
    expect(full).not.toContain("@example.org");
    expect(full).not.toContain("@police.example");
  });
});

describe("calendar properties", () => {
  const calendars = {
    programme: programmeCalendar(anonymous, context),
    session: sessionCalendar(anonymous, "phishing-kits", context)!,
    speaker: speakerCalendar(anonymous, "ada-example", context)!,
    agenda: agendaCalendar("My agenda", "/agenda", anonymous.sessions, context),
    release: releaseCalendar(
      2,
      [{ slug: "phishing-kits", title: "Phishing", startsAt: paris("2013-07-02", "09:30"), endsAt: paris("2013-07-02", "10:15") }],
      {
        ...context,
        edition: { ...context.edition, startDate: "2013-07-02" },
      },
    ),
  };

  it.each(Object.entries(calendars))("come before the first component in the %s calendar (RFC 5545 3.6)", (_name, ics) => {
    const lines = unfoldIcs(ics).filter(Boolean);
    const first = lines.findIndex((l) => l.startsWith("BEGIN:V") && l !== "BEGIN:VCALENDAR");
    expect(first).toBeGreaterThan(0);
    const before = lines.slice(1, first).map((l) => l.split(/[:;]/)[0]);
    for (const name of ["VERSION", "PRODID", "X-WR-CALNAME", "X-WR-TIMEZONE"]) expect(before, name).toContain(name);
    // Nothing between or after the components but the components themselves.
    let depth = 0;
    for (const line of lines.slice(first, -1)) {
      if (line.startsWith("BEGIN:")) depth++;
      expect(depth, line).toBeGreaterThan(0);
      if (line.startsWith("END:")) depth--;
    }
    expect(lines.at(-1)).toBe("END:VCALENDAR");
  });

  it("include the refresh interval of the feeds that calendar apps subscribe to", () => {
    for (const ics of [calendars.programme, calendars.speaker, calendars.agenda]) {
      const lines = unfoldIcs(ics);
      const first = lines.indexOf("BEGIN:VTIMEZONE");
      expect(lines.indexOf("REFRESH-INTERVAL;VALUE=DURATION:PT1H")).toBeLessThan(first);
      expect(lines.indexOf("X-PUBLISHED-TTL:PT1H")).toBeLessThan(first);
      expect(lines.indexOf("X-PUBLISHED-TTL:PT1H")).toBeGreaterThan(0);
    }
  });
});

describe("sessionCalendar", () => {
  it("holds the one session with the same UID as the programme feed", () => {
    const ics = sessionCalendar(anonymous, "phishing-kits", context)!;
    expect(vevents(ics)).toHaveLength(1);
    expect(unfoldIcs(ics)).toContain("UID:ftsw2013-session-phishing-kits@forum.example.org");
    expect(unfoldIcs(ics)).toContain('X-WR-CALNAME:Phishing <kits>\\, & "lures"\\; more (Safety Forum)');
    expect(unfoldIcs(ics)).toContain("URL:https://forum.example.org:8443/sessions/phishing-kits.ics");
  });

  it("gives a break, whose page offers its calendar file, at the venue with its time", () => {
    const event = vevents(sessionCalendar(anonymous, "coffee", context)!);
    expect(event).toHaveLength(1);
    expect(event[0]).toContain("UID:ftsw2013-session-coffee@forum.example.org");
    expect(event[0]).toContain("SUMMARY:Coffee");
    expect(event[0]).toContain("DTSTART;TZID=Europe/Paris:20130702T101500");
  });

  it("gives a title-only session, but nothing for hidden, unconfirmed or unknown slugs", () => {
    expect(vevents(sessionCalendar(anonymous, "operational-briefing", context)!)).toHaveLength(1);
    for (const slug of ["hidden-op", "draft-talk", "no-such-session"]) expect(sessionCalendar(anonymous, slug, context)).toBeNull();
    expect(sessionCalendar(viewProgramme(data, organizer), "hidden-op", context)).toContain("SUMMARY:Hidden op");
  });
});

describe("speakerCalendar", () => {
  it("holds the sessions the viewer sees the speaker in", () => {
    const ics = speakerCalendar(anonymous, "ada-example", context)!;
    expect(vevents(ics).map((lines) => lines[0])).toEqual(["UID:ftsw2013-session-phishing-kits@forum.example.org"]);
    expect(unfoldIcs(ics)).toContain("X-WR-CALNAME:Ada Example (Safety Forum)");
    expect(ics).not.toContain("ada@example.org");
  });

  it("knows no speaker who appears only in restricted sessions", () => {
    expect(speakerCalendar(anonymous, "secret-sam", context)).toBeNull();
    expect(speakerCalendar(anonymous, "nobody", context)).toBeNull();
    const organizerView = viewProgramme(data, organizer);
    expect(vevents(speakerCalendar(organizerView, "secret-sam", context)!).map((lines) => lines[0])).toEqual([
      "UID:ftsw2013-session-hidden-op@forum.example.org",
      "UID:ftsw2013-session-operational-briefing@forum.example.org",
    ]);
    expect(vevents(speakerCalendar(organizerView, "ada-example", context)!)).toHaveLength(2);
  });
});

describe("calendars in French", () => {
  const french: CalendarContext = { ...context, locale: "fr" };
  const translated: Programme = {
    ...data,
    sessions: data.sessions.map((s) =>
      s.id === 1
        ? { ...s, title: { ...s.title, fr: "Kits d’hameçonnage" }, abstract: { ...s.abstract, fr: "Les kits **expliqués**." } }
        : s,
    ),
  };
  const view = viewProgramme(translated, ANONYMOUS);

  it("name the calendar and write the events in French, with the French pages' links; the same UIDs", () => {
    const ics = programmeCalendar(view, french);
    const lines = unfoldIcs(ics);
    expect(lines).toContain("X-WR-CALNAME:Forum");
    expect(lines).toContain("URL:https://forum.example.org:8443/fr/schedule.ics");
    const kits = vevents(ics).find((e) => e.includes(`UID:${sessionUid("phishing-kits", french)}`))!;
    expect(kits).toContain("SUMMARY:Kits d’hameçonnage");
    expect(kits).toContain("URL;VALUE=URI:https://forum.example.org:8443/fr/sessions/phishing-kits");
    expect(kits).toContain("CATEGORIES:Cyber");
    expect(kits.find((l) => l.startsWith("DESCRIPTION:"))).toBe(
      "DESCRIPTION:Les kits expliqués.\\n\\nIntervenants\u00a0: Ada Example\\n\\nhttps://forum.example.org:8443/fr/sessions/phishing-kits",
    );
    const briefing = vevents(ics).find((e) => e.includes(`UID:${sessionUid("operational-briefing", french)}`))!;
    expect(briefing).toContain("DESCRIPTION:Le détail de cette session est réservé aux participants confirmés des forces de l’ordre.");
    expect(unfoldIcs(sessionCalendar(view, "phishing-kits", french)!)).toContain("X-WR-CALNAME:Kits d’hameçonnage (Forum)");
  });

  it("fall back to the English text where no French one is given", () => {
    const untranslated = vevents(programmeCalendar(viewProgramme(data, ANONYMOUS), french)).find((e) =>
      e.includes(`UID:${sessionUid("phishing-kits", french)}`),
    )!;
    expect(untranslated).toContain('SUMMARY:Phishing <kits>\\, & "lures"\\; more');
  });
});
