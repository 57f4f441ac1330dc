import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ContentError, editionDays, loadEdition, parseContent, editionSchema } from "./edition.ts";

const valid = `
name: { en: Forum, fr: Forum }
shortName: { en: F, fr: F }
acronym: F13
startDate: 2013-07-02
endDate: 2013-07-03
timezone: Europe/Paris
venue: { name: Hall, address: 1 rue X, city: Lyon, country: FR }
languages: [en, fr]
registration:
  capacity: 10
  categories:
    - { id: law-enforcement, label: { en: LE, fr: FO }, capacity: 5, vetting: true }
officialDomains: ["*.gouv.fr", interpol.int]
`;

describe("edition configuration", () => {
  it("loads the demo edition shipped in content/", () => {
    const edition = loadEdition("content");
    expect(edition.timezone).toBe("Europe/Paris");
    expect(edition.venue.city).toBe("Lyon");
    // A host named alike in both languages, or one name per language.
    expect(edition.hosts).toEqual([
      { en: "INTERPOL", fr: "INTERPOL" },
      { en: "French Ministry of the Interior", fr: "Ministère de l’Intérieur" },
    ]);
    expect(edition.startDate.startsWith("2013-07")).toBe(true);
    expect(edition.registration.categories.map((c) => c.id)).toEqual(
      expect.arrayContaining(["law-enforcement", "industry", "researcher", "policy-maker"]),
    );
  });

  it("accepts a minimal valid file and fills defaults", () => {
    const edition = parseContent("edition.yaml", valid, editionSchema);
    expect(edition.registration.pendingEmailHours).toBe(48);
    expect(edition.registration.categories[0]).toMatchObject({ id: "law-enforcement", vetting: true });
    expect(editionDays(edition)).toEqual(["2013-07-02", "2013-07-03"]);
    expect(edition.schedule.speakerGapMinutes).toBe(10);
  });

  it("takes the speaker's walking gap from schedule: and refuses a negative one", () => {
    expect(parseContent("edition.yaml", `${valid}\nschedule: { speakerGapMinutes: 25 }\n`, editionSchema).schedule.speakerGapMinutes).toBe(
      25,
    );
    expect(() => parseContent("edition.yaml", `${valid}\nschedule: { speakerGapMinutes: -5 }\n`, editionSchema)).toThrow(
      "edition.yaml: schedule.speakerGapMinutes:",
    );
  });

  it.each([
    ["timezone: Europe/Paris", "timezone: Mars/Olympus", "edition.yaml: timezone: unknown IANA time zone"],
    ["capacity: 10", "capacity: ten", "edition.yaml: registration.capacity:"],
    ["endDate: 2013-07-03", "endDate: 2013-07-01", "edition.yaml: startDate: must not be after endDate"],
    ["country: FR }", "country: France }", "edition.yaml: venue.country: expected an ISO 3166-1 alpha-2 code"],
    ["interpol.int]", "not a domain]", "edition.yaml: officialDomains.1:"],
    ["acronym: F13", "acronym: F13\ncolour: red", "edition.yaml: (root):"],
    // The organizers' address is every e-mail's Reply-To.
    ["acronym: F13", "acronym: F13\ncontactEmail: organizers at forum", "edition.yaml: contactEmail:"],
  ])("names the file and the field when %s becomes %s", (from, to, message) => {
    expect(() => parseContent("edition.yaml", valid.replace(from, to), editionSchema)).toThrow(ContentError);
    expect(() => parseContent("edition.yaml", valid.replace(from, to), editionSchema)).toThrow(message);
  });

  it("reports broken YAML with the file name", () => {
    const dir = mkdtempSync(join(tmpdir(), "edition-"));
    writeFileSync(join(dir, "edition.yaml"), "name: [unclosed");
    expect(() => loadEdition(dir)).toThrow(/edition\.yaml: not valid YAML/);
  });
});

describe("call for papers configuration", () => {
  const withCfp = `${valid}cfp:
  opens: "2013-01-07T09:00"
  deadline: "2013-03-31T23:59"
  formats:
    - format: talk
    - { format: workshop, deadline: "2013-03-15T23:59" }
  intro: { en: Send us your talk, fr: Envoyez-nous votre intervention }
`;

  it("loads the demo edition's call: open until 2099, with talks, panels, workshops and demos", () => {
    const cfp = loadEdition("content").cfp!;
    expect(cfp.deadline).toBe("2099-12-31T23:59");
    expect(cfp.formats.map((f) => f.format)).toEqual(["talk", "panel", "workshop", "demo"]);
  });

  it("accepts a call with a deadline per format, and an edition without a call", () => {
    const edition = parseContent("edition.yaml", withCfp, editionSchema);
    expect(edition.cfp).toEqual({
      opens: "2013-01-07T09:00",
      deadline: "2013-03-31T23:59",
      formats: [{ format: "talk" }, { format: "workshop", deadline: "2013-03-15T23:59" }],
      intro: { en: "Send us your talk", fr: "Envoyez-nous votre intervention" },
    });
    expect(parseContent("edition.yaml", valid, editionSchema).cfp).toBeUndefined();
  });

  it.each([
    [
      'deadline: "2013-03-31T23:59"',
      'deadline: "31/03/2013"',
      'edition.yaml: cfp.deadline: expected a local date and time like "2013-03-31T23:59"',
    ],
    ['deadline: "2013-03-31T23:59"', "deadline: 2013-03-31", "edition.yaml: cfp.deadline:"],
    ['deadline: "2013-03-31T23:59"', 'deadline: "2013-02-30T23:59"', "edition.yaml: cfp.deadline: not a real date and time"],
    ['opens: "2013-01-07T09:00"', 'opens: "2013-04-01T00:00"', "edition.yaml: cfp.opens: must be before deadline"],
    ["- format: talk", "- format: Talk", "edition.yaml: cfp.formats.0.format: expected a format slug like talk"],
    ["- format: talk", "- format: workshop", "edition.yaml: cfp.formats: a format is listed twice"],
    ['deadline: "2013-03-15T23:59" }', 'deadline: "2013-03-15T23:59", colour: red }', "edition.yaml: cfp.formats.1: "],
    [
      'deadline: "2013-03-15T23:59" }',
      'opens: "2013-03-16T00:00", deadline: "2013-03-15T23:59" }',
      "edition.yaml: cfp.formats.1.opens: must be before deadline",
    ],
    ["intro: { en: Send us your talk,", "intro: { en: '',", "edition.yaml: cfp.intro.en:"],
  ])("names the field when %s becomes %s", (from, to, message) => {
    expect(withCfp).toContain(from);
    expect(() => parseContent("edition.yaml", withCfp.replace(from, to), editionSchema)).toThrow(message);
  });
});
