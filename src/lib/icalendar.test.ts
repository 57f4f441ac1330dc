import { describe, expect, it } from "vitest";
import { calendarText } from "./icalendar.ts";

describe("calendarText", () => {
  it("moves calendar properties before the first component, folded lines with them, and ends in CRLF", () => {
    const ics = [
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//x//y//EN",
      "BEGIN:VTIMEZONE",
      "TZID:Europe/Paris",
      "BEGIN:STANDARD",
      "TZOFFSETTO:+0100",
      "END:STANDARD",
      "END:VTIMEZONE",
      "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
      "BEGIN:VEVENT",
      "SUMMARY:A long",
      "  title",
      "END:VEVENT",
      "X-WR-TIMEZONE:Europe/",
      " Paris",
      "END:VCALENDAR",
    ].join("\r\n");
    expect(calendarText(ics)).toBe(
      [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//x//y//EN",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-WR-TIMEZONE:Europe/",
        " Paris",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Paris",
        "BEGIN:STANDARD",
        "TZOFFSETTO:+0100",
        "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        "SUMMARY:A long",
        "  title",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
      ].join("\r\n"),
    );
  });

  it("leaves a calendar already in order as it is, and refuses what is not one calendar", () => {
    const ordered = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    expect(calendarText(ordered)).toBe(ordered);
    expect(() => calendarText("BEGIN:VEVENT\r\nEND:VEVENT")).toThrow(/VCALENDAR/);
  });
});
