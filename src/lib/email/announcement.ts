import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { blank } from "../fields.ts";
import type { Db } from "../../../db/client.ts";
import { auditLog, REGISTRATION_STATES, type RegistrationState } from "../../../db/schema/index.ts";
import { recordAudit } from "../audit.ts";
import type { Edition } from "../config/edition.ts";
import { allRegistrations } from "../registration/admin.ts";
import type { Actor } from "./admin.ts";
import { createGroup } from "./groups.ts";
import { enqueue } from "./outbox.ts";
import { ANNOUNCEMENT_LIMITS, oneLine, plainText, type TemplatePayload } from "./payloads.ts";

/**
 * The organizers' message to a group of attendees: chosen with the filters of the registrations
 * list, written in English and French, previewed, then queued as one `announcement` per recipient
 * in their own language. A preview issues a one-time key; sending stores it in the audit entry in
 * the same transaction as the messages, so the same form sent twice queues nothing the second time.
 */

/** States an announcement can be sent to: any but an unconfirmed address (whoever typed it may not own it). */
export const ANNOUNCEMENT_STATES = REGISTRATION_STATES.filter((s) => s !== "pending_email") as Exclude<
  RegistrationState,
  "pending_email"
>[];
export type AnnouncementState = (typeof ANNOUNCEMENT_STATES)[number];

/** Who receives it. `status` "" means every state of ANNOUNCEMENT_STATES. */
export interface AnnouncementFilters {
  category: string;
  status: AnnouncementState | "";
  country: string;
  verified: "" | "yes" | "no";
}

/** What the organizers wrote. */
export interface AnnouncementDraft {
  filters: AnnouncementFilters;
  subject: { en: string; fr: string };
  body: { en: string; fr: string };
}

/** Filters of a new message: confirmed attendees. */
export const DEFAULT_FILTERS: AnnouncementFilters = { category: "", status: "confirmed", country: "", verified: "" };

/** Audit subject of an announcement; its id is the one-time key. */
const SUBJECT_TYPE = "announcement";

// Bidirectional overrides can disguise text; other control characters have no business in a message.
const CONTROL_SINGLE_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const CONTROL_MULTI_LINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Empty fields arrive as null (or are absent): both become "". */

const subject = z.preprocess(
  blank,
  z
    .string("invalid")
    .refine((s) => !CONTROL_SINGLE_LINE.test(s), "invalidCharacters")
    .transform(oneLine)
    .pipe(z.string().min(1, "required").max(ANNOUNCEMENT_LIMITS.subject, `tooLong:${ANNOUNCEMENT_LIMITS.subject}`)),
);

const body = z.preprocess(
  blank,
  z
    .string("invalid")
    .refine((s) => !CONTROL_MULTI_LINE.test(s), "invalidCharacters")
    .transform(plainText)
    .pipe(z.string().min(1, "required").max(ANNOUNCEMENT_LIMITS.body, `tooLong:${ANNOUNCEMENT_LIMITS.body}`)),
);

/** The fields of the compose form (filters, then subject and body in each language). */
export function announcementFields(edition: Pick<Edition, "registration">) {
  const categories = edition.registration.categories.map((c) => c.id);
  return {
    category: z.preprocess(
      blank,
      z.string().refine((c) => c === "" || categories.includes(c), "unknownCategory"),
    ),
    status: z.preprocess(blank, z.enum(["", ...ANNOUNCEMENT_STATES], "invalid")),
    country: z.preprocess(
      (v) => (typeof v === "string" ? v.trim().toUpperCase() : blank(v)),
      z.string().regex(/^([A-Z]{2})?$/, "unknownCountry"),
    ),
    verified: z.preprocess(blank, z.enum(["", "yes", "no"], "invalid")),
    subjectEn: subject,
    bodyEn: body,
    subjectFr: subject,
    bodyFr: body,
  };
}

/** The form's fields, flat, as the schema gives them. */
export interface AnnouncementForm {
  category: string;
  status: AnnouncementState | "";
  country: string;
  verified: "" | "yes" | "no";
  subjectEn: string;
  bodyEn: string;
  subjectFr: string;
  bodyFr: string;
}

/** The draft a parsed form describes. */
export function draftOf(form: AnnouncementForm): AnnouncementDraft {
  return {
    filters: { category: form.category, status: form.status, country: form.country, verified: form.verified },
    subject: { en: form.subjectEn, fr: form.subjectFr },
    body: { en: form.bodyEn, fr: form.bodyFr },
  };
}

/** One recipient: the newest matching registration of an address. */
export interface Recipient {
  registrationId: number;
  email: string;
  name: string;
  language: "en" | "fr";
}

/**
 * The registrations matching `filters` (the registrations list's own filters), never one whose
 * address is unconfirmed, one per address (the newest), newest first.
 */
export function announcementRecipients(db: Db, filters: AnnouncementFilters): Recipient[] {
  const matching = allRegistrations(db, {
    category: filters.category || undefined,
    status: filters.status,
    country: filters.country || undefined,
    domainVerified: filters.verified === "yes" ? true : filters.verified === "no" ? false : undefined,
    sort: "created",
    dir: "desc",
  });
  const seen = new Set<string>();
  const recipients: Recipient[] = [];
  for (const r of matching) {
    if (r.status === "pending_email" || seen.has(r.email)) continue;
    seen.add(r.email);
    recipients.push({ registrationId: r.id, email: r.email, name: r.name, language: r.language });
  }
  return recipients;
}

/** A new one-time key for a previewed message. */
export function newAnnouncementKey(): string {
  return randomUUID();
}

/** Whether `key` has the shape of a one-time key. */
export function isAnnouncementKey(key: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(key);
}

/**
 * The proof that this exact draft was previewed under `key`: an HMAC with the application key, so a
 * message can only be queued as it was shown.
 */
export function previewProof(appKey: Buffer, draft: AnnouncementDraft, key: string): string {
  const canonical = JSON.stringify([
    key,
    draft.filters.category,
    draft.filters.status,
    draft.filters.country,
    draft.filters.verified,
    draft.subject.en,
    draft.body.en,
    draft.subject.fr,
    draft.body.fr,
  ]);
  return createHmac("sha256", appKey).update(`announcement-preview:${canonical}`).digest("base64url");
}

/** Whether `proof` is the preview proof of `draft` under `key` (constant time). */
export function isPreviewProof(appKey: Buffer, draft: AnnouncementDraft, key: string, proof: string): boolean {
  const expected = Buffer.from(previewProof(appKey, draft, key));
  const given = Buffer.from(proof);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The payload of one recipient's message. */
export function announcementPayload(
  draft: AnnouncementDraft,
  recipient: Pick<Recipient, "name" | "language">,
): TemplatePayload<"announcement"> {
  return { name: recipient.name, subject: draft.subject[recipient.language], body: draft.body[recipient.language] };
}

export type QueueResult =
  | { ok: true; recipients: number }
  /** This key was already used: nothing was queued again. `recipients` is how many the first send queued. */
  | { ok: false; reason: "already_sent"; recipients: number }
  | { ok: false; reason: "no_recipients" };

/**
 * Queues one message per recipient in their language and the audit entry holding the key, in one
 * IMMEDIATE transaction: a second send with the same key (a double click, a resubmitted page) finds
 * the entry and queues nothing.
 */
export function queueAnnouncement(db: Db, actor: Actor, draft: AnnouncementDraft, key: string, now: number = Date.now()): QueueResult {
  return db.transaction(
    (tx): QueueResult => {
      const earlier = tx
        .select({ after: auditLog.after })
        .from(auditLog)
        .where(and(eq(auditLog.subjectType, SUBJECT_TYPE), eq(auditLog.subjectId, key)))
        .get();
      if (earlier) {
        const recipients = (earlier.after as { recipients?: unknown } | null)?.recipients;
        return { ok: false, reason: "already_sent", recipients: typeof recipients === "number" ? recipients : 0 };
      }
      const recipients = announcementRecipients(tx as unknown as Db, draft.filters);
      if (recipients.length === 0) return { ok: false, reason: "no_recipients" };
      createGroup(
        tx,
        {
          id: key,
          kind: "announcement",
          subject: draft.subject,
          body: draft.body,
          filters: { ...draft.filters },
          recipients: recipients.length,
          createdBy: actor.email,
        },
        now,
      );
      for (const recipient of recipients) {
        enqueue(
          tx,
          {
            template: "announcement",
            language: recipient.language,
            recipient: recipient.email,
            payload: announcementPayload(draft, recipient),
            registrationId: recipient.registrationId,
            groupId: key,
          },
          now,
        );
      }
      recordAudit(
        tx,
        {
          actor,
          action: "mail.announcement",
          subjectType: SUBJECT_TYPE,
          subjectId: key,
          after: { filters: draft.filters, recipients: recipients.length, subjectEn: draft.subject.en },
        },
        now,
      );
      return { ok: true, recipients: recipients.length };
    },
    { behavior: "immediate" },
  );
}
