import { describe, expect, it } from "vitest";
import { instantToZoned, toZonedIso, zoneOffsetMinutes, zonedToInstant } from "./time.ts";

describe("time zones", () => {
  it("knows Paris is UTC+2 in July and UTC+1 in January", () => {
    expect(zoneOffsetMinutes("Europe/Paris", new Date("2013-07-02T12:00:00Z"))).toBe(120);
    expect(zoneOffsetMinutes("Europe/Paris", new Date("2013-01-02T12:00:00Z"))).toBe(60);
  });

  it("turns a Paris wall-clock time into the right instant and back", () => {
    const at = zonedToInstant("2013-07-02", "09:30", "Europe/Paris");
    expect(at.toISOString()).toBe("2013-07-02T07:30:00.000Z");
    expect(instantToZoned(at, "Europe/Paris")).toEqual({ date: "2013-07-02", time: "09:30" });
    expect(toZonedIso(at, "Europe/Paris")).toBe("2013-07-02T09:30:00+02:00");
  });

  it("handles the spring-forward day and zones west of Greenwich", () => {
    expect(zonedToInstant("2013-03-31", "03:30", "Europe/Paris").toISOString()).toBe("2013-03-31T01:30:00.000Z");
    expect(toZonedIso(new Date("2013-07-02T16:00:00Z"), "America/New_York")).toBe("2013-07-02T12:00:00-04:00");
  });

  it("changes offset exactly at the DST transitions (the offset memo must not blur them)", () => {
    expect(zoneOffsetMinutes("Europe/Paris", new Date("2013-03-31T00:59:59.999Z"))).toBe(60);
    expect(zoneOffsetMinutes("Europe/Paris", new Date("2013-03-31T01:00:00Z"))).toBe(120);
    expect(zoneOffsetMinutes("Europe/Paris", new Date("2013-10-27T00:59:59Z"))).toBe(120);
    expect(zoneOffsetMinutes("Europe/Paris", new Date("2013-10-27T01:00:00Z"))).toBe(60);
    expect(zoneOffsetMinutes("Asia/Kathmandu", new Date("2013-07-02T00:00:00Z"))).toBe(345);
  });

  it("rejects a malformed local time", () => {
    expect(() => zonedToInstant("2013-07-02", "25:99", "Europe/Paris")).toThrow(RangeError);
  });
});
