import { getVtimezoneComponent } from "@touch4it/ical-timezones";
import ical, { ICalEventStatus, escape } from "ical-generator";
import type { Edition } from "../config/edition.ts";
import { calendarText } from "../icalendar.ts";
import { type Locale } from "../locale.ts";
import { localizePath } from "../locale.ts";

/** The parts of the edition a forum calendar needs. */
export type CalendarEdition = Pick<Edition, "acronym" | "name" | "startDate" | "endDate" | "timezone" | "venue">;

/** The UID of the forum's event: the same in every file and language, so a second import updates the first. */
export function forumUid(edition: Pick<Edition, "acronym">, siteUrl: string): string {
  const slug = edition.acronym.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return `${slug}-forum@${new URL(siteUrl).hostname}`;
}

/** The day after a local date YYYY-MM-DD (an all-day DTEND is exclusive). */
function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * An iCalendar file with the forum as one all-day event from its first to its last day, at the venue,
 * in `language` (the `.ics` attached to the ticket e-mail and offered on the manage page).
 *
 * The days are DATE values, which calendars show on those days whatever the reader's zone; the venue's
 * `VTIMEZONE` and `X-WR-TIMEZONE` travel along for the clients that take the file's zone as a hint.
 * `stamp` (DTSTAMP) defaults to the first day, so the same edition always gives the same bytes: a
 * retried e-mail must be identical to the first attempt for the provider's idempotency key.
 */
export function forumCalendar(edition: CalendarEdition, siteUrl: string, language: Locale, stamp?: Date): string {
  const url = new URL(localizePath("/", language), siteUrl).href;
  const name = edition.name[language];
  const { venue } = edition;
  const cal = ical({
    prodId: { company: "forum-safer-world", product: "registration", language: language.toUpperCase() },
    name: escape(name, false),
    url,
    x: [["X-WR-TIMEZONE", edition.timezone]],
  });
  cal.createEvent({
    id: forumUid(edition, siteUrl),
    // A Date at midnight UTC: without a zone, ical-generator writes all-day dates from the UTC fields.
    start: new Date(`${edition.startDate}T00:00:00Z`),
    end: new Date(`${nextDay(edition.endDate)}T00:00:00Z`),
    allDay: true,
    stamp: stamp ?? new Date(`${edition.startDate}T00:00:00Z`),
    summary: name,
    location:
      venue.latitude !== undefined && venue.longitude !== undefined
        ? { title: `${venue.name}, ${venue.address}`, geo: { lat: venue.latitude, lon: venue.longitude } }
        : `${venue.name}, ${venue.address}`,
    description: `${name}\n${venue.name}, ${venue.address}\n${url}`,
    url,
    status: ICalEventStatus.CONFIRMED,
  });
  // No event carries a TZID, so ical-generator would leave the zone out: add it before the event.
  const vtimezone = getVtimezoneComponent(edition.timezone)?.replace(/\r?\n/g, "\r\n") ?? "";
  return calendarText(cal.toString().replace("BEGIN:VEVENT", `${vtimezone}BEGIN:VEVENT`));
}
