import { describe, expect, it } from "vitest";
import { en } from "./en.ts";
import { fr } from "./fr.ts";
import { countryName, describeTimes, formatDateRange, formatDay, formatTime, languageName, sortByName } from "./format.ts";
import { localeOfPath, localizePath, unlocalizePath } from "./index.ts";

/** The key paths of a message tree, functions and strings alike (a key may hold a dot: an audit action's code). */
function paths(tree: object, prefix: string[] = []): string[][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    value && typeof value === "object" ? paths(value, [...prefix, key]) : [[...prefix, key]],
  );
}
const keys = (tree: object) => paths(tree).map((path) => path.join(" › "));

describe("messages", () => {
  it("French has exactly the English keys, none left empty by mistake", () => {
    expect(keys(fr).sort()).toEqual(keys(en).sort());
    const emptyAllowed = new Set(["restricted › public", "session › restrictedBody › public"]);
    for (const path of paths(fr)) {
      const key = path.join(" › ");
      const value = path.reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], fr);
      if (typeof value === "string" && !emptyAllowed.has(key)) expect(value, key).not.toBe("");
    }
  });
});

describe("paths", () => {
  it("localize and unlocalize", () => {
    expect(localizePath("/", "fr")).toBe("/fr/");
    expect(localizePath("/programme", "fr")).toBe("/fr/programme");
    expect(localizePath("/programme", "en")).toBe("/programme");
    expect(unlocalizePath("/fr/sessions/x")).toBe("/sessions/x");
    expect(unlocalizePath("/fr")).toBe("/");
    expect(unlocalizePath("/french-fries")).toBe("/french-fries");
    expect(localeOfPath("/fr/programme")).toBe("fr");
    expect(localeOfPath("/french-fries")).toBe("en");
  });
});

describe("format", () => {
  const at = new Date("2013-07-02T07:15:00Z");
  it("formats dates and times in the event's zone", () => {
    expect(formatDay("2013-07-02", "en")).toBe("Tuesday, 2 July 2013");
    expect(formatDay("2013-07-02", "fr")).toBe("mardi 2 juillet 2013");
    expect(formatTime(at, "en", "Europe/Paris")).toBe("09:15");
    expect(formatTime(at, "fr", "America/New_York")).toBe("03:15");
    expect(formatDateRange("2013-07-02", "2013-07-03", "fr")).toBe("2–3 juillet 2013");
  });
  it("describes the time zone", () => {
    expect(describeTimes("Europe/Paris", at, "en")).toBe("Times in Paris time (Central European Summer Time, GMT+2)");
    expect(describeTimes("Europe/Paris", at, "fr")).toBe("Horaires à l’heure de Paris (heure d’été d’Europe centrale, UTC+2)");
  });
  it("names countries and languages in the page's language", () => {
    expect(countryName("DE", "fr")).toBe("Allemagne");
    expect(countryName("DE", "en")).toBe("Germany");
    expect(countryName("", "en")).toBe("");
    expect(languageName("fr", "fr")).toBe("Français");
    expect(languageName("fr", "en")).toBe("French");
  });
});

describe("sortByName", () => {
  it("orders names as readers of each language do, not by code points", () => {
    const names = ["Zoë", "Олег", "eve", "Élodie", "Anna", "Ørsted", "Edgar", "speaker 10", "speaker 9"];
    const expected = ["Anna", "Edgar", "Élodie", "eve", "Ørsted", "speaker 9", "speaker 10", "Zoë", "Олег"];
    expect(sortByName(names, (n) => n, "en")).toEqual(expected);
    expect(sortByName(names, (n) => n, "fr")).toEqual(expected);
    expect([...names].sort()).not.toEqual(expected);
  });
});
