import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { loadEdition } from "../config/edition.ts";
import { forgetDrawnTickets, printableName, ticketCode, ticketDetails, ticketPdf, ticketPng, TICKET_PNG_WIDTH } from "./ticket-document.ts";
import { ticketHash, ticketSecret } from "./ticket.ts";

const edition = loadEdition();
const appKey = Buffer.alloc(32, 7);
const PDFTOTEXT = existsSync("/usr/bin/pdftotext") ? "/usr/bin/pdftotext" : undefined;
if (!PDFTOTEXT && process.env.CI) throw new Error("pdftotext is missing (apt-get install -y poppler-utils): .ci/run installs it");

/** The text of a PDF as pdftotext (poppler) reads it, spaces collapsed. */
function pdfText(pdf: Buffer): string {
  const result = spawnSync(PDFTOTEXT!, ["-enc", "UTF-8", "-", "-"], { input: pdf, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`pdftotext failed: ${result.stderr}`);
  return result.stdout.replace(/\s+/g, " ");
}

const details = (name: string, language: "en" | "fr" = "en") =>
  ticketDetails(edition, { name, category: "law-enforcement", ticketNonce: "nonce-1" }, language, appKey);

describe("ticketCode", () => {
  it("is the first 48 bits of the stored hash in three groups of four", () => {
    expect(ticketCode("3f9ac21b77e0aa55")).toBe("3F9A-C21B-77E0");
    expect(details("Ada").code).toBe(ticketCode(ticketHash(ticketSecret(appKey, "nonce-1"))));
  });
});

describe("printableName", () => {
  it("keeps names the font draws, and prints the others in Latin letters", () => {
    expect(printableName("Анна Петрова")).toEqual({ text: "Анна Петрова", transliterated: false });
    expect(printableName("Γιώργος Παπαδόπουλος")).toEqual({ text: "Γιώργος Παπαδόπουλος", transliterated: false });
    expect(printableName("Zoë Ångström-Łukasiewicz")).toEqual({ text: "Zoë Ångström-Łukasiewicz", transliterated: false });
    expect(printableName("王小明")).toEqual({ text: "Wang Xiao Ming", transliterated: true });
    expect(printableName("محمد العلي").transliterated).toBe(true);
    expect(printableName("محمد العلي").text).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
  });
});

describe.skipIf(!PDFTOTEXT)(`the ticket PDF${PDFTOTEXT ? "" : " (skipped: pdftotext missing, apt-get install -y poppler-utils)"}`, () => {
  it("holds the name as typed in Cyrillic, the event, dates, venue, category and code, as text", async () => {
    const ticket = details("Анна Петрова-Сидоренко");
    const text = pdfText(await ticketPdf(ticket));
    for (const part of [
      "Анна Петрова-Сидоренко",
      edition.name.en,
      ticket.dates.replace(/\s+/g, " "),
      edition.venue.name,
      edition.venue.address,
      "Law enforcement",
      ticket.code,
      "CATEGORY",
    ])
      expect(text).toContain(part);
  });

  it("is in the attendee's language, and transliterates what the font cannot draw", async () => {
    const text = pdfText(await ticketPdf(details("王小明", "fr")));
    expect(text).toContain("Wang Xiao Ming");
    expect(text).toContain(edition.name.fr);
    expect(text).toContain("CATÉGORIE");
    expect(text).toContain("2–3 juillet 2013");
  });
});

describe("the ticket files", () => {
  it("are the same bytes for the same ticket (a retried e-mail must not differ), small enough to mail", async () => {
    const ticket = details("Γιώργος Παπαδόπουλος");
    const pdf = await ticketPdf(ticket);
    forgetDrawnTickets();
    expect(pdf.equals(await ticketPdf(ticket))).toBe(true);
    expect(pdf.length).toBeLessThan(60_000);
    const png = await ticketPng(ticket);
    forgetDrawnTickets();
    expect(png.equals(await ticketPng(ticket))).toBe(true);
    expect(png.length).toBeLessThan(80_000);
    const { width, height, format } = await sharp(png).metadata();
    expect({ width, format }).toEqual({ width: TICKET_PNG_WIDTH, format: "png" });
    expect(height).toBeGreaterThan(800);
    expect((await ticketPng(details("Другое Имя"))).equals(png)).toBe(false);
  });
});
