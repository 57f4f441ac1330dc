import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { room } from "../../../tests/fixtures/programme.ts";
import { MAX_ROW_LINE, gridLinesStylesheet, hasOverlap, layoutDay, placementClasses, type Placeable } from "./grid.ts";
import { zonedToInstant } from "./time.ts";

const ZONE = "Europe/Paris";
const DAY = "2013-07-02";
const amphi = room({ id: 1, slug: "amphi", name: "Amphi", position: 0 });
const rhone = room({ id: 2, slug: "rhone", name: "Rhône", position: 1 });
const saone = room({ id: 3, slug: "saone", name: "Saône", position: 2 });

const item = (name: string, start: string, end: string, r: typeof amphi | null, day = DAY) => ({
  name,
  startsAt: zonedToInstant(day, start, ZONE),
  endsAt: zonedToInstant(day, end, ZONE),
  room: r,
});
const byName = <T extends Placeable & { name: string }>(grid: ReturnType<typeof layoutDay<T>>) =>
  Object.fromEntries(grid.placements.map((p) => [p.item.name, [p.rowStart, p.rowEnd, p.colStart, p.colEnd, p.allRooms]]));

describe("layoutDay", () => {
  const sessions = [
    item("coffee", "08:30", "09:15", null),
    item("keynote", "09:15", "10:00", amphi),
    item("talk", "10:00", "10:30", saone),
    item("demo", "10:30", "10:50", saone),
  ];
  const grid = layoutDay(sessions, [amphi, rhone, saone], DAY, ZONE);

  it("starts at the half hour before the first session and ends at the half hour after the last", () => {
    expect(grid.startMinute).toBe(8 * 60 + 30);
    expect(grid.endMinute).toBe(11 * 60);
    // Header line 1, then (11:00 - 08:30) / 5 = 30 rows: lines 2..32.
    expect(grid.lastLine).toBe(32);
  });

  it("keeps only the rooms used that day, in room order", () => {
    expect(grid.rooms.map((r) => r.slug)).toEqual(["amphi", "saone"]);
  });

  it("shows every room and at least the asked hours for the editor", () => {
    const editor = layoutDay(sessions, [amphi, rhone, saone], DAY, ZONE, { everyRoom: true, from: 9 * 60, to: 19 * 60 });
    expect(editor.rooms.map((r) => r.slug)).toEqual(["amphi", "rhone", "saone"]);
    // The coffee at 08:30 widens the start; 19:00 is kept as the end.
    expect([editor.startMinute, editor.endMinute]).toEqual([8 * 60 + 30, 19 * 60]);
    expect(byName(editor).talk).toEqual([20, 26, 4, 5, false]);
    const empty = layoutDay([], [amphi], DAY, ZONE, { everyRoom: true, from: 8 * 60, to: 10 * 60 });
    expect([empty.startMinute, empty.endMinute, empty.lastLine, empty.rooms.length]).toEqual([480, 600, 26, 1]);
  });

  it("places each session on 5-minute rows in its room's column; roomless items span every room", () => {
    expect(byName(grid)).toEqual({
      coffee: [2, 11, 2, 4, true],
      keynote: [11, 20, 2, 3, false],
      talk: [20, 26, 3, 4, false],
      demo: [26, 30, 3, 4, false],
    });
    expect(grid.overlapping).toBe(false);
  });

  it("marks every half hour, hours apart", () => {
    expect(grid.marks).toEqual([
      { time: "08:30", row: 2, rowEnd: 8, hour: false },
      { time: "09:00", row: 8, rowEnd: 14, hour: true },
      { time: "09:30", row: 14, rowEnd: 20, hour: false },
      { time: "10:00", row: 20, rowEnd: 26, hour: true },
      { time: "10:30", row: 26, rowEnd: 32, hour: false },
    ]);
  });

  it("rounds odd times out to whole 5-minute rows", () => {
    const odd = layoutDay([item("odd", "09:07", "09:21", amphi)], [amphi], DAY, ZONE);
    expect(odd.startMinute).toBe(9 * 60);
    expect(byName(odd)).toEqual({ odd: [3, 7, 2, 3, false] });
  });

  it("uses the event's time zone, not the server's", () => {
    // 07:15 UTC is 09:15 in Paris in July.
    const grid = layoutDay(
      [{ name: "utc", startsAt: new Date("2013-07-02T07:15:00Z"), endsAt: new Date("2013-07-02T07:45:00Z"), room: amphi }],
      [amphi],
      DAY,
      ZONE,
    );
    expect(grid.startMinute).toBe(9 * 60);
    expect(byName(grid)).toEqual({ utc: [5, 11, 2, 3, false] });
  });

  it("spans one room column when no session has a room", () => {
    const lunch = layoutDay([item("lunch", "12:30", "13:45", null)], [amphi, rhone], DAY, ZONE);
    expect(lunch.rooms).toEqual([]);
    expect(byName(lunch)).toEqual({ lunch: [2, 17, 2, 3, true] });
  });

  it("reports sessions that share a cell", () => {
    const clash = layoutDay(
      [item("a", "09:00", "10:00", amphi), item("b", "09:30", "10:30", amphi), item("c", "09:00", "10:00", rhone)],
      [amphi, rhone],
      DAY,
      ZONE,
    );
    expect(clash.overlapping).toBe(true);
    const breakOverRoom = layoutDay(
      [item("lunch", "12:00", "13:00", null), item("late", "12:55", "13:30", rhone)],
      [amphi, rhone],
      DAY,
      ZONE,
    );
    expect(breakOverRoom.overlapping).toBe(true);
    expect(
      hasOverlap([
        { rowStart: 2, rowEnd: 4, colStart: 2, colEnd: 3 },
        { rowStart: 4, rowEnd: 6, colStart: 2, colEnd: 3 },
      ]),
    ).toBe(false);
  });

  it("lays out an empty day without failing", () => {
    const empty = layoutDay([], [amphi], DAY, ZONE);
    expect(empty.placements).toEqual([]);
    expect(empty.lastLine).toBeGreaterThan(2);
  });

  it("never places past the last line a stylesheet class exists for", () => {
    const long = layoutDay([item("all-day", "00:00", "23:55", amphi), item("late", "23:50", "23:59", null)], [amphi], DAY, ZONE);
    for (const p of long.placements) expect(p.rowEnd).toBeLessThanOrEqual(MAX_ROW_LINE);
  });
});

describe("placement classes", () => {
  it("name the grid lines", () => {
    expect(placementClasses({ rowStart: 2, rowEnd: 11, colStart: 2, colEnd: 4 })).toBe("rs-2 re-11 cs-2 ce-4");
  });

  it("are all defined by the stylesheet, which is committed as src/styles/grid-lines.css", () => {
    const css = gridLinesStylesheet();
    expect(css).toContain(`.re-${MAX_ROW_LINE} {\n  grid-row-end: ${MAX_ROW_LINE};\n}`);
    expect(css).toContain(".rooms-4 {\n  --rooms: 4;\n}");
    // Regenerate with: node -e 'import("./src/lib/programme/grid.ts").then(m => process.stdout.write(m.gridLinesStylesheet()))' > src/styles/grid-lines.css
    expect(readFileSync(new URL("../../styles/grid-lines.css", import.meta.url), "utf8")).toBe(css);
  });
});
