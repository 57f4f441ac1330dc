// Building an Intl.DateTimeFormat is costly (it was a third of a programme page's CPU): one per zone.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

// Offsets only change on quarter-hour boundaries (every real DST rule does), so a page that formats
// hundreds of times asks Intl once per quarter hour and zone.
const QUARTER_HOUR = 15 * 60_000;
const offsets = new Map<string, number>();

/** Offset in minutes of `zone` from UTC at instant `at` (positive east of Greenwich). */
export function zoneOffsetMinutes(zone: string, at: Date): number {
  const key = `${zone}|${Math.floor(at.getTime() / QUARTER_HOUR)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    if (offsets.size > 50_000) offsets.clear();
    offset = computeOffset(zone, new Date(Math.floor(at.getTime() / QUARTER_HOUR) * QUARTER_HOUR));
    offsets.set(key, offset);
  }
  return offset;
}

function computeOffset(zone: string, at: Date): number {
  const parts = formatterFor(zone).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((asUtc - Math.floor(at.getTime() / 1000) * 1000) / 60000);
}

/** The instant at which the wall clock in `zone` shows `date` (YYYY-MM-DD) `time` (HH:MM). */
export function zonedToInstant(date: string, time: string, zone: string): Date {
  const naive = Date.parse(`${date}T${time}:00Z`);
  if (Number.isNaN(naive)) throw new RangeError(`invalid local date/time ${date} ${time}`);
  // Two passes settle the offset also next to a DST change.
  let offset = zoneOffsetMinutes(zone, new Date(naive));
  offset = zoneOffsetMinutes(zone, new Date(naive - offset * 60000));
  return new Date(naive - offset * 60000);
}

/** Local date YYYY-MM-DD of `at` in `zone`. */
export function localDay(at: Date, zone: string): string {
  return instantToZoned(at, zone).date;
}

/** Wall-clock date (YYYY-MM-DD) and time (HH:MM) of `at` in `zone`. */
export function instantToZoned(at: Date, zone: string): { readonly date: string; readonly time: string } {
  const key = `${zone}|${at.getTime()}`;
  let zoned = zonedTimes.get(key);
  if (!zoned) {
    if (zonedTimes.size > 50_000) zonedTimes.clear();
    const shifted = new Date(at.getTime() + zoneOffsetMinutes(zone, at) * 60000).toISOString();
    zonedTimes.set(key, (zoned = Object.freeze({ date: shifted.slice(0, 10), time: shifted.slice(11, 16) })));
  }
  return zoned;
}
// A programme asks for the same few hundred instants on every page: each is worked out once.
const zonedTimes = new Map<string, { readonly date: string; readonly time: string }>();

/** ISO 8601 with the zone's offset, e.g. 2013-07-02T09:30:00+02:00 (what the frab formats expect). */
export function toZonedIso(at: Date, zone: string): string {
  const offset = zoneOffsetMinutes(zone, at);
  const { date, time } = instantToZoned(at, zone);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${date}T${time}:00${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}
