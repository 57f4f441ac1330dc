import { stringify } from "csv-stringify/sync";
import type { Db } from "../../../db/client.ts";
import type { RegistrationState } from "../../../db/schema/index.ts";
import { recordAudit } from "../audit.ts";
import { instantToZoned } from "../programme/time.ts";
import { allRegistrations, type RegistrationQuery, type Staff } from "./admin.ts";
import type { Registration } from "./service.ts";

/** The CSV export of the organizers' filtered list: what it holds, how it is written, and its audit entry. */

/** The columns of the export, in order. */
export const CSV_COLUMNS = [
  "id",
  "created",
  "status",
  "category",
  "name",
  "email",
  "organisation",
  "country",
  "language",
  "agency",
  "position",
  "officialEmail",
  "company",
  "role",
  "institution",
  "policyBody",
  "domainVerified",
  "dietary",
  "accessibility",
  "listConsent",
  "checkedIn",
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

/** The words of one language the file is written in: column headers, yes and no, category, state, country and language names. */
export interface CsvLabels {
  columns: Record<CsvColumn, string>;
  yes: string;
  no: string;
  category: (id: string) => string;
  status: (state: RegistrationState) => string;
  /** A country's name for its ISO code (the code itself when absent). */
  country?: (code: string) => string;
  /** A language's name for its code (the code itself when absent). */
  language?: (code: string) => string;
}

/**
 * How cells are separated: spreadsheets set to English expect commas, those set to French (whose
 * decimal separator is the comma) expect semicolons. The file holds no decimal number, so nothing
 * else changes with it; dates and times are written YYYY-MM-DD HH:MM, which both read.
 */
export const CSV_SEPARATORS = ["comma", "semicolon"] as const;
export type CsvSeparator = (typeof CSV_SEPARATORS)[number];

/** The separator spreadsheets in `locale` expect. */
export function defaultSeparator(locale: "en" | "fr"): CsvSeparator {
  return locale === "fr" ? "semicolon" : "comma";
}

/** "2013-06-01 11:00" in `zone`: a form every spreadsheet reads as a date and time. */
function localDateTime(at: Date, zone: string): string {
  const { date, time } = instantToZoned(at, zone);
  return `${date} ${time}`;
}

/**
 * The registrations as CSV for spreadsheet software: UTF-8 with a byte order mark (so accents open
 * right), CRLF line ends, and every cell that a spreadsheet would take for a formula (starting with
 * = + - @, a tab or a carriage return) prefixed with an apostrophe so that it stays text.
 */
export function registrationsCsv(
  rows: readonly Registration[],
  labels: CsvLabels,
  timezone: string,
  { separator = "comma" }: { separator?: CsvSeparator } = {},
): string {
  const yesNo = (value: boolean) => (value ? labels.yes : labels.no);
  const country = (code: string) => (code && labels.country ? labels.country(code) : code);
  const language = (code: string) => (code && labels.language ? labels.language(code) : code);
  const cells = (r: Registration): Record<CsvColumn, string> => ({
    id: String(r.id),
    created: localDateTime(r.createdAt, timezone),
    status: labels.status(r.status),
    category: labels.category(r.category),
    name: r.name,
    email: r.email,
    organisation: r.organisation,
    country: country(r.country),
    language: language(r.language),
    agency: r.agency,
    position: r.position,
    officialEmail: r.officialEmail,
    company: r.company,
    role: r.role,
    institution: r.institution,
    policyBody: r.policyBody,
    domainVerified: yesNo(r.domainVerified),
    dietary: r.dietary,
    accessibility: r.accessibility,
    listConsent: yesNo(r.listConsent),
    checkedIn: r.checkedInAt ? localDateTime(r.checkedInAt, timezone) : "",
  });
  return stringify(rows.map(cells), {
    bom: true,
    delimiter: separator === "semicolon" ? ";" : ",",
    record_delimiter: "windows",
    // Set explicitly: with a record delimiter given, csv-stringify would leave a lone \n or \r in a
    // cell (a two-line dietary note) unquoted, and the spreadsheet would split the row there.
    quote_record_delimiter: true,
    escape_formulas: true,
    header: true,
    columns: CSV_COLUMNS.map((column) => ({ key: column, header: labels.columns[column] })),
  });
}

/** The filters of a query as the audit log keeps them: only those set. */
export function filtersOf(query: RegistrationQuery): Record<string, string | boolean> {
  const filters: Record<string, string | boolean> = {};
  if (query.q) filters.q = query.q;
  if (query.category) filters.category = query.category;
  if (query.status) filters.status = query.status;
  if (query.country) filters.country = query.country;
  if (query.domainVerified !== undefined) filters.domainVerified = query.domainVerified;
  return filters;
}

/**
 * Every registration matching `query`, in the list's order, read in the same transaction that
 * writes the audit entry of the export: nobody gets the rows without the entry being there.
 */
export function exportRegistrations(db: Db, staff: Staff, query: RegistrationQuery, now: number = Date.now()): Registration[] {
  return db.transaction(
    (tx) => {
      const rows = allRegistrations(tx as unknown as Db, query);
      recordAudit(
        tx,
        {
          actor: staff,
          action: "registrations.export",
          subjectType: "registrations",
          after: { filters: filtersOf(query), rows: rows.length },
        },
        now,
      );
      return rows;
    },
    { behavior: "immediate" },
  );
}
