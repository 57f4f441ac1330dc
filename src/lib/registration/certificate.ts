import { and, eq, gt, inArray, isNotNull } from "drizzle-orm";
import PDFDocument from "pdfkit";
import type { Db } from "../../../db/client.ts";
import { checkinPresence, checkinScans, registrations } from "../../../db/schema/index.ts";
import { t } from "../../i18n/index.ts";
import { formatDateRange, formatDay, INTL, type Locale } from "../locale.ts";
import type { Edition } from "../config/edition.ts";
import { forumDay } from "./desk.ts";
import { loadFonts, printableName } from "./ticket-document.ts";

/**
 * The certificate of attendance: a one-page A4 PDF in the attendee's language naming the forum, its
 * venue and dates (from the edition), the attendee, and the days they were checked in. Drawn with
 * pdfkit in DejaVu Sans like the ticket, and with the ticket's rule for names the font cannot draw
 * as typed (CJK, right-to-left): their Latin transliteration.
 */

/**
 * The forum days (YYYY-MM-DD, in its time zone) on which a registration was seen at a desk: each
 * scan that admitted it or found it already in (a second day's scan), each re-entry, and its first
 * check-in (also the no-JavaScript desk's), and each day with an entry where entry and exit are
 * counted; in order.
 */
export function attendanceDays(db: Db, registrationId: number, timezone: string): string[] {
  const scans = db
    .select({ at: checkinScans.scannedAt })
    .from(checkinScans)
    .where(and(eq(checkinScans.registrationId, registrationId), inArray(checkinScans.outcome, ["admitted", "already"])))
    .all();
  const first = db
    .select({ at: registrations.checkedInAt })
    .from(registrations)
    .where(and(eq(registrations.id, registrationId), isNotNull(registrations.checkedInAt)))
    .get();
  const days = new Set([...scans, ...(first ? [first] : [])].map((s) => forumDay(s.at!.getTime(), timezone)));
  // Where entry and exit are counted (decision 38), every day they came through a door.
  for (const { day } of db
    .select({ day: checkinPresence.day })
    .from(checkinPresence)
    .where(and(eq(checkinPresence.registrationId, registrationId), gt(checkinPresence.entries, 0)))
    .all())
    days.add(day);
  return [...days].sort();
}

/** What a certificate shows, already in its language. */
export interface CertificateDetails {
  language: Locale;
  event: string;
  hosts: string;
  venue: string;
  dates: string;
  name: string;
  organisation: string;
  /** The days attended, worded ("Tuesday 2 July 2013"). */
  days: string[];
  place: string;
}

/** The details of a registration's certificate in `language`; `days` from {@link attendanceDays}. */
export function certificateDetails(
  edition: Pick<Edition, "name" | "hosts" | "venue" | "startDate" | "endDate">,
  registration: { name: string; organisation: string },
  days: readonly string[],
  language: Locale,
): CertificateDetails {
  const hosts = edition.hosts.map((h) => (typeof h === "string" ? h : h[language]));
  return {
    language,
    event: edition.name[language],
    hosts: new Intl.ListFormat(INTL[language], { type: "conjunction" }).format(hosts),
    venue: `${edition.venue.name}, ${edition.venue.address}`,
    dates: formatDateRange(edition.startDate, edition.endDate, language),
    name: registration.name,
    organisation: registration.organisation,
    days: days.map((d) => formatDay(d, language)),
    place: edition.venue.city,
  };
}

// A4 portrait, in PDF points.
const W = 595.28;
const H = 841.89;
const MARGIN = 64;
const INK = "#1b1f24";
const MUTED = "#4a5563";
const BRAND = "#0a2d52";

/** The certificate as a PDF; the same details always give the same bytes. */
export function certificatePdf(details: CertificateDetails): Promise<Buffer> {
  const words = t(details.language).certificate;
  const { regular, bold } = loadFonts();
  const name = printableName(details.name).text;
  const organisation = printableName(details.organisation).text;
  const doc = new PDFDocument({
    size: [W, H],
    margin: 0,
    lang: details.language,
    displayTitle: true,
    // A fixed date: the same certificate downloaded twice is the same file.
    info: { Title: words.title, Author: details.event, Subject: name, CreationDate: new Date(0), ModDate: new Date(0) },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  doc.registerFont("regular", regular.file);
  doc.registerFont("bold", bold.file);
  const width = W - 2 * MARGIN;
  const centred = (text: string, face: "regular" | "bold", size: number, color: string, gap = 0) => {
    doc
      .font(face)
      .fontSize(size)
      .fillColor(color)
      .text(text, MARGIN, doc.y + gap, { width, align: "center" });
  };

  doc.rect(0, 0, W, 120).fill(BRAND);
  doc.y = 40;
  centred(details.event, "bold", 16, "#ffffff");
  centred(details.hosts, "regular", 10.5, "#d5e1ee", 6);

  doc.y = 200;
  centred(words.title.toUpperCase(), "bold", 26, BRAND);
  doc.rect(W / 2 - 40, doc.y + 14, 80, 2).fill(BRAND);
  doc.y += 40;
  centred(words.certify, "regular", 13, MUTED);
  centred(name, "bold", 28, INK, 16);
  if (organisation) centred(organisation, "regular", 15, INK, 6);
  centred(words.attended, "regular", 13, MUTED, 26);
  centred(details.event, "bold", 16, INK, 6);
  centred(details.venue, "regular", 12, MUTED, 8);
  centred(details.dates, "regular", 12, MUTED, 2);

  doc.y += 34;
  centred(words.days(details.days.length), "bold", 12, INK);
  for (const day of details.days) centred(day, "regular", 13, INK, 6);

  doc.y = H - 150;
  doc.rect(W / 2 - 110, doc.y, 220, 0.75).fill("#9aa4b1");
  doc.y += 10;
  centred(words.issued(details.place), "regular", 10.5, MUTED);
  centred(words.forOrganizers(details.hosts), "regular", 10.5, MUTED, 2);
  doc.end();
  return done;
}
