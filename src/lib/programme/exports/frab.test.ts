import { describe, expect, it } from "vitest";
import { SCHEDULE_XSD, validateScheduleJson, validateXml, xpath } from "../../../../tests/helpers/schedule.ts";
import { format, programme, room, session, speaker, track } from "../../../../tests/fixtures/programme.ts";
import { ANONYMOUS, viewProgramme, type Viewer } from "../audience.ts";
import type { Programme } from "../model.ts";
import { zonedToInstant } from "../time.ts";
import {
  buildSchedule,
  escapeXml,
  frabAcronym,
  scheduleJson,
  scheduleVersion,
  scheduleXml,
  uuidV5,
  type FrabEvent,
  type FrabSchedule,
  type ScheduleContext,
} from "./frab.ts";

const organizer: Viewer = { kind: "organizer" };
const paris = (day: string, time: string) => zonedToInstant(day, time, "Europe/Paris");

const context: ScheduleContext = {
  edition: {
    acronym: "FTSW2013",
    name: { en: "Forum <on> Safety & Co", fr: "Forum" },
    startDate: "2013-07-02",
    endDate: "2013-07-03",
    timezone: "Europe/Paris",
  },
  siteUrl: "https://forum.example.org",
  version: "1",
};

const mainHall = room({ id: 1, slug: "main-hall", name: "Main hall", position: 0, description: "Ground floor" });
const lab = room({ id: 2, slug: "lab", name: "Lab <B>", position: 1, capacity: 40 });
const cyber = track({ id: 1, slug: "cyber", name: { en: "Cybercrime & <fraud>", fr: "Cyber" }, colour: "#1f5fa8" });
const talk = format({ id: 1, slug: "talk", name: { en: "Talk", fr: "Conférence" } });
const coffee = format({ id: 2, slug: "break", name: { en: "Break", fr: "Pause" } });
const ada = speaker({ id: 1, slug: "ada-example", name: "Ada Example", email: "ada@example.org" });
const sam = speaker({ id: 2, slug: "secret-sam", name: "Secret Sam", email: "sam@police.example" });

const data: Programme = {
  ...programme(
    [
      session({
        id: 1,
        slug: "phishing-kits",
        title: 'Phishing <kits> & "lures"\u0001',
        abstract: "Kits **explained**.",
        description: "Longer text.",
        format: talk,
        track: cyber,
        room: mainHall,
        startsAt: paris("2013-07-02", "09:30"),
        endsAt: paris("2013-07-02", "10:15"),
        speakerIds: [1],
      }),
      session({
        id: 2,
        slug: "operational-briefing",
        title: "Operational briefing",
        audience: "registered",
        tlp: "AMBER",
        abstract: "Target: botnet X",
        description: "Informant WREN",
        format: talk,
        track: cyber,
        room: lab,
        startsAt: paris("2013-07-03", "11:00"),
        endsAt: paris("2013-07-03", "12:30"),
        speakerIds: [2],
      }),
      session({
        id: 3,
        slug: "hidden-op",
        title: "Hidden op",
        audience: "law-enforcement",
        titlePublic: false,
        abstract: "Raid plan",
        speakerIds: [2],
      }),
      session({ id: 4, slug: "draft-talk", title: "Draft talk", published: false, speakerIds: [1] }),
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
        format: talk,
        track: null,
        room: null,
        startsAt: paris("2013-07-02", "09:00"),
        endsAt: paris("2013-07-02", "09:30"),
        speakerIds: [1],
      }),
    ],
    [ada, sam],
  ),
  rooms: [mainHall, lab],
  tracks: [cyber],
  formats: [talk, coffee],
};

const anonymous = viewProgramme(data, ANONYMOUS);
const events = (view = anonymous, ctx = context): FrabEvent[] =>
  buildSchedule(view, ctx).schedule.conference.days.flatMap((d) => Object.values(d.rooms).flat());
const eventBySlug = (slug: string, view = anonymous) => events(view).find((e) => e.slug === `ftsw2013-${slug}`);

describe("uuidV5", () => {
  it("matches the RFC 4122 name-based UUIDs of other implementations", () => {
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
  });
});

describe("frabAcronym", () => {
  it("lower-cases and keeps only what the schemas accept", () => {
    expect(frabAcronym("FTSW2013")).toBe("ftsw2013");
    expect(frabAcronym("Safer World-2014!")).toBe("safer_world_2014");
  });
});

describe("schedule JSON", () => {
  it("is valid against the community JSON schema, for an anonymous viewer and for organizers", () => {
    expect(validateScheduleJson(JSON.parse(scheduleJson(anonymous, context)))).toBe("");
    expect(validateScheduleJson(JSON.parse(scheduleJson(viewProgramme(data, organizer), context)))).toBe("");
  });

  it("gives every person an integer id and exactly one branch of the schema's person `oneOf`", () => {
    const document = JSON.parse(scheduleJson(viewProgramme(data, organizer), context));
    const persons = document.schedule.conference.days.flatMap((d: FrabSchedule["schedule"]["conference"]["days"][number]) =>
      Object.values(d.rooms).flatMap((list) => list.flatMap((e) => e.persons)),
    );
    expect([...new Set(persons.map((p: { id: number }) => p.id))].sort()).toEqual([1, 2]);
    // The check is real: a person with both `id` and `name` matches the frab and the pretalx branch.
    const first = document.schedule.conference.days[0].rooms["Main hall"][0];
    first.persons[0].name = first.persons[0].public_name;
    expect(validateScheduleJson(document)).toMatch(/oneOf/);
    delete first.persons[0].name;
    delete first.persons[0].id;
    expect(validateScheduleJson(document)).not.toBe("");
  });

  it("describes the conference from the edition", () => {
    const { schedule } = buildSchedule(anonymous, context);
    expect(schedule.version).toBe("1");
    expect(schedule.base_url).toBe("https://forum.example.org/");
    const { days, rooms, ...conference } = schedule.conference;
    expect(conference).toEqual({
      acronym: "ftsw2013",
      title: "Forum <on> Safety & Co",
      start: "2013-07-02",
      end: "2013-07-03",
      daysCount: 2,
      timeslot_duration: "00:15",
      time_zone_name: "Europe/Paris",
      url: "https://forum.example.org/",
      tracks: [{ name: "Cybercrime & <fraud>", slug: "cyber", color: "#1f5fa8" }],
    });
    expect(rooms.map((r) => [r.name, r.slug, r.capacity])).toEqual([
      ["Main hall", "main-hall", 500],
      ["Lab <B>", "lab", 40],
      ["All rooms", "all-rooms", null],
    ]);
    expect(
      days.map(({ rooms: dayRooms, ...day }) => ({
        ...day,
        rooms: Object.fromEntries(Object.entries(dayRooms).map(([name, list]) => [name, list.map((e) => e.slug)])),
      })),
    ).toEqual([
      {
        index: 1,
        date: "2013-07-02",
        day_start: "2013-07-02T04:00:00+02:00",
        day_end: "2013-07-03T03:59:00+02:00",
        rooms: { "Main hall": ["ftsw2013-phishing-kits"], "Lab <B>": [], "All rooms": ["ftsw2013-plenary-welcome"] },
      },
      {
        index: 2,
        date: "2013-07-03",
        day_start: "2013-07-03T04:00:00+02:00",
        day_end: "2013-07-04T03:59:00+02:00",
        rooms: { "Main hall": [], "Lab <B>": ["ftsw2013-operational-briefing"] },
      },
    ]);
  });

  it("gives a session in full with its time in the edition's zone and its speakers by public name", () => {
    const event = eventBySlug("phishing-kits")!;
    expect(event).toEqual({
      id: event.id,
      guid: uuidV5("ftsw2013/session/phishing-kits"),
      date: "2013-07-02T09:30:00+02:00",
      start: "09:30",
      end: "2013-07-02T10:15:00+02:00",
      duration: "00:45",
      room: "Main hall",
      slug: "ftsw2013-phishing-kits",
      url: "https://forum.example.org/sessions/phishing-kits",
      title: 'Phishing <kits> & "lures"\u0001',
      subtitle: "",
      track: "Cybercrime & <fraud>",
      type: "Talk",
      language: "en",
      abstract: "Kits **explained**.",
      description: "Longer text.",
      recording_license: "",
      do_not_record: false,
      persons: [
        { id: 1, guid: uuidV5("speaker/ada-example"), public_name: "Ada Example", url: "https://forum.example.org/speakers/ada-example" },
      ],
      links: [],
      attachments: [],
    });
  });

  it("keeps only the title and time of a restricted session, and never records it", () => {
    expect(eventBySlug("operational-briefing")).toMatchObject({
      title: "Operational briefing",
      date: "2013-07-03T11:00:00+02:00",
      duration: "01:30",
      room: "Lab <B>",
      abstract: "",
      description: "",
      persons: [],
      do_not_record: true,
    });
  });

  it("leaves out breaks, hidden, unpublished sessions and every private detail", () => {
    expect(events().map((e) => e.slug)).toEqual(["ftsw2013-phishing-kits", "ftsw2013-plenary-welcome", "ftsw2013-operational-briefing"]);
    const json = scheduleJson(anonymous, context);
    for (const secret of [
      "botnet X",
      "Informant WREN",
      "Hidden op",
      "hidden-op",
      "Raid plan",
      "Draft talk",
      "draft-talk",
      "Coffee",
      "Secret Sam",
      "@",
    ]) {
      expect(json).not.toContain(secret);
    }
  });

  it("gives organizers the restricted session in full, still without e-mail addresses", () => {
    const view = viewProgramme(data, organizer);
    expect(eventBySlug("operational-briefing", view)).toMatchObject({
      abstract: "Target: botnet X",
      description: "Informant WREN",
      persons: [
        { id: 2, guid: uuidV5("speaker/secret-sam"), public_name: "Secret Sam", url: "https://forum.example.org/speakers/secret-sam" },
      ],
      do_not_record: true,
    });
    expect(eventBySlug("hidden-op", view)).toMatchObject({ title: "Hidden op", abstract: "Raid plan" });
    const json = scheduleJson(view, context);
    expect(json).not.toContain("@");
    expect(json).not.toContain("Draft talk");
  });

  it("keeps guids and ids whatever the site, the order of sessions or the other sessions", () => {
    const before = new Map(events().map((e) => [e.slug, { guid: e.guid, id: e.id }]));
    const numbers = [...before.values()].map((e) => e.id);
    expect(new Set(numbers).size).toBe(3);
    for (const id of numbers) expect(Number.isInteger(id) && id > 0 && id < 2 ** 31).toBe(true);
    // Staff see two more sessions, in another order, on another host: the anonymous ones keep their identity.
    const elsewhere = viewProgramme({ ...data, sessions: [...data.sessions].reverse() }, organizer);
    const after = new Map(
      events(elsewhere, { ...context, siteUrl: "http://localhost:4321" }).map((e) => [e.slug, { guid: e.guid, id: e.id }]),
    );
    expect(after.size).toBe(4);
    for (const [slug, identity] of before) expect(after.get(slug)).toEqual(identity);
  });

  it("is byte-identical for the same programme", () => {
    expect(scheduleJson(anonymous, context)).toBe(scheduleJson(viewProgramme(data, ANONYMOUS), context));
  });
});

describe("schedule in French", () => {
  const french: ScheduleContext = { ...context, locale: "fr" };
  const translated: Programme = {
    ...data,
    sessions: data.sessions.map((s) =>
      s.id === 1
        ? { ...s, title: { ...s.title, fr: "Kits d’hameçonnage" }, abstract: { ...s.abstract, fr: "Les kits **expliqués**." } }
        : s,
    ),
  };
  const view = viewProgramme(translated, ANONYMOUS);

  it("gives each event its French title and abstract, else the English ones, with French names and links", async () => {
    const inFrench = events(view, french);
    const kits = inFrench.find((e) => e.slug === "ftsw2013-phishing-kits")!;
    expect(kits).toMatchObject({
      title: "Kits d’hameçonnage",
      abstract: "Les kits **expliqués**.",
      description: "Longer text.",
      url: "https://forum.example.org/fr/sessions/phishing-kits",
      track: "Cyber",
      type: "Conférence",
      language: "en",
    });
    // The same events as in English: same guid and id.
    const english = events(view).find((e) => e.slug === "ftsw2013-phishing-kits")!;
    expect([kits.guid, kits.id]).toEqual([english.guid, english.id]);
    expect(inFrench.find((e) => e.slug === "ftsw2013-plenary-welcome")).toMatchObject({ title: "Welcome", room: "Toutes les salles" });
    const schedule = buildSchedule(view, french).schedule;
    expect(schedule.conference).toMatchObject({ title: "Forum", url: "https://forum.example.org/fr/", tracks: [{ name: "Cyber" }] });
    expect(validateScheduleJson(JSON.parse(scheduleJson(view, french)))).toBe("");
    expect(await validateXml(scheduleXml(view, french), SCHEDULE_XSD)).toEqual({ valid: true, output: "document.xml validates\n" });
    expect(scheduleXml(view, french)).toContain("<url>https://forum.example.org/fr/schedule.xml</url>");
  });
});

describe("scheduleVersion", () => {
  it("is a stable content hash that follows every change", () => {
    expect(scheduleVersion(anonymous)).toMatch(/^[0-9a-f]{12}$/);
    expect(scheduleVersion(viewProgramme(data, ANONYMOUS))).toBe(scheduleVersion(anonymous));
    const renamed = { ...data, sessions: data.sessions.map((s) => (s.id === 1 ? { ...s, title: { ...s.title, fr: "Renommée" } } : s)) };
    expect(scheduleVersion(viewProgramme(renamed, ANONYMOUS))).not.toBe(scheduleVersion(anonymous));
  });
});

describe("schedule XML", () => {
  const xml = scheduleXml(anonymous, context);

  it("is valid against the community XSD, for an anonymous viewer and for organizers", async () => {
    expect(await validateXml(xml, SCHEDULE_XSD)).toEqual({ valid: true, output: "document.xml validates\n" });
    expect(await validateXml(scheduleXml(viewProgramme(data, organizer), context), SCHEDULE_XSD)).toMatchObject({ valid: true });
  });

  it("fails validation when something required is missing (the check is real)", async () => {
    expect(await validateXml(xml.replace(/<duration>[^<]*<\/duration>/, ""), SCHEDULE_XSD)).toMatchObject({ valid: false });
  });

  it("escapes markup in text and attributes and drops characters XML cannot carry", () => {
    expect(xml).toContain("<title>Phishing &lt;kits&gt; &amp; &quot;lures&quot;</title>");
    expect(xml).toContain('<track name="Cybercrime &amp; &lt;fraud&gt;" slug="cyber" color="#1f5fa8"/>');
    expect(xml).toContain('<room name="Lab &lt;B&gt;" guid="');
    expect(xml).toContain("<title>Forum &lt;on&gt; Safety &amp; Co</title>");
    expect(xml).not.toContain("\u0001");
    expect(escapeXml("a\tb\r\nc")).toBe("a&#9;b&#13;\nc");
  });

  it("writes an event as the clients read it", () => {
    const event = eventBySlug("phishing-kits")!;
    expect(xml).toContain(
      [
        `      <event guid="${event.guid}" id="${event.id}">`,
        "        <date>2013-07-02T09:30:00+02:00</date>",
        "        <start>09:30</start>",
        "        <duration>00:45</duration>",
        "        <room>Main hall</room>",
        "        <slug>ftsw2013-phishing-kits</slug>",
        "        <url>https://forum.example.org/sessions/phishing-kits</url>",
      ].join("\n"),
    );
    expect(xml).toContain(
      `<persons>\n          <person id="1" guid="${uuidV5("speaker/ada-example")}">Ada Example</person>\n        </persons>`,
    );
    expect(xml).toContain('<day index="2" date="2013-07-03" start="2013-07-03T04:00:00+02:00" end="2013-07-04T03:59:00+02:00">');
  });

  it("carries every element and attribute that ConfClerk, Giggity and EventFahrplan read", () => {
    const full = scheduleXml(viewProgramme(data, organizer), context);
    const count = (expression: string) => Number(xpath(full, `count(${expression})`));
    const events = count("//event");
    expect(events).toBe(4);
    // Giggity tells the format from the first kilobyte.
    expect(full.slice(0, 1024)).toMatch(/<schedule>[\s\S]*<conference>/);
    // The conference: ConfClerk's title, dates and slot; EventFahrplan's version and zone.
    for (const name of ["title", "start", "end", "timeslot_duration", "time_zone_name"])
      expect(xpath(full, `string(/schedule/conference/${name})`)).not.toBe("");
    expect(xpath(full, "string(/schedule/version)")).toBe("1");
    // Days: a date for all three, an index and an end for EventFahrplan (it refuses a day without end).
    expect(count("//day[@index and @date and @end]")).toBe(count("//day"));
    // Rooms by name; events by a positive integer id, with their own start, duration, date and room.
    expect(count("//day/room[@name]")).toBe(count("//day/room"));
    expect(count("//event[@id > 0 and floor(@id) = @id]")).toBe(events);
    for (const name of [
      "date",
      "start",
      "duration",
      "room",
      "title",
      "subtitle",
      "slug",
      "url",
      "track",
      "type",
      "language",
      "abstract",
      "description",
      "persons",
      "links",
    ]) {
      expect(count(`//event[${name}]`), name).toBe(events);
    }
    expect(count("//event[string-length(start) = 5 and string-length(duration) = 5]")).toBe(events);
    // Persons: ConfClerk keeps only those with an integer id (its person table's key).
    expect(count("//person")).toBe(4);
    expect(count("//person[@id > 0 and floor(@id) = @id and @guid and string-length(normalize-space(.)) > 0]")).toBe(4);
  });

  it("keeps a restricted session to its title and time", () => {
    const briefing = xml.slice(xml.indexOf(`<event guid="${eventBySlug("operational-briefing")!.guid}"`));
    const block = briefing.slice(0, briefing.indexOf("</event>"));
    expect(block).toContain("<title>Operational briefing</title>");
    expect(block).toContain("<abstract/>");
    expect(block).toContain("<description/>");
    expect(block).toContain("<persons/>");
    expect(block).toContain("<optout>true</optout>");
    for (const secret of ["botnet", "WREN", "Secret Sam", "Hidden op", "Draft talk", "@"]) expect(xml).not.toContain(secret);
  });
});
