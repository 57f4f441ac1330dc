import { createHash } from "node:crypto";
import { escapeMarkup } from "../../markup.ts";
import type { Edition } from "../../config/edition.ts";
import type { ProgrammeView, SessionView } from "../audience.ts";
import { localizePath } from "../../locale.ts";
import type { Language } from "../model.ts";
import { anyText } from "../texts.ts";
import { instantToZoned, toZonedIso, zonedToInstant } from "../time.ts";

/**
 * The frab/pretalx schedule ("Fahrplan") as XML and JSON: the format that Giggity, EventFahrplan and
 * the c3voc tools read. Built from a `ProgrammeView`, so it holds exactly what that viewer may see:
 * a restricted session keeps its title, time, room, track and format, with empty abstract and
 * description and no persons. Breaks are left out.
 */

/** What a schedule needs besides the programme. */
export interface ScheduleContext {
  edition: Pick<Edition, "acronym" | "name" | "startDate" | "endDate" | "timezone">;
  /** Origin of the public site, e.g. `https://forum.example.org`: every URL in the schedule is absolute. */
  siteUrl: string | URL;
  /** The schedule's version, chosen by the caller (see `scheduleVersion`). */
  version: string;
  /** Language of the texts and links (default English): a text missing in it is given in the other one. */
  locale?: Language;
}

/** A link or attachment of an event (none exist in the programme yet). */
export interface FrabReference {
  url: string;
  title: string;
  type?: string;
}

/**
 * A person on an event: public name and page only. The integer `id` (the speaker's database id) is
 * what ConfClerk, Giggity and older readers key persons on; with it the JSON person is the schema's
 * frab branch (`id` + `public_name`), so it must not also carry `name`, which would match the
 * pretalx branch too and break the schema's `oneOf` (pretalx's own export does the same).
 */
export interface FrabPerson {
  id: number;
  guid: string;
  public_name: string;
  url: string;
}

/** One event of the schedule, in the JSON shape (the XML carries the same fields). */
export interface FrabEvent {
  id: number;
  guid: string;
  date: string;
  start: string;
  end: string;
  duration: string;
  room: string;
  slug: string;
  url: string;
  title: string;
  subtitle: string;
  track: string | null;
  type: string;
  language: string;
  abstract: string;
  description: string;
  recording_license: string;
  do_not_record: boolean;
  persons: FrabPerson[];
  links: FrabReference[];
  attachments: FrabReference[];
}

/** A room as the conference lists it. */
export interface FrabRoom {
  name: string;
  slug: string;
  guid: string;
  description: string | null;
  capacity: number | null;
}

/** One day: its boundaries and its rooms' events, rooms in display order. */
export interface FrabDay {
  index: number;
  date: string;
  day_start: string;
  day_end: string;
  rooms: Record<string, FrabEvent[]>;
}

/** The whole schedule document, as served in JSON. */
export interface FrabSchedule {
  $schema: string;
  generator: { name: string };
  schedule: {
    version: string;
    base_url: string;
    conference: {
      acronym: string;
      title: string;
      start: string;
      end: string;
      daysCount: number;
      timeslot_duration: string;
      time_zone_name: string;
      url: string;
      tracks: { name: string; slug: string; color: string }[];
      rooms: FrabRoom[];
      days: FrabDay[];
    };
  };
}

const GENERATOR = "forum-safer-world";
/** Namespace of every UUID this site derives (a fixed random UUID: the UUIDs must never change). */
export const FORUM_UUID_NAMESPACE = "0f5e3a52-7c1d-4b8e-9a36-2d4c8b1e6f07";
/** Schedule clients expect a day to run from early morning to early next morning, as pretalx sends it. */
const DAY_STARTS_AT = "04:00";
const DAY_ENDS_AT = "03:59";
/** Room of items placed in no room (plenary items across the venue). */
const ALL_ROOMS = { slug: "all-rooms", name: { en: "All rooms", fr: "Toutes les salles" } };

/** An RFC 4122 version-5 (name-based, SHA-1) UUID of `name` in `namespace`: the same name always gives the same UUID. */
export function uuidV5(name: string, namespace: string = FORUM_UUID_NAMESPACE): string {
  const hash = createHash("sha1")
    .update(Buffer.from(namespace.replace(/-/g, ""), "hex"))
    .update(name, "utf8")
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The edition's acronym as the schemas accept it: lower case, letters, digits and underscores (FTSW2013 -> ftsw2013). */
export function frabAcronym(acronym: string): string {
  return acronym
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

/** True for breaks, which schedule clients and calendars do without. */
export function isBreak(session: Pick<SessionView, "format">): boolean {
  return session.format.slug === "break";
}

/** A short content hash of what `view` shows: changes whenever anything in the schedule does. */
export function scheduleVersion(view: ProgrammeView): string {
  const content = JSON.stringify([view.rooms, view.tracks, view.formats, view.sessions]);
  return createHash("sha256").update(content).digest("hex").slice(0, 12);
}

/** The version an export carries: the release number, then the content hash of what this viewer sees. */
export function exportVersion(release: number | undefined, view: ProgrammeView): string {
  return release === undefined ? scheduleVersion(view) : `${release}-${scheduleVersion(view)}`;
}

/** Absolute URL of `path` on the site. */
function absolute(siteUrl: string | URL, path: string): string {
  return new URL(path, siteUrl).href;
}

const pad = (n: number) => String(n).padStart(2, "0");
const hhmm = (minutes: number) => `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function nextDate(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The local date of the schedule day `at` belongs to (a day runs from DAY_STARTS_AT to the next). */
function scheduleDate(at: Date, zone: string): string {
  const { date, time } = instantToZoned(at, zone);
  if (time >= DAY_STARTS_AT) return date;
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/**
 * Legacy numeric ids, which the formats still require: derived from the guid, so that they stay the
 * same between requests and releases; the rare clash is settled in slug order.
 */
function numericIds(guids: { slug: string; guid: string }[]): Map<string, number> {
  const ids = new Map<string, number>();
  const taken = new Set<number>();
  for (const { slug, guid } of [...guids].sort((a, b) => (a.slug < b.slug ? -1 : 1))) {
    let id = Number.parseInt(guid.slice(0, 7), 16) + 1;
    while (taken.has(id)) id += 1;
    taken.add(id);
    ids.set(slug, id);
  }
  return ids;
}

/** The schedule of `view` as a JSON-ready object, valid against the c3voc schedule JSON schema. */
export function buildSchedule(view: ProgrammeView, context: ScheduleContext): FrabSchedule {
  const { edition, siteUrl } = context;
  const locale = context.locale ?? "en";
  const allRooms = { slug: ALL_ROOMS.slug, name: ALL_ROOMS.name[locale] };
  const zone = edition.timezone;
  const acronym = frabAcronym(edition.acronym);
  const sessions = view.sessions.filter((s) => !isBreak(s));

  const rooms: FrabRoom[] = view.rooms.map((r) => ({
    name: r.name,
    slug: r.slug,
    guid: uuidV5(`${acronym}/room/${r.slug}`),
    description: r.description || null,
    capacity: r.capacity,
  }));
  if (sessions.some((s) => !s.room)) {
    rooms.push({
      name: allRooms.name,
      slug: ALL_ROOMS.slug,
      guid: uuidV5(`${acronym}/room/${ALL_ROOMS.slug}`),
      description: null,
      capacity: null,
    });
  }

  const guids = sessions.map((s) => ({ slug: s.slug, guid: uuidV5(`${acronym}/session/${s.slug}`) }));
  const guidOf = new Map(guids.map((g) => [g.slug, g.guid]));
  const idOf = numericIds(guids);

  const event = (s: SessionView): FrabEvent => {
    const minutes = Math.round((s.endsAt.getTime() - s.startsAt.getTime()) / 60000);
    return {
      id: idOf.get(s.slug)!,
      guid: guidOf.get(s.slug)!,
      date: toZonedIso(s.startsAt, zone),
      start: instantToZoned(s.startsAt, zone).time,
      end: toZonedIso(s.endsAt, zone),
      duration: hhmm(minutes),
      room: s.room?.name ?? allRooms.name,
      slug: `${acronym}-${s.slug}`,
      url: absolute(siteUrl, localizePath(`/sessions/${s.slug}`, locale)),
      title: anyText(s.title, locale),
      subtitle: "",
      track: s.track?.name[locale] ?? null,
      type: s.format.name[locale],
      language: s.language,
      abstract: s.restricted ? "" : anyText(s.abstract, locale),
      description: s.restricted ? "" : anyText(s.description, locale),
      recording_license: "",
      // Nothing restricted or labelled beyond TLP:CLEAR is ever recorded.
      do_not_record: s.audience !== "public" || (s.tlp ?? "CLEAR") !== "CLEAR",
      persons: s.restricted
        ? []
        : s.speakers.map((p) => ({
            id: p.id,
            guid: uuidV5(`speaker/${p.slug}`),
            public_name: p.name,
            url: absolute(siteUrl, `/speakers/${p.slug}`),
          })),
      links: [],
      attachments: [],
    };
  };

  const dates = new Set(eachDate(edition.startDate, edition.endDate));
  for (const s of sessions) dates.add(scheduleDate(s.startsAt, zone));
  const days: FrabDay[] = [...dates].sort().map((date, i) => {
    const dayRooms: Record<string, FrabEvent[]> = {};
    for (const room of rooms) {
      const events = sessions
        .filter((s) => (s.room?.name ?? allRooms.name) === room.name && scheduleDate(s.startsAt, zone) === date)
        .map(event);
      if (events.length || room.slug !== ALL_ROOMS.slug) dayRooms[room.name] = events;
    }
    return {
      index: i + 1,
      date,
      day_start: toZonedIso(zonedToInstant(date, DAY_STARTS_AT, zone), zone),
      day_end: toZonedIso(zonedToInstant(nextDate(date), DAY_ENDS_AT, zone), zone),
      rooms: dayRooms,
    };
  });

  // The coarsest slot that every start and duration fits, as the grid clients draw.
  let slot = 0;
  for (const s of sessions) {
    const [h, m] = instantToZoned(s.startsAt, zone).time.split(":").map(Number);
    slot = gcd(gcd(slot, h * 60 + m), Math.round((s.endsAt.getTime() - s.startsAt.getTime()) / 60000));
  }
  slot = slot === 0 ? 5 : Math.min(slot, 60);

  return {
    $schema: "https://c3voc.de/schedule/schema.json",
    generator: { name: GENERATOR },
    schedule: {
      version: context.version,
      base_url: absolute(siteUrl, "/"),
      conference: {
        acronym,
        title: edition.name[locale],
        start: edition.startDate,
        end: edition.endDate,
        daysCount: days.length,
        timeslot_duration: hhmm(slot),
        time_zone_name: zone,
        url: absolute(siteUrl, localizePath("/", locale)),
        tracks: view.tracks.map((t) => ({ name: t.name[locale], slug: t.slug, color: t.colour })),
        rooms,
        days,
      },
    },
  };
}

function eachDate(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let date = first; date <= last; date = nextDate(date)) dates.push(date);
  return dates;
}

/** The schedule of `view` as JSON text (frab/pretalx `schedule.json`). */
export function scheduleJson(view: ProgrammeView, context: ScheduleContext): string {
  return JSON.stringify(buildSchedule(view, context), null, 2) + "\n";
}

// Characters XML 1.0 cannot carry at all, even escaped.
const XML_INVALID =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` escaped for XML character data or a double-quoted attribute value. */
export function escapeXml(text: string): string {
  return escapeMarkup(text.replace(XML_INVALID, "")).replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
}

/** Attribute values keep their line breaks only as character references. */
const attr = (text: string) => escapeXml(text).replace(/\n/g, "&#10;");

/** `<name attrs>text</name>`; an element with neither text nor children is written empty. */
function element(name: string, content: string | null, attributes: Record<string, string | number | undefined> = {}, indent = ""): string {
  const attrs = Object.entries(attributes)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${attr(String(v))}"`)
    .join("");
  return content === null || content === "" ? `${indent}<${name}${attrs}/>` : `${indent}<${name}${attrs}>${content}</${name}>`;
}

function eventXml(e: FrabEvent, indent: string): string {
  const inner = indent + "  ";
  const text = (name: string, value: string) => element(name, escapeXml(value), {}, inner);
  const list = (name: string, items: string[]) =>
    items.length ? `${inner}<${name}>\n${items.join("\n")}\n${inner}</${name}>` : element(name, null, {}, inner);
  return [
    `${indent}<event guid="${e.guid}" id="${e.id}">`,
    text("date", e.date),
    text("start", e.start),
    text("duration", e.duration),
    text("room", e.room),
    text("slug", e.slug),
    text("url", e.url),
    text("title", e.title),
    text("subtitle", e.subtitle),
    text("track", e.track ?? ""),
    text("type", e.type),
    text("language", e.language),
    text("abstract", e.abstract),
    text("description", e.description),
    `${inner}<recording>`,
    element("license", escapeXml(e.recording_license), {}, inner + "  "),
    element("optout", String(e.do_not_record), {}, inner + "  "),
    `${inner}</recording>`,
    list(
      "persons",
      e.persons.map((p) => element("person", escapeXml(p.public_name), { id: p.id, guid: p.guid }, inner + "  ")),
    ),
    list(
      "links",
      e.links.map((l) => element("link", escapeXml(l.title), { href: l.url, type: l.type }, inner + "  ")),
    ),
    list(
      "attachments",
      e.attachments.map((a) => element("attachment", escapeXml(a.title), { href: a.url, type: a.type }, inner + "  ")),
    ),
    `${indent}</event>`,
  ].join("\n");
}

/** The schedule of `view` as XML (frab/pretalx `schedule.xml`), valid against the c3voc schedule XSD. */
export function scheduleXml(view: ProgrammeView, context: ScheduleContext): string {
  const { schedule } = buildSchedule(view, context);
  const c = schedule.conference;
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<schedule>`,
    element("generator", null, { name: GENERATOR }, "  "),
    element("url", escapeXml(absolute(context.siteUrl, localizePath("/schedule.xml", context.locale ?? "en"))), {}, "  "),
    element("version", escapeXml(schedule.version), {}, "  "),
    `  <conference>`,
    element("acronym", escapeXml(c.acronym), {}, "    "),
    element("title", escapeXml(c.title), {}, "    "),
    element("start", c.start, {}, "    "),
    element("end", c.end, {}, "    "),
    element("days", String(c.daysCount), {}, "    "),
    element("timeslot_duration", c.timeslot_duration, {}, "    "),
    element("base_url", escapeXml(schedule.base_url), {}, "    "),
    element("url", escapeXml(c.url), {}, "    "),
    element("time_zone_name", escapeXml(c.time_zone_name), {}, "    "),
    ...c.tracks.map((t) => element("track", null, { name: t.name, slug: t.slug, color: t.color }, "    ")),
    `  </conference>`,
  ];
  for (const day of c.days) {
    lines.push(`  <day index="${day.index}" date="${day.date}" start="${day.day_start}" end="${day.day_end}">`);
    for (const room of c.rooms) {
      const events = day.rooms[room.name];
      if (!events) continue;
      if (!events.length) {
        lines.push(element("room", null, { name: room.name, guid: room.guid }, "    "));
        continue;
      }
      lines.push(`    <room name="${attr(room.name)}" guid="${room.guid}">`, ...events.map((e) => eventXml(e, "      ")), `    </room>`);
    }
    lines.push(`  </day>`);
  }
  lines.push(`</schedule>`, "");
  return lines.join("\n");
}
