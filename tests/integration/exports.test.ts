// The programme exports over HTTP against the built server and the demo edition: iCalendar, the
// frab/pretalx schedule (XML and JSON, validated against the community schemas), the sitemap and
// robots.txt. Every expectation is computed from the content files, independently of the importer.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  abstractIn,
  contentSessions,
  contentSpeakers,
  descriptionIn,
  detailTexts,
  isListed,
  isRestricted,
  titleIn,
  titles,
  type ContentSession,
} from "../helpers/content.ts";
import { SCHEDULE_XSD, unfoldIcs, validateScheduleJson, validateXml, vevents } from "../helpers/schedule.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

interface Setup {
  rooms: { slug: string; name: string }[];
  tracks: { slug: string; name: { en: string; fr: string } }[];
  formats: { slug: string; name: { en: string; fr: string } }[];
}
const edition = parse(readFileSync("content/edition.yaml", "utf8")) as {
  acronym: string;
  startDate: string;
  endDate: string;
  timezone: string;
};
const setup = parse(readFileSync("content/programme/setup.yaml", "utf8")) as Setup;
const sessions = contentSessions();
const speakers = contentSpeakers();

const acronym = edition.acronym.toLowerCase();
const listed = sessions.filter(isListed);
const hidden = listed.filter((s) => isRestricted(s) && s.titlePublic === false);
const visible = listed.filter((s) => !hidden.includes(s));
const exported = visible.filter((s) => s.format !== "break");
const titleOnly = exported.filter(isRestricted);
const full = exported.filter((s) => !isRestricted(s));
const unlisted = sessions.filter((s) => !isListed(s));
const publicSpeakerSlugs = new Set(full.flatMap((s) => s.speakers ?? []));
const privateSpeakers = speakers.filter((s) => !publicSpeakerSlugs.has(s.slug));
const EDITORIAL = ["/", "/programme", "/speakers", "/about", "/venue", "/faq", "/code-of-conduct", "/privacy"];

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
const roomName = (s: ContentSession) => setup.rooms.find((r) => r.slug === s.room)?.name ?? "All rooms";
const speakerName = (slug: string) => speakers.find((s) => s.slug === slug)!.name;

let server: TestServer;
const bodies = new Map<string, string>();
const exportPaths = [
  "/schedule.ics",
  "/schedule.xml",
  "/schedule.json",
  "/fr/schedule.ics",
  "/fr/schedule.xml",
  "/fr/schedule.json",
  "/sitemap.xml",
  "/robots.txt",
];

beforeAll(async () => {
  server = await startServer();
  for (const path of exportPaths) bodies.set(path, await (await fetch(server.url + path)).text());
  // Every calendar in English and in French.
  for (const prefix of ["", "/fr"]) {
    for (const s of exported)
      bodies.set(`${prefix}/sessions/${s.slug}.ics`, await (await fetch(`${server.url}${prefix}/sessions/${s.slug}.ics`)).text());
    for (const slug of publicSpeakerSlugs)
      bodies.set(`${prefix}/speakers/${slug}.ics`, await (await fetch(`${server.url}${prefix}/speakers/${slug}.ics`)).text());
  }
}, 120_000);
afterAll(() => server?.stop());

const uidOf = (slug: string) => `UID:${acronym}-session-${slug}@${new URL(server.url).hostname}`;

/** The text a reader of `path` gets, whatever the format's escaping, whitespace collapsed. */
function readable(path: string, body: string): string {
  let text = body;
  if (path.endsWith(".ics")) {
    text = unfoldIcs(body)
      .join("\n")
      .replace(/\\n/gi, "\n")
      .replace(/\\([,;\\])/g, "$1");
  } else if (path.endsWith(".json")) {
    const strings: string[] = [];
    const walk = (value: unknown): void => {
      if (typeof value === "string") strings.push(value);
      else if (value && typeof value === "object") Object.values(value).forEach(walk);
    };
    walk(JSON.parse(body));
    text = strings.join("\n");
  } else if (path.endsWith(".xml")) {
    text = body
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
      .replace(/&amp;/g, "&");
  }
  return text.replace(/\s+/g, " ");
}

/** Runs of plain words (25+ characters) of a Markdown text: they survive any export's rendering of it. */
const phrases = (markdown: string) =>
  markdown
    .split(/[\n*_`#>[\]()|]+/)
    .map((p) => p.replace(/\s+/g, " ").trim())
    .filter((p) => p.length >= 25);

describe("the demo content", () => {
  it("has every kind of session the rules distinguish", () => {
    expect(full.length).toBeGreaterThan(20);
    expect(titleOnly.length).toBeGreaterThan(0);
    expect(hidden.length).toBeGreaterThan(0);
    expect(unlisted.some((s) => s.published === false)).toBe(true);
    expect(unlisted.some((s) => (s.state ?? "confirmed") !== "confirmed")).toBe(true);
    expect(visible.some((s) => s.format === "break")).toBe(true);
    expect(privateSpeakers.length).toBeGreaterThan(0);
  });
});

describe("every export", () => {
  it.each([
    ["/schedule.ics", "text/calendar; charset=utf-8"],
    ["/schedule.xml", "application/xml; charset=utf-8"],
    ["/schedule.json", "application/json; charset=utf-8"],
    ["/sitemap.xml", "application/xml; charset=utf-8"],
    ["/robots.txt", "text/plain; charset=utf-8"],
    [`/sessions/${full[0].slug}.ics`, "text/calendar; charset=utf-8"],
    [`/speakers/${[...publicSpeakerSlugs][0]}.ics`, "text/calendar; charset=utf-8"],
  ])("%s answers 200 as %s, byte-identical twice, and 304 to If-None-Match", async (path, type) => {
    const first = await fetch(server.url + path);
    const second = await fetch(server.url + path);
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toBe(type);
    const body = await first.text();
    expect(await second.text()).toBe(body);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(second.headers.get("etag")).toBe(etag);
    const conditional = await fetch(server.url + path, { headers: { "If-None-Match": etag } });
    expect(conditional.status).toBe(304);
    expect(await conditional.text()).toBe("");
  });

  it("names the calendar files it offers for download", async () => {
    expect((await fetch(`${server.url}/schedule.ics`)).headers.get("content-disposition")).toBe(
      `attachment; filename="${acronym}-programme.ics"`,
    );
    expect((await fetch(`${server.url}/sessions/${full[0].slug}.ics`)).headers.get("content-disposition")).toBe(
      `attachment; filename="${acronym}-${full[0].slug}.ics"`,
    );
  });

  it("answers 404 for unknown slugs and for what the viewer may not see", async () => {
    const missing = [
      "/sessions/no-such-session.ics",
      "/speakers/no-such-speaker.ics",
      ...hidden.map((s) => `/sessions/${s.slug}.ics`),
      ...unlisted.map((s) => `/sessions/${s.slug}.ics`),
      ...privateSpeakers.map((s) => `/speakers/${s.slug}.ics`),
    ];
    for (const path of missing) expect((await fetch(server.url + path)).status, path).toBe(404);
  });
});

describe("the calendar links of the pages", () => {
  const webcals = (page: string) => [...page.matchAll(/href="(webcal:[^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, "&"));

  it("offer to subscribe (webcal:) to the programme and to each track, in both languages", async () => {
    const host = new URL(server.url).host;
    // Each language's page offers its own language's feeds (the French ones under /fr).
    for (const prefix of ["", "/fr"]) {
      const page = await (await fetch(`${server.url}${prefix}/programme`)).text();
      expect(webcals(page), prefix).toEqual([
        `webcal://${host}${prefix}/schedule.ics`,
        ...setup.tracks.map((t) => `webcal://${host}${prefix}/schedule.ics?track=${t.slug}`),
      ]);
      expect(page).toContain(`href="${prefix}/schedule.ics" download="schedule.ics"`);
    }
    for (const prefix of ["", "/fr"]) {
      for (const track of setup.tracks) {
        const response = await fetch(`${server.url}${prefix}/schedule.ics?track=${track.slug}`);
        expect(response.status, track.slug).toBe(200);
        expect(response.headers.get("content-disposition")).toBe(`attachment; filename="${acronym}-track-${track.slug}.ics"`);
        const ics = await response.text();
        const expected = exported.filter((s) => s.track === track.slug);
        expect(vevents(ics).map((lines) => lines.find((l) => l.startsWith("UID:")))).toEqual(
          expect.arrayContaining(expected.map((s) => uidOf(s.slug))),
        );
        expect(vevents(ics)).toHaveLength(expected.length);
        expect(unfoldIcs(ics)).toContain(`URL:${server.url}${prefix}/schedule.ics?track=${track.slug}`);
        expect(unfoldIcs(ics), prefix).toContain(
          `X-WR-CALNAME:${track.name[prefix ? "fr" : "en"]} (${prefix ? "Forum Monde plus sûr" : "Safer World Forum"})`.replace(
            /([,;])/g,
            "\\$1",
          ),
        );
      }
    }
    expect((await fetch(`${server.url}/schedule.ics?track=no-such-track`)).status).toBe(404);
  });

  it("offer to subscribe to a speaker's sessions beside the download, in both languages", async () => {
    const slug = [...publicSpeakerSlugs][0];
    for (const prefix of ["", "/fr"]) {
      const page = await (await fetch(`${server.url}${prefix}/speakers/${slug}`)).text();
      expect(webcals(page), prefix).toEqual([`webcal://${new URL(server.url).host}${prefix}/speakers/${slug}.ics`]);
      expect(page).toContain(`href="${prefix}/speakers/${slug}.ics" download="${slug}.ics"`);
    }
  });

  it("lead to a calendar file on every session page, a break's too", async () => {
    const breaks = visible.filter((s) => s.format === "break");
    expect(breaks.length).toBeGreaterThan(0);
    for (const s of visible) {
      const page = await (await fetch(`${server.url}/sessions/${s.slug}`)).text();
      const links = [...page.matchAll(/href="([^"]+\.ics)"/g)].map((m) => m[1]);
      if (!isRestricted(s)) expect(links, s.slug).toContain(`/sessions/${s.slug}.ics`);
      for (const link of links) {
        const response = await fetch(new URL(link, server.url));
        expect(response.status, `${s.slug}: ${link}`).toBe(200);
        expect(response.headers.get("content-type"), link).toBe("text/calendar; charset=utf-8");
      }
    }
    const coffee = vevents(await (await fetch(`${server.url}/sessions/${breaks[0].slug}.ics`)).text());
    expect(coffee).toHaveLength(1);
    expect(coffee[0]).toContain(`SUMMARY:${breaks[0].title}`);
  });
});

describe("the audience rule in every export, for an anonymous visitor", () => {
  const all = () => [...bodies.entries()].map(([path, body]) => [path, readable(path, body)] as const);

  it("finds the abstracts of public sessions (the search below is real)", () => {
    const text = readable("/schedule.ics", bodies.get("/schedule.ics")!);
    const json = readable("/schedule.json", bodies.get("/schedule.json")!);
    const xml = readable("/schedule.xml", bodies.get("/schedule.xml")!);
    for (const s of full) {
      const phrase = phrases(abstractIn(s, "en"))[0];
      expect(text, s.slug).toContain(phrase);
      expect(json, s.slug).toContain(phrase);
      expect(xml, s.slug).toContain(phrase);
    }
  });

  it.each(titleOnly.map((s) => [s.slug, s] as const))("shows %s by title and time only", (slug, session) => {
    // The French translations of the abstract and description are as secret as the originals.
    const secrets = detailTexts(session).flatMap(phrases);
    expect(secrets.length).toBeGreaterThan(0);
    for (const [path, text] of all()) for (const secret of secrets) expect(text.includes(secret), `${path} leaks "${secret}"`).toBe(false);
    for (const path of ["/schedule.ics", "/schedule.xml", "/schedule.json", "/sitemap.xml"]) expect(bodies.get(path), path).toContain(slug);
    const event = vevents(bodies.get("/schedule.ics")!).find((lines) => lines.includes(uidOf(slug)))!;
    expect(event.find((l) => l.startsWith("SUMMARY:"))).toBe(`SUMMARY:${titleIn(session, "en").replace(/([,;\\])/g, "\\$1")}`);
    expect(event.filter((l) => l.startsWith("DESCRIPTION:"))).toEqual([
      `DESCRIPTION:The details of this session are restricted to confirmed ${session.audience === "law-enforcement" ? "law-enforcement " : ""}attendees.`,
    ]);
  });

  it.each(hidden.map((s) => [s.slug, s] as const))("never reveals that hidden %s exists", (slug, session) => {
    for (const [path, text] of all()) {
      for (const title of titles(session)) expect(text.includes(title), `${path} shows the title`).toBe(false);
      expect(text.includes(slug), `${path} names the slug`).toBe(false);
      for (const secret of detailTexts(session).flatMap(phrases)) expect(text.includes(secret), `${path} leaks "${secret}"`).toBe(false);
    }
  });

  it.each(unlisted.map((s) => [s.slug, s] as const))("leaves out unlisted %s", (slug, session) => {
    for (const [path, text] of all()) {
      for (const title of titles(session)) expect(text.includes(title), `${path} shows the title`).toBe(false);
      expect(text.includes(slug), `${path} names the slug`).toBe(false);
    }
  });

  it("never shows a speaker's e-mail address, nor the name of a speaker of restricted sessions only", () => {
    const emails = speakers.map((s) => s.email).filter((e): e is string => !!e);
    expect(emails.length).toBe(speakers.length);
    for (const [path, text] of all()) {
      for (const email of emails) expect(text.includes(email), `${path} shows ${email}`).toBe(false);
      expect(text.includes("mailto:"), path).toBe(false);
      for (const s of privateSpeakers) expect(text.includes(s.name), `${path} names ${s.name}`).toBe(false);
    }
  });
});

describe("GET /schedule.ics", () => {
  it("has the edition's VTIMEZONE and one event per exported session, with stable UIDs", async () => {
    const ics = bodies.get("/schedule.ics")!;
    const lines = unfoldIcs(ics);
    expect(lines[0]).toBe("BEGIN:VCALENDAR");
    expect(lines.filter((l) => l === "BEGIN:VTIMEZONE")).toHaveLength(1);
    expect(lines[lines.indexOf("BEGIN:VTIMEZONE") + 1]).toBe(`TZID:${edition.timezone}`);
    const uids = vevents(ics).map((event) => event.find((l) => l.startsWith("UID:")));
    expect(uids.length).toBe(exported.length);
    expect(new Set(uids)).toEqual(new Set(exported.map((s) => uidOf(s.slug))));
    const again = vevents(await (await fetch(`${server.url}/schedule.ics`)).text()).map((event) => event.find((l) => l.startsWith("UID:")));
    expect(again).toEqual(uids);
  });

  it("gives each event its local start and end with TZID, its room and the session's page", () => {
    const events = vevents(bodies.get("/schedule.ics")!);
    for (const s of exported) {
      const event = events.find((lines) => lines.includes(uidOf(s.slug)))!;
      const day = s.day!.replace(/-/g, "");
      expect(event, s.slug).toContain(`DTSTART;TZID=${edition.timezone}:${day}T${s.start!.replace(":", "")}00`);
      expect(event, s.slug).toContain(`DTEND;TZID=${edition.timezone}:${day}T${s.end!.replace(":", "")}00`);
      expect(
        event.find((l) => l.startsWith("LOCATION:")),
        s.slug,
      ).toMatch(new RegExp(`^LOCATION:${roomName(s).replace(/[,;]/g, "\\\\$&")}\\\\, `));
      expect(event, s.slug).toContain(`URL;VALUE=URI:${server.url}/sessions/${s.slug}`);
      expect(
        event.find((l) => l.startsWith("DTSTAMP:")),
        s.slug,
      ).toMatch(/^DTSTAMP:\d{8}T\d{6}Z$/);
    }
  });

  it("gives each session and each public speaker a calendar of their own", () => {
    for (const s of exported) {
      const events = vevents(bodies.get(`/sessions/${s.slug}.ics`)!);
      expect(
        events.map((lines) => lines[0]),
        s.slug,
      ).toEqual([uidOf(s.slug)]);
    }
    for (const slug of publicSpeakerSlugs) {
      const expected = full.filter((s) => s.speakers?.includes(slug)).map((s) => uidOf(s.slug));
      expect(new Set(vevents(bodies.get(`/speakers/${slug}.ics`)!).map((lines) => lines[0])), slug).toEqual(new Set(expected));
    }
  });
});

describe("GET /schedule.json", () => {
  const schedule = () => JSON.parse(bodies.get("/schedule.json")!);
  const events = () =>
    schedule().schedule.conference.days.flatMap((d: { rooms: Record<string, unknown[]> }) => Object.values(d.rooms).flat()) as Record<
      string,
      unknown
    >[];

  it("is valid against the community JSON schema", () => {
    expect(validateScheduleJson(schedule())).toBe("");
  });

  it("describes the edition with its days", () => {
    const conference = schedule().schedule.conference;
    expect(conference).toMatchObject({
      acronym,
      start: edition.startDate,
      end: edition.endDate,
      daysCount: 2,
      time_zone_name: edition.timezone,
    });
    expect(conference.days.map((d: { date: string }) => d.date)).toEqual([edition.startDate, edition.endDate]);
    expect(conference.rooms.map((r: { name: string }) => r.name)).toEqual(setup.rooms.map((r) => r.name));
  });

  it("has one event per exported session, as written in the content", () => {
    const bySlug = new Map(events().map((e) => [e.slug, e]));
    expect(events()).toHaveLength(exported.length);
    expect(new Set(events().map((e) => e.guid)).size).toBe(exported.length);
    for (const s of exported) {
      const event = bySlug.get(`${acronym}-${s.slug}`)!;
      const length = minutes(s.end!) - minutes(s.start!);
      expect(event, s.slug).toMatchObject({
        // The demo edition runs in July: Paris is on summer time, UTC+2.
        date: `${s.day}T${s.start}:00+02:00`,
        start: s.start,
        duration: `${String(Math.floor(length / 60)).padStart(2, "0")}:${String(length % 60).padStart(2, "0")}`,
        room: roomName(s),
        title: titleIn(s, "en"),
        url: `${server.url}/sessions/${s.slug}`,
        track: setup.tracks.find((t) => t.slug === s.track)?.name.en ?? null,
        type: setup.formats.find((f) => f.slug === s.format)!.name.en,
        language: s.language ?? "en",
      });
      if (isRestricted(s)) {
        expect(event, s.slug).toMatchObject({ abstract: "", description: "", persons: [], do_not_record: true });
      } else {
        expect(event.abstract, s.slug).toBe(abstractIn(s, "en"));
        expect(event.description, s.slug).toBe(descriptionIn(s, "en"));
        expect(
          (event.persons as { public_name: string }[]).map((p) => p.public_name),
          s.slug,
        ).toEqual((s.speakers ?? []).map(speakerName));
        for (const person of event.persons as { id: unknown }[]) expect(Number.isInteger(person.id), s.slug).toBe(true);
      }
    }
  });
});

describe("GET /schedule.xml", () => {
  it("is valid against the community XSD", async () => {
    expect(await validateXml(bodies.get("/schedule.xml")!, SCHEDULE_XSD)).toEqual({ valid: true, output: "document.xml validates\n" });
  });

  it("has one event per exported session", () => {
    const xml = bodies.get("/schedule.xml")!;
    expect(xml.match(/<event /g)).toHaveLength(exported.length);
    for (const s of exported) expect(xml, s.slug).toContain(`<slug>${acronym}-${s.slug}</slug>`);
  });
});

describe("the French exports: /fr/schedule.ics, .xml, .json and the calendars under /fr", () => {
  const frenchEvents = () =>
    JSON.parse(bodies.get("/fr/schedule.json")!).schedule.conference.days.flatMap((d: { rooms: Record<string, unknown[]> }) =>
      Object.values(d.rooms).flat(),
    ) as Record<string, unknown>[];

  it("are valid against the community schemas", async () => {
    expect(validateScheduleJson(JSON.parse(bodies.get("/fr/schedule.json")!))).toBe("");
    expect(await validateXml(bodies.get("/fr/schedule.xml")!, SCHEDULE_XSD)).toEqual({ valid: true, output: "document.xml validates\n" });
  });

  it("hold the same events as the English ones (same guids and ids), with the French texts, names and links", () => {
    const english = new Map(
      (
        JSON.parse(bodies.get("/schedule.json")!).schedule.conference.days.flatMap((d: { rooms: Record<string, unknown[]> }) =>
          Object.values(d.rooms).flat(),
        ) as Record<string, unknown>[]
      ).map((e) => [e.slug, e]),
    );
    const french = new Map(frenchEvents().map((e) => [e.slug, e]));
    expect([...french.keys()].sort()).toEqual([...english.keys()].sort());
    for (const s of exported) {
      const event = french.get(`${acronym}-${s.slug}`)!;
      expect(event, s.slug).toMatchObject({
        guid: english.get(`${acronym}-${s.slug}`)!.guid,
        id: english.get(`${acronym}-${s.slug}`)!.id,
        title: titleIn(s, "fr"),
        url: `${server.url}/fr/sessions/${s.slug}`,
        track: setup.tracks.find((t) => t.slug === s.track)?.name.fr ?? null,
        type: setup.formats.find((f) => f.slug === s.format)!.name.fr,
        language: s.language ?? "en",
      });
      if (!isRestricted(s)) expect(event.abstract, s.slug).toBe(abstractIn(s, "fr"));
    }
    // The demo gives every session in French: the export is really French.
    expect(exported.filter((s) => (s.language ?? "en") === "en").every((s) => titleIn(s, "fr") !== s.title)).toBe(true);
    const conference = JSON.parse(bodies.get("/fr/schedule.json")!).schedule.conference;
    expect(conference.title).toBe("Forum international sur les technologies pour un monde plus sûr");
    expect(conference.url).toBe(`${server.url}/fr/`);
    expect(bodies.get("/fr/schedule.xml")).toContain(`<url>${server.url}/fr/schedule.xml</url>`);
  });

  it("name French calendars, with French titles and links to the French pages", () => {
    const ics = bodies.get("/fr/schedule.ics")!;
    const lines = unfoldIcs(ics);
    expect(lines).toContain("X-WR-CALNAME:Forum international sur les technologies pour un monde plus sûr");
    const events = vevents(ics);
    expect(events).toHaveLength(exported.length);
    for (const s of exported) {
      const event = events.find((e) => e.includes(uidOf(s.slug)))!;
      expect(
        event.find((l) => l.startsWith("SUMMARY:")),
        s.slug,
      ).toBe(`SUMMARY:${titleIn(s, "fr").replace(/([,;\\])/g, "\\$1")}`);
      expect(event, s.slug).toContain(`URL;VALUE=URI:${server.url}/fr/sessions/${s.slug}`);
    }
    const talk = full.find((s) => (s.speakers ?? []).length > 0)!;
    expect(
      unfoldIcs(ics)
        .join("\n")
        .replace(/\\([,;\\])/g, "$1"),
    ).toContain(`Intervenants\u00a0: ${(talk.speakers ?? []).map(speakerName).join(", ")}`);
    const restricted = events.find((e) => e.includes(uidOf(titleOnly[0]!.slug)))!;
    expect(restricted.find((l) => l.startsWith("DESCRIPTION:"))).toMatch(/^DESCRIPTION:Le détail de cette session est réservé/);
    expect(unfoldIcs(bodies.get(`/fr/sessions/${full[0].slug}.ics`)!)).toContain(`URL:${server.url}/fr/sessions/${full[0].slug}.ics`);
  });

  it("keep the English URLs as they were", () => {
    expect(JSON.parse(bodies.get("/schedule.json")!).schedule.conference.title).toBe(
      "International Forum on Technologies for a Safer World",
    );
    expect(bodies.get("/schedule.xml")).toContain(`<url>${server.url}/schedule.xml</url>`);
  });

  it("are offered on the French programme page, the English ones on the English page", async () => {
    const fr = await (await fetch(`${server.url}/fr/programme`)).text();
    for (const path of ["/fr/schedule.ics", "/fr/schedule.xml", "/fr/schedule.json"]) expect(fr).toContain(`href="${path}"`);
    const en = await (await fetch(`${server.url}/programme`)).text();
    for (const path of ["/schedule.ics", "/schedule.xml", "/schedule.json"]) expect(en).toContain(`href="${path}"`);
    const session = await (await fetch(`${server.url}/fr/sessions/${full[0].slug}`)).text();
    expect(session).toContain(`href="/fr/sessions/${full[0].slug}.ics"`);
  });
});

describe("GET /sitemap.xml and /robots.txt", () => {
  it("lists every public page in both languages, with alternates", async () => {
    const xml = bodies.get("/sitemap.xml")!;
    expect(await validateXml(xml)).toMatchObject({ valid: true });
    const paths = [
      ...EDITORIAL,
      ...exported.map((s) => `/sessions/${s.slug}`),
      ...[...publicSpeakerSlugs].map((slug) => `/speakers/${slug}`),
    ];
    const french = (path: string) => (path === "/" ? "/fr/" : `/fr${path}`);
    const locs = [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
    expect(locs.sort()).toEqual(paths.flatMap((p) => [server.url + p, server.url + french(p)]).sort());
    const session = exported[0].slug;
    const block = xml.slice(xml.indexOf(`<loc>${server.url}/fr/sessions/${session}</loc>`)).split("</url>")[0];
    expect(block).toContain(`<xhtml:link rel="alternate" hreflang="en" href="${server.url}/sessions/${session}"/>`);
    expect(block).toContain(`<xhtml:link rel="alternate" hreflang="fr" href="${server.url}/fr/sessions/${session}"/>`);
    expect(block).toContain(`<xhtml:link rel="alternate" hreflang="x-default" href="${server.url}/sessions/${session}"/>`);
  });

  it("points crawlers at the sitemap", () => {
    expect(bodies.get("/robots.txt")).toContain(`\nSitemap: ${server.url}/sitemap.xml\n`);
  });
});
