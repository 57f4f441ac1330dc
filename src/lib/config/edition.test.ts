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
  });

  it.each([
    ["timezone: Europe/Paris", "timezone: Mars/Olympus", "edition.yaml: timezone: unknown IANA time zone"],
    ["capacity: 10", "capacity: ten", "edition.yaml: registration.capacity:"],
    ["endDate: 2013-07-03", "endDate: 2013-07-01", "edition.yaml: startDate: must not be after endDate"],
    ["country: FR }", "country: France }", "edition.yaml: venue.country: expected an ISO 3166-1 alpha-2 code"],
    ["interpol.int]", "not a domain]", "edition.yaml: officialDomains.1:"],
    ["acronym: F13", "acronym: F13\ncolour: red", "edition.yaml: (root):"],
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
