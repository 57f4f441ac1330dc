import { afterEach, describe, expect, it } from "vitest";
import { registrationWorld } from "../../../tests/fixtures/registration.ts";
import { searchAudit } from "../audit.ts";
import { allRegistrations } from "./admin.ts";
import { CSV_COLUMNS, defaultSeparator, exportRegistrations, registrationsCsv, type CsvLabels } from "./export.ts";

let world: ReturnType<typeof registrationWorld>;
afterEach(() => world?.close());

const labels: CsvLabels = {
  columns: Object.fromEntries(CSV_COLUMNS.map((c) => [c, c])) as CsvLabels["columns"],
  yes: "yes",
  no: "no",
  category: (id) => `<${id}>`,
  status: (state) => state.toUpperCase(),
};

/** Registers and confirms the address, a minute after the one before. */
const register = (overrides: Parameters<typeof world.register>[0] = {}) => world.register(overrides, { step: 60_000 });

/** The cells of a CSV without quotes inside cells or line breaks inside cells (what these tests write). */
const cellsOf = (line: string) => line.split(",");

describe("the CSV of registrations", () => {
  it("starts with a UTF-8 byte order mark, ends lines with CRLF, and keeps accents", () => {
    world = registrationWorld();
    register({ name: "Élodie Müller-Ñúñez", organisation: "Gendarmerie nationale", country: "FR", listConsent: true });
    const csv = registrationsCsv(allRegistrations(world.db, {}), labels, "Europe/Paris");
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect([...Buffer.from(csv, "utf8").subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = csv.slice(1).split("\r\n");
    expect(lines).toHaveLength(3); // header, one row, and the empty string after the last CRLF
    expect(lines[2]).toBe("");
    expect(csv.slice(1).replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    expect(lines[0]).toBe(CSV_COLUMNS.join(","));
    const row = Object.fromEntries(cellsOf(lines[1]).map((cell, i) => [CSV_COLUMNS[i], cell]));
    expect(row).toMatchObject({
      // 09:00 UTC is 11:00 in Paris in June.
      created: "2013-06-01 11:00",
      status: "CONFIRMED",
      category: "<industry>",
      name: "Élodie Müller-Ñúñez",
      organisation: "Gendarmerie nationale",
      country: "FR",
      language: "en",
      company: "Example SA",
      role: "CISO",
      agency: "",
      domainVerified: "no",
      listConsent: "yes",
      checkedIn: "",
    });
    expect(Buffer.from(csv, "utf8").toString("utf8")).toContain("Élodie Müller-Ñúñez");
  });

  it("separates cells with semicolons for French spreadsheets, quoting a cell that holds one, and names countries and languages", () => {
    world = registrationWorld();
    register({ name: "Zoé Martin", organisation: "Mairie; service numérique", dietary: "Végétarien, sans noix", country: "BE" });
    const named: CsvLabels = { ...labels, country: (code) => (code === "BE" ? "Belgique" : code), language: (code) => `<${code}>` };
    const rows = allRegistrations(world.db, {});
    expect(defaultSeparator("fr")).toBe("semicolon");
    expect(defaultSeparator("en")).toBe("comma");
    const csv = registrationsCsv(rows, named, "Europe/Paris", { separator: "semicolon" });
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const [header, line] = csv.slice(1).split("\r\n");
    expect(header).toBe(CSV_COLUMNS.join(";"));
    expect(line).toContain(';"Mairie; service numérique";');
    expect(line).toContain(";Végétarien, sans noix;");
    expect(line).toContain(";Belgique;<en>;");
    // The same rows with commas: the comma cell is quoted, the semicolon one is not.
    const commas = registrationsCsv(rows, named, "Europe/Paris", { separator: "comma" }).slice(1).split("\r\n")[1]!;
    expect(commas).toContain(",Mairie; service numérique,");
    expect(commas).toContain(',"Végétarien, sans noix",');
  });

  it("neutralizes cells a spreadsheet would run as a formula, and quotes what needs quoting", () => {
    world = registrationWorld();
    register({ name: '=HYPERLINK("http://evil.example","x")', organisation: "+33 1 23", dietary: "-2+3", accessibility: "@SUM(A1)" });
    register({ name: "\tTabbed", organisation: "\rReturn", dietary: "Vegan, no nuts", accessibility: "a-b = c" });
    const csv = registrationsCsv(allRegistrations(world.db, { sort: "created", dir: "asc" }), labels, "Europe/Paris");
    const [, first, second] = csv.slice(1).split("\r\n");
    expect(first).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(first).toContain(",'+33 1 23,");
    expect(first).toContain(",'-2+3,");
    expect(first).toContain(",'@SUM(A1),");
    expect(csv).toContain("'\tTabbed");
    expect(csv).toContain(`"'\rReturn"`);
    // Line breaks inside a cell are quoted, so the row stays one row.
    register({ dietary: "Vegan\nNo nuts", accessibility: "Ramp\r\nLift" });
    const third = registrationsCsv(allRegistrations(world.db, { sort: "created", dir: "asc" }).slice(2), labels, "Europe/Paris");
    expect(third).toContain(`,"Vegan\nNo nuts","Ramp\r\nLift",`);
    // Only the first character counts: text with those characters inside stays as it is.
    expect(second).toContain(`,"Vegan, no nuts",a-b = c,`);
    // No cell of the file starts with a formula character.
    const cells = csv
      .slice(1)
      .split(/,|\r\n/)
      .map((cell) => cell.replace(/^"/, ""));
    expect(cells.filter((cell) => /^[=+\-@\t\r]/.test(cell))).toEqual([]);
  });

  it("writes the check-in time in the edition's zone", () => {
    world = registrationWorld();
    const id = register();
    const [registration] = allRegistrations(world.db, {});
    expect(registration.id).toBe(id);
    const csv = registrationsCsv([{ ...registration, checkedInAt: new Date(Date.UTC(2013, 6, 2, 6, 45)) }], labels, "Europe/Paris");
    expect(cellsOf(csv.slice(1).split("\r\n")[1]).at(-1)).toBe("2013-07-02 08:45");
  });
});

describe("exporting registrations", () => {
  it("returns the rows matching the filters and records who exported what, with the count", () => {
    world = registrationWorld();
    const le = register({ category: "law-enforcement", country: "GB" });
    register({ category: "industry", country: "GB" });
    const le2 = register({ category: "law-enforcement", country: "FR" });
    const staff = { id: 7, email: "organizer@example.org" };
    const rows = exportRegistrations(
      world.db,
      staff,
      { category: "law-enforcement", q: "", status: "", sort: "created", dir: "asc" },
      Date.UTC(2013, 5, 10),
    );
    expect(rows.map((r) => r.id)).toEqual([le, le2]);
    const { rows: entries, total } = searchAudit(world.db);
    expect(total).toBe(1);
    expect(entries[0]).toMatchObject({
      actorId: 7,
      actorEmail: "organizer@example.org",
      action: "registrations.export",
      subjectType: "registrations",
      subjectId: "",
      before: null,
      after: { filters: { category: "law-enforcement" }, rows: 2 },
      at: new Date(Date.UTC(2013, 5, 10)),
    });
    exportRegistrations(world.db, staff, { country: "GB", domainVerified: false, q: "ada" });
    expect(searchAudit(world.db).rows[0].after).toEqual({ filters: { q: "ada", country: "GB", domainVerified: false }, rows: 2 });
  });
});
