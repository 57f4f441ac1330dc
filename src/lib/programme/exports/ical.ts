import { getVtimezoneComponent } from "@touch4it/ical-timezones";
import ical, { ICalEventStatus, escape, type ICalEventData } from "ical-generator";
import { Temporal } from "temporal-polyfill";
import type { Edition } from "../../config/edition.ts";
import { calendarText } from "../../icalendar.ts";
import { localizePath } from "../../locale.ts";
import type { ProgrammeView, SessionView } from "../audience.ts";
import type { Language } from "../model.ts";
import { anyText } from "../texts.ts";
import { markdownToPlainText } from "../markdown.ts";
import { frabAcronym, isBreak } from "./frab.ts";

/**
 * iCalendar feeds of the programme (whole, one session, one speaker), built from a `ProgrammeView`
 * so that they hold exactly what that viewer may see. Times carry `TZID=<edition zone>` with its
 * `VTIMEZONE`; every stamp comes from the data, so the same programme always gives the same bytes.
 */

/** What a calendar needs besides the programme. */
export interface CalendarContext {
  edition: Pick<Edition, "acronym" | "name" | "shortName" | "timezone" | "venue">;
  /** Origin of the public site, e.g. `https://forum.example.org`: gives the URLs and the UIDs' domain. */
  siteUrl: string | URL;
  /** Language of the texts and links (default English): a text missing in it is given in the other one. */
  locale?: Language;
}

const prodId = (locale: Language) => ({ company: "forum-safer-world", product: "programme", language: locale.toUpperCase() });
/** How often subscribed clients should refresh, in seconds. */
const REFRESH_SECONDS = 60 * 60;

const WORDS = {
  en: {
    restricted: {
      public: "The details of this session are restricted.",
      registered: "The details of this session are restricted to confirmed attendees.",
      "law-enforcement": "The details of this session are restricted to confirmed law-enforcement attendees.",
    },
    speakers: "Speakers: ",
  },
  fr: {
    restricted: {
      public: "Le détail de cette session est réservé.",
      registered: "Le détail de cette session est réservé aux participants confirmés.",
      "law-enforcement": "Le détail de cette session est réservé aux participants confirmés des forces de l’ordre.",
    },
    speakers: "Intervenants\u00a0: ",
  },
} satisfies Record<Language, { restricted: Record<SessionView["audience"], string>; speakers: string }>;

/** The UID of a session's event: the same in every feed, request and release of this edition. */
export function sessionUid(slug: string, context: CalendarContext): string {
  return `${frabAcronym(context.edition.acronym)}-session-${slug}@${new URL(context.siteUrl).hostname}`;
}

/**
 * `at` on the wall clock of `zone`, as the Temporal.ZonedDateTime that ical-generator formats with
 * the TZID (given a native Date it would write the server's own local time instead). The polyfill
 * stands in until Node ships Temporal.
 */
function zoned(at: Date, zone: string): Temporal.ZonedDateTime {
  return Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(zone);
}

/** Where a session takes place: its room (if any) at the venue. */
function location(session: SessionView, context: CalendarContext): string {
  const { venue } = context.edition;
  return [session.room?.name, venue.name, venue.address].filter(Boolean).join(", ");
}

/** Plain-text description: the abstract, the speakers and the link; only a note for a restricted session. */
function description(session: SessionView, url: string, locale: Language): string {
  const words = WORDS[locale];
  if (session.restricted) return words.restricted[session.audience];
  // Paragraph by paragraph, so that the breaks between them survive.
  const abstract = anyText(session.abstract, locale)
    .split(/\n\s*\n/)
    .map((paragraph) => markdownToPlainText(paragraph, Number.POSITIVE_INFINITY))
    .filter(Boolean)
    .join("\n\n");
  const parts = [abstract];
  if (session.speakers.length) parts.push(`${words.speakers}${session.speakers.map((s) => s.name).join(", ")}`);
  parts.push(url);
  return parts.filter(Boolean).join("\n\n");
}

function event(session: SessionView, context: CalendarContext): ICalEventData {
  const zone = context.edition.timezone;
  const locale = context.locale ?? "en";
  const url = new URL(localizePath(`/sessions/${session.slug}`, locale), context.siteUrl).href;
  return {
    id: sessionUid(session.slug, context),
    start: zoned(session.startsAt, zone),
    end: zoned(session.endsAt, zone),
    timezone: zone,
    stamp: session.updatedAt,
    lastModified: session.updatedAt,
    summary: anyText(session.title, locale),
    location: location(session, context),
    description: description(session, url, locale),
    url,
    categories: session.track ? [{ name: session.track.name[locale] }] : [],
    status: ICalEventStatus.CONFIRMED,
  };
}

function calendar(name: string, feedPath: string, sessions: SessionView[], context: CalendarContext): string {
  const cal = ical({
    prodId: prodId(context.locale ?? "en"),
    // ical-generator writes the name as is; a TEXT value needs its commas and semicolons escaped.
    name: escape(name, false),
    url: new URL(feedPath, context.siteUrl).href,
    // No calendar-wide zone: DTSTAMP and LAST-MODIFIED must stay in UTC. The events' TZID brings the VTIMEZONE.
    timezone: { name: null, generator: getVtimezoneComponent },
    ttl: REFRESH_SECONDS,
    x: [["X-WR-TIMEZONE", context.edition.timezone]],
  });
  for (const session of sessions) cal.createEvent(event(session, context));
  return calendarText(cal.toString());
}

/** The whole programme `view` shows, breaks left out. */
export function programmeCalendar(view: ProgrammeView, context: CalendarContext): string {
  const locale = context.locale ?? "en";
  return calendar(
    context.edition.name[locale],
    localizePath("/schedule.ics", locale),
    view.sessions.filter((s) => !isBreak(s)),
    context,
  );
}

/**
 * The sessions of one track of `view`, breaks left out (`/schedule.ics?track=<slug>`), or null for
 * a track the programme does not have.
 */
export function trackCalendar(view: ProgrammeView, slug: string, context: CalendarContext): string | null {
  const track = view.tracks.find((t) => t.slug === slug);
  if (!track) return null;
  const locale = context.locale ?? "en";
  return calendar(
    `${track.name[locale]} (${context.edition.shortName[locale]})`,
    localizePath(`/schedule.ics?track=${encodeURIComponent(slug)}`, locale),
    view.sessions.filter((s) => !isBreak(s) && s.track?.slug === slug),
    context,
  );
}

/** One session of `view` (a break too: its page offers it), or null when the viewer may not see it. */
export function sessionCalendar(view: ProgrammeView, slug: string, context: CalendarContext): string | null {
  const session = view.sessions.find((s) => s.slug === slug);
  if (!session) return null;
  const locale = context.locale ?? "en";
  const name = `${anyText(session.title, locale)} (${context.edition.shortName[locale]})`;
  return calendar(name, localizePath(`/sessions/${slug}.ics`, locale), [session], context);
}

/** The sessions of one speaker of `view`, or null when the viewer may not see that speaker. */
export function speakerCalendar(view: ProgrammeView, slug: string, context: CalendarContext): string | null {
  const speaker = view.speakers.find((s) => s.slug === slug);
  if (!speaker) return null;
  const locale = context.locale ?? "en";
  const name = `${speaker.name} (${context.edition.shortName[locale]})`;
  return calendar(name, localizePath(`/speakers/${slug}.ics`, locale), speaker.sessions, context);
}

/**
 * A personal agenda: `sessions` (already chosen from a viewer's `ProgrammeView`, so holding only
 * what that viewer may see) under the calendar name `name`; `pagePath` is the page the calendar
 * links to (not the feed's own private URL).
 */
export function agendaCalendar(name: string, pagePath: string, sessions: SessionView[], context: CalendarContext): string {
  return calendar(
    name,
    pagePath,
    sessions.filter((s) => !isBreak(s)),
    context,
  );
}

/** A session as a release e-mail states it: its title, new times and room name only. */
export interface ReleaseCalendarSession {
  slug: string;
  title: string;
  startsAt: Date;
  endsAt: Date;
  room?: string;
}

/**
 * The still-scheduled sessions of a release e-mail, built from its payload alone (rendering has no
 * database). The UIDs are those of every session feed, and SEQUENCE is the release number, so an
 * import updates the events a feed or an earlier message put in the calendar. DTSTAMP is the
 * edition's first day, so that the same message always gives the same bytes.
 */
export function releaseCalendar(
  release: number,
  sessions: readonly ReleaseCalendarSession[],
  context: CalendarContext & { edition: Pick<Edition, "startDate"> },
): string {
  const zone = context.edition.timezone;
  const locale = context.locale ?? "en";
  const { venue } = context.edition;
  const stamp = new Date(`${context.edition.startDate}T00:00:00Z`);
  const cal = ical({
    prodId: prodId(locale),
    name: escape(`${context.edition.shortName[locale]} (${release})`, false),
    url: new URL(localizePath("/changelog", locale), context.siteUrl).href,
    timezone: { name: null, generator: getVtimezoneComponent },
    x: [["X-WR-TIMEZONE", zone]],
  });
  for (const session of sessions) {
    const url = new URL(localizePath(`/sessions/${session.slug}`, locale), context.siteUrl).href;
    cal.createEvent({
      id: sessionUid(session.slug, context),
      sequence: release,
      start: zoned(session.startsAt, zone),
      end: zoned(session.endsAt, zone),
      timezone: zone,
      stamp,
      summary: session.title,
      location: [session.room, venue.name, venue.address].filter(Boolean).join(", "),
      url,
      status: ICalEventStatus.CONFIRMED,
    });
  }
  return calendarText(cal.toString());
}
