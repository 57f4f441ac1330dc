import type { Room } from "./model.ts";
import { instantToZoned } from "./time.ts";

/** One grid row is this many minutes. */
export const SLOT_MINUTES = 5;
/** A day's grid starts and ends on a multiple of this many minutes (where the time marks fall). */
export const MARK_MINUTES = 30;
/**
 * Highest grid line a class exists for: a header row plus 24 hours of 5-minute rows plus the end
 * line. Placement uses classes (`.rs-N`, `.re-N`, `.cs-N`, `.ce-N`) because the Content-Security-Policy
 * forbids inline styles.
 */
export const MAX_ROW_LINE = 2 + (24 * 60) / SLOT_MINUTES;
/** Most rooms a grid lays out side by side. */
export const MAX_ROOMS = 16;

/** What the grid needs of a session. */
export interface Placeable {
  startsAt: Date;
  endsAt: Date;
  room: Pick<Room, "slug"> | null;
}

/** Where one session sits: CSS grid lines (1-based, end exclusive), header row and time column included. */
export interface Placement<T> {
  item: T;
  rowStart: number;
  rowEnd: number;
  colStart: number;
  colEnd: number;
  /** No room: a break or plenary item across every room column. */
  allRooms: boolean;
}

/** A time label in the first column and a rule across the rooms, at `row`. */
export interface TimeMark {
  time: string;
  row: number;
  /** Line where the label's cell ends (the next mark, or the end of the grid). */
  rowEnd: number;
  hour: boolean;
}

/** One day laid out as rooms (columns) × 5-minute rows. */
export interface DayGrid<T> {
  /** Room columns in display order: column line of room i is i + 2. */
  rooms: Room[];
  /** Minutes after local midnight of the first row. */
  startMinute: number;
  /** Minutes after local midnight where the last row ends. */
  endMinute: number;
  /** Grid line after the last row. */
  lastLine: number;
  placements: Placement<T>[];
  marks: TimeMark[];
  /** Two placements share a cell (a scheduling conflict): the grid would hide one, so show a list instead. */
  overlapping: boolean;
}

function minuteOfDay(at: Date, zone: string, day: string): number {
  const { date, time } = instantToZoned(at, zone);
  const [h, m] = time.split(":").map(Number) as [number, number];
  // An item ending after midnight keeps counting past 24:00 of its day.
  const dayOffset = Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${day}T00:00:00Z`)) / 86_400_000);
  return dayOffset * 1440 + h * 60 + m;
}

function hhmm(minutes: number): string {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/** How the organizers' editor lays out a day: every room (empty ones too) and at least `from`–`to` (minutes after midnight). */
export interface LayoutOptions {
  everyRoom?: boolean;
  from?: number;
  to?: number;
}

/**
 * Lays out the sessions of one local `day` on a grid: a header row, then one row per 5 minutes from
 * the earliest start to the latest end (rounded out to the half hour); one column per room that has
 * a session that day (in `rooms` order), after a time column. Sessions without a room span every
 * room column. Sessions are expected to start on `day` in `zone`.
 */
export function layoutDay<T extends Placeable>(
  sessions: readonly T[],
  rooms: readonly Room[],
  day: string,
  zone: string,
  options: LayoutOptions = {},
): DayGrid<T> {
  const used = new Set(sessions.map((s) => s.room?.slug).filter(Boolean));
  const columns = (options.everyRoom ? rooms : rooms.filter((r) => used.has(r.slug))).slice(0, MAX_ROOMS);
  const columnOf = new Map(columns.map((r, i) => [r.slug, i + 2]));
  const roomCount = Math.max(columns.length, 1);

  const times = sessions.map((s) => {
    const start = minuteOfDay(s.startsAt, zone, day);
    return { start, end: Math.max(minuteOfDay(s.endsAt, zone, day), start + SLOT_MINUTES) };
  });
  const starts = [...times.map((t) => t.start), ...(options.from === undefined ? [] : [options.from])];
  const ends = [...times.map((t) => t.end), ...(options.to === undefined ? [] : [options.to])];
  const first = starts.length ? Math.min(...starts) : 0;
  const last = ends.length ? Math.max(...ends) : MARK_MINUTES;
  const startMinute = Math.max(0, Math.floor(first / MARK_MINUTES) * MARK_MINUTES);
  const maxEnd = startMinute + (MAX_ROW_LINE - 2) * SLOT_MINUTES;
  const endMinute = Math.min(maxEnd, Math.max(startMinute + MARK_MINUTES, Math.ceil(last / MARK_MINUTES) * MARK_MINUTES));
  const lineAt = (minute: number) => 2 + Math.round((Math.min(Math.max(minute, startMinute), endMinute) - startMinute) / SLOT_MINUTES);
  const lastLine = lineAt(endMinute);

  const placements = sessions.map((item, i) => {
    const { start, end } = times[i]!;
    const rowStart = lineAt(Math.floor(start / SLOT_MINUTES) * SLOT_MINUTES);
    const rowEnd = Math.max(rowStart + 1, lineAt(Math.ceil(end / SLOT_MINUTES) * SLOT_MINUTES));
    const column = item.room ? columnOf.get(item.room.slug) : undefined;
    const allRooms = column === undefined;
    return {
      item,
      rowStart: Math.min(rowStart, lastLine - 1),
      rowEnd,
      colStart: allRooms ? 2 : column,
      colEnd: allRooms ? roomCount + 2 : column + 1,
      allRooms,
    };
  });

  const marks: TimeMark[] = [];
  for (let minute = startMinute; minute < endMinute; minute += MARK_MINUTES) {
    marks.push({
      time: hhmm(minute),
      row: lineAt(minute),
      rowEnd: lineAt(Math.min(minute + MARK_MINUTES, endMinute)),
      hour: minute % 60 === 0,
    });
  }

  return { rooms: columns, startMinute, endMinute, lastLine, placements, marks, overlapping: hasOverlap(placements) };
}

/** True when two placements share at least one cell. */
export function hasOverlap(placements: readonly Pick<Placement<unknown>, "rowStart" | "rowEnd" | "colStart" | "colEnd">[]): boolean {
  for (let i = 0; i < placements.length; i++) {
    for (let j = i + 1; j < placements.length; j++) {
      const a = placements[i]!;
      const b = placements[j]!;
      if (a.rowStart < b.rowEnd && b.rowStart < a.rowEnd && a.colStart < b.colEnd && b.colStart < a.colEnd) return true;
    }
  }
  return false;
}

/** The CSS classes that place `p` on the grid. */
export function placementClasses(p: Pick<Placement<unknown>, "rowStart" | "rowEnd" | "colStart" | "colEnd">): string {
  return `rs-${p.rowStart} re-${p.rowEnd} cs-${p.colStart} ce-${p.colEnd}`;
}

/** The stylesheet behind `placementClasses` and `rooms-N` (src/styles/grid-lines.css is this text, as Prettier writes it). */
export function gridLinesStylesheet(): string {
  const rules = ["/* Generated by gridLinesStylesheet() in src/lib/programme/grid.ts: do not edit by hand. */"];
  const rule = (selector: string, declaration: string) => rules.push(`${selector} {\n  ${declaration};\n}`);
  for (let n = 1; n <= MAX_ROW_LINE; n++) {
    rule(`.rs-${n}`, `grid-row-start: ${n}`);
    rule(`.re-${n}`, `grid-row-end: ${n}`);
  }
  for (let n = 1; n <= MAX_ROOMS + 2; n++) {
    rule(`.cs-${n}`, `grid-column-start: ${n}`);
    rule(`.ce-${n}`, `grid-column-end: ${n}`);
  }
  for (let n = 1; n <= MAX_ROOMS; n++) rule(`.rooms-${n}`, `--rooms: ${n}`);
  return rules.join("\n\n") + "\n";
}
