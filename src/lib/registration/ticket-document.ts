import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as fontkit from "fontkit";
import PDFDocument from "pdfkit";
import QRCode from "qrcode";
import sharp from "sharp";
import { transliterate } from "transliteration";
import { formatDateRange, type Locale } from "../locale.ts";
import { t } from "../../i18n/index.ts";
import type { Edition } from "../config/edition.ts";
import { ticketHash, ticketSecret } from "./ticket.ts";

/**
 * The ticket as a document: the attendee's name, the event, its dates and venue, the category, a
 * readable code and the QR code, laid out once and drawn twice, as a PDF (pdfkit, text kept as text)
 * and as a PNG (the same layout as an SVG whose text is the font's own glyph outlines, rasterised by
 * sharp), so neither depends on the fonts of the machine that serves it.
 *
 * The font is DejaVu Sans (npm `dejavu-fonts-ttf`): Latin, Greek, Cyrillic, Armenian and Georgian.
 * A name the font cannot draw as typed (CJK, or a right-to-left script, which pdfkit does not lay
 * out) is printed in its Latin transliteration, as passports print it; the pages show it as typed.
 */

/** What a ticket shows, already in the attendee's language. */
export interface TicketDetails {
  name: string;
  /** The edition's name. */
  event: string;
  /** "2–3 July 2013". */
  dates: string;
  venue: { name: string; address: string };
  /** The category's label. */
  category: string;
  /** The readable code (`ticketCode`), printed under the QR code. */
  code: string;
  /** What the QR code encodes: the ticket secret. */
  secret: string;
  labels: { attendee: string; category: string; venue: string; code: string; scan: string; personal: string };
  /** PDF metadata: document title and language tag. */
  title: string;
  language: string;
}

const require = createRequire(import.meta.url);
const fontFile = (name: string) => require.resolve(`dejavu-fonts-ttf/ttf/${name}`);
let fonts: { regular: { file: Buffer; font: fontkit.Font }; bold: { file: Buffer; font: fontkit.Font } } | undefined;
/** The two faces of DejaVu Sans the documents are drawn in (loaded once). */
export function loadFonts() {
  if (!fonts) {
    const load = (name: string) => {
      const file = readFileSync(fontFile(name));
      return { file, font: fontkit.create(file) };
    };
    fonts = { regular: load("DejaVuSans.ttf"), bold: load("DejaVuSans-Bold.ttf") };
  }
  return fonts;
}

// Right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko and their presentation forms).
const RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/u;

/**
 * `text` as the ticket can print it: as typed when the font draws every character left to right,
 * else its Latin transliteration (王小明 -> Wang Xiao Ming).
 */
export function printableName(text: string): { text: string; transliterated: boolean } {
  const typed = text.normalize("NFC").trim();
  const { font } = loadFonts().bold;
  const drawable = [...typed].every((c) => /\s/u.test(c) || font.hasGlyphForCodePoint(c.codePointAt(0)!));
  if (drawable && !RTL.test(typed)) return { text: typed, transliterated: false };
  // Transliterations of abjads come out in mixed case ("mHmd"): each word is capitalised as a name.
  const latin = transliterate(typed)
    .replace(/\s+/g, " ")
    .trim()
    .split(" ")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase())
    .join(" ");
  return { text: latin, transliterated: true };
}

/** The ticket's readable code: the first 48 bits of its stored hash, as three groups of four hex digits. */
export function ticketCode(ticketHash: string): string {
  return ticketHash
    .slice(0, 12)
    .toUpperCase()
    .replace(/(.{4})(?=.)/g, "$1-");
}

// The page: A6 landscape, in PDF points.
const W = 419.53;
const H = 297.64;
const MARGIN = 24;
const BAND = 66;
const QR_SIZE = 140;
const INK = "#1b1f24";
const MUTED = "#4a5563";
const BRAND = "#0a2d52";
const ON_BRAND = "#ffffff";
const ON_BRAND_MUTED = "#d5e1ee";

type Face = "regular" | "bold";
interface Run {
  text: string;
  face: Face;
  size: number;
  x: number;
  /** Baseline. */
  y: number;
  color: string;
  spacing?: number;
  anchor?: "start" | "middle";
}
interface Layout {
  runs: Run[];
  qr: { x: number; y: number; size: number; modules: { size: number; dark: (row: number, col: number) => boolean } };
  rules: { x: number; y: number; width: number; height: number; color: string }[];
}

function width(text: string, face: Face, size: number, spacing = 0): number {
  const { font } = loadFonts()[face];
  return (font.layout(text).advanceWidth * size) / font.unitsPerEm + spacing * Math.max(0, [...text].length - 1);
}

/** The largest size from `max` down to `min` at which `text` fits `room`; at `min`, the words wrapped over `lines` lines at most. */
function fit(text: string, face: Face, room: number, max: number, min: number, lines = 1): { size: number; lines: string[] } {
  for (let size = max; size >= min; size -= 0.5) if (width(text, face, size) <= room) return { size, lines: [text] };
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const candidate = line ? `${line} ${word}` : word;
    if (line && width(candidate, face, min) > room) {
      out.push(line);
      line = word;
    } else line = candidate;
  }
  out.push(line);
  if (out.length > lines) {
    const kept = out.slice(0, lines);
    let last = `${kept[lines - 1]} ${out.slice(lines).join(" ")}`;
    while (last.length > 1 && width(`${last}…`, face, min) > room) last = last.slice(0, -1);
    kept[lines - 1] = `${last.trimEnd()}…`;
    return { size: min, lines: kept };
  }
  // A single word wider than the room is cut.
  return {
    size: min,
    lines: out.map((l) => {
      let cut = l;
      while (cut.length > 1 && width(cut, face, min) > room) cut = cut.slice(0, -1);
      return cut === l ? l : `${cut}…`;
    }),
  };
}

function layout(details: TicketDetails): Layout {
  const runs: Run[] = [];
  const left = MARGIN;
  const qrX = W - MARGIN - QR_SIZE;
  const column = qrX - 18 - left;
  const full = W - 2 * MARGIN;

  const event = fit(details.event, "bold", full, 15, 10, 1);
  runs.push({ text: event.lines[0], face: "bold", size: event.size, x: left, y: 30, color: ON_BRAND });
  const where = fit(`${details.dates} · ${details.venue.name}`, "regular", full, 10, 7.5, 1);
  runs.push({ text: where.lines[0], face: "regular", size: where.size, x: left, y: 50, color: ON_BRAND_MUTED });

  const label = (text: string, y: number) =>
    runs.push({ text: text.toUpperCase(), face: "bold", size: 6.5, x: left, y, color: MUTED, spacing: 0.6 });
  let y = BAND + 26;
  label(details.labels.attendee, y);
  const name = fit(printableName(details.name).text, "bold", column, 20, 12, 2);
  for (const line of name.lines) {
    y += name.size * 1.15;
    runs.push({ text: line, face: "bold", size: name.size, x: left, y, color: INK });
  }
  y += 22;
  label(details.labels.category, y);
  const category = fit(details.category, "regular", column, 11, 8, 1);
  runs.push({ text: category.lines[0], face: "regular", size: category.size, x: left, y: y + 14, color: INK });
  y += 36;
  label(details.labels.venue, y);
  const venue = fit(details.venue.name, "regular", column, 10, 7.5, 1);
  runs.push({ text: venue.lines[0], face: "regular", size: venue.size, x: left, y: y + 13, color: INK });
  const address = fit(details.venue.address, "regular", column, 8.5, 6.5, 2);
  address.lines.forEach((line, i) =>
    runs.push({ text: line, face: "regular", size: address.size, x: left, y: y + 25 + i * address.size * 1.2, color: MUTED }),
  );

  const qrY = BAND + 14;
  const centre = qrX + QR_SIZE / 2;
  runs.push({
    text: details.labels.code.toUpperCase(),
    face: "bold",
    size: 6.5,
    x: centre,
    y: qrY + QR_SIZE + 12,
    color: MUTED,
    spacing: 0.6,
    anchor: "middle",
  });
  runs.push({ text: details.code, face: "bold", size: 12, x: centre, y: qrY + QR_SIZE + 27, color: INK, spacing: 1, anchor: "middle" });
  const scan = fit(details.labels.scan, "regular", QR_SIZE + 10, 7.5, 6, 1);
  runs.push({ text: scan.lines[0], face: "regular", size: scan.size, x: centre, y: qrY + QR_SIZE + 39, color: MUTED, anchor: "middle" });

  const personal = fit(details.labels.personal, "regular", full, 7, 5.5, 1);
  runs.push({ text: personal.lines[0], face: "regular", size: personal.size, x: left, y: H - 14, color: MUTED });

  // Medium error correction survives a creased print-out; the quiet zone is drawn inside the square.
  const qr = QRCode.create(details.secret, { errorCorrectionLevel: "M" });
  const size = qr.modules.size;
  return {
    runs: runs.map((r) => (r.anchor === "middle" ? { ...r, x: r.x - width(r.text, r.face, r.size, r.spacing) / 2 } : r)),
    qr: { x: qrX, y: qrY, size: QR_SIZE, modules: { size, dark: (row, col) => qr.modules.get(row, col) === 1 } },
    rules: [
      { x: 0, y: 0, width: W, height: BAND, color: BRAND },
      { x: 0, y: H - 30, width: W, height: 0.75, color: "#d0d7de" },
    ],
  };
}

/** Dark modules of the QR code as horizontal runs, in page units. */
function qrRuns(l: Layout["qr"]): { x: number; y: number; w: number; h: number }[] {
  const QUIET = 4;
  const unit = l.size / (l.modules.size + 2 * QUIET);
  const out: { x: number; y: number; w: number; h: number }[] = [];
  for (let row = 0; row < l.modules.size; row++) {
    for (let col = 0; col < l.modules.size;) {
      if (!l.modules.dark(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < l.modules.size && l.modules.dark(row, col)) col++;
      out.push({ x: l.x + (QUIET + start) * unit, y: l.y + (QUIET + row) * unit, w: (col - start) * unit, h: unit });
    }
  }
  return out;
}

/**
 * The latest tickets drawn, by format and details: the outbox renders a message again on every
 * retry, and a page's download may be asked twice; each file takes a few hundred milliseconds.
 */
const drawn = new Map<string, Promise<Buffer>>();
const DRAWN_MAX = 200;
function remembered(format: string, details: TicketDetails, draw: () => Promise<Buffer>): Promise<Buffer> {
  const key = `${format}\u0000${JSON.stringify(details)}`;
  let file = drawn.get(key);
  if (file) {
    drawn.delete(key);
  } else {
    file = draw();
    file.catch(() => drawn.delete(key));
  }
  drawn.set(key, file);
  if (drawn.size > DRAWN_MAX) drawn.delete(drawn.keys().next().value!);
  return file;
}

/** Forgets the tickets drawn (tests that draw the same ticket twice). */
export function forgetDrawnTickets(): void {
  drawn.clear();
}

/** The ticket as a PDF (A6 landscape); the same details always give the same bytes. */
export function ticketPdf(details: TicketDetails): Promise<Buffer> {
  return remembered("pdf", details, () => drawPdf(details));
}

function drawPdf(details: TicketDetails): Promise<Buffer> {
  const page = layout(details);
  const { regular, bold } = loadFonts();
  // A fixed date: a retried e-mail must carry the same bytes (the provider's idempotency key).
  const doc = new PDFDocument({
    size: [W, H],
    margin: 0,
    lang: details.language,
    displayTitle: true,
    info: { Title: details.title, Author: details.event, Subject: details.name, CreationDate: new Date(0), ModDate: new Date(0) },
  });
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  doc.registerFont("regular", regular.file);
  doc.registerFont("bold", bold.file);
  for (const rule of page.rules) doc.rect(rule.x, rule.y, rule.width, rule.height).fill(rule.color);
  doc.rect(page.qr.x, page.qr.y, page.qr.size, page.qr.size).fill("#ffffff");
  for (const r of qrRuns(page.qr)) doc.rect(r.x, r.y, r.w + 0.02, r.h + 0.02);
  doc.fill("#000000");
  for (const run of page.runs) {
    doc
      .font(run.face)
      .fontSize(run.size)
      .fillColor(run.color)
      .text(run.text, run.x, run.y, { lineBreak: false, baseline: "alphabetic", characterSpacing: run.spacing ?? 0 });
  }
  doc.end();
  return done;
}

const svgNumber = (n: number) => Number(n.toFixed(3)).toString();

/** The ticket as an SVG document whose text is drawn as glyph outlines (no font needed to show it). */
export function ticketSvg(details: TicketDetails): string {
  const page = layout(details);
  const loaded = loadFonts();
  const parts: string[] = [];
  for (const rule of page.rules)
    parts.push(
      `<rect x="${svgNumber(rule.x)}" y="${svgNumber(rule.y)}" width="${svgNumber(rule.width)}" height="${svgNumber(rule.height)}" fill="${rule.color}"/>`,
    );
  parts.push(
    `<rect x="${svgNumber(page.qr.x)}" y="${svgNumber(page.qr.y)}" width="${page.qr.size}" height="${page.qr.size}" fill="#fff"/>`,
  );
  parts.push(
    `<path fill="#000" d="${qrRuns(page.qr)
      .map((r) => `M${svgNumber(r.x)} ${svgNumber(r.y)}h${svgNumber(r.w + 0.02)}v${svgNumber(r.h + 0.02)}h${svgNumber(-(r.w + 0.02))}z`)
      .join("")}"/>`,
  );
  for (const run of page.runs) {
    const { font } = loaded[run.face];
    const scale = run.size / font.unitsPerEm;
    const { glyphs, positions } = font.layout(run.text);
    let x = run.x;
    const glyphPaths: string[] = [];
    glyphs.forEach((glyph, i) => {
      const d = glyph.path.toSVG();
      const p = positions[i];
      if (d)
        glyphPaths.push(
          `<path transform="translate(${svgNumber(x + p.xOffset * scale)} ${svgNumber(run.y - p.yOffset * scale)}) scale(${scale.toFixed(7)} ${(-scale).toFixed(7)})" d="${d}"/>`,
        );
      x += p.xAdvance * scale + (run.spacing ?? 0);
    });
    parts.push(`<g fill="${run.color}">${glyphPaths.join("")}</g>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${svgNumber(W)}" height="${svgNumber(H)}" viewBox="0 0 ${svgNumber(W)} ${svgNumber(H)}"><rect width="100%" height="100%" fill="#fff"/>${parts.join("")}</svg>`;
}

/** Width of the PNG ticket, in pixels (about 290 dpi for the A6 page: sharp on a phone, crisp on paper). */
export const TICKET_PNG_WIDTH = 1200;

/** The ticket as a PNG; the same details always give the same bytes. */
export function ticketPng(details: TicketDetails): Promise<Buffer> {
  return remembered("png", details, () => drawPng(details));
}

async function drawPng(details: TicketDetails): Promise<Buffer> {
  const density = (72 * TICKET_PNG_WIDTH) / W;
  return sharp(Buffer.from(ticketSvg(details)), { density })
    .png({ compressionLevel: 6, palette: true, colours: 64, effort: 1 })
    .toBuffer();
}

/** The details of the ticket of a registration (`name`, `category`, `ticketNonce`), in `language`. */
export function ticketDetails(
  edition: Pick<Edition, "name" | "startDate" | "endDate" | "venue" | "registration">,
  registration: { name: string; category: string; ticketNonce: string },
  language: Locale,
  appKey: Buffer,
): TicketDetails {
  const words = t(language).ticket;
  const secret = ticketSecret(appKey, registration.ticketNonce);
  const category = edition.registration.categories.find((c) => c.id === registration.category);
  return {
    name: registration.name,
    event: edition.name[language],
    dates: formatDateRange(edition.startDate, edition.endDate, language),
    venue: { name: edition.venue.name, address: edition.venue.address },
    category: category?.label[language] ?? registration.category,
    code: ticketCode(ticketHash(secret)),
    secret,
    labels: {
      attendee: words.attendee,
      category: words.category,
      venue: words.venue,
      code: words.code,
      scan: words.scan,
      personal: words.personal,
    },
    title: words.title(edition.name[language]),
    language,
  };
}
