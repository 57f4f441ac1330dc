import type { z } from "zod";
import { escapeMarkup } from "../markup.ts";
import type { Edition } from "../config/edition.ts";
import { formatDateRange, formatDay, formatTime, localizePath, type Locale } from "../locale.ts";
import { localDay } from "../programme/time.ts";
import { releaseCalendar } from "../programme/exports/ical.ts";
import { forumCalendar } from "../registration/calendar.ts";
import { manageUrl } from "../registration/links.ts";
import { ticketQrPng, ticketSecret } from "../registration/ticket.ts";
import { ticketDetails, ticketPdf, ticketPng } from "../registration/ticket-document.ts";
import { SIGN_IN_MINUTES, signInNextOf, signInSecrets, signInUrl } from "../auth/sign-in-links.ts";
import { deriveSecret } from "../security/secrets.ts";
import {
  confirmPath,
  confirmToken,
  INVITATION_DAYS,
  invitationPath,
  invitationToken,
  latePath,
  lateToken,
  proposalPath,
} from "../cfp/links.ts";
import { isTemplateName, oneLine, PAYLOADS, type TemplateName } from "./payloads.ts";
import { WORDING, type Block, type ReleaseLine, type Vars, type Wording } from "./wording.ts";

/**
 * Every e-mail the site sends, rendered from an outbox row: subject, HTML, plain text and
 * attachments, in the attendee's language. Payloads hold no secret: the manage link and the ticket
 * are derived here from the stored nonces and the application key. Rendering is deterministic (same
 * row, same bytes), so that a retry carries exactly what the provider saw under the same idempotency key.
 */

/** A file attached to an e-mail; with `contentId` it is shown inline (`cid:` in the HTML). */
export interface EmailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
  contentId?: string;
}

/** An e-mail ready for a transport. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  attachments: EmailAttachment[];
}

/** What rendering needs besides the message. */
export interface RenderContext {
  edition: Edition;
  /** Public origin of the site, for absolute links. */
  siteUrl: string;
  /** Application key (loadAppKey()), from which the links and tickets are derived. */
  appKey: Buffer;
  /**
   * For the organizers' eyes (the outbox's message page): every private link's token and every
   * code reads PRIVATE instead, and the ticket's QR code is not drawn (its attachments stay listed,
   * empty). Everything else is what the recipient gets.
   */
  redact?: boolean;
}

/** What a private token or code reads in a redacted rendering. */
export const REDACTED = "PRIVATE";

/** Content-ID of the inline QR code. */
export const TICKET_QR_CID = "ticket-qr";

/** A message to render: the fields of an outbox row that matter. */
export interface EmailMessage {
  template: TemplateName | (string & {});
  language: Locale | (string & {});
  payload: unknown;
}

type ReleasePayload = z.output<(typeof PAYLOADS)["programme.release"]>;

/** The sessions of a release notice that have a time, for its calendar attachment. */
function scheduledSessions(release: ReleasePayload) {
  return release.sessions.flatMap((s) =>
    s.kind !== "cancelled" && s.startsAt && s.endsAt
      ? [{ slug: s.slug, title: s.title, startsAt: new Date(s.startsAt), endsAt: new Date(s.endsAt), room: s.room }]
      : [],
  );
}

/**
 * Whether a message renders with attachments (a ticket and its calendar, a release's sessions), so
 * that it must go to the provider alone: the batch API takes none. A message that cannot render
 * goes alone too (and fails alone). Decided from the payload, as renderEmail decides.
 */
export function hasAttachments(message: EmailMessage): boolean {
  if (!isTemplateName(message.template)) return true;
  const parsed = PAYLOADS[message.template].safeParse(message.payload);
  if (!parsed.success) return true;
  const data = parsed.data as Record<string, unknown>;
  if (typeof data.ticketNonce === "string" && data.ticketNonce !== "") return true;
  return message.template === "programme.release" && scheduledSessions(parsed.data as ReleasePayload).length > 0;
}

/** Renders one message; throws an Error naming the problem for an unknown template or language, or a malformed payload. */
export async function renderEmail(message: EmailMessage, ctx: RenderContext): Promise<RenderedEmail> {
  const { template, language } = message;
  if (!isTemplateName(template)) throw new Error(`Unknown e-mail template "${template}"`);
  if (!isLocale(language)) throw new Error(`Unsupported e-mail language "${language}"`);
  const parsed = PAYLOADS[template].safeParse(message.payload);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`).join("; ");
    throw new Error(`Invalid payload for e-mail template ${template}: ${issues}`);
  }
  const release = template === "programme.release" ? (parsed.data as ReleasePayload) : undefined;
  const payload = (release ? {} : parsed.data) as Record<string, string | undefined>;
  const { edition, siteUrl, appKey } = ctx;
  const secret = (purpose: Parameters<typeof deriveSecret>[1], value: string) =>
    ctx.redact ? REDACTED : deriveSecret(appKey, purpose, value);
  const words = WORDING[language];
  const signIn =
    template === "auth.sign_in" && payload.nonce
      ? ctx.redact
        ? { linkToken: REDACTED, code: REDACTED, next: undefined }
        : { ...signInSecrets(appKey, payload.nonce), next: signInNextOf(appKey, payload.nonce, payload.next) }
      : undefined;
  const vars: Vars = {
    name: payload.name ?? "",
    shortName: edition.shortName[language],
    dates: formatDateRange(edition.startDate, edition.endDate, language),
    venue: edition.venue.name,
    address: edition.venue.address,
    category: payload.category ? categoryLabel(edition, payload.category, language) : "",
    manageUrl: payload.manageNonce ? manageUrl(siteUrl, language, secret("manage", payload.manageNonce)) : "",
    registerUrl: new URL(localizePath("/register", language), siteUrl).href,
    hours: words.hours(edition.registration.pendingEmailHours),
    reason: (payload.reason ?? "").trim(),
    contactEmail: edition.contactEmail,
    signInUrl: signIn ? signInUrl(siteUrl, language, signIn.linkToken, signIn.next) : "",
    code: signIn?.code ?? "",
    minutes: words.minutes(SIGN_IN_MINUTES),
    subject: payload.subject ?? "",
    body: payload.body ?? "",
    release: release ? String(release.release) : "",
    changes: release ? release.sessions.map((s) => releaseLine(s, edition.timezone, language)) : [],
    changelogUrl: new URL(localizePath("/changelog", language), siteUrl).href,
    certificateUrl:
      template === "attendance.certificate" && payload.manageNonce
        ? new URL(`/register/manage/${encodeURIComponent(secret("manage", payload.manageNonce))}/certificate.pdf?lang=${language}`, siteUrl)
            .href
        : "",
    ...cfpVars(template, payload, ctx, language),
  };
  const composed = words.templates[template](vars);
  const subject = oneLine(`${composed.subject} – ${vars.shortName}`);
  const layout: Layout = {
    language,
    subject,
    forum: edition.name[language],
    tagline: `${vars.dates} · ${edition.venue.name}, ${edition.venue.city}`,
    greeting: words.greeting(vars.name),
    blocks: composed.blocks,
    why: composed.why ?? words.why,
    words,
    siteUrl: new URL(localizePath("/", language), siteUrl).href,
    contactEmail: edition.contactEmail,
  };
  const attachments: EmailAttachment[] = [];
  if (payload.ticketNonce) {
    // Redacted (an organizer reading the outbox), the ticket's files are named, not drawn: they carry its secret.
    const empty = Buffer.alloc(0);
    // The ticket as the manage page offers it, from the payload alone (same row, same bytes).
    const details = ctx.redact
      ? undefined
      : ticketDetails(edition, { name: vars.name, category: payload.category ?? "", ticketNonce: payload.ticketNonce }, language, appKey);
    const qr = details ? await ticketQrPng(ticketSecret(appKey, payload.ticketNonce)) : empty;
    attachments.push(
      { filename: "ticket-qr.png", content: qr, contentType: "image/png", contentId: TICKET_QR_CID },
      { filename: "ticket.pdf", content: details ? await ticketPdf(details) : empty, contentType: "application/pdf" },
      { filename: "ticket.png", content: details ? await ticketPng(details) : empty, contentType: "image/png" },
      {
        filename: "forum.ics",
        content: Buffer.from(forumCalendar(edition, siteUrl, language), "utf8"),
        contentType: "text/calendar; charset=utf-8",
      },
    );
  }
  if (release) {
    const scheduled = scheduledSessions(release);
    if (scheduled.length > 0) {
      attachments.push({
        filename: "sessions.ics",
        content: Buffer.from(releaseCalendar(release.release, scheduled, { edition, siteUrl, locale: language }), "utf8"),
        contentType: "text/calendar; charset=utf-8",
      });
    }
  }
  return { subject, text: renderText(layout), html: renderHtml(layout), attachments };
}

/** The call-for-papers values of a message: the proposal, its page, the one-time link of the template. */
function cfpVars(template: TemplateName, payload: Record<string, string | undefined>, ctx: RenderContext, language: Locale) {
  const { siteUrl, appKey, edition } = ctx;
  const nonce = payload.nonce ?? "";
  const token = (derive: (key: Buffer, nonce: string) => string) => (ctx.redact ? REDACTED : derive(appKey, nonce));
  const link =
    template === "cfp.invitation"
      ? invitationPath(language, token(invitationToken))
      : template === "cfp.late"
        ? latePath(language, token(lateToken))
        : template === "cfp.accepted"
          ? confirmPath(language, token(confirmToken))
          : "";
  const expires = payload.expiresAt ? new Date(payload.expiresAt) : undefined;
  return {
    title: payload.title ?? "",
    inviter: payload.inviter ?? "",
    by: payload.by ?? "",
    speaker: payload.speaker ?? "",
    invitee: payload.invitee ?? "",
    proposalUrl: payload.code ? new URL(proposalPath(language, payload.code), siteUrl).href : "",
    linkUrl: link ? new URL(link, siteUrl).href : "",
    invitationDays: INVITATION_DAYS,
    cfpUrl: new URL(localizePath("/cfp", language), siteUrl).href,
    until: expires ? `${formatDay(localDay(expires, edition.timezone), language)}, ${formatTime(expires, language, edition.timezone)}` : "",
    formatName: payload.formatName ?? "",
  };
}

/** One affected session as the message tells it: its new day, time and room in the edition's zone. */
function releaseLine(
  s: { title: string; kind: ReleaseLine["kind"]; startsAt?: string; endsAt?: string; room?: string },
  zone: string,
  language: Locale,
): ReleaseLine {
  if (s.kind === "cancelled" || !s.startsAt || !s.endsAt) return { title: s.title, kind: s.kind, when: "", room: "" };
  const start = new Date(s.startsAt);
  const end = new Date(s.endsAt);
  const when = `${formatDay(localDay(start, zone), language)}, ${formatTime(start, language, zone)}–${formatTime(end, language, zone)}`;
  return { title: s.title, kind: s.kind, when, room: s.room ?? "" };
}

function isLocale(value: string): value is Locale {
  return value === "en" || value === "fr";
}

/** The label of a category in `language`; its id if the edition no longer has it. */
function categoryLabel(edition: Edition, id: string, language: Locale): string {
  return edition.registration.categories.find((c) => c.id === id)?.label[language] ?? id;
}

interface Layout {
  language: Locale;
  subject: string;
  forum: string;
  tagline: string;
  greeting: string;
  blocks: Block[];
  why: string;
  words: Wording;
  siteUrl: string;
  contactEmail: string | undefined;
}

const MUTED = "color:#4a5360;";
const P = "margin:0 0 16px;";

function renderHtml(l: Layout): string {
  const e = escapeMarkup;
  const body = l.blocks.map((block) => htmlBlock(block, l)).join("\n");
  const footer = [
    l.contactEmail ? e(l.words.contact(l.contactEmail)) : "",
    e(l.why),
    `<a href="${e(l.siteUrl)}" style="color:#1f4f8f;">${e(l.siteUrl)}</a>`,
  ]
    .filter(Boolean)
    .map((line) => `<p style="margin:0 0 8px;font-size:13px;${MUTED}">${line}</p>`)
    .join("\n");
  return `<!DOCTYPE html>
<html lang="${l.language}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${e(l.subject)}</title>
</head>
<body style="margin:0;padding:0;background:#f2f3f5;">
<div role="article" aria-label="${e(l.subject)}" lang="${l.language}" style="padding:24px 12px;">
<div style="max-width:600px;margin:0 auto;padding:24px;background:#ffffff;border-radius:6px;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1b1f24;">
<p style="margin:0;font-size:14px;${MUTED}">${e(l.tagline)}</p>
<h1 style="margin:4px 0 24px;font-size:22px;line-height:1.3;">${e(l.forum)}</h1>
<p style="${P}">${e(l.greeting)}</p>
${body}
<p style="${P}">${e(l.words.signOff)}</p>
<hr style="border:none;border-top:1px solid #d5d9de;margin:24px 0 16px;">
${footer}
</div>
</div>
</body>
</html>
`;
}

function htmlBlock(block: Block, l: Layout): string {
  const e = escapeMarkup;
  switch (block.kind) {
    case "p":
      return `<p style="${P}">${e(block.text).split("\n").join("<br>\n")}</p>`;
    case "action":
      return [
        `<p style="${P}"><a href="${e(block.href)}" style="display:inline-block;padding:12px 20px;background:#1f4f8f;color:#ffffff;border-radius:4px;font-weight:bold;text-decoration:none;">${e(block.label)}</a></p>`,
        `<p style="${P}font-size:13px;${MUTED}">${e(l.words.copyLink)}<br><a href="${e(block.href)}" style="color:#1f4f8f;word-break:break-all;">${e(block.href)}</a></p>`,
      ].join("\n");
    case "quote":
      return `<blockquote style="margin:0 0 16px;padding:8px 16px;border-left:4px solid #d5d9de;">${e(block.text)
        .split(/\r?\n/)
        .join("<br>\n")}</blockquote>`;
    case "facts":
      return `<table role="presentation" style="margin:0 0 16px;border-collapse:collapse;">\n${block.rows
        .map(
          ([label, value]) =>
            `<tr><th scope="row" style="padding:2px 16px 2px 0;text-align:left;vertical-align:top;">${e(label)}</th><td style="padding:2px 0;">${e(value)}</td></tr>`,
        )
        .join("\n")}\n</table>`;
    case "code":
      return `<p style="${P}font-family:'Courier New',Courier,monospace;font-size:28px;font-weight:bold;letter-spacing:6px;">${e(block.text)}</p>`;
    case "ticket":
      return [
        `<p style="${P}">${e(l.words.ticket.intro)}</p>`,
        `<p style="${P}"><img src="cid:${TICKET_QR_CID}" alt="${e(l.words.ticket.alt)}" width="240" height="240" style="display:block;width:240px;height:240px;"></p>`,
        `<p style="${P}">${e(l.words.ticket.htmlNote)}</p>`,
      ].join("\n");
  }
}

function renderText(l: Layout): string {
  const parts = [`${l.forum}\n${l.tagline}`, l.greeting];
  for (const block of l.blocks) parts.push(textBlock(block, l));
  parts.push(l.words.signOff);
  const footer = [l.contactEmail ? l.words.contact(l.contactEmail) : "", l.why, l.siteUrl].filter(Boolean);
  // "-- " (with its space) is the signature separator that mail clients recognise.
  parts.push(`-- \n${footer.join("\n")}`);
  return parts.join("\n\n") + "\n";
}

function textBlock(block: Block, l: Layout): string {
  switch (block.kind) {
    case "p":
      return block.text;
    case "action":
      return block.href;
    case "quote":
      return block.text
        .split(/\r?\n/)
        .map((line) => `> ${line}`)
        .join("\n");
    case "facts":
      return block.rows.map(([label, value]) => `${label}${l.language === "fr" ? "\u00a0:" : ":"} ${value}`).join("\n");
    case "code":
      return `    ${block.text}`;
    case "ticket":
      return l.words.ticket.textNote;
  }
}
