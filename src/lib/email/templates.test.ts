import { describe, expect, it } from "vitest";
import { escapeMarkup } from "../markup.ts";
import { unfoldIcs, vevents } from "../../../tests/helpers/schedule.ts";
import { editionSchema } from "../config/edition.ts";
import { sealSignInNext, signInCode, signInLinkToken } from "../auth/sign-in-links.ts";
import { ticketHash, ticketQrPng, ticketQrSvg, ticketSecret } from "../registration/ticket.ts";
import { deriveSecret, hashSecret } from "../security/secrets.ts";
import { ANNOUNCEMENT_LIMITS, plainText, TEMPLATE_NAMES, type TemplateName } from "./payloads.ts";
import { hasAttachments, renderEmail, TICKET_QR_CID } from "./templates.ts";
import sharp from "sharp";
import { TICKET_PNG_WIDTH } from "../registration/ticket-document.ts";

// A venue name with markup characters, to see configuration values escaped as well.
const edition = editionSchema.parse({
  name: {
    en: "International Forum on Technologies for a Safer World",
    fr: "Forum international sur les technologies pour un monde plus sûr",
  },
  shortName: { en: "Safer World Forum", fr: "Forum Monde plus sûr" },
  acronym: "FTSW2013",
  startDate: "2013-07-02",
  endDate: "2013-07-03",
  timezone: "Europe/Paris",
  venue: { name: "Centre <Rive> & Lumière", address: "18 quai Hélène-Vareille, 69007 Lyon, France", city: "Lyon", country: "FR" },
  languages: ["en", "fr"],
  contactEmail: "contact@forum.example",
  registration: {
    capacity: 10,
    pendingEmailHours: 48,
    categories: [
      { id: "law-enforcement", label: { en: "Law enforcement", fr: "Forces de l’ordre" }, capacity: 5, vetting: true },
      { id: "industry", label: { en: "Industry", fr: "Industrie" }, capacity: 5 },
    ],
  },
});
const appKey = Buffer.alloc(32, 9);
const ctx = { edition, siteUrl: "https://forum.example.org", appKey };

const PAYLOADS: Record<TemplateName, Record<string, unknown>> = {
  "registration.confirm_address": { name: "Ada Example", manageNonce: "m-1" },
  "registration.already_registered": { name: "Ada Example", manageNonce: "m-2" },
  "registration.manage_link": { name: "Ada Example", manageNonce: "m-3" },
  "registration.under_review": { name: "Ada Example", manageNonce: "m-3", category: "law-enforcement" },
  "registration.back_to_review": { name: "Ada Example", manageNonce: "m-4", category: "law-enforcement" },
  "registration.confirmed": { name: "Ada Example", manageNonce: "m-5", ticketNonce: "t-5", category: "industry" },
  "registration.promoted": { name: "Ada Example", manageNonce: "m-6", ticketNonce: "t-6", category: "industry" },
  "registration.waitlisted": { name: "Ada Example", manageNonce: "m-7", category: "industry" },
  "registration.rejected": { name: "Ada Example", reason: "We could not verify your agency." },
  "registration.cancelled": { name: "Ada Example" },
  "auth.sign_in": { name: "Ada Example", nonce: "s-1" },
  announcement: { name: "Ada Example", subject: "Programme", body: "Lyon 2013." },
  "attendance.certificate": { name: "Ada Example", manageNonce: "m-8" },
  "programme.release": {
    release: 2,
    sessions: [
      {
        slug: "keynote",
        title: "Keynote",
        kind: "moved",
        startsAt: "2013-07-02T08:15:00.000Z",
        endsAt: "2013-07-02T09:00:00.000Z",
        room: "Amphi",
      },
      { slug: "lab", title: "Lab", kind: "cancelled" },
    ],
  },
  "cfp.submitted": { name: "Ada Example", title: "Hunting botnets", code: "ABCD2345" },
  "cfp.invitation": { inviter: "Grace Inviter", title: "Hunting botnets", nonce: "i-1" },
  "cfp.late": { nonce: "l-1", expiresAt: "2013-04-10T21:59:00.000Z", formatName: "Workshop" },
  "cfp.accepted": { name: "Ada Example", title: "Hunting botnets", code: "ABCD2345", nonce: "c-1" },
  "cfp.rejected": { name: "Ada Example", title: "Hunting botnets", code: "ABCD2345", reason: "Too close to another talk." },
  "cfp.message": { name: "Ada Example", title: "Hunting botnets", code: "ABCD2345", body: "Could you shorten the abstract?" },
  "cfp.withdrawn": { name: "Ada Example", title: "Hunting botnets", code: "ABCD2345", by: "Grace Inviter" },
  "cfp.speaker_joined": { name: "Ada Example", title: "Hunting botnets", code: "ABCD2345", speaker: "Grace Inviter" },
  "cfp.invitation_declined": { name: "Ada Example", title: "Hunting botnets", code: "ABCD2345", invitee: "grace@example.org" },
  "cfp.confirmed": { name: "Ada Example", title: "Hunting botnets", code: "ABCD2345" },
  "cfp.declined": { name: "Ada Example", title: "Hunting botnets", code: "ABCD2345" },
};

const SUBJECTS: Record<"en" | "fr", Record<TemplateName, string>> = {
  en: {
    "registration.confirm_address": "Confirm your e-mail address – Safer World Forum",
    "registration.already_registered": "Your registration – Safer World Forum",
    "registration.manage_link": "Your link to your registration – Safer World Forum",
    "registration.under_review": "Registration received: under review – Safer World Forum",
    "registration.back_to_review": "Your changes are being reviewed – Safer World Forum",
    "registration.confirmed": "Registration confirmed: your ticket – Safer World Forum",
    "registration.promoted": "A seat is free: your registration is confirmed – Safer World Forum",
    "registration.waitlisted": "You are on the waiting list – Safer World Forum",
    "registration.rejected": "Your registration was not accepted – Safer World Forum",
    "registration.cancelled": "Registration cancelled – Safer World Forum",
    "auth.sign_in": "Your sign-in link – Safer World Forum",
    announcement: "Programme – Safer World Forum",
    "attendance.certificate": "Your certificate of attendance – Safer World Forum",
    "programme.release": "Version 2 of the programme changes sessions you follow – Safer World Forum",
    "cfp.submitted": "Proposal received – Safer World Forum",
    "cfp.invitation": "Grace Inviter invites you to speak – Safer World Forum",
    "cfp.late": "You may submit a proposal after the deadline – Safer World Forum",
    "cfp.accepted": "Your proposal is accepted – Safer World Forum",
    "cfp.rejected": "Your proposal was not selected – Safer World Forum",
    "cfp.message": "About your proposal “Hunting botnets” – Safer World Forum",
    "cfp.withdrawn": "Proposal withdrawn – Safer World Forum",
    "cfp.speaker_joined": "Grace Inviter joined your proposal – Safer World Forum",
    "cfp.invitation_declined": "Your invitation was declined – Safer World Forum",
    "cfp.confirmed": "Your session is confirmed – Safer World Forum",
    "cfp.declined": "Your proposal will not be presented – Safer World Forum",
  },
  fr: {
    "registration.confirm_address": "Confirmez votre adresse e-mail – Forum Monde plus sûr",
    "registration.already_registered": "Votre inscription – Forum Monde plus sûr",
    "registration.manage_link": "Le lien de votre inscription – Forum Monde plus sûr",
    "registration.under_review": "Inscription reçue\u00a0: en cours d’examen – Forum Monde plus sûr",
    "registration.back_to_review": "Vos modifications sont en cours d’examen – Forum Monde plus sûr",
    "registration.confirmed": "Inscription confirmée\u00a0: votre billet – Forum Monde plus sûr",
    "registration.promoted": "Une place s’est libérée\u00a0: votre inscription est confirmée – Forum Monde plus sûr",
    "registration.waitlisted": "Vous êtes en liste d’attente – Forum Monde plus sûr",
    "registration.rejected": "Votre inscription n’a pas été acceptée – Forum Monde plus sûr",
    "registration.cancelled": "Inscription annulée – Forum Monde plus sûr",
    "auth.sign_in": "Votre lien de connexion – Forum Monde plus sûr",
    announcement: "Programme – Forum Monde plus sûr",
    "attendance.certificate": "Votre attestation de présence – Forum Monde plus sûr",
    "programme.release": "La version 2 du programme modifie des sessions que vous suivez – Forum Monde plus sûr",
    "cfp.submitted": "Proposition reçue – Forum Monde plus sûr",
    "cfp.invitation": "Grace Inviter vous invite à intervenir – Forum Monde plus sûr",
    "cfp.late": "Vous pouvez soumettre une proposition après la date limite – Forum Monde plus sûr",
    "cfp.accepted": "Votre proposition est acceptée – Forum Monde plus sûr",
    "cfp.rejected": "Votre proposition n’a pas été retenue – Forum Monde plus sûr",
    "cfp.message": "À propos de votre proposition «\u202fHunting botnets\u202f» – Forum Monde plus sûr",
    "cfp.withdrawn": "Proposition retirée – Forum Monde plus sûr",
    "cfp.speaker_joined": "Grace Inviter a rejoint votre proposition – Forum Monde plus sûr",
    "cfp.invitation_declined": "Votre invitation a été refusée – Forum Monde plus sûr",
    "cfp.confirmed": "Votre intervention est confirmée – Forum Monde plus sûr",
    "cfp.declined": "Votre proposition ne sera pas présentée – Forum Monde plus sûr",
  },
};

// ICU puts thin spaces around the dash of an English range ("2 – 3 July 2013"), none in French.
const DATES = { en: /2\u2009?–\u2009?3 July 2013/, fr: /2–3 juillet 2013/ };
const WITH_TICKET = new Set<TemplateName>(["registration.confirmed", "registration.promoted"]);
const WITHOUT_MANAGE_LINK = new Set<TemplateName>([
  "registration.rejected",
  "registration.cancelled",
  "auth.sign_in",
  "announcement",
  "programme.release",
  "cfp.submitted",
  "cfp.invitation",
  "cfp.late",
  "cfp.accepted",
  "cfp.rejected",
  "cfp.message",
  "cfp.withdrawn",
  "cfp.speaker_joined",
  "cfp.invitation_declined",
  "cfp.confirmed",
  "cfp.declined",
]);
// Sent before anyone proved they own the address: no typed name reaches it.
const ANONYMOUS = new Set<TemplateName>([
  "registration.confirm_address",
  "registration.already_registered",
  "registration.manage_link",
  "auth.sign_in",
]);
// Greets nobody by name either: the payload holds none.
const UNNAMED = new Set<TemplateName>([...ANONYMOUS, "programme.release", "cfp.invitation", "cfp.late"]);
// Carries its own calendar of sessions (tested below).
const WITH_SESSIONS_ICS = new Set<TemplateName>(["programme.release"]);
// Tags the layout may produce: anything else in the HTML came from a value that escaped escaping.
const ALLOWED_TAGS = new Set([
  "!doctype",
  "html",
  "head",
  "meta",
  "title",
  "body",
  "div",
  "p",
  "h1",
  "a",
  "br",
  "hr",
  "img",
  "blockquote",
  "table",
  "tr",
  "th",
  "td",
]);

function tagsOf(html: string): string[] {
  return [...html.matchAll(/<\/?([!a-z][a-z0-9]*)/gi)].map((m) => m[1]!.toLowerCase());
}

/** The manage token found in a text, URL-decoded. */
function manageToken(text: string, language: "en" | "fr"): string | undefined {
  const prefix = language === "fr" ? "https://forum.example.org/fr/register/manage/" : "https://forum.example.org/register/manage/";
  const match = new RegExp(`${prefix.replace(/[./]/g, "\\$&")}([^\\s"<>/?]+)`).exec(text);
  return match ? decodeURIComponent(match[1]!) : undefined;
}

describe("e-mail templates", () => {
  it("cover every transition of the brief", () => {
    expect([...TEMPLATE_NAMES].sort()).toEqual(Object.keys(PAYLOADS).sort());
  });

  for (const language of ["en", "fr"] as const) {
    describe(language, () => {
      for (const template of TEMPLATE_NAMES) {
        it(`${template}: subject, forum, dates, venue, footer, links`, async () => {
          const payload = PAYLOADS[template];
          const email = await renderEmail({ template, language, payload }, ctx);
          expect(email.subject).toBe(SUBJECTS[language][template]);
          // What the worker decides before rendering (a message with attachments goes alone) is what rendering gives.
          expect(hasAttachments({ template, language, payload })).toBe(email.attachments.length > 0);

          for (const body of [email.text, email.html]) {
            expect(body).toMatch(DATES[language]);
            expect(body).toContain("contact@forum.example");
            expect(body).toContain("Lyon");
          }
          expect(email.text).toContain(edition.name[language]);
          expect(email.html).toContain(escapeMarkup(edition.name[language]));
          expect(email.text).toContain("Centre <Rive> & Lumière, Lyon");
          expect(email.html).toContain("Centre &lt;Rive&gt; &amp; Lumière, Lyon");
          // Before the address is confirmed, the name typed into the form is not trusted to reach it.
          if (UNNAMED.has(template)) {
            expect(email.text).toContain(language === "fr" ? "Bonjour,\n" : "Hello,\n");
            expect(email.text).not.toContain("Ada Example");
            expect(email.html).not.toContain("Ada Example");
          } else {
            expect(email.text).toContain(language === "fr" ? "Bonjour Ada Example," : "Dear Ada Example,");
          }
          expect(email.html).toMatch(new RegExp(`^<!DOCTYPE html>\\n<html lang="${language}"`));
          expect(new Set(tagsOf(email.html)).difference(ALLOWED_TAGS)).toEqual(new Set());

          if (WITHOUT_MANAGE_LINK.has(template)) {
            expect(email.text).not.toContain("/register/manage/");
            expect(email.html).not.toContain("/register/manage/");
          } else {
            const expected = deriveSecret(appKey, "manage", payload.manageNonce as string);
            expect(manageToken(email.text, language)).toBe(expected);
            expect(manageToken(email.html, language)).toBe(expected);
          }

          if (template === "attendance.certificate") {
            // The certificate itself, in the message's language, under the same private link.
            const token = encodeURIComponent(deriveSecret(appKey, "manage", payload.manageNonce as string));
            expect(email.text).toContain(`https://forum.example.org/register/manage/${token}/certificate.pdf?lang=${language}`);
            expect(email.html).toContain(`https://forum.example.org/register/manage/${token}/certificate.pdf?lang=${language}`);
            expect(email.attachments).toEqual([]);
          }

          if (WITH_TICKET.has(template)) {
            expect(email.attachments.map((a) => [a.filename, a.contentType, a.contentId])).toEqual([
              ["ticket-qr.png", "image/png", TICKET_QR_CID],
              ["ticket.pdf", "application/pdf", undefined],
              ["ticket.png", "image/png", undefined],
              ["forum.ics", "text/calendar; charset=utf-8", undefined],
            ]);
            const png = await ticketQrPng(ticketSecret(appKey, payload.ticketNonce as string));
            expect(email.attachments[0]!.content.equals(png)).toBe(true);
            // The whole ticket, as the manage page offers it: a PDF and a 1200 px wide image.
            expect(email.attachments[1]!.content.subarray(0, 5).toString()).toBe("%PDF-");
            expect((await sharp(email.attachments[2]!.content).metadata()).width).toBe(TICKET_PNG_WIDTH);
            expect(email.attachments.reduce((n, a) => n + a.content.length, 0)).toBeLessThan(120_000);
            expect(email.html).toContain(
              `<img src="cid:${TICKET_QR_CID}" alt="${language === "fr" ? "Code QR de votre billet" : "QR code of your ticket"}"`,
            );
            expect(email.text).toContain("ticket.png");
            expect(email.text).toContain("forum.ics");
            const [event] = vevents(email.attachments[3]!.content.toString("utf8"));
            expect(event).toContain("DTSTART;VALUE=DATE:20130702");
            expect(event).toContain(`SUMMARY:${edition.name[language]}`);
          } else if (WITH_SESSIONS_ICS.has(template)) {
            expect(email.attachments.map((a) => [a.filename, a.contentType])).toEqual([["sessions.ics", "text/calendar; charset=utf-8"]]);
            expect(email.html).not.toContain("cid:");
          } else {
            expect(email.attachments).toEqual([]);
            expect(email.html).not.toContain("cid:");
          }
        });
      }

      it("French is French, English is English", async () => {
        for (const template of TEMPLATE_NAMES) {
          const payload = {
            ...PAYLOADS[template],
            ...(language === "fr" && template === "registration.rejected" ? { reason: "Agence inconnue." } : {}),
            // The organizers write each language's body themselves.
            ...(language === "fr" && template === "announcement" ? { body: "Voici votre programme." } : {}),
            ...(language === "fr" && template.startsWith("cfp.") ? { title: "Traquer les botnets", formatName: "Atelier" } : {}),
            ...(language === "fr" && template === "cfp.rejected" ? { reason: "Trop proche d’une autre intervention." } : {}),
            ...(language === "fr" && template === "cfp.message" ? { body: "Pourriez-vous raccourcir le résumé ?" } : {}),
          };
          const { text } = await renderEmail({ template, language, payload }, ctx);
          // The edition's own names aside, no word of the other language.
          const words = text
            .replace(edition.name.fr, "")
            .replace(edition.shortName.fr, "")
            .replace(edition.name.en, "")
            .replace(edition.shortName.en, "");
          if (language === "fr") {
            expect(words).not.toMatch(/\b(Dear|your|registration|the|please|ticket is|waiting list)\b/i);
            expect(words).toMatch(/\b(votre|vous)\b/);
            expect(words).toContain("L’équipe d’organisation");
            expect(words).toContain("Une question\u202f? Écrivez à contact@forum.example.");
          } else {
            expect(words).not.toMatch(/\b(Bonjour|votre|vous|inscription|billet|équipe)\b/i);
            expect(words).toContain("The organizing team");
          }
        }
      });
    });
  }

  it("escapes a hostile name, reason and category in HTML, and keeps it out of the headers", async () => {
    const name = "<script>alert(1)</script>\r\nBcc: victim@example.org";
    for (const template of TEMPLATE_NAMES.filter((t) => !UNNAMED.has(t))) {
      const payload = { ...PAYLOADS[template], name, reason: `"><img src=x onerror=alert(1)>`, category: "<b>bold</b>" };
      const email = await renderEmail({ template, language: "en", payload }, ctx);
      expect(email.html).not.toContain("<script");
      expect(email.html).not.toContain("<img src=x");
      expect(email.html).not.toContain("<b>");
      expect(new Set(tagsOf(email.html)).difference(ALLOWED_TAGS)).toEqual(new Set());
      expect(email.html).toContain("Dear &lt;script&gt;alert(1)&lt;/script&gt; Bcc: victim@example.org,");
      expect(email.text).toContain("Dear <script>alert(1)</script> Bcc: victim@example.org,");
      expect(email.subject).not.toMatch(/[\r\n]/);
    }
    const rejected = await renderEmail(
      { template: "registration.rejected", language: "en", payload: { name, reason: `"><img src=x>` } },
      ctx,
    );
    expect(rejected.html).toContain("&quot;&gt;&lt;img src=x&gt;");
  });

  it("states the expiry of an unconfirmed registration in hours", async () => {
    const en = await renderEmail(
      { template: "registration.confirm_address", language: "en", payload: PAYLOADS["registration.confirm_address"] },
      ctx,
    );
    const fr = await renderEmail(
      { template: "registration.confirm_address", language: "fr", payload: PAYLOADS["registration.confirm_address"] },
      ctx,
    );
    expect(en.text).toContain("This link expires after 48 hours.");
    expect(fr.text).toContain("Ce lien expire au bout de 48 heures.");
  });

  it("quotes the organizers' reason of a rejection, and says nothing of it when there is none", async () => {
    const withReason = await renderEmail(
      { template: "registration.rejected", language: "fr", payload: { name: "Ada", reason: "Agence inconnue.\nMerci." } },
      ctx,
    );
    expect(withReason.text).toContain("Motif indiqué par les organisateurs\u00a0:\n\n> Agence inconnue.\n> Merci.");
    expect(withReason.html).toContain("<blockquote");
    const without = await renderEmail({ template: "registration.rejected", language: "fr", payload: { name: "Ada", reason: "" } }, ctx);
    expect(without.text).not.toContain("Motif");
    expect(without.html).not.toContain("<blockquote");
  });

  it("links a cancelled attendee to the registration form in their language", async () => {
    const fr = await renderEmail({ template: "registration.cancelled", language: "fr", payload: { name: "Ada" } }, ctx);
    expect(fr.text).toContain("https://forum.example.org/fr/register\n");
  });

  it("renders the same bytes twice (a retry must match the first attempt's idempotency key)", async () => {
    const message = { template: "registration.promoted", language: "fr", payload: PAYLOADS["registration.promoted"] };
    expect(await renderEmail(message, ctx)).toEqual(await renderEmail(message, ctx));
  });

  it("refuses an unknown template, an unknown language and a malformed payload", async () => {
    await expect(renderEmail({ template: "registration.nope", language: "en", payload: {} }, ctx)).rejects.toThrow(
      'Unknown e-mail template "registration.nope"',
    );
    await expect(renderEmail({ template: "registration.cancelled", language: "de", payload: { name: "Ada" } }, ctx)).rejects.toThrow(
      'Unsupported e-mail language "de"',
    );
    await expect(
      renderEmail({ template: "registration.confirmed", language: "en", payload: { name: "Ada", manageNonce: "m" } }, ctx),
    ).rejects.toThrow(/Invalid payload for e-mail template registration\.confirmed: ticketNonce: .*; category: /);
    await expect(renderEmail({ template: "registration.cancelled", language: "en", payload: { name: " \n " } }, ctx)).rejects.toThrow(
      /name: must not be empty/,
    );
    await expect(renderEmail({ template: "registration.cancelled", language: "en", payload: null }, ctx)).rejects.toThrow(
      /Invalid payload/,
    );
  });
});

describe("sign-in message", () => {
  const payload = { nonce: "nonce-signin-1" };

  for (const language of ["en", "fr"] as const) {
    it(`${language}: carries the one-time link and the code derived from the nonce, their validity, and why it was sent`, async () => {
      const email = await renderEmail({ template: "auth.sign_in", language, payload }, ctx);
      const token = deriveSecret(appKey, "signin", payload.nonce);
      const url = `https://forum.example.org${language === "fr" ? "/fr" : ""}/signin/link/${token}`;
      const code = signInCode(appKey, payload.nonce);
      expect(code).toMatch(/^\d{6}$/);
      expect(email.text).toContain(`\n${url}\n`);
      expect(email.html).toContain(`href="${url}"`);
      expect(email.text).toContain(`\n    ${code}\n`);
      expect(email.html).toContain(`letter-spacing:6px;">${code}</p>`);
      // The secrets come from the key: the payload's nonce alone is not the link.
      expect(token).not.toContain(payload.nonce);
      expect(email.text).not.toContain(payload.nonce);
      if (language === "en") {
        expect(email.text).toContain("It works once, within the next 15 minutes:");
        expect(email.text).toContain("If you did not ask to sign in, ignore this message");
        expect(email.text).toContain("someone asked to sign in to the forum’s website with this e-mail address.");
        expect(email.text).not.toContain("used to register for the forum");
        expect(email.text).toContain("Hello,\n");
      } else {
        expect(email.text).toContain("Il ne fonctionne qu’une fois, dans les 15 minutes qui viennent\u00a0:");
        expect(email.text).toContain("Si vous n’avez pas demandé à vous connecter, ignorez ce message");
        expect(email.text).toContain("quelqu’un a demandé à se connecter au site du forum avec cette adresse e-mail.");
        expect(email.text).not.toContain("utilisée pour s’inscrire au forum");
        expect(email.text).toContain("Bonjour,\n");
      }
      expect(email.subject).not.toContain(code);
      expect(email.attachments).toEqual([]);
    });
  }

  it("gives another link and code under another key or nonce", async () => {
    const base = await renderEmail({ template: "auth.sign_in", language: "en", payload }, ctx);
    const otherKey = await renderEmail({ template: "auth.sign_in", language: "en", payload }, { ...ctx, appKey: Buffer.alloc(32, 1) });
    const otherNonce = await renderEmail({ template: "auth.sign_in", language: "en", payload: { nonce: "nonce-signin-2" } }, ctx);
    expect(otherKey.text).not.toBe(base.text);
    expect(otherNonce.text).not.toBe(base.text);
    expect(signInCode(Buffer.alloc(32, 1), payload.nonce)).not.toBe(signInCode(appKey, payload.nonce));
  });

  it("keeps the registration footer on registration messages", async () => {
    const email = await renderEmail({ template: "registration.cancelled", language: "en", payload: { name: "Ada" } }, ctx);
    expect(email.text).toContain("this e-mail address was used to register for the forum.");
  });

  it("refuses a payload without a nonce", async () => {
    await expect(renderEmail({ template: "auth.sign_in", language: "en", payload: {} }, ctx)).rejects.toThrow(
      /Invalid payload for e-mail template auth\.sign_in: nonce: /,
    );
  });
});

describe("ticket and forum calendar", () => {
  it("derives the ticket from the nonce and the key, stores only its hash, and encodes exactly it", async () => {
    const secret = ticketSecret(appKey, "nonce-1");
    expect(secret).toBe(deriveSecret(appKey, "ticket", "nonce-1"));
    expect(secret).not.toBe(ticketSecret(Buffer.alloc(32, 1), "nonce-1"));
    expect(ticketHash(secret)).toBe(hashSecret(secret));
    const png = await ticketQrPng(secret);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.equals(await ticketQrPng(ticketSecret(appKey, "nonce-2")))).toBe(false);
    expect(await ticketQrSvg(secret)).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });

  it("gives one all-day event over the edition's days at the venue, with the zone and a stable UID", async () => {
    const { forumCalendar } = await import("../registration/calendar.ts");
    const ics = forumCalendar(edition, "https://forum.example.org", "fr");
    expect(ics.endsWith("END:VCALENDAR\r\n")).toBe(true);
    expect(ics.split("\r\n").every((line) => Buffer.byteLength(line) <= 75)).toBe(true);
    const lines = unfoldIcs(ics);
    expect(lines).toContain("BEGIN:VTIMEZONE");
    expect(lines).toContain("TZID:Europe/Paris");
    expect(lines).toContain("X-WR-TIMEZONE:Europe/Paris");
    // Calendar properties come before the first component (RFC 5545 3.6).
    expect(lines.indexOf("X-WR-TIMEZONE:Europe/Paris")).toBeLessThan(lines.indexOf("BEGIN:VTIMEZONE"));
    expect(lines.indexOf("BEGIN:VTIMEZONE")).toBeLessThan(lines.indexOf("BEGIN:VEVENT"));
    const events = vevents(ics);
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual(
      expect.arrayContaining([
        "UID:ftsw2013-forum@forum.example.org",
        "DTSTAMP:20130702T000000Z",
        "DTSTART;VALUE=DATE:20130702",
        "DTEND;VALUE=DATE:20130704",
        "SUMMARY:Forum international sur les technologies pour un monde plus sûr",
        "LOCATION:Centre <Rive> & Lumière\\, 18 quai Hélène-Vareille\\, 69007 Lyon\\, France",
        "URL;VALUE=URI:https://forum.example.org/fr/",
      ]),
    );
    expect(forumCalendar(edition, "https://forum.example.org", "en")).toContain(
      "SUMMARY:International Forum on Technologies for a Safer World",
    );
    expect(forumCalendar(edition, "https://forum.example.org", "en")).toContain("UID:ftsw2013-forum@forum.example.org");
  });
});

describe("announcement", () => {
  const body = "Doors open at 8:30.\nBring your ticket.\n\nThe keynote starts at 9:00.";

  for (const language of ["en", "fr"] as const) {
    it(`${language}: the organizers' subject and paragraphs, greeted by name, with the forum's header and footer`, async () => {
      const email = await renderEmail(
        { template: "announcement", language, payload: { name: "Ada Example", subject: "Practical details", body } },
        ctx,
      );
      const shortName = edition.shortName[language];
      expect(email.subject).toBe(`Practical details – ${shortName}`);
      // Plain text: the body as written, between the greeting and the sign-off.
      const greeting = language === "fr" ? "Bonjour Ada Example," : "Dear Ada Example,";
      const signOff = language === "fr" ? "L’équipe d’organisation" : "The organizing team";
      expect(email.text).toContain(`${greeting}\n\n${body}\n\n${signOff}\n`);
      expect(email.text.startsWith(`${edition.name[language]}\n`)).toBe(true);
      expect(email.text).toContain(
        language === "fr"
          ? "cette adresse e-mail a été utilisée pour s’inscrire au forum."
          : "this e-mail address was used to register for the forum.",
      );
      // HTML: one paragraph per blank-line-separated block, line breaks kept.
      expect(email.html).toContain(
        '<p style="margin:0 0 16px;">Doors open at 8:30.<br>\nBring your ticket.</p>\n<p style="margin:0 0 16px;">The keynote starts at 9:00.</p>',
      );
      expect(email.html).toContain(
        `<h1 style="margin:4px 0 24px;font-size:22px;line-height:1.3;">${escapeMarkup(edition.name[language])}</h1>`,
      );
      expect(email.html).toContain(`<title>${escapeMarkup(email.subject)}</title>`);
      expect(new Set(tagsOf(email.html)).difference(ALLOWED_TAGS)).toEqual(new Set());
      expect(email.attachments).toEqual([]);
    });
  }

  it("escapes the organizers' text and the name in HTML, and keeps the subject on one line", async () => {
    const payload = {
      name: `<img src=x onerror=alert(1)>`,
      subject: `<b>News</b> & "more"\r\nBcc: victim@example.org`,
      body: `<script>alert(1)</script>\n\n<a href="javascript:alert(1)">click</a> & 'quotes'`,
    };
    const email = await renderEmail({ template: "announcement", language: "en", payload }, ctx);
    expect(email.subject).toBe(`<b>News</b> & "more" Bcc: victim@example.org – Safer World Forum`);
    expect(email.html).not.toContain("<script");
    expect(email.html).not.toContain("<img");
    expect(email.html).not.toContain("<b>");
    expect(email.html).not.toContain('<a href="javascript');
    expect(new Set(tagsOf(email.html)).difference(ALLOWED_TAGS)).toEqual(new Set());
    expect(email.html).toContain(
      "<title>&lt;b&gt;News&lt;/b&gt; &amp; &quot;more&quot; Bcc: victim@example.org – Safer World Forum</title>",
    );
    expect(email.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(email.html).toContain("&lt;a href=&quot;javascript:alert(1)&quot;&gt;click&lt;/a&gt; &amp; &#39;quotes&#39;");
    expect(email.html).toContain("Dear &lt;img src=x onerror=alert(1)&gt;,");
    // The text version is text: it carries the words as typed.
    expect(email.text).toContain(`<script>alert(1)</script>\n\n<a href="javascript:alert(1)">click</a> & 'quotes'`);
  });

  it("refuses an empty subject or body, and a body over the limit", async () => {
    const render = (payload: Record<string, unknown>) => renderEmail({ template: "announcement", language: "en", payload }, ctx);
    await expect(render({ name: "Ada", subject: " \n ", body: "Hello" })).rejects.toThrow(/subject: must not be empty/);
    await expect(render({ name: "Ada", subject: "News", body: "\n\n  \n" })).rejects.toThrow(/body: must not be empty/);
    await expect(render({ name: "Ada", subject: "News", body: "x".repeat(ANNOUNCEMENT_LIMITS.body + 1) })).rejects.toThrow(/body: /);
    await expect(render({ name: "Ada", subject: "x".repeat(ANNOUNCEMENT_LIMITS.subject + 1), body: "Hi" })).rejects.toThrow(/subject: /);
    await expect(render({ name: "Ada", subject: "News", body: "x".repeat(ANNOUNCEMENT_LIMITS.body) })).resolves.toMatchObject({
      subject: "News – Safer World Forum",
    });
  });

  it("normalizes typed text: line breaks, control characters, trailing spaces, blank lines at the ends", () => {
    expect(plainText("\r\n\n  First\u0007 line  \r\nsecond\rthird\t\n\n\nLast\n\n")).toBe("  First line\nsecond\nthird\n\n\nLast");
    expect(plainText("a\u2028b")).toBe("a\nb");
    expect(plainText("tab\there")).toBe("tab\there");
  });
});

describe("hasAttachments", () => {
  it("says a release notice of cancelled sessions only, without a calendar, may go in a batch", async () => {
    const payload = { release: 2, sessions: [{ slug: "lab", title: "Lab", kind: "cancelled" }] };
    const email = await renderEmail({ template: "programme.release", language: "en", payload }, ctx);
    expect(email.attachments).toEqual([]);
    expect(hasAttachments({ template: "programme.release", language: "en", payload })).toBe(false);
    // One that cannot render goes alone (and fails alone).
    expect(hasAttachments({ template: "registration.confirmed", language: "en", payload: {} })).toBe(true);
    expect(hasAttachments({ template: "no.such", language: "en", payload: {} })).toBe(true);
  });
});

describe("programme.release", () => {
  const payload = {
    release: 3,
    sessions: [
      {
        slug: "opening-keynote",
        title: "Keynote <b>now</b> & later",
        kind: "moved",
        startsAt: "2013-07-02T08:15:00.000Z",
        endsAt: "2013-07-02T09:00:00.000Z",
        room: "Amphi <A>",
      },
      { slug: "panel", title: "Panel", kind: "changed", startsAt: "2013-07-03T12:00:00.000Z", endsAt: "2013-07-03T13:00:00.000Z" },
      { slug: "lab", title: "Lab", kind: "cancelled" },
      {
        slug: "new-talk",
        title: "New talk",
        kind: "added",
        startsAt: "2013-07-03T07:30:00.000Z",
        endsAt: "2013-07-03T08:00:00.000Z",
        room: "Salle 2",
      },
    ],
  };

  it("lists each session with its new day, time and room in the edition's zone, escaped, with the changelog link (EN)", async () => {
    const email = await renderEmail({ template: "programme.release", language: "en", payload }, ctx);
    expect(email.subject).toBe("Version 3 of the programme changes sessions you follow – Safer World Forum");
    expect(email.text).toContain("Keynote <b>now</b> & later: moved to Tuesday, 2 July 2013, 10:15–11:00, Amphi <A>");
    expect(email.text).toContain("Panel: changed (Wednesday, 3 July 2013, 14:00–15:00)");
    expect(email.text).toContain("Lab: cancelled");
    expect(email.text).toContain("New talk: scheduled for Wednesday, 3 July 2013, 09:30–10:00, Salle 2");
    expect(email.text).toContain("https://forum.example.org/changelog");
    expect(email.html).toContain("Keynote &lt;b&gt;now&lt;/b&gt; &amp; later: moved to");
    expect(email.html).toContain("Amphi &lt;A&gt;");
    expect(email.html).not.toContain("<b>");
    expect(new Set(tagsOf(email.html)).difference(ALLOWED_TAGS)).toEqual(new Set());
  });

  it("speaks French, with the French changelog", async () => {
    const email = await renderEmail({ template: "programme.release", language: "fr", payload }, ctx);
    expect(email.subject).toBe("La version 3 du programme modifie des sessions que vous suivez – Forum Monde plus sûr");
    expect(email.text).toContain("Keynote <b>now</b> & later\u00a0: déplacée au mardi 2 juillet 2013, 10:15–11:00, Amphi <A>");
    expect(email.text).toContain("Lab\u00a0: annulée");
    expect(email.text).toContain("New talk\u00a0: programmée le mercredi 3 juillet 2013, 09:30–10:00, Salle 2");
    expect(email.text).toContain("https://forum.example.org/fr/changelog");
  });

  it("attaches sessions.ics: one VEVENT per still-scheduled session, with the sessions' UIDs and the release as SEQUENCE", async () => {
    const first = await renderEmail({ template: "programme.release", language: "en", payload }, ctx);
    const again = await renderEmail({ template: "programme.release", language: "fr", payload }, ctx);
    expect(first.attachments).toHaveLength(1);
    const ics = first.attachments[0]!.content.toString("utf8");
    // The French message's calendar has the same events, with links to the French pages.
    const french = again.attachments[0]!.content.toString("utf8");
    const uids = (text: string) => vevents(text).map((e) => e.find((line) => line.startsWith("UID:")));
    expect(uids(french)).toEqual(uids(ics));
    expect(vevents(french)[0]).toContain("URL;VALUE=URI:https://forum.example.org/fr/sessions/opening-keynote");
    expect(vevents(ics)[0]).toContain("URL;VALUE=URI:https://forum.example.org/sessions/opening-keynote");
    const events = vevents(ics);
    expect(events).toHaveLength(3);
    expect(unfoldIcs(ics)).toContain("BEGIN:VTIMEZONE");
    expect(events[0]).toContain("UID:ftsw2013-session-opening-keynote@forum.example.org");
    expect(events[0]).toContain("DTSTART;TZID=Europe/Paris:20130702T101500");
    expect(events[0]).toContain("SEQUENCE:3");
    expect(events[0]).toContain("SUMMARY:Keynote <b>now</b> & later");
    expect(events[1]).toContain("DTSTART;TZID=Europe/Paris:20130703T140000");
    expect(ics).not.toContain("Lab");
  });

  it("refuses a payload without sessions", async () => {
    await expect(
      renderEmail({ template: "programme.release", language: "en", payload: { release: 2, sessions: [] } }, ctx),
    ).rejects.toThrow(/Invalid payload/);
  });
});

describe("call for papers messages", () => {
  const link = (text: string, path: string) =>
    new RegExp(`https://forum\\.example\\.org${path.replace(/[./]/g, "\\$&")}([A-Za-z0-9_-]{43})`).exec(text)?.[1];

  it("acknowledges a submission with the proposal's page in the speaker's language", async () => {
    const en = await renderEmail({ template: "cfp.submitted", language: "en", payload: PAYLOADS["cfp.submitted"] }, ctx);
    expect(en.text).toContain("your proposal “Hunting botnets” has been submitted");
    expect(en.text).toContain("https://forum.example.org/cfp/proposals/ABCD2345\n");
    const fr = await renderEmail({ template: "cfp.submitted", language: "fr", payload: PAYLOADS["cfp.submitted"] }, ctx);
    expect(fr.text).toContain("https://forum.example.org/fr/cfp/proposals/ABCD2345\n");
  });

  it("carries the invitation, late-submission and confirmation links derived from the nonce, never the nonce", async () => {
    const cases = [
      ["cfp.invitation", "/cfp/invitation/", "cfp-invitation"],
      ["cfp.late", "/cfp/late/", "cfp-late"],
      ["cfp.accepted", "/cfp/confirm/", "cfp-confirm"],
    ] as const;
    for (const [template, path, purpose] of cases) {
      for (const language of ["en", "fr"] as const) {
        const payload = PAYLOADS[template];
        const email = await renderEmail({ template, language, payload }, ctx);
        const expected = deriveSecret(appKey, purpose, payload.nonce as string);
        expect(link(email.text, (language === "fr" ? "/fr" : "") + path)).toBe(expected);
        expect(link(email.html, (language === "fr" ? "/fr" : "") + path)).toBe(expected);
        expect(email.text).not.toContain(payload.nonce as string);
      }
    }
  });

  it("names the inviter and the proposal in an invitation, and the format and end of a late link in the edition's zone", async () => {
    const invitation = await renderEmail({ template: "cfp.invitation", language: "en", payload: PAYLOADS["cfp.invitation"] }, ctx);
    expect(invitation.text).toContain("Grace Inviter invites you to join the proposal “Hunting botnets” as a co-speaker");
    expect(invitation.text).toContain("The link works for 30 days.");
    const french = await renderEmail({ template: "cfp.invitation", language: "fr", payload: PAYLOADS["cfp.invitation"] }, ctx);
    expect(french.text).toContain("Ce lien est valable 30\u00a0jours.");
    const late = await renderEmail({ template: "cfp.late", language: "en", payload: PAYLOADS["cfp.late"] }, ctx);
    expect(late.text).toContain("submit a proposal (Workshop)");
    // 21:59 UTC is 23:59 in Paris in April.
    expect(late.text).toMatch(/Until: Wednesday,? 10 April 2013, 23:59/);
    const any = await renderEmail(
      { template: "cfp.late", language: "fr", payload: { nonce: "l-2", expiresAt: "2013-04-10T21:59:00.000Z" } },
      ctx,
    );
    expect(any.text).toContain("à soumettre une proposition à l’appel");
    expect(any.text).toMatch(/Jusqu’au\u00a0?: mercredi 10 avril 2013, 23:59/);
  });

  it("quotes the committee's reason of a rejection and the organizers' message, escaped", async () => {
    const rejected = await renderEmail(
      { template: "cfp.rejected", language: "en", payload: { name: "Ada", title: "T", reason: "<b>Full</b> programme" } },
      ctx,
    );
    expect(rejected.text).toContain("> <b>Full</b> programme");
    expect(rejected.html).toContain("&lt;b&gt;Full&lt;/b&gt; programme");
    const without = await renderEmail({ template: "cfp.rejected", language: "en", payload: { name: "Ada", title: "T" } }, ctx);
    expect(without.html).not.toContain("<blockquote");
    const message = await renderEmail(
      { template: "cfp.message", language: "fr", payload: { ...PAYLOADS["cfp.message"], body: "Ligne 1\r\nLigne 2" } },
      ctx,
    );
    expect(message.text).toContain("> Ligne 1\n> Ligne 2");
    expect(message.text).toContain("https://forum.example.org/fr/cfp/proposals/ABCD2345");
  });

  it("greets a speaker without a name yet, and refuses a payload without title, code or nonce", async () => {
    const blank = await renderEmail({ template: "cfp.submitted", language: "en", payload: { title: "T", code: "ABCD2345" } }, ctx);
    expect(blank.text).toContain("Hello,\n");
    await expect(
      renderEmail({ template: "cfp.submitted", language: "en", payload: { name: "A", title: " ", code: "ABCD2345" } }, ctx),
    ).rejects.toThrow(/title: must not be empty/);
    await expect(
      renderEmail({ template: "cfp.accepted", language: "en", payload: { name: "A", title: "T", code: "x" } }, ctx),
    ).rejects.toThrow(/code: expected a proposal code; nonce:/);
    await expect(
      renderEmail({ template: "cfp.message", language: "en", payload: { name: "A", title: "T", code: "ABCD2345", body: "" } }, ctx),
    ).rejects.toThrow(/body: must not be empty/);
  });

  it("tells a withdrawal: a receipt to whoever withdrew, the withdrawer's name to the other speakers, with the proposal's page", async () => {
    const receipt = await renderEmail(
      { template: "cfp.withdrawn", language: "en", payload: { ...PAYLOADS["cfp.withdrawn"], by: "" } },
      ctx,
    );
    expect(receipt.text).toContain("You have withdrawn your proposal “Hunting botnets” from the forum’s call for papers.");
    expect(receipt.text).not.toContain("Grace Inviter");
    expect(receipt.text).toContain("https://forum.example.org/cfp/proposals/ABCD2345\n");
    expect(receipt.text).toContain("If this is a mistake, please write to contact@forum.example.");
    const other = await renderEmail({ template: "cfp.withdrawn", language: "en", payload: PAYLOADS["cfp.withdrawn"] }, ctx);
    expect(other.text).toContain("Grace Inviter has withdrawn the proposal “Hunting botnets”, of which you are a speaker,");
    const french = await renderEmail({ template: "cfp.withdrawn", language: "fr", payload: PAYLOADS["cfp.withdrawn"] }, ctx);
    expect(french.text).toContain("Grace Inviter a retiré la proposition «\u202fHunting botnets\u202f», dont vous êtes intervenant,");
    expect(french.text).toContain("https://forum.example.org/fr/cfp/proposals/ABCD2345\n");
    const frenchReceipt = await renderEmail(
      { template: "cfp.withdrawn", language: "fr", payload: { ...PAYLOADS["cfp.withdrawn"], by: "" } },
      ctx,
    );
    expect(frenchReceipt.text).toContain("Vous avez retiré votre proposition «\u202fHunting botnets\u202f»");
  });

  it("names the co-speaker who joined and the address that declined, with the proposal's page", async () => {
    const joined = await renderEmail({ template: "cfp.speaker_joined", language: "en", payload: PAYLOADS["cfp.speaker_joined"] }, ctx);
    expect(joined.text).toContain("Grace Inviter accepted the invitation and is now a co-speaker of your proposal “Hunting botnets”.");
    expect(joined.text).toContain("https://forum.example.org/cfp/proposals/ABCD2345\n");
    const declined = await renderEmail(
      { template: "cfp.invitation_declined", language: "fr", payload: PAYLOADS["cfp.invitation_declined"] },
      ctx,
    );
    expect(declined.text).toContain(
      "grace@example.org a refusé votre invitation à rejoindre la proposition «\u202fHunting botnets\u202f» en tant que co-intervenant.",
    );
    expect(declined.text).toContain("https://forum.example.org/fr/cfp/proposals/ABCD2345\n");
  });

  it("tells a confirmation that the session will be scheduled and its time and place told later, and a declined acceptance", async () => {
    const confirmed = await renderEmail({ template: "cfp.confirmed", language: "en", payload: PAYLOADS["cfp.confirmed"] }, ctx);
    expect(confirmed.text).toContain("the proposal “Hunting botnets” is confirmed and is now a session of the forum’s programme.");
    expect(confirmed.text).toContain("Your session will be scheduled; you will be told when and where.");
    expect(confirmed.text).toContain("https://forum.example.org/cfp/proposals/ABCD2345\n");
    const french = await renderEmail({ template: "cfp.confirmed", language: "fr", payload: PAYLOADS["cfp.confirmed"] }, ctx);
    expect(french.text).toContain("Votre session sera programmée\u202f; nous vous indiquerons quand et où.");
    const declined = await renderEmail({ template: "cfp.declined", language: "en", payload: PAYLOADS["cfp.declined"] }, ctx);
    expect(declined.text).toContain(
      "The acceptance of the proposal “Hunting botnets” has been declined: it will not be presented at the forum.",
    );
    expect(declined.text).toContain("please write to contact@forum.example as soon as possible.");
    const frenchDeclined = await renderEmail({ template: "cfp.declined", language: "fr", payload: PAYLOADS["cfp.declined"] }, ctx);
    expect(frenchDeclined.text).toContain("a été déclinée\u00a0: elle ne sera pas présentée au forum.");
    expect(frenchDeclined.text).toContain("https://forum.example.org/fr/cfp/proposals/ABCD2345\n");
  });

  it("escapes the names of others and keeps them out of the headers", async () => {
    const hostile = "<b>Eve</b>\r\nBcc: victim@example.org";
    for (const [template, key] of [
      ["cfp.withdrawn", "by"],
      ["cfp.speaker_joined", "speaker"],
      ["cfp.invitation_declined", "invitee"],
    ] as const) {
      const email = await renderEmail({ template, language: "en", payload: { ...PAYLOADS[template], [key]: hostile } }, ctx);
      expect(email.html).toContain("&lt;b&gt;Eve&lt;/b&gt; Bcc: victim@example.org");
      expect(email.html).not.toContain("<b>");
      expect(email.text).toContain("<b>Eve</b> Bcc: victim@example.org");
      expect(email.subject).not.toMatch(/[\r\n]/);
    }
    const joined = await renderEmail(
      { template: "cfp.speaker_joined", language: "en", payload: { ...PAYLOADS["cfp.speaker_joined"], speaker: hostile } },
      ctx,
    );
    expect(joined.subject).toBe("<b>Eve</b> Bcc: victim@example.org joined your proposal – Safer World Forum");
  });

  it("refuses a payload without the proposal's code, the co-speaker or the invitee", async () => {
    await expect(renderEmail({ template: "cfp.confirmed", language: "en", payload: { name: "A", title: "T" } }, ctx)).rejects.toThrow(
      /code: /,
    );
    await expect(
      renderEmail({ template: "cfp.withdrawn", language: "en", payload: { name: "A", title: "T", code: "nope" } }, ctx),
    ).rejects.toThrow(/code: expected a proposal code/);
    await expect(
      renderEmail(
        { template: "cfp.speaker_joined", language: "en", payload: { name: "A", title: "T", code: "ABCD2345", speaker: " " } },
        ctx,
      ),
    ).rejects.toThrow(/speaker: must not be empty/);
    await expect(
      renderEmail({ template: "cfp.invitation_declined", language: "fr", payload: { name: "A", title: "T", code: "ABCD2345" } }, ctx),
    ).rejects.toThrow(/invitee: /);
  });

  it("puts the sign-in's `next` on the link it sends", async () => {
    const nonce = "s-next";
    const next = "/cfp/proposals/new";
    const email = await renderEmail(
      { template: "auth.sign_in", language: "fr", payload: { nonce, next: sealSignInNext(appKey, nonce, next) } },
      ctx,
    );
    const link = `https://forum.example.org/fr/signin/link/${signInLinkToken(appKey, nonce)}?next=%2Fcfp%2Fproposals%2Fnew`;
    expect(email.text).toContain(link);
    expect(email.html).toContain(link);
    // Sealed for another challenge, it leads nowhere but the account page.
    const other = await renderEmail(
      { template: "auth.sign_in", language: "en", payload: { nonce, next: sealSignInNext(appKey, "s-other", next) } },
      ctx,
    );
    expect(other.text).toContain(`https://forum.example.org/signin/link/${signInLinkToken(appKey, nonce)}\n`);
  });

  it("redacted, for the organizers' eyes: every private link and code reads PRIVATE, the rest as sent", async () => {
    for (const template of TEMPLATE_NAMES) {
      for (const language of ["en", "fr"] as const) {
        const message = { template, language, payload: PAYLOADS[template] };
        const sent = await renderEmail(message, ctx);
        const shown = await renderEmail(message, { ...ctx, redact: true });
        expect(shown.subject).toBe(sent.subject);
        expect(shown.attachments.map((a) => a.filename)).toEqual(sent.attachments.map((a) => a.filename));
        for (const nonce of Object.values(PAYLOADS[template]).filter((v): v is string => typeof v === "string" && /^[a-z]-\d$/.test(v))) {
          for (const purpose of ["manage", "signin", "cfp-invitation", "cfp-late", "cfp-confirm", "ticket"] as const) {
            const secret = deriveSecret(appKey, purpose, nonce);
            expect(shown.text + shown.html, `${template} ${language} ${purpose}`).not.toContain(secret);
            expect(shown.text + shown.html).not.toContain(encodeURIComponent(secret));
          }
          if (template === "auth.sign_in") expect(shown.text).not.toContain(signInCode(appKey, nonce));
        }
        // The QR code of a ticket is not drawn: its PNG is empty.
        for (const attachment of shown.attachments.filter((a) => a.contentType === "image/png")) expect(attachment.content.length).toBe(0);
        if (sent.text !== shown.text) expect(shown.text).toContain("PRIVATE");
      }
    }
    const accepted = await renderEmail(
      { template: "cfp.accepted", language: "en", payload: PAYLOADS["cfp.accepted"] },
      { ...ctx, redact: true },
    );
    expect(accepted.text).toContain("https://forum.example.org/cfp/confirm/PRIVATE");
  });
});
