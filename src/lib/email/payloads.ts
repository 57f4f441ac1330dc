import { z } from "zod";

/**
 * The queue's side of the e-mail templates: every template's name and the payload it is queued
 * with, checked by `enqueue`'s callers at compile time and by the renderer (templates.ts) at
 * render time. A leaf: the domains that queue mail import it, and it imports none of them.
 */

/** Longest subject and body of an announcement, in characters. */
export const ANNOUNCEMENT_LIMITS = { subject: 200, body: 5000 } as const;

/** A line of text, not blank: names and titles. */
const oneLineText = z.string().transform(oneLine).pipe(z.string().min(1, "must not be empty"));
const name = oneLineText;
/** Mail sent before the address is confirmed greets nobody by name: the name was typed by whoever submitted the form. */
const noName = z.unknown().transform(() => "");
const nonce = z.string().min(1);
/** A speaker's name, which may still be blank (then the greeting names nobody). */
const optionalName = z.string().default("").transform(oneLine);
const proposalCode = z.string().regex(/^[A-Z0-9]{4,20}$/, "expected a proposal code");
const category = z.string().min(1);

/** The payload each template expects (extra keys are ignored). */
export const PAYLOADS = {
  "registration.confirm_address": z.object({ name: noName, manageNonce: nonce }),
  "registration.already_registered": z.object({ name: noName, manageNonce: nonce }),
  /** "Resend my link": a new private link, asked for by typing the address (so no name). */
  "registration.manage_link": z.object({ name: noName, manageNonce: nonce }),
  "registration.under_review": z.object({ name, manageNonce: nonce, category }),
  "registration.back_to_review": z.object({ name, manageNonce: nonce, category }),
  "registration.confirmed": z.object({ name, manageNonce: nonce, ticketNonce: nonce, category }),
  "registration.promoted": z.object({ name, manageNonce: nonce, ticketNonce: nonce, category }),
  "registration.waitlisted": z.object({ name, manageNonce: nonce, category }),
  "registration.rejected": z.object({ name, reason: z.string().default("") }),
  "registration.cancelled": z.object({ name }),
  /**
   * Passwordless sign-in: the link and the code are derived from the nonce; no name (anyone can type
   * an address). `next`, sealed (sealSignInNext), is where the link leads once used.
   */
  "auth.sign_in": z.object({ nonce, next: z.string().optional() }),
  /** The organizers' message to a group of attendees, in the attendee's language: their own subject and plain text. */
  announcement: z.object({
    name,
    subject: z.string().transform(oneLine).pipe(z.string().min(1, "must not be empty").max(ANNOUNCEMENT_LIMITS.subject)),
    body: z.string().transform(plainText).pipe(z.string().min(1, "must not be empty").max(ANNOUNCEMENT_LIMITS.body)),
  }),
  /** After the forum, to each attendee checked in: the links to their certificate of attendance and their registration. */
  "attendance.certificate": z.object({ name, manageNonce: nonce }),
  /** A release changed sessions the recipient speaks at or starred: what each one became (release-mail.ts). */
  "programme.release": z.object({
    release: z.number().int().positive(),
    sessions: z
      .array(
        z.object({
          slug: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
          title: name,
          kind: z.enum(["added", "moved", "changed", "cancelled"]),
          startsAt: z.iso.datetime().optional(),
          endsAt: z.iso.datetime().optional(),
          room: z.string().transform(oneLine).optional(),
        }),
      )
      .min(1),
  }),
  /** Acknowledgement of a submitted proposal, to each of its speakers; links to the proposal's page. */
  "cfp.submitted": z.object({ name: optionalName, title: oneLineText, code: proposalCode }),
  /** A co-speaker invitation: the link (/cfp/invitation/<token>) is derived from the nonce; the invitee is not named. */
  "cfp.invitation": z.object({ inviter: oneLineText, title: oneLineText, nonce }),
  /** A late-submission link (/cfp/late/<token>) from the nonce, valid until `expiresAt`, for one format (its name in the message's language) or any. */
  "cfp.late": z.object({ nonce, expiresAt: z.iso.datetime(), formatName: z.string().transform(oneLine).default("") }),
  /** Released acceptance: the confirmation link (/cfp/confirm/<token>, token = deriveSecret(key, "cfp-confirm", nonce)) and the proposal's page. */
  "cfp.accepted": z.object({ name: optionalName, title: oneLineText, code: proposalCode, nonce }),
  /** Released rejection, with the committee's optional reason. */
  "cfp.rejected": z.object({ name: optionalName, title: oneLineText, code: proposalCode.optional(), reason: z.string().default("") }),
  /** A message of the organizers to a proposal's speakers (plain text; blank lines separate paragraphs). */
  "cfp.message": z.object({
    name: optionalName,
    title: oneLineText,
    code: proposalCode,
    body: z.string().transform(plainText).pipe(z.string().min(1, "must not be empty").max(ANNOUNCEMENT_LIMITS.body)),
  }),
  /** A proposal was withdrawn, to each of its speakers: `by` names who withdrew it, blank in that speaker's own receipt. */
  "cfp.withdrawn": z.object({ name: optionalName, title: oneLineText, code: proposalCode, by: optionalName }),
  /** An invited co-speaker (`speaker`: their name, or the invited address while they have none) joined; to the other speakers. */
  "cfp.speaker_joined": z.object({ name: optionalName, title: oneLineText, code: proposalCode, speaker: oneLineText }),
  /** The address the inviter invited (`invitee`) declined; to the inviter. */
  "cfp.invitation_declined": z.object({ name: optionalName, title: oneLineText, code: proposalCode, invitee: oneLineText }),
  /** An accepted proposal was confirmed (it is now an unscheduled session); to each of its speakers. */
  "cfp.confirmed": z.object({ name: optionalName, title: oneLineText, code: proposalCode }),
  /** An accepted proposal was declined (it will not be presented); to each of its speakers. */
  "cfp.declined": z.object({ name: optionalName, title: oneLineText, code: proposalCode }),
};

/** Names of the e-mail templates: one per registration and proposal transition, the sign-in message, the organizers' messages, the programme's changes. */
export type TemplateName = keyof typeof PAYLOADS;

/** Every template name. */
export const TEMPLATE_NAMES = Object.keys(PAYLOADS) as TemplateName[];

/** The payload of template `T`, as `enqueue` should be given it. */
export type TemplatePayload<T extends TemplateName> = z.input<(typeof PAYLOADS)[T]>;

/** True when `value` names a template. */
export function isTemplateName(value: string): value is TemplateName {
  return Object.hasOwn(PAYLOADS, value);
}

/** A header-safe single line. */
export function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, " ").trim();
}

/**
 * Plain text as typed in a form: line breaks as `\n`, tabs kept, other control characters and
 * trailing spaces of each line removed, no blank lines at either end.
 */
export function plainText(text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029\u0085]/g, "\n")
    .replace(/[^\P{Cc}\n\t]/gu, "")
    .replace(/[ \t]+$/gm, "")
    .replace(/^\n+|\n+$/g, "");
}
